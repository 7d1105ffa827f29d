import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PostView } from '../api/types';
import { campaignInput } from './CampaignsPage';
import { fromLocalInput, parseTags, toLocalInput } from './datetime';
import { formFromPost, toPostInput, toPostPatch, validatePostForm, type PostForm } from './posts';

const NOW = new Date('2026-11-21T12:00:00Z');

const form = (over: Partial<PostForm> = {}): PostForm => ({
  ...formFromPost(null),
  title: 'Hack week highlights',
  url: 'https://example.com/hack-week',
  ...over,
});

afterEach(() => vi.unstubAllEnvs());

describe('datetime-local conversion', () => {
  it('round-trips an instant through the local wall-clock value', () => {
    const iso = '2026-12-01T09:30:00.000Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
  });

  it('treats empty and malformed values as no time', () => {
    expect(toLocalInput(null)).toBe('');
    expect(toLocalInput('not a date')).toBe('');
    expect(fromLocalInput('')).toBeNull();
    expect(fromLocalInput('2026-02-30T10:00')).toBeNull();
    expect(fromLocalInput('tomorrow')).toBeNull();
  });

  it('reads tags as typed, without hashes or repeats', () => {
    expect(parseTags('Hiring, #careers  culture,hiring')).toEqual(['hiring', 'careers', 'culture']);
    expect(parseTags('  ')).toEqual([]);
  });
});

describe('post form', () => {
  it('needs a title and an http(s) link', () => {
    expect(validatePostForm(form({ title: ' ', url: '' }), 'save', NOW)).toEqual({
      title: 'Give the post a title.',
      url: 'Enter the address of the page to share.',
    });
    expect(validatePostForm(form({ url: 'javascript:alert(1)' }), 'save', NOW).url).toMatch(/https/);
    expect(validatePostForm(form(), 'publish', NOW)).toEqual({});
  });

  it('needs a future time to schedule, and an expiry after it', () => {
    expect(validatePostForm(form(), 'schedule', NOW).publish_at).toBe('Choose when the post goes live.');
    const past = toLocalInput('2026-11-20T12:00:00Z');
    expect(validatePostForm(form({ publish_at: past }), 'schedule', NOW).publish_at).toBe('Choose a time in the future.');
    const soon = toLocalInput('2026-11-22T12:00:00Z');
    const sooner = toLocalInput('2026-11-22T08:00:00Z');
    expect(validatePostForm(form({ publish_at: soon, expires_at: sooner }), 'schedule', NOW).expires_at).toMatch(/after it goes live/);
    expect(validatePostForm(form({ publish_at: soon }), 'schedule', NOW)).toEqual({});
  });

  it('builds the create body for each action, dropping empty texts', () => {
    const f = form({ tags: 'engineering, #culture', texts: { linkedin: ' Proud of this. ', x: '   ' }, target_team_ids: ['t-1'] });
    expect(toPostInput(f, 'publish')).toEqual({
      title: 'Hack week highlights',
      url: 'https://example.com/hack-week',
      summary: '',
      image_url: null,
      tags: ['engineering', 'culture'],
      campaign_id: null,
      target_team_ids: ['t-1'],
      suggested_texts: { linkedin: 'Proud of this.' },
      publish_at: null,
      expires_at: null,
      status: 'published',
    });
    expect(toPostInput(f, 'draft').status).toBe('draft');
    expect(toPostInput(f, 'schedule').status).toBe('scheduled');
  });

  it('patches every field, clears emptied times, and changes status only between draft and scheduled', () => {
    const post: PostView = {
      id: 'p-1',
      title: 'Old',
      url: 'https://example.com/old',
      summary: 'S',
      image_url: 'https://example.com/i.png',
      tags: ['a'],
      suggested_texts: { linkedin: 'L' },
      campaign_id: 'c-1',
      target_team_ids: [],
      status: 'scheduled',
      publish_at: '2026-12-01T09:00:00Z',
      expires_at: null,
      published_at: null,
      created_at: '2026-11-01T00:00:00Z',
    };
    const f = { ...formFromPost(post), publish_at: '', image_url: '', campaign_id: '' };
    const patch = toPostPatch(f, 'save');
    expect(patch).toMatchObject({ title: 'Old', publish_at: null, image_url: null, campaign_id: null, tags: ['a'], suggested_texts: { linkedin: 'L' } });
    expect('status' in patch).toBe(false);
    expect(toPostPatch(f, 'draft').status).toBe('draft');
    expect(toPostPatch(f, 'schedule').status).toBe('scheduled');
    expect('status' in toPostPatch(f, 'publish')).toBe(false); // publishing is its own action
  });
});

describe('campaign form', () => {
  const base = { name: 'Launch', description: '', starts_at: '2026-12-01T09:00', ends_at: '', goal: '', multiplier: '1', target_team_ids: [] };

  it('builds the API body with numbers parsed', () => {
    const built = campaignInput({ ...base, goal: '6,000', multiplier: '1,5' });
    expect('input' in built && built.input).toMatchObject({ name: 'Launch', goal_human_clicks: 6000, points_multiplier: 1.5, ends_at: null });
    const archived = campaignInput(base, true);
    expect('input' in archived && archived.input.archived).toBe(true);
  });

  it('names each problem', () => {
    const built = campaignInput({ ...base, name: '', starts_at: '', goal: 'lots', multiplier: '0' });
    expect('problems' in built && Object.keys(built.problems).sort()).toEqual(['goal_human_clicks', 'name', 'points_multiplier', 'starts_at']);
    const ends = campaignInput({ ...base, ends_at: '2026-11-30T09:00' });
    expect('problems' in ends && ends.problems.ends_at).toMatch(/end after/);
  });
});
