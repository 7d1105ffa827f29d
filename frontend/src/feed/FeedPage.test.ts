// The share flow through the real app shell, router, API client and dialog, against a scripted
// server: pick a network on a card, edit the text, get the authenticity warning, rewrite, then
// open the network's composer (its URL carries the tracked link) and say "I posted it".
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const ME = {
  id: 'u-1',
  email: 'emma@example.test',
  display_name: 'Emma Employee',
  roles: ['employee'],
  team_id: 't-1',
  managed_team_ids: [],
  organisation: { id: 'o-1', name: 'Acme Corp', slug: 'acme' },
};

const POST = {
  id: 'p-1',
  title: 'Hack week highlights',
  url: 'https://acme.example/hack-week',
  summary: 'What we built in five days.',
  image_url: null,
  tags: ['engineering'],
  suggested_texts: { linkedin: 'Proud of the team. Take a look:' },
  campaign_id: null,
  target_team_ids: [],
  status: 'published',
  published_at: '2026-11-20T10:00:00Z',
  created_at: '2026-11-20T09:00:00Z',
  shared_on: [],
};

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function shareAnswer(n: number, text: string, warnings: unknown[]) {
  const tracked = `https://chorus.example/r/CODE${n}`;
  return {
    share: {
      id: `s-${n}`,
      post_id: 'p-1',
      network: 'linkedin',
      code: `CODE${n}`,
      tracked_url: tracked,
      audience_size: 850,
      text,
      personalised: n > 1,
      status: 'intended',
      impressions: 0,
      reactions: 0,
      comments: 0,
      reshares: 0,
      created_at: '2026-11-21T10:00:00Z',
    },
    intent_url: `https://www.linkedin.com/sharing/share-offsite/?url=${encodeURIComponent(tracked)}`,
    warnings,
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function button(name: string | RegExp): HTMLButtonElement {
  const found = [...document.querySelectorAll('button')].find((b) => (typeof name === 'string' ? b.textContent?.trim() === name : name.test(b.textContent ?? '')));
  if (!found) throw new Error(`no button ${name}`);
  return found;
}

function fieldByLabel(label: string): HTMLInputElement | HTMLTextAreaElement {
  const l = [...document.querySelectorAll('label')].find((x) => x.textContent?.trim() === label);
  const el = l && document.getElementById(l.htmlFor);
  if (!(el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement)) throw new Error(`no field ${label}`);
  return el;
}

async function type(el: HTMLInputElement | HTMLTextAreaElement, value: string) {
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  await tick();
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
  root.remove();
  vi.unstubAllGlobals();
});

describe('sharing from the feed', () => {
  it('takes three steps and shows the authenticity warning before the network opens', async () => {
    const posted: { url: string; body: unknown }[] = [];
    let shares = 0;
    localStorage.setItem('chorus.refresh_token', 'R0');
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      const method = init.method ?? 'GET';
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      if (url === '/api/v1/auth/refresh') return json(200, { access_token: 'A1', refresh_token: 'R1', token_type: 'Bearer', expires_in: 900 });
      if (url === '/api/v1/me') return json(200, ME);
      if (url === '/api/v1/feed') return json(200, { items: [POST] });
      if (url === '/api/v1/me/advocacy') return json(200, { opted_in: true, current_terms_version: '2026-11', terms_version: '2026-11', show_in_leaderboard: false, history: [] });
      if (url === '/api/v1/me/networks') {
        return json(200, { items: [{ network: 'linkedin', handle: '@emma', audience_size: 850, source: 'self_reported', as_of: '2026-11-01T00:00:00Z' }] });
      }
      if (url === '/api/v1/campaigns') return json(200, { items: [] });
      if (url === '/api/v1/shares' && method === 'POST') {
        posted.push({ url, body });
        shares += 1;
        const warnings = shares === 1 ? [{ code: 'text_matches_colleagues', message: '4 colleagues recently posted nearly the same text.' }] : [];
        return json(201, shareAnswer(shares, body.text, warnings));
      }
      if (url === '/api/v1/shares/s-2/published' && method === 'POST') {
        posted.push({ url, body });
        return json(200, { ...shareAnswer(2, 'x', []).share, status: 'published', public_url: body.public_url });
      }
      return json(404, { code: 'not_found', title: 'Not found', status: 404, type: 'about:blank' });
    });

    history.replaceState(null, '', '/feed');
    const [{ h, render }, { App }, { session }] = await Promise.all([import('preact'), import('../App'), import('../auth/session')]);
    void session.load();
    render(h(App, null), root);
    unmount = () => render(null, root);

    await vi.waitFor(() => expect(root.querySelector('h1')?.textContent).toBe('Share news'));
    await vi.waitFor(() => button('Share on LinkedIn'));

    // 1. Pick the network on the card: the dialog opens at the text, with LinkedIn's suggestion.
    button('Share on LinkedIn').click();
    await vi.waitFor(() => expect(document.querySelector('dialog')?.open).toBe(true));
    const text = fieldByLabel('Your text');
    expect(text.value).toBe('Proud of the team. Take a look:');

    // 2. Create the link with the suggested text: the server warns it matches colleagues'.
    button('Create my tracked link').click();
    await vi.waitFor(() => expect(document.querySelector('dialog')?.textContent).toContain('This looks like what colleagues posted'));
    expect(posted[0]?.body).toEqual({ post_id: 'p-1', network: 'linkedin', text: 'Proud of the team. Take a look:' });

    // Rewrite in one's own words; the next link is a new share.
    button('Edit my text').click();
    await vi.waitFor(() => fieldByLabel('Your text'));
    await type(fieldByLabel('Your text'), 'Our team shipped a prototype in five days. Proud of them:');
    button('Create my tracked link').click();
    await vi.waitFor(() => expect(document.querySelector('dialog')?.textContent).toContain('Your link is ready'));
    expect(document.querySelector('dialog')?.textContent).not.toContain('This looks like what colleagues posted');

    // 3. Open the network: a real link, in a new tab, carrying the tracked link.
    const open = [...document.querySelectorAll('dialog a')].find((a) => a.textContent?.startsWith('Open LinkedIn')) as HTMLAnchorElement;
    expect(open.getAttribute('target')).toBe('_blank');
    expect(open.getAttribute('rel')).toContain('noopener');
    expect(decodeURIComponent(open.href)).toContain('https://chorus.example/r/CODE2');

    // "I posted it" with the public address.
    await type(fieldByLabel('Address of your post on LinkedIn'), 'https://www.linkedin.com/posts/emma-1');
    button('I posted it').click();
    await vi.waitFor(() => expect(document.querySelector('dialog')?.textContent).toContain('Thank you for sharing'));
    expect(posted.at(-1)).toEqual({ url: '/api/v1/shares/s-2/published', body: { public_url: 'https://www.linkedin.com/posts/emma-1' } });
  });

  it('asks people who have not opted in to do so instead of offering to share', async () => {
    localStorage.setItem('chorus.refresh_token', 'R0');
    vi.stubGlobal('fetch', async (url: string) => {
      if (url === '/api/v1/auth/refresh') return json(200, { access_token: 'A1', refresh_token: 'R1', token_type: 'Bearer', expires_in: 900 });
      if (url === '/api/v1/me') return json(200, ME);
      if (url === '/api/v1/feed') return json(200, { items: [POST] });
      if (url === '/api/v1/me/advocacy') return json(200, { opted_in: false, current_terms_version: '2026-11', show_in_leaderboard: false, history: [] });
      if (url === '/api/v1/me/networks') return json(200, { items: [] });
      if (url === '/api/v1/campaigns') return json(200, { items: [] });
      return json(404, { code: 'not_found', title: 'Not found', status: 404, type: 'about:blank' });
    });
    history.replaceState(null, '', '/feed');
    const [{ h, render }, { App }, { session }] = await Promise.all([import('preact'), import('../App'), import('../auth/session')]);
    void session.load();
    render(h(App, null), root);
    unmount = () => render(null, root);

    await vi.waitFor(() => expect(root.textContent).toContain('You have not opted in to the advocacy programme'));
    expect([...root.querySelectorAll('a')].some((a) => a.textContent === 'Opt in to share' && a.getAttribute('href') === '/advocacy')).toBe(true);
    expect([...root.querySelectorAll('button')].some((b) => /^Share/.test(b.textContent ?? ''))).toBe(false);
  });
});
