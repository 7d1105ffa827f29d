// The rule editor through the real app against a scripted server: a saved draft can be enabled
// only after a preview of exactly that version, and a change since the preview disarms it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

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

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const tick = () => new Promise((r) => setTimeout(r, 0));

function button(name: string): HTMLButtonElement {
  const found = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === name);
  if (!found) throw new Error(`no button ${name}`);
  return found;
}

function field(label: string): HTMLInputElement {
  const l = [...document.querySelectorAll('label')].find((x) => x.textContent?.trim() === label);
  const el = l && document.getElementById(l.htmlFor);
  if (!(el instanceof HTMLInputElement)) throw new Error(`no field ${label}`);
  return el;
}

async function type(el: HTMLInputElement, value: string) {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  await tick();
}

const figure = (id: string) => document.querySelector(`.kpi[data-figure="${id}"] .kpi-value`)?.textContent;

let root: HTMLElement;
let unmount: (() => void) | undefined;

beforeEach(() => {
  vi.resetModules();
  localStorage.clear();
  root = document.createElement('div');
  document.body.append(root);
});

afterEach(() => {
  unmount?.();
  root.remove();
  vi.unstubAllGlobals();
});

describe('the rule editor', () => {
  it('enables a saved rule only after previewing that exact version', async () => {
    const calls: { path: string; body: unknown }[] = [];
    localStorage.setItem('chorus.refresh_token', 'R0');
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      const method = init.method ?? 'GET';
      const path = url.split('?')[0] as string;
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      if (path === '/api/v1/auth/refresh') return json(200, { access_token: 'A1', refresh_token: 'R1', token_type: 'Bearer', expires_in: 900 });
      if (path === '/api/v1/me') return json(200, ME);
      if (path === '/api/v1/admin/rules/r-1' && method === 'GET') return json(200, RULE);
      if (path === '/api/v1/teams') return json(200, { items: [{ id: 't-1', name: 'Sales', manager_ids: [], member_count: 8, parent_id: null }] });
      if (path === '/api/v1/campaigns') return json(200, { items: [] });
      if (method === 'POST') {
        calls.push({ path, body });
        if (path === '/api/v1/admin/rules/preview') return json(200, PREVIEW);
        if (path === '/api/v1/admin/rules/r-1/activate') return json(200, { ...RULE, status: 'active' });
      }
      return json(404, { code: 'not_found', title: 'Not found', status: 404, type: 'about:blank' });
    });

    history.replaceState(null, '', '/admin/rules/r-1');
    const [{ h, render }, { App }, { session }] = await Promise.all([import('preact'), import('../App'), import('../auth/session')]);
    void session.load();
    render(h(App, null), root);
    unmount = () => render(null, root);

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
