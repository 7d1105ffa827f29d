import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, REFRESH_TOKEN_KEY, createApiClient, type ApiClientOptions, type SessionEndReason } from './client';

// ---- helpers ----------------------------------------------------------------

interface Call {
  url: string;
  method: string;
  auth: string | null;
  body: unknown;
}

type Handler = (call: Call) => Response | Promise<Response>;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}

function problem(status: number, code: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ type: 'about:blank', title: `Title for ${code}`, status, code, ...extra }), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

function tokens(n: number, expiresIn = 900) {
  return { access_token: `A${n}`, refresh_token: `R${n}`, token_type: 'Bearer', expires_in: expiresIn };
}

function memoryStorage(initial: Record<string, string> = {}) {
  const map = new Map(Object.entries(initial));
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** A client wired to a scripted server; records every request it makes. */
function setup(handler: Handler, opts: Partial<ApiClientOptions> & { stored?: Record<string, string> } = {}) {
  const calls: Call[] = [];
  const storage = memoryStorage(opts.stored);
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    const call: Call = {
      url,
      method: init.method ?? 'GET',
      auth: headers.Authorization ?? null,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    return handler(call);
  });
  const ended: SessionEndReason[] = [];
  const client = createApiClient({
    fetch,
    storage,
    apiBase: () => '',
    locks: null,
    watchOtherTabs: false,
    ...opts,
  });
  client.onSessionEnded((reason) => ended.push(reason));
  const path = (c: Call) => c.url.replace(/\?.*$/, '');
  const callsTo = (p: string) => calls.filter((c) => path(c) === p);
  return { client, calls, callsTo, storage, ended, fetch };
}

const ME = {
  id: '4f1c2a9e-0000-4000-8000-000000000001',
  email: 'ada@example.test',
  display_name: 'Ada',
  roles: ['employee'],
  team_id: null,
  managed_team_ids: [],
  organisation: { id: '4f1c2a9e-0000-4000-8000-0000000000aa', name: 'Acme', slug: 'acme' },
};

async function caught(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error('expected the promise to reject');
}

afterEach(() => {
  delete window.CHORUS_CONFIG;
});

// ---- problem documents -------------------------------------------------------

