// The share flow as data: pick a network → edit the suggested text → create the tracked link
// (the server answers warnings and the network's share-intent URL) → open the network or copy
// → "I posted it". Views render the state; every transition is a pure function tested alone.

import type { ApiError } from '../api/client';
import type { Network, PostView, ProfileView, ShareCreated, ShareView, ShareWarning } from '../api/types';
import { NETWORKS } from '../advocacy/networks';

export type ShareState =
  | { step: 'network' }
  | { step: 'compose'; network: Network; text: string; pending: boolean; error: ApiError | null }
  | { step: 'ready'; network: Network; text: string; created: ShareCreated; posting: boolean; error: ApiError | null }
  | { step: 'posted'; network: Network; share: ShareView };

export type ShareEvent =
  | { type: 'pick'; network: Network; post: Pick<PostView, 'suggested_texts'> }
  | { type: 'change-network' }
  | { type: 'edit'; text: string }
  | { type: 'submit' }
  | { type: 'created'; created: ShareCreated }
  | { type: 'failed'; error: ApiError }
  | { type: 'rewrite' }
  | { type: 'posting' }
  | { type: 'posted'; share: ShareView };

/** Where a flow starts: at the text when the network is already chosen, else at the choice. */
export function startShare(post: Pick<PostView, 'suggested_texts'>, network?: Network | null): ShareState {
  return network ? { step: 'compose', network, text: suggestedText(post, network), pending: false, error: null } : { step: 'network' };
}

export function shareReducer(state: ShareState, event: ShareEvent): ShareState {
  switch (event.type) {
    case 'pick':
      return startShare(event.post, event.network);
    case 'change-network':
      return state.step === 'compose' && !state.pending ? { step: 'network' } : state;
    case 'edit':
      return state.step === 'compose' && !state.pending ? { ...state, text: event.text, error: null } : state;
    case 'submit':
      return state.step === 'compose' && !state.pending ? { ...state, pending: true, error: null } : state;
    case 'created':
      return state.step === 'compose' && state.pending
        ? { step: 'ready', network: state.network, text: state.text, created: event.created, posting: false, error: null }
        : state;
    case 'failed':
      if (state.step === 'compose') return { ...state, pending: false, error: event.error };
      if (state.step === 'ready') return { ...state, posting: false, error: event.error };
      return state;
    case 'rewrite':
      // Back to the text after a warning. The link already made stays unused; the next one is new.
      return state.step === 'ready' && !state.posting
        ? { step: 'compose', network: state.network, text: state.text, pending: false, error: null }
        : state;
    case 'posting':
      return state.step === 'ready' && !state.posting ? { ...state, posting: true, error: null } : state;
    case 'posted':
      return state.step === 'ready' ? { step: 'posted', network: state.network, share: event.share } : state;
  }
}

/** The text the server would use for a network: its own suggestion, else LinkedIn's, else none. */
export function suggestedText(post: Pick<PostView, 'suggested_texts'>, network: Network): string {
  return post.suggested_texts[network] ?? post.suggested_texts.linkedin ?? '';
}

/** What to paste where a network has no composer link: the text, then the tracked link. */
export function textWithLink(text: string, link: string): string {
  const t = text.trim();
  return t ? `${t} ${link}` : link;
}

/** The authenticity warning (near-identical to colleagues' posts) first, then the rest. */
export function sortWarnings(warnings: readonly ShareWarning[]): ShareWarning[] {
  const rank = (w: ShareWarning) => (w.code === 'text_matches_colleagues' ? 0 : 1);
  return [...warnings].sort((a, b) => rank(a) - rank(b));
}

export function hasAuthenticityWarning(warnings: readonly ShareWarning[]): boolean {
  return warnings.some((w) => w.code === 'text_matches_colleagues');
}

interface Limit {
  max: number;
  /** How many characters the network counts for a link. */
  link: number;
}

// Post length limits and how each network counts links (X and Mastodon count any link as 23).
const LIMITS: Partial<Record<Network, Limit>> = {
  x: { max: 280, link: 23 },
  mastodon: { max: 500, link: 23 },
  bluesky: { max: 300, link: 40 },
  threads: { max: 500, link: 40 },
};

/**
 * Characters left for the text on networks with a length limit (the link and the space before it
 * counted as the network counts them), or null where there is no practical limit.
 */
export function charactersLeft(network: Network, text: string): number | null {
  const limit = LIMITS[network];
  if (!limit) return null;
  const length = [...text.trim()].length; // code points, close to how the networks count
  return limit.max - length - (length ? 1 : 0) - limit.link;
}

/** Networks to offer: linked ones first (largest audience first), then the rest in list order. */
export function orderNetworks(profiles: readonly ProfileView[]): { network: Network; profile: ProfileView | null }[] {
  const linked = [...profiles].sort((a, b) => b.audience_size - a.audience_size);
  const rest = NETWORKS.filter((n) => !profiles.some((p) => p.network === n.id)).map((n) => ({ network: n.id, profile: null }));
  return [...linked.map((p) => ({ network: p.network, profile: p })), ...rest];
}
