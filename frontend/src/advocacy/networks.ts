import type { Network } from '../api/types';

export interface NetworkInfo {
  id: Network;
  label: string;
  /** What the audience on this network is called (for the audience-size field). */
  audience: string;
  /** Whether Chorus can open the network's own composer; otherwise the text is copied. */
  hasComposer: boolean;
  /** Whether that composer is filled with the text too (LinkedIn, Facebook and XING take only the link). */
  composerTakesText: boolean;
}

/** Every network an employee can share to, in the order the UI lists them. */
export const NETWORKS: readonly NetworkInfo[] = [
  { id: 'linkedin', label: 'LinkedIn', audience: 'connections and followers', hasComposer: true, composerTakesText: false },
  { id: 'x', label: 'X', audience: 'followers', hasComposer: true, composerTakesText: true },
  { id: 'facebook', label: 'Facebook', audience: 'friends and followers', hasComposer: true, composerTakesText: false },
  { id: 'instagram', label: 'Instagram', audience: 'followers', hasComposer: false, composerTakesText: false },
  { id: 'bluesky', label: 'Bluesky', audience: 'followers', hasComposer: true, composerTakesText: true },
  { id: 'mastodon', label: 'Mastodon', audience: 'followers', hasComposer: true, composerTakesText: true },
  { id: 'xing', label: 'XING', audience: 'contacts', hasComposer: true, composerTakesText: false },
  { id: 'threads', label: 'Threads', audience: 'followers', hasComposer: true, composerTakesText: true },
  { id: 'email', label: 'Email', audience: 'people on your mailing list', hasComposer: true, composerTakesText: true },
  { id: 'other', label: 'Other', audience: 'people who will see it', hasComposer: false, composerTakesText: false },
];

const BY_ID = new Map(NETWORKS.map((n) => [n.id as string, n]));

export function networkInfo(network: string): NetworkInfo | undefined {
  return BY_ID.get(network);
}

/** A network's display name; unknown values (and `other`) pass through readably. */
export function networkLabel(network: string): string {
  return BY_ID.get(network)?.label ?? network;
}

export function isNetwork(value: string): value is Network {
  return BY_ID.has(value);
}
