// The one API client. Every request the app makes goes through here.
//
// Session policy:
// - The access token lives in memory only; the refresh token in localStorage so a reload
//   or a new tab keeps the user signed in.
// - Authenticated calls attach `Authorization: Bearer`. A 401 triggers ONE refresh, shared
//   by every request that is waiting (and serialised across tabs with the Web Locks API, so
//   two tabs never present the same rotating refresh token — the server would treat that as
//   reuse and revoke the whole family). The request is then retried once.
// - When the server rejects the refresh token, the session is cleared and the
//   `onSessionEnded` listeners run (the app routes to /login). A network failure or 5xx
//   during refresh does NOT end the session: being offline for a minute should not sign
//   anyone out.
// - The API base URL comes from `window.CHORUS_CONFIG.apiBase` (public/config.js), read on
//   every request, so operators can point the static build elsewhere without rebuilding.

import {
  ApiError,
  CLIENT_CODES,
  errorFromResponse,
  isAbortError,
  networkError,
  sessionExpiredError,
} from './errors';
import type {
  AcceptInvitationRequest,
  CreateInvitationRequest,
  InvitationLookup,
  Me,
  TeamList,
  TokenDocument,
  UserList,
} from './types';

export { ApiError, toApiError, isAbortError, CLIENT_CODES } from './errors';

export const REFRESH_TOKEN_KEY = 'chorus.refresh_token';
const REFRESH_LOCK_NAME = 'chorus.refresh';

export type SessionEndReason =
  /** The server no longer accepts this session (refresh failed). */
  | 'expired'
  /** The user signed out in this tab. */
  | 'signed_out'
  /** Another tab signed out (or lost the session). */
  | 'signed_out_elsewhere';

type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
type FetchLike = (input: string, init: RequestInit) => Promise<Response>;
type LockLike = { request<T>(name: string, callback: () => Promise<T>): Promise<T> };

export interface ApiClientOptions {
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Where the refresh token is kept; defaults to localStorage. `null` = memory only. */
  storage?: StorageLike | null;
  /** Defaults to `window.CHORUS_CONFIG?.apiBase ?? ""`, read per request. */
  apiBase?: () => string;
  /** Clock, for access-token expiry. */
  now?: () => number;
  /** Cross-tab lock for refreshes; defaults to navigator.locks when the browser has it. */
  locks?: LockLike | null;
  /** Follow sign-outs made in other tabs (via the storage event). Default true in a browser. */
  watchOtherTabs?: boolean;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Query;
  signal?: AbortSignal | undefined;
}

/** The configured API base, without a trailing slash ("" = same origin). */
export function configuredApiBase(): string {
  const base = typeof window === 'undefined' ? '' : (window.CHORUS_CONFIG?.apiBase ?? '');
  return typeof base === 'string' ? base.replace(/\/+$/, '') : '';
}

function browserStorage(): StorageLike | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // access to localStorage can throw when storage is disabled
  }
}

function browserLocks(): LockLike | null {
  if (typeof navigator === 'undefined') return null;
  const locks = (navigator as { locks?: LockLike }).locks;
  return locks && typeof locks.request === 'function' ? locks : null;
}

function isTokenDocument(value: unknown): value is TokenDocument {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.access_token === 'string' &&
    typeof v.refresh_token === 'string' &&
    typeof v.expires_in === 'number'
  );
}

