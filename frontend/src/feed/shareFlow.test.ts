import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/client';
import type { ProfileView, ShareCreated, ShareView } from '../api/types';
import { charactersLeft, hasAuthenticityWarning, orderNetworks, shareReducer, sortWarnings, startShare, suggestedText, textWithLink, type ShareState } from './shareFlow';

const post = { suggested_texts: { linkedin: 'Proud of the team. Take a look:', x: 'New release 👇' } };

const share = (over: Partial<ShareView> = {}): ShareView => ({
  id: 's-1',
  post_id: 'p-1',
  network: 'linkedin',
  code: 'AbC123',
  tracked_url: 'https://chorus.example/r/AbC123',
  audience_size: 500,
  text: 'Proud of the team. Take a look:',
  personalised: false,
  status: 'intended',
  impressions: 0,
  reactions: 0,
  comments: 0,
  reshares: 0,
  created_at: '2026-11-21T10:00:00Z',
  ...over,
});

const created = (warnings: ShareCreated['warnings'] = []): ShareCreated => ({
  share: share(),
  intent_url: 'https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fchorus.example%2Fr%2FAbC123',
  warnings,
});

const run = (state: ShareState, ...events: Parameters<typeof shareReducer>[1][]) => events.reduce(shareReducer, state);

describe('the share flow', () => {
  it('starts at the network choice, or at the text when the network was picked on the card', () => {
    expect(startShare(post)).toEqual({ step: 'network' });
    expect(startShare(post, 'x')).toEqual({ step: 'compose', network: 'x', text: 'New release 👇', pending: false, error: null });
  });

  it('suggests the network’s own text, else LinkedIn’s, else nothing (as the server does)', () => {
    expect(suggestedText(post, 'x')).toBe('New release 👇');
    expect(suggestedText(post, 'bluesky')).toBe('Proud of the team. Take a look:');
    expect(suggestedText({ suggested_texts: {} }, 'email')).toBe('');
  });

  it('walks pick → edit → create → posted in three steps', () => {
    let s = run(startShare(post), { type: 'pick', network: 'linkedin', post });
    expect(s).toMatchObject({ step: 'compose', network: 'linkedin', text: 'Proud of the team. Take a look:' });
    s = run(s, { type: 'edit', text: 'We built this in six weeks. Proud of the team:' }, { type: 'submit' });
    expect(s).toMatchObject({ step: 'compose', pending: true });
    s = run(s, { type: 'created', created: created() });
    expect(s).toMatchObject({ step: 'ready', network: 'linkedin', text: 'We built this in six weeks. Proud of the team:', posting: false });
    s = run(s, { type: 'posting' }, { type: 'posted', share: share({ status: 'published', public_url: 'https://www.linkedin.com/posts/1' }) });
    expect(s).toMatchObject({ step: 'posted', network: 'linkedin', share: { status: 'published' } });
  });

  it('ignores edits and repeated submits while the link is being created', () => {
    const pending = run(startShare(post, 'linkedin'), { type: 'submit' });
    expect(run(pending, { type: 'edit', text: 'changed' })).toBe(pending);
    expect(run(pending, { type: 'submit' })).toBe(pending);
    expect(run(pending, { type: 'change-network' })).toBe(pending);
  });

  it('keeps the text and shows the error when creating fails, so the person can retry', () => {
    const error = new ApiError({ status: 409, code: 'not_opted_in', title: 'Not opted in' });
    const s = run(startShare(post, 'linkedin'), { type: 'edit', text: 'Mine' }, { type: 'submit' }, { type: 'failed', error });
    expect(s).toEqual({ step: 'compose', network: 'linkedin', text: 'Mine', pending: false, error });
    expect(run(s, { type: 'edit', text: 'Mine!' })).toMatchObject({ error: null, text: 'Mine!' });
  });

  it('goes back to the text after the authenticity warning, keeping what was written', () => {
    const warning = { code: 'text_matches_colleagues', message: '3 colleagues recently posted nearly the same text.' };
    const ready = run(startShare(post, 'linkedin'), { type: 'submit' }, { type: 'created', created: created([warning]) });
    const back = run(ready, { type: 'rewrite' });
    expect(back).toEqual({ step: 'compose', network: 'linkedin', text: 'Proud of the team. Take a look:', pending: false, error: null });
  });

  it('reports a failed "I posted it" on the ready step', () => {
    const error = new ApiError({ status: 422, code: 'validation_failed', title: 'Invalid', fieldErrors: { public_url: 'must be a URL' } });
    const ready = run(startShare(post, 'x'), { type: 'submit' }, { type: 'created', created: created() });
    expect(run(ready, { type: 'posting' }, { type: 'failed', error })).toMatchObject({ step: 'ready', posting: false, error });
  });

  it('lists the authenticity warning first', () => {
    const w = [
      { code: 'network_not_linked', message: 'Link this network.' },
      { code: 'text_matches_colleagues', message: 'Near-identical.' },
    ];
    expect(sortWarnings(w).map((x) => x.code)).toEqual(['text_matches_colleagues', 'network_not_linked']);
    expect(hasAuthenticityWarning(w)).toBe(true);
    expect(hasAuthenticityWarning([w[0]!])).toBe(false);
  });

  it('puts the tracked link after the text for copying', () => {
    expect(textWithLink('  Look at this ', 'https://c.example/r/x')).toBe('Look at this https://c.example/r/x');
    expect(textWithLink('', 'https://c.example/r/x')).toBe('https://c.example/r/x');
  });

  it('counts characters left where networks limit length, the link as they count it', () => {
    expect(charactersLeft('x', '')).toBe(280 - 23);
    expect(charactersLeft('x', 'Hello')).toBe(280 - 5 - 1 - 23);
    expect(charactersLeft('x', '👋🏽')).toBe(280 - 2 - 1 - 23); // code points, not UTF-16 units
    expect(charactersLeft('x', 'a'.repeat(300))).toBeLessThan(0);
    expect(charactersLeft('linkedin', 'a'.repeat(5000))).toBeNull();
  });

  it('offers linked networks first, by audience, then the rest', () => {
    const profile = (network: ProfileView['network'], audience_size: number): ProfileView => ({
      network,
      audience_size,
      handle: 'me',
      source: 'self_reported',
      as_of: '2026-11-01T00:00:00Z',
    });
    const order = orderNetworks([profile('x', 120), profile('facebook', 900)]).map((o) => `${o.network}${o.profile ? '*' : ''}`);
    expect(order.slice(0, 4)).toEqual(['facebook*', 'x*', 'linkedin', 'instagram']);
    expect(order).toHaveLength(10);
  });
});
