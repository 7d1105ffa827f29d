// End-to-end through the real router, session store and API client, against a scripted
// fetch: the guard sends an anonymous visitor to sign-in, sign-in returns them to the page
// they wanted, and the navigation follows their roles.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Each test imports the app afresh (vi.resetModules) so the API client's in-memory tokens and
// the session store start clean.
async function mountApp(root: HTMLElement) {
  const [{ h, render }, { App }, { session }] = await Promise.all([import('preact'), import('./App'), import('./auth/session')]);
  void session.load();
  render(h(App, null), root);
  return () => render(null, root);
}

const ADMIN_ME = {
  id: 'u-1',
  email: 'ada@example.test',
  display_name: 'Ada Lovelace',
  roles: ['employee', 'admin'],
  team_id: null,
  managed_team_ids: [],
  organisation: { id: 'o-1', name: 'Acme Corp', slug: 'acme' },
};

function json(status: number, body: unknown) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function field(label: string): HTMLInputElement {
  const el = [...document.querySelectorAll('label')].find((l) => l.textContent === label);
  const input = el && document.getElementById(el.htmlFor);
  if (!(input instanceof HTMLInputElement)) throw new Error(`no input labelled ${label}`);
  return input;
}

/** Type into an input, then let Preact re-render (as it would between two user actions). */
async function type(input: HTMLInputElement, value: string) {
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  await new Promise((resolve) => setTimeout(resolve, 0));
}

function submit(form: HTMLFormElement | null) {
  if (!form) throw new Error('no form');
  form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
}

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
  unmount = undefined;
  root.remove();
  vi.unstubAllGlobals();
});

describe('App', () => {
  it('sends an anonymous visitor to sign-in and back to the page they wanted', async () => {
    const requests: string[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      requests.push(`${init.method} ${url}`);
      if (url === '/api/v1/auth/login') {
        const body = JSON.parse(String(init.body));
        if (body.password !== 'correct horse battery') {
          return new Response(JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, code: 'invalid_credentials' }), {
            status: 401,
            headers: { 'content-type': 'application/problem+json' },
          });
        }
        return json(200, { access_token: 'A1', refresh_token: 'R1', token_type: 'Bearer', expires_in: 900 });
      }
      if (url === '/api/v1/me') return json(200, ADMIN_ME);
      if (url === '/api/v1/teams') return json(200, { items: [{ id: 't-1', name: 'Research', parent_id: null, manager_ids: [] }] });
      if (url.startsWith('/api/v1/users')) {
        return json(200, {
          items: [{ id: 'u-2', email: 'grace@example.test', display_name: 'Grace Hopper', roles: ['manager'], team_id: 't-1', status: 'active', created_at: '2025-01-02T10:00:00Z' }],
          total: 1,
        });
      }
      return json(404, { code: 'not_found', title: 'Not found', status: 404, type: 'about:blank' });
    });

    history.replaceState(null, '', '/admin/people');
    unmount = await mountApp(root);

    await vi.waitFor(() => expect(location.pathname + location.search).toBe('/login?next=%2Fadmin%2Fpeople'));
    await vi.waitFor(() => expect(root.querySelector('h1')?.textContent).toBe('Sign in to Chorus'));

    // A wrong password shows the server's problem as a readable message.
    await type(field('Email'), 'ada@example.test');
    await type(field('Password'), 'wrong password');
    submit(root.querySelector('form'));
    await vi.waitFor(() => expect(root.querySelector('[role=alert]')?.textContent).toMatch(/do not match/));

    await type(field('Password'), 'correct horse battery');
    submit(root.querySelector('form'));

    await vi.waitFor(() => expect(location.pathname).toBe('/admin/people'));
    await vi.waitFor(() => expect(root.querySelector('tbody')?.textContent).toContain('Grace Hopper'));
    expect(root.querySelector('tbody')?.textContent).toContain('Research'); // team id resolved to its name
    expect(root.querySelector('header')?.textContent).toContain('Acme Corp');
    expect(root.querySelector('header')?.textContent).toContain('Ada Lovelace');
    expect(root.querySelector('main')).not.toBeNull();

    const navLabels = [...root.querySelectorAll('nav[aria-label=Main] a')].map((a) => a.textContent);
    // Admins see team reach (any team) but no Editor section.
    expect(navLabels).toEqual([
      'Home',
      'Share news',
      'My shares',
      'My impact',
      'Networks',
      'Advocacy programme',
      'Suggest a post',
      'Thanks',
      'Wallet',
      'Rewards',
      'Badges',
      'Leaderboard',
      'My data',
      'Team reach',
      'Team recognition',
      'People',
      'Teams',
      'Programme health',
      'Reward rules',
      'Recognition settings',
      'Rewards catalogue',
      'Badge definitions',
      'Approvals',
      'EMV rates',
      'Integrations',
    ]);
    expect(root.querySelector('a[aria-current=page]')?.textContent).toBe('People');
    expect(requests).toContain('GET /api/v1/users?limit=25&offset=0');
    expect(localStorage.getItem('chorus.refresh_token')).toBe('R1');
  });

  it('shows a 404 inside the shell for unknown paths and a refusal for pages of other roles', async () => {
    const employee = { ...ADMIN_ME, roles: ['employee'] };
    localStorage.setItem('chorus.refresh_token', 'R0');
    vi.stubGlobal('fetch', async (url: string) => {
      if (url === '/api/v1/auth/refresh') return json(200, { access_token: 'A1', refresh_token: 'R1', token_type: 'Bearer', expires_in: 900 });
      if (url === '/api/v1/me') return json(200, employee);
      return json(500, {});
    });
    history.replaceState(null, '', '/no/such/page');
    unmount = await mountApp(root);
    await vi.waitFor(() => expect(root.querySelector('h1')?.textContent).toBe('Page not found'));
    expect(root.querySelector('header')?.textContent).toContain('Ada Lovelace');

    history.pushState(null, '', '/admin/people');
    dispatchEvent(new PopStateEvent('popstate'));
    await vi.waitFor(() => expect(root.querySelector('h1')?.textContent).toBe('You do not have access to this page'));
    const navLabels = [...root.querySelectorAll('nav[aria-label=Main] a')].map((a) => a.textContent);
    expect(navLabels).toEqual(['Home', 'Share news', 'My shares', 'My impact', 'Networks', 'Advocacy programme', 'Suggest a post', 'Thanks', 'Wallet', 'Rewards', 'Badges', 'Leaderboard', 'My data']);
  });
});