describe('error mapping', () => {
  it('maps a problem document with field errors to a typed ApiError', async () => {
    const { client } = setup(() =>
      problem(422, 'validation_failed', {
        title: 'Invalid request',
        detail: 'Some fields are not valid.',
        errors: [
          { field: 'password', message: 'Must be at least 10 characters.' },
          { field: 'password', message: 'Must not be your email.' },
          { field: 'email', message: 'Not an email address.' },
        ],
      }),
    );
    const error = await caught(client.auth.login('not-an-email', 'short'));
    expect(error.status).toBe(422);
    expect(error.code).toBe('validation_failed');
    expect(error.title).toBe('Invalid request');
    expect(error.detail).toBe('Some fields are not valid.');
    expect(error.fieldErrors).toEqual({
      password: 'Must be at least 10 characters. Must not be your email.',
      email: 'Not an email address.',
    });
    expect(error.hasFieldErrors).toBe(true);
    expect(error.message).toBe('Some fields are not valid.');
  });

  it('gives invalid_credentials a readable message and stores no session', async () => {
    const { client, storage } = setup(() => problem(401, 'invalid_credentials'));
    const error = await caught(client.auth.login('ada@example.test', 'wrong password'));
    expect(error.code).toBe('invalid_credentials');
    expect(error.message).toMatch(/do not match/);
    expect(storage.map.size).toBe(0);
    expect(client.hasSession()).toBe(false);
  });

  it('reads Retry-After on rate limiting', async () => {
    const { client } = setup(() => problem(429, 'rate_limited', {}, { 'Retry-After': '30' }));
    const error = await caught(client.auth.login('ada@example.test', 'whatever123'));
    expect(error.status).toBe(429);
    expect(error.retryAfter).toBe(30);
    expect(error.message).toBe('Too many attempts. Please wait 30 seconds and try again.');
  });

  it('handles error responses that are not problem documents', async () => {
    const { client } = setup(() => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html' } }));
    const error = await caught(client.auth.requestMagicLink('ada@example.test'));
    expect(error.status).toBe(502);
    expect(error.code).toBe('http_502');
    expect(error.message).toMatch(/server/i);
    expect(error.fieldErrors).toEqual({});
  });

  it('turns a network failure into a readable ApiError', async () => {
    const { client } = setup(() => {
      throw new TypeError('Failed to fetch');
    });
    const error = await caught(client.auth.requestPasswordReset('ada@example.test'));
    expect(error.status).toBe(0);
    expect(error.code).toBe('network_error');
    expect(error.isNetworkError).toBe(true);
    expect(error.message).toBe('Chorus could not be reached. Check your connection and try again.');
  });

  it('rejects a success response whose body is not JSON', async () => {
    const { client } = setup(() => new Response('not json', { status: 200 }));
    const error = await caught(client.invitations.lookup('tok'));
    expect(error.code).toBe('invalid_response');
  });

  it('lets an aborted request reject as an AbortError, not an ApiError', async () => {
    const { client } = setup(() => {
      throw new DOMException('aborted', 'AbortError');
    });
    await expect(client.invitations.lookup('tok')).rejects.toMatchObject({ name: 'AbortError' });
  });
});

// ---- base URL ------------------------------------------------------------------

describe('apiBase', () => {
  it('prefixes every request with window.CHORUS_CONFIG.apiBase, read per request', async () => {
    const { client, calls } = setup(() => new Response(null, { status: 202 }), { apiBase: undefined });

    window.CHORUS_CONFIG = { apiBase: 'https://api.chorus.example/' };
    await client.auth.requestMagicLink('ada@example.test');
    window.CHORUS_CONFIG = { apiBase: 'https://other.example/chorus' };
    await client.auth.requestMagicLink('ada@example.test');
    window.CHORUS_CONFIG = { apiBase: '' };
    await client.auth.requestMagicLink('ada@example.test');
    delete window.CHORUS_CONFIG;
    await client.auth.requestMagicLink('ada@example.test');

    expect(calls.map((c) => c.url)).toEqual([
      'https://api.chorus.example/api/v1/auth/magic-link',
      'https://other.example/chorus/api/v1/auth/magic-link',
      '/api/v1/auth/magic-link',
      '/api/v1/auth/magic-link',
    ]);
  });

  it('applies the base to authenticated requests and the refresh call, with encoded queries', async () => {
    window.CHORUS_CONFIG = { apiBase: 'https://api.chorus.example' };
    const { client, calls } = setup(
      (c) => {
        if (c.url.endsWith('/auth/refresh')) return json(200, tokens(2));
        return json(200, { items: [], total: 0 });
      },
      { apiBase: undefined, stored: { [REFRESH_TOKEN_KEY]: 'R1' } },
    );
    await client.admin.listUsers({ limit: 25, offset: 50 });
    await client.invitations.lookup('a b&c');
    expect(calls.map((c) => c.url)).toEqual([
      'https://api.chorus.example/api/v1/auth/refresh',
      'https://api.chorus.example/api/v1/users?limit=25&offset=50',
      'https://api.chorus.example/api/v1/invitations/lookup?token=a+b%26c',
    ]);
  });
});

// ---- session and refresh --------------------------------------------------------

describe('session', () => {
  it('keeps the refresh token in storage and the access token in memory only', async () => {
    const { client, storage, callsTo } = setup((c) => (c.url.endsWith('/auth/login') ? json(200, tokens(1)) : json(200, ME)));
    await client.auth.login('ada@example.test', 'correct horse battery');
    expect([...storage.map.entries()]).toEqual([[REFRESH_TOKEN_KEY, 'R1']]);
    expect(await client.me()).toEqual(ME);
    expect(callsTo('/api/v1/me')[0]?.auth).toBe('Bearer A1');
    expect(callsTo('/api/v1/auth/login')[0]?.auth).toBeNull();
  });

  it('refreshes once for concurrent 401s and retries each request with the new token', async () => {
    const refreshGate = deferred();
    const { client, callsTo, storage } = setup(async (c) => {
      if (c.url.endsWith('/auth/login')) return json(200, tokens(1));
      if (c.url.endsWith('/auth/refresh')) {
        await refreshGate.promise; // hold the refresh until every request has seen its 401
        return json(200, tokens(2));
      }
      if (c.auth !== 'Bearer A2') return problem(401, 'token_expired');
      if (c.url.includes('/me')) return json(200, ME);
      if (c.url.includes('/teams')) return json(200, { items: [] });
      return json(200, { items: [], total: 0 });
    });
    await client.auth.login('ada@example.test', 'correct horse battery');

    const all = Promise.all([client.me(), client.admin.listTeams(), client.admin.listUsers({ limit: 10, offset: 0 })]);
    await vi.waitFor(() => expect(callsTo('/api/v1/auth/refresh')).toHaveLength(1));
    // Let the three 401s arrive while the single refresh is still outstanding.
    await new Promise((r) => setTimeout(r, 10));
    refreshGate.resolve();
    const [me, teams, users] = await all;

    expect(me).toEqual(ME);
    expect(teams).toEqual({ items: [] });
    expect(users).toEqual({ items: [], total: 0 });
    const refreshes = callsTo('/api/v1/auth/refresh');
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]?.body).toEqual({ refresh_token: 'R1' });
    expect(refreshes[0]?.auth).toBeNull();
    for (const p of ['/api/v1/me', '/api/v1/teams', '/api/v1/users']) {
      expect(callsTo(p).map((c) => c.auth)).toEqual(['Bearer A1', 'Bearer A2']);
    }
    expect(storage.map.get(REFRESH_TOKEN_KEY)).toBe('R2');
  });

  it('clears the session and notifies once when the refresh is refused', async () => {
    const { client, callsTo, storage, ended, calls } = setup((c) => {
      if (c.url.endsWith('/auth/login')) return json(200, tokens(1));
      if (c.url.endsWith('/auth/refresh')) return problem(401, 'invalid_refresh_token');
      return problem(401, 'token_expired');
    });
    await client.auth.login('ada@example.test', 'correct horse battery');

    const [a, b] = await Promise.all([caught(client.me()), caught(client.admin.listTeams())]);
    expect(a.code).toBe('session_expired');
    expect(b.code).toBe('session_expired');
    expect(a.message).toBe('Your session has ended. Please sign in again.');
    expect(callsTo('/api/v1/auth/refresh')).toHaveLength(1);
    expect(storage.map.has(REFRESH_TOKEN_KEY)).toBe(false);
    expect(client.hasSession()).toBe(false);
    expect(ended).toEqual(['expired']);

    // Nothing is sent on behalf of an ended session.
    const before = calls.length;
    const after = await caught(client.me());
    expect(after.code).toBe('not_authenticated');
    expect(calls.length).toBe(before);
  });

  it('keeps the session when the refresh fails for network reasons', async () => {
    const { client, storage, ended } = setup((c) => {
      if (c.url.endsWith('/auth/login')) return json(200, tokens(1));
      if (c.url.endsWith('/auth/refresh')) throw new TypeError('Failed to fetch');
      return problem(401, 'token_expired');
    });
    await client.auth.login('ada@example.test', 'correct horse battery');
    const error = await caught(client.me());
    expect(error.code).toBe('network_error');
    expect(storage.map.get(REFRESH_TOKEN_KEY)).toBe('R1');
    expect(client.hasSession()).toBe(true);
    expect(ended).toEqual([]);
  });

  it('does not refresh twice when the retried request is refused again', async () => {
    const { client, callsTo, ended, storage } = setup((c) => {
      if (c.url.endsWith('/auth/login')) return json(200, tokens(1));
      if (c.url.endsWith('/auth/refresh')) return json(200, tokens(2));
      return problem(401, 'account_deactivated');
    });
    await client.auth.login('ada@example.test', 'correct horse battery');
    const error = await caught(client.me());
    expect(error.code).toBe('session_expired');
    expect(callsTo('/api/v1/auth/refresh')).toHaveLength(1);
    expect(callsTo('/api/v1/me').map((c) => c.auth)).toEqual(['Bearer A1', 'Bearer A2']);
    expect(storage.map.size).toBe(0);
    expect(ended).toEqual(['expired']);
  });

  it('retries without refreshing again when another request already refreshed', async () => {
    const slowGate = deferred();
    const { client, callsTo } = setup(async (c) => {
      if (c.url.endsWith('/auth/login')) return json(200, tokens(1));
      if (c.url.endsWith('/auth/refresh')) return json(200, tokens(2));
      if (c.url.includes('/teams') && c.auth === 'Bearer A1') {
        await slowGate.promise; // answered 401 only after /me has refreshed
        return problem(401, 'token_expired');
      }
      if (c.auth !== 'Bearer A2') return problem(401, 'token_expired');
      return c.url.includes('/teams') ? json(200, { items: [] }) : json(200, ME);
    });
    await client.auth.login('ada@example.test', 'correct horse battery');
    const teams = client.admin.listTeams();
    await client.me(); // gets 401, refreshes to A2, succeeds
    slowGate.resolve();
    expect(await teams).toEqual({ items: [] });
    expect(callsTo('/api/v1/auth/refresh')).toHaveLength(1);
    expect(callsTo('/api/v1/teams').map((c) => c.auth)).toEqual(['Bearer A1', 'Bearer A2']);
  });

  it('resumes a stored session by refreshing before the first request', async () => {
    const { client, calls } = setup((c) => (c.url.endsWith('/auth/refresh') ? json(200, tokens(7)) : json(200, ME)), {
      stored: { [REFRESH_TOKEN_KEY]: 'R6' },
    });
    expect(client.hasSession()).toBe(true);
    expect(await client.me()).toEqual(ME);
    expect(calls.map((c) => [c.url, c.auth, c.body])).toEqual([
      ['/api/v1/auth/refresh', null, { refresh_token: 'R6' }],
      ['/api/v1/me', 'Bearer A7', undefined],
    ]);
  });

  it('refreshes proactively when the access token is about to expire', async () => {
    let clock = 1_000_000;
    const { client, calls } = setup(
      (c) => {
        if (c.url.endsWith('/auth/login')) return json(200, tokens(1, 300));
        if (c.url.endsWith('/auth/refresh')) return json(200, tokens(2, 300));
        return c.auth === 'Bearer A2' ? json(200, ME) : problem(401, 'token_expired');
      },
      { now: () => clock },
    );
    await client.auth.login('ada@example.test', 'correct horse battery');
    clock += 290_000; // inside the last 30 seconds of a 300-second token
    await client.me();
    expect(calls.map((c) => c.url)).toEqual(['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/me']);
  });

  it('reads the refresh token inside the cross-tab lock, so a rotation by another tab is honoured', async () => {
    const granted = deferred();
    const lockNames: string[] = [];
    const locks = {
      async request<T>(name: string, cb: () => Promise<T>): Promise<T> {
        lockNames.push(name);
        await granted.promise; // another tab holds the lock for now
        return cb();
      },
    };
    const { client, callsTo, storage } = setup(
      (c) => (c.url.endsWith('/auth/refresh') ? json(200, tokens(10)) : json(200, ME)),
      { locks, stored: { [REFRESH_TOKEN_KEY]: 'R8' } },
    );
    const me = client.me();
    await vi.waitFor(() => expect(lockNames).toEqual(['chorus.refresh']));
    storage.setItem(REFRESH_TOKEN_KEY, 'R9'); // the other tab rotated R8 -> R9 and released the lock
    granted.resolve();
    expect(await me).toEqual(ME);
    expect(callsTo('/api/v1/auth/refresh').map((c) => c.body)).toEqual([{ refresh_token: 'R9' }]);
    expect(storage.map.get(REFRESH_TOKEN_KEY)).toBe('R10');
  });

  it('signs out locally even when the server cannot be reached', async () => {
    const { client, callsTo, storage, ended } = setup((c) => {
      if (c.url.endsWith('/auth/login')) return json(200, tokens(1));
      throw new TypeError('Failed to fetch');
    });
    await client.auth.login('ada@example.test', 'correct horse battery');
    await client.auth.logout();
    expect(callsTo('/api/v1/auth/logout').map((c) => c.body)).toEqual([{ refresh_token: 'R1' }]);
    expect(storage.map.size).toBe(0);
    expect(client.hasSession()).toBe(false);
    expect(ended).toEqual(['signed_out']);
  });

  it('stores the session from magic-link and invitation sign-in', async () => {
    const { client, storage, callsTo } = setup((c) => {
      if (c.url.endsWith('/magic-link/verify')) return json(200, tokens(3));
      if (c.url.endsWith('/invitations/accept')) return json(200, tokens(4));
      return json(200, ME);
    });
    await client.auth.verifyMagicLink('magic-token');
    expect(storage.map.get(REFRESH_TOKEN_KEY)).toBe('R3');
    await client.invitations.accept({ token: 'invite-token', display_name: 'Ada', password: 'correct horse battery' });
    expect(storage.map.get(REFRESH_TOKEN_KEY)).toBe('R4');
    await client.me();
    expect(callsTo('/api/v1/me')[0]?.auth).toBe('Bearer A4');
    expect(callsTo('/api/v1/magic-link/verify')).toHaveLength(0);
    expect(callsTo('/api/v1/auth/magic-link/verify')[0]?.body).toEqual({ token: 'magic-token' });
  });
});