export function createApiClient(options: ApiClientOptions = {}) {
  const doFetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const apiBase = options.apiBase ?? configuredApiBase;
  const now = options.now ?? Date.now;
  const locks = options.locks === undefined ? browserLocks() : options.locks;
  let storage = options.storage === undefined ? browserStorage() : options.storage;

  let accessToken: string | null = null;
  /** When to refresh proactively (a little before the access token actually expires). */
  let refreshAt = 0;
  /** Only used when storage is unavailable. */
  let memoryRefreshToken: string | null = null;
  let refreshing: Promise<string> | null = null;
  const listeners = new Set<(reason: SessionEndReason) => void>();

  // ---- token storage ------------------------------------------------------

  function readRefreshToken(): string | null {
    if (storage) {
      try {
        return storage.getItem(REFRESH_TOKEN_KEY);
      } catch {
        storage = null;
      }
    }
    return memoryRefreshToken;
  }

  function writeRefreshToken(token: string | null): void {
    memoryRefreshToken = token;
    if (!storage) return;
    try {
      if (token === null) storage.removeItem(REFRESH_TOKEN_KEY);
      else storage.setItem(REFRESH_TOKEN_KEY, token);
      memoryRefreshToken = null;
    } catch {
      storage = null; // fall back to memory for the rest of this page's life
    }
  }

  function setTokens(doc: unknown): void {
    if (!isTokenDocument(doc)) {
      throw new ApiError({ status: 200, code: CLIENT_CODES.invalidResponse, title: 'Invalid token response' });
    }
    accessToken = doc.access_token;
    const lifetimeMs = Math.max(0, doc.expires_in) * 1000;
    refreshAt = now() + lifetimeMs - Math.min(30_000, lifetimeMs / 2);
    writeRefreshToken(doc.refresh_token);
  }

  function hasSession(): boolean {
    return accessToken !== null || readRefreshToken() !== null;
  }

  /** Forget every token; tell listeners once, if there was a session to end. */
  function endSession(reason: SessionEndReason): void {
    const had = hasSession();
    accessToken = null;
    refreshAt = 0;
    writeRefreshToken(null);
    if (had) for (const listener of [...listeners]) listener(reason);
  }

  if (options.watchOtherTabs ?? typeof window !== 'undefined') {
    window.addEventListener('storage', (event) => {
      if (event.key !== REFRESH_TOKEN_KEY || event.newValue !== null) return;
      // Another tab signed out or lost the session: follow it.
      if (accessToken !== null) {
        accessToken = null;
        refreshAt = 0;
        for (const listener of [...listeners]) listener('signed_out_elsewhere');
      }
    });
  }

  // ---- transport ----------------------------------------------------------

  function url(path: string, query?: Query): string {
    let qs = '';
    if (query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined && value !== null) params.set(key, String(value));
      }
      const s = params.toString();
      if (s) qs = `?${s}`;
    }
    return `${apiBase()}${path}${qs}`;
  }

  async function send(path: string, opts: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    const init: RequestInit = {
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      headers,
    };
    if (opts.body !== undefined) init.body = JSON.stringify(opts.body);
    if (opts.signal) init.signal = opts.signal;
    try {
      return await doFetch(url(path, opts.query), init);
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw networkError(error);
    }
  }

  async function readBody<T>(res: Response): Promise<T> {
    if (!res.ok) throw await errorFromResponse(res);
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw networkError(error);
    }
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError({ status: res.status, code: CLIENT_CODES.invalidResponse, title: 'Invalid JSON' });
    }
  }

  // ---- refresh ------------------------------------------------------------

  async function doRefresh(): Promise<string> {
    // Read the token inside the (cross-tab) lock: another tab may just have rotated it.
    const refreshToken = readRefreshToken();
    if (!refreshToken) {
      endSession('expired');
      throw sessionExpiredError();
    }
    const res = await send('/api/v1/auth/refresh', { method: 'POST', body: { refresh_token: refreshToken } }, null);
    if (!res.ok) {
      const error = await errorFromResponse(res);
      // Throttling or a server fault says nothing about the token; keep the session.
      if (res.status === 429 || res.status >= 500) throw error;
      endSession('expired');
      throw sessionExpiredError();
    }
    setTokens(await readBody<unknown>(res));
    return accessToken as string;
  }

  /** Refresh the access token; concurrent callers share one request. */
  function refreshOnce(): Promise<string> {
    if (!refreshing) {
      const run = locks ? () => locks.request(REFRESH_LOCK_NAME, doRefresh) : doRefresh;
      refreshing = run().finally(() => {
        refreshing = null;
      });
    }
    return refreshing;
  }

  async function usableAccessToken(): Promise<string> {
    if (refreshing) return refreshing;
    if (accessToken !== null && now() < refreshAt) return accessToken;
    if (readRefreshToken() !== null) return refreshOnce();
    if (accessToken !== null) return accessToken; // no way to renew it; let the server decide
    throw new ApiError({ status: 401, code: CLIENT_CODES.notAuthenticated, title: 'Not signed in' });
  }

  /** An authenticated request, with one refresh-and-retry on 401. */
  async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    let token = await usableAccessToken();
    let res = await send(path, opts, token);
    if (res.status === 401) {
      // If another request already refreshed while this one was in flight, just retry.
      token = accessToken !== null && accessToken !== token ? accessToken : await refreshOnce();
      res = await send(path, opts, token);
      if (res.status === 401) {
        // A brand-new token was refused too: the account can no longer use this session.
        endSession('expired');
        throw sessionExpiredError();
      }
    }
    return readBody<T>(res);
  }

  /** A request that needs no session (sign-in flows). */
  async function publicRequest<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return readBody<T>(await send(path, opts, null));
  }

  // ---- endpoints ----------------------------------------------------------

  const auth = {
    async login(email: string, password: string): Promise<void> {
      setTokens(await publicRequest<unknown>('/api/v1/auth/login', { method: 'POST', body: { email, password } }));
    },
    requestMagicLink(email: string): Promise<void> {
      return publicRequest('/api/v1/auth/magic-link', { method: 'POST', body: { email } });
    },
    async verifyMagicLink(token: string): Promise<void> {
      setTokens(await publicRequest<unknown>('/api/v1/auth/magic-link/verify', { method: 'POST', body: { token } }));
    },
    requestPasswordReset(email: string): Promise<void> {
      return publicRequest('/api/v1/auth/password-reset', { method: 'POST', body: { email } });
    },
    confirmPasswordReset(token: string, password: string): Promise<void> {
      return publicRequest('/api/v1/auth/password-reset/confirm', { method: 'POST', body: { token, password } });
    },
    /** Revoke the refresh token on the server (best effort) and forget the session here. */
    async logout(): Promise<void> {
      const refreshToken = readRefreshToken();
      try {
        if (refreshToken) {
          const res = await send('/api/v1/auth/logout', { method: 'POST', body: { refresh_token: refreshToken } }, accessToken);
          if (!res.ok) throw await errorFromResponse(res);
        }
      } catch {
        // Signing out must work offline too; the unrevoked refresh token expires on its own.
      } finally {
        endSession('signed_out');
      }
    },
  };

  const invitations = {
    lookup(token: string, signal?: AbortSignal): Promise<InvitationLookup> {
      return publicRequest('/api/v1/invitations/lookup', { query: { token }, signal });
    },
    async accept(body: AcceptInvitationRequest): Promise<void> {
      setTokens(await publicRequest<unknown>('/api/v1/invitations/accept', { method: 'POST', body }));
    },
  };

  const admin = {
    listUsers(page: { limit: number; offset: number }, signal?: AbortSignal): Promise<UserList> {
      return request('/api/v1/users', { query: page, signal });
    },
    listTeams(signal?: AbortSignal): Promise<TeamList> {
      return request('/api/v1/teams', { signal });
    },
    createInvitation(body: CreateInvitationRequest): Promise<unknown> {
      return request('/api/v1/invitations', { method: 'POST', body });
    },
  };

  return {
    request,
    publicRequest,
    hasSession,
    /** Run `listener` whenever the session ends; returns an unsubscribe function. */
    onSessionEnded(listener: (reason: SessionEndReason) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    me(signal?: AbortSignal): Promise<Me> {
      return request('/api/v1/me', { signal });
    },
    auth,
    invitations,
    admin,
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The app's client instance. */
export const api: ApiClient = createApiClient();
