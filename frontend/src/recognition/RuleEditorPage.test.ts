// The rule editor through the real app against a scripted server: a saved draft can be enabled
// only after a preview of exactly that version, and a change since the preview disarms it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { button, field, json, mountApp, type } from '../testing/app';

const ME = {
  id: 'u-1',
  email: 'ada@example.test',
  display_name: 'Ada Admin',
  roles: ['employee', 'admin'],
  team_id: null,
  managed_team_ids: [],
  organisation: { id: 'o-1', name: 'Acme Corp', slug: 'acme' },
};

const DOC = { trigger: 'share_published', award: { mode: 'fixed', points: 10 }, caps: { day: 30 } };
const RULE = {
  id: 'r-1',
  name: 'Shared and posted',
  status: 'draft',
  budget: 5000,
  budget_exhausted: false,
  current_version: 2,
  document: DOC,
  spent: 0,
  created_at: '2026-11-01T00:00:00Z',
  updated_at: '2026-11-02T00:00:00Z',
  versions: [
    { version: 2, document: DOC, starts_at: '2026-11-02T00:00:00Z', created_at: '2026-11-02T00:00:00Z', created_by: 'u-1' },
    { version: 1, document: { ...DOC, award: { mode: 'fixed', points: 5 } }, starts_at: '2026-11-01T00:00:00Z', created_at: '2026-11-01T00:00:00Z', created_by: 'u-1' },
  ],
};
const PREVIEW = {
  budget: 5000,
  budget_exhausted: false,
  budget_remaining: 4200,
  by_team: [{ team_id: 't-1', points: 600, recipients: 8 }, { team_id: null, points: 200, recipients: 2 }],
  events_replayed: 120,
  limited_awards: 3,
  matching_events: 85,
  max: 130,
  p50: 60,
  p90: 110,
  p99: 130,
  recipients: 10,
  top10_share: 1,
  total_points: 800,
  window_start: '2026-10-22T00:00:00Z',
  window_end: '2026-11-21T00:00:00Z',
};

const figure = (id: string) => document.querySelector(`.kpi[data-figure="${id}"] .kpi-value`)?.textContent;

let unmount: (() => void) | undefined;

afterEach(() => unmount?.());

describe('the rule editor', () => {
  it('enables a saved rule only after previewing that exact version', async () => {
    const calls: { path: string; body: unknown }[] = [];
    const app = await mountApp('/admin/rules/r-1', (path, method, body) => {
      if (path === '/api/v1/me') return json(200, ME);
      if (path === '/api/v1/admin/rules/r-1' && method === 'GET') return json(200, RULE);
      if (path === '/api/v1/teams') return json(200, { items: [{ id: 't-1', name: 'Sales', manager_ids: [], member_count: 8, parent_id: null }] });
      if (path === '/api/v1/campaigns') return json(200, { items: [] });
      if (method === 'POST') {
        calls.push({ path, body });
        if (path === '/api/v1/admin/rules/preview') return json(200, PREVIEW);
        if (path === '/api/v1/admin/rules/r-1/activate') return json(200, { ...RULE, status: 'active' });
      }
      return undefined;
    });
    unmount = app.unmount;
    const root = app.root;

    await vi.waitFor(() => expect(root.querySelector('h1')?.textContent).toBe('Shared and posted'));
    // Both versions are listed; the draft cannot be enabled before a preview.
    expect([...root.querySelectorAll('[aria-label="Rule versions"] tbody th')].map((th) => th.textContent)).toEqual(['2', '1']);
    expect(button('Enable rule').disabled).toBe(true);
    expect(root.textContent).toContain('Preview the saved rule first');

    button('Preview cost and distribution').click();
    await vi.waitFor(() => expect(figure('total')).toBe('800 points'));
    expect(calls[0]).toEqual({ path: '/api/v1/admin/rules/preview', body: { document: DOC, budget: 5000, days: 30 } });
    expect(figure('p90')).toBe('110');
    expect(figure('budget')).toBe('4,200 of 5,000');
    expect([...root.querySelectorAll('[aria-label="Preview per team"] tbody th')].map((th) => th.textContent)).toEqual(['Sales', 'No team']);
    await vi.waitFor(() => expect(button('Enable rule').disabled).toBe(false));

    // A change since the preview (even unsaved) disarms enabling until it is undone.
    await type(field('Points per event'), '12');
    await vi.waitFor(() => expect(root.textContent).toContain('The rule or the period changed since this preview.'));
    expect(button('Enable rule').disabled).toBe(true);
    await type(field('Points per event'), '10');
    await vi.waitFor(() => expect(button('Enable rule').disabled).toBe(false));

    button('Enable rule').click();
    await vi.waitFor(() => expect(root.textContent).toContain('Enabled. New events are awarded from now on.'));
    expect(calls[1]).toEqual({ path: '/api/v1/admin/rules/r-1/activate', body: { starts_at: null } });
    await vi.waitFor(() => button('Pause rule'));
  });
});