// ---- files and the advocacy endpoints ------------------------------------------

describe('downloads and advocacy calls', () => {
  it('downloads a CSV export with the bearer token, refreshing on 401, and keeps the server’s file name', async () => {
    const { client, callsTo } = setup(async (c) => {
      if (c.url.endsWith('/auth/login')) return json(200, tokens(1));
      if (c.url.endsWith('/auth/refresh')) return json(200, tokens(2));
      if (c.auth !== 'Bearer A2') return problem(401, 'token_expired');
      return new Response('key,label\n2026-11-21,2026-11-21\n', {
        status: 200,
        headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="chorus-teams-by_day.csv"' },
      });
    });
    const fetchSpy = vi.spyOn(globalThis, 'fetch'); // not used: the client's own fetch is scripted
    await client.auth.login('ada@example.test', 'correct horse battery');
    const file = await client.reach.exportCsv({ view: 'teams', table: 'by_day', from: '2026-11-01', to: '2026-11-21', team_id: 't 1' });
    expect(await file.blob.text()).toContain('2026-11-21');
    expect(file.filename).toBe('chorus-teams-by_day.csv');
    const exports = callsTo('/api/v1/reach/export');
    expect(exports.map((c) => c.auth)).toEqual(['Bearer A1', 'Bearer A2']);
    expect(exports[0]?.url).toBe('/api/v1/reach/export?view=teams&table=by_day&from=2026-11-01&to=2026-11-21&team_id=t+1');
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('turns a refused export into a readable ApiError', async () => {
    const { client } = setup(async (c) => {
      if (c.url.endsWith('/auth/login')) return json(200, tokens(1));
      return problem(403, 'forbidden', { detail: 'You manage no teams.' });
    });
    await client.auth.login('ada@example.test', 'correct horse battery');
    const error = await caught(client.reach.exportCsv({ view: 'teams', table: 'by_team' }));
    expect(error.status).toBe(403);
    expect(error.message).toBe('You manage no teams.');
  });

  it('sends actions without a body as POST, not GET', async () => {
    const { client, calls } = setup(async (c) => {
      if (c.url.endsWith('/auth/login')) return json(200, tokens(1));
      return json(200, {});
    });
    await client.auth.login('ada@example.test', 'correct horse battery');
    await client.advocacy.optOut();
    await client.content.publishPost('p/1');
    await client.content.archivePost('p-1');
    await client.advocacy.unlinkNetwork('linkedin');
    expect(calls.slice(1).map((c) => `${c.method} ${c.url}`)).toEqual([
      'POST /api/v1/me/advocacy/opt-out',
      'POST /api/v1/posts/p%2F1/publish',
      'POST /api/v1/posts/p-1/archive',
      'DELETE /api/v1/me/networks/linkedin',
    ]);
  });
});
