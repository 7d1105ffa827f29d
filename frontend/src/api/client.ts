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
  AllowancePolicy,
  BadgeInput,
  BadgeList,
  BadgeUpdate,
  BadgeView,
  LeaderboardQuery,
  MyBadges,
  RecognitionLeaderboard,
  AllowancePolicyInput,
  AllowancePolicyList,
  BudgetView,
  CompanyValue,
  CompanyValueInput,
  CompanyValueList,
  CompanyValuePatch,
  ConsistencyReport,
  Economy,
  LedgerLines,
  PreviewInput,
  PreviewResult,
  RecognitionPreferences,
  RecognitionSettings,
  RedemptionList,
  RedemptionView,
  Reversal,
  RewardInput,
  RewardList,
  RewardPatch,
  RewardView,
  RuleInput,
  RuleList,
  RuleUpdate,
  RuleView,
  SpotAwardInput,
  SpotAwardList,
  SpotAwardView,
  TeamDetail,
  TeamRecognition,
  ThanksInput,
  ThanksList,
  ThanksView,
  Wallet,
  CampaignInput,
  CampaignList,
  CampaignView,
  ConsentSettings,
  ConsentView,
  CreateInvitationRequest,
  EmvInput,
  EmvSetting,
  EmvSettingList,
  EngagementInput,
  Feed,
  IntegrationCreated,
  IntegrationInput,
  IntegrationList,
  InvitationLookup,
  Me,
  ColleagueList,
  MyImpact,
  Network,
  OptInRequest,
  PostFilter,
  PostInput,
  PostList,
  PostPatch,
  PostView,
  ProfileInput,
  ProfileList,
  ProfileView,
  Programme,
  PublishedInput,
  ReachExportQuery,
  ReachWindow,
  ShareCreated,
  ShareInput,
  ShareList,
  ShareView,
  SuggestionInput,
  SuggestionList,
  SuggestionView,
  TeamDashboard,
  TeamList,
  TeamReachQuery,
  TokenDocument,
  UserList,
  Uuid,
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

/** Recognition routes that answer `format=csv`. */
export type RecognitionCsvPath = '/recognition/leaderboard' | '/me/ledger' | '/me/thanks' | '/admin/redemptions' | '/admin/recognition/economy' | `/teams/${string}/recognition`;

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Query;
  signal?: AbortSignal | undefined;
  /** The Accept header; JSON (and problem documents) unless said otherwise. */
  accept?: string;
}

/** A file the API answered (CSV exports), with the name the server suggested. */
export interface DownloadedFile {
  blob: Blob;
  /** From Content-Disposition; `null` when the server named none. */
  filename: string | null;
}

/** The file name in a Content-Disposition header (`filename*=UTF-8''…` preferred), or null. */
export function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null;
  const extended = header.match(/filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/);
  if (extended?.[1]) {
    try {
      return sanitiseFilename(decodeURIComponent(extended[1].trim()));
    } catch {
      // fall through to the plain parameter
    }
  }
  const plain = header.match(/filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/);
  const name = plain?.[1]?.replace(/\\(.)/g, '$1') ?? plain?.[2];
  return name ? sanitiseFilename(name) : null;
}

/** No directories, no control characters: a name is all a download may choose. */
function sanitiseFilename(name: string): string | null {
  const base = name.split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim() ?? '';
  return base && base !== '.' && base !== '..' ? base : null;
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
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json, application/problem+json' };
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

  /** An authenticated request, with one refresh-and-retry on 401; parses the JSON answer. */
  async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    return readBody<T>(await authenticated(path, opts));
  }

  /** An authenticated request for a file (e.g. a CSV export): its bytes and suggested name. */
  async function download(path: string, opts: RequestOptions = {}): Promise<DownloadedFile> {
    const res = await authenticated(path, opts);
    if (!res.ok) throw await errorFromResponse(res);
    try {
      const blob = await res.blob();
      return { blob, filename: filenameFromDisposition(res.headers.get('content-disposition')) };
    } catch (error) {
      if (isAbortError(error)) throw error;
      throw networkError(error);
    }
  }

  /** Send with the access token; on 401 refresh once (shared) and retry once. */
  async function authenticated(path: string, opts: RequestOptions): Promise<Response> {
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
    return res;
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
    /** A team with its members (administrators and the team's managers). */
    team(id: Uuid, signal?: AbortSignal): Promise<TeamDetail> {
      return request(`/api/v1/teams/${encodeURIComponent(id)}`, { signal });
    },
  };

  const enc = encodeURIComponent;

  /** Consent, linked networks and sharing: the employee's side of the advocacy programme. */
  const advocacy = {
    consent(signal?: AbortSignal): Promise<ConsentView> {
      return request('/api/v1/me/advocacy', { signal });
    },
    optIn(body: OptInRequest): Promise<ConsentView> {
      return request('/api/v1/me/advocacy/opt-in', { method: 'POST', body });
    },
    optOut(): Promise<ConsentView> {
      return request('/api/v1/me/advocacy/opt-out', { method: 'POST' });
    },
    updateConsent(body: ConsentSettings): Promise<ConsentView> {
      return request('/api/v1/me/advocacy', { method: 'PATCH', body });
    },
    networks(signal?: AbortSignal): Promise<ProfileList> {
      return request('/api/v1/me/networks', { signal });
    },
    linkNetwork(network: Network, body: ProfileInput): Promise<ProfileView> {
      return request(`/api/v1/me/networks/${enc(network)}`, { method: 'PUT', body });
    },
    unlinkNetwork(network: Network): Promise<void> {
      return request(`/api/v1/me/networks/${enc(network)}`, { method: 'DELETE' });
    },
    feed(signal?: AbortSignal): Promise<Feed> {
      return request('/api/v1/feed', { signal });
    },
    share(body: ShareInput): Promise<ShareCreated> {
      return request('/api/v1/shares', { method: 'POST', body });
    },
    myShares(signal?: AbortSignal): Promise<ShareList> {
      return request('/api/v1/me/shares', { signal });
    },
    markPublished(shareId: Uuid, body: PublishedInput): Promise<ShareView> {
      return request(`/api/v1/shares/${enc(shareId)}/published`, { method: 'POST', body });
    },
    reportEngagement(shareId: Uuid, body: EngagementInput): Promise<ShareView> {
      return request(`/api/v1/shares/${enc(shareId)}/engagement`, { method: 'POST', body });
    },
  };

  /** The content library: posts, campaigns and suggestions. */
  const content = {
    listPosts(filter: PostFilter, signal?: AbortSignal): Promise<PostList> {
      return request('/api/v1/posts', { query: { ...filter }, signal });
    },
    getPost(id: Uuid, signal?: AbortSignal): Promise<PostView> {
      return request(`/api/v1/posts/${enc(id)}`, { signal });
    },
    createPost(body: PostInput): Promise<PostView> {
      return request('/api/v1/posts', { method: 'POST', body });
    },
    updatePost(id: Uuid, body: PostPatch): Promise<PostView> {
      return request(`/api/v1/posts/${enc(id)}`, { method: 'PATCH', body });
    },
    publishPost(id: Uuid): Promise<PostView> {
      return request(`/api/v1/posts/${enc(id)}/publish`, { method: 'POST' });
    },
    archivePost(id: Uuid): Promise<PostView> {
      return request(`/api/v1/posts/${enc(id)}/archive`, { method: 'POST' });
    },
    listCampaigns(signal?: AbortSignal): Promise<CampaignList> {
      return request('/api/v1/campaigns', { signal });
    },
    createCampaign(body: CampaignInput): Promise<CampaignView> {
      return request('/api/v1/campaigns', { method: 'POST', body });
    },
    updateCampaign(id: Uuid, body: CampaignInput): Promise<CampaignView> {
      return request(`/api/v1/campaigns/${enc(id)}`, { method: 'PUT', body });
    },
    listSuggestions(signal?: AbortSignal): Promise<SuggestionList> {
      return request('/api/v1/suggestions', { signal });
    },
    suggest(body: SuggestionInput): Promise<SuggestionView> {
      return request('/api/v1/suggestions', { method: 'POST', body });
    },
    approveSuggestion(id: Uuid, note: string): Promise<SuggestionView> {
      return request(`/api/v1/suggestions/${enc(id)}/approve`, { method: 'POST', body: { note } });
    },
    rejectSuggestion(id: Uuid, note: string): Promise<SuggestionView> {
      return request(`/api/v1/suggestions/${enc(id)}/reject`, { method: 'POST', body: { note } });
    },
  };

  /** Reach reporting: my impact, team dashboards, programme health, CSV export. */
  const reach = {
    me(window: ReachWindow, signal?: AbortSignal): Promise<MyImpact> {
      return request('/api/v1/reach/me', { query: { ...window }, signal });
    },
    teams(query: TeamReachQuery, signal?: AbortSignal): Promise<TeamDashboard> {
      return request('/api/v1/reach/teams', { query: { ...query }, signal });
    },
    programme(window: ReachWindow, signal?: AbortSignal): Promise<Programme> {
      return request('/api/v1/reach/programme', { query: { ...window }, signal });
    },
    /** One table of a reach view as CSV (needs the bearer token, hence not a plain link). */
    exportCsv(query: ReachExportQuery, signal?: AbortSignal): Promise<DownloadedFile> {
      return download('/api/v1/reach/export', {
        query: { ...query },
        signal,
        accept: 'text/csv, application/problem+json',
      });
    },
    managedTeams(signal?: AbortSignal): Promise<TeamList> {
      return request('/api/v1/teams/managed', { signal });
    },
  };

  /** Organisation settings for administrators: EMV rates and integrations. */
  const settings = {
    emvRates(signal?: AbortSignal): Promise<EmvSettingList> {
      return request('/api/v1/emv-settings', { signal });
    },
    addEmvRate(body: EmvInput): Promise<EmvSetting> {
      return request('/api/v1/emv-settings', { method: 'POST', body });
    },
    integrations(signal?: AbortSignal): Promise<IntegrationList> {
      return request('/api/v1/integrations', { signal });
    },
    createIntegration(body: IntegrationInput): Promise<IntegrationCreated> {
      return request('/api/v1/integrations', { method: 'POST', body });
    },
    revokeIntegration(id: Uuid): Promise<void> {
      return request(`/api/v1/integrations/${enc(id)}`, { method: 'DELETE' });
    },
  };

  /** Recognition: thanks, wallet and ledger, rewards, spot awards (everyone signed in). */
  const recognition = {
    wall(page: { limit: number; offset: number }, signal?: AbortSignal): Promise<ThanksList> {
      return request('/api/v1/thanks/wall', { query: page, signal });
    },
    myThanks(direction: 'received' | 'given', signal?: AbortSignal): Promise<ThanksList> {
      return request('/api/v1/me/thanks', { query: { direction }, signal });
    },
    giveThanks(body: ThanksInput): Promise<ThanksView> {
      return request('/api/v1/thanks', { method: 'POST', body });
    },
    setPrivate(id: Uuid, isPrivate: boolean): Promise<ThanksView> {
      return request(`/api/v1/thanks/${enc(id)}`, { method: 'PATCH', body: { private: isPrivate } });
    },
    react(id: Uuid, emoji: string): Promise<ThanksView> {
      return request(`/api/v1/thanks/${enc(id)}/reactions`, { method: 'POST', body: { emoji } });
    },
    unreact(id: Uuid, emoji: string): Promise<ThanksView> {
      return request(`/api/v1/thanks/${enc(id)}/reactions/${enc(emoji)}`, { method: 'DELETE' });
    },
    values(signal?: AbortSignal): Promise<CompanyValueList> {
      return request('/api/v1/recognition/values', { signal });
    },
    wallet(signal?: AbortSignal): Promise<Wallet> {
      return request('/api/v1/me/wallet', { signal });
    },
    ledger(page: { limit: number; offset: number; account?: string }, signal?: AbortSignal): Promise<LedgerLines> {
      return request('/api/v1/me/ledger', { query: page, signal });
    },
    preferences(signal?: AbortSignal): Promise<RecognitionPreferences> {
      return request('/api/v1/me/recognition/preferences', { signal });
    },
    setPreferences(body: RecognitionPreferences): Promise<RecognitionPreferences> {
      return request('/api/v1/me/recognition/preferences', { method: 'PUT', body });
    },
    catalogue(all: boolean, signal?: AbortSignal): Promise<RewardList> {
      return request('/api/v1/rewards', { query: all ? { all } : {}, signal });
    },
    redeem(rewardId: Uuid): Promise<RedemptionView> {
      return request(`/api/v1/rewards/${enc(rewardId)}/redeem`, { method: 'POST' });
    },
    myRedemptions(signal?: AbortSignal): Promise<RedemptionList> {
      return request('/api/v1/me/redemptions', { signal });
    },
    cancelRedemption(id: Uuid): Promise<RedemptionView> {
      return request(`/api/v1/me/redemptions/${enc(id)}/cancel`, { method: 'POST' });
    },
    spotBudget(signal?: AbortSignal): Promise<BudgetView> {
      return request('/api/v1/me/spot-budget', { signal });
    },
    mySpotAwards(signal?: AbortSignal): Promise<SpotAwardList> {
      return request('/api/v1/spot-awards', { signal });
    },
    giveSpotAward(body: SpotAwardInput): Promise<SpotAwardView> {
      return request('/api/v1/spot-awards', { method: 'POST', body });
    },
    teamSummary(teamId: Uuid, days: number, signal?: AbortSignal): Promise<TeamRecognition> {
      return request(`/api/v1/teams/${enc(teamId)}/recognition`, { query: { days }, signal });
    },
    badges(signal?: AbortSignal): Promise<MyBadges> {
      return request('/api/v1/me/badges', { signal });
    },
    leaderboard(query: LeaderboardQuery, signal?: AbortSignal): Promise<RecognitionLeaderboard> {
      return request('/api/v1/recognition/leaderboard', { query: { ...query }, signal });
    },
    leaderboardCsv(query: LeaderboardQuery, signal?: AbortSignal): Promise<DownloadedFile> {
      return recognition.exportCsv('/recognition/leaderboard', { ...query }, signal);
    },
    /** A recognition list as CSV (`format=csv` on the same route as its JSON). */
    exportCsv(path: RecognitionCsvPath, query: Query = {}, signal?: AbortSignal): Promise<DownloadedFile> {
      return download(`/api/v1${path}`, { query: { ...query, format: 'csv' }, signal, accept: 'text/csv, application/problem+json' });
    },
  };

  /** Recognition for administrators: rules, policies, values, catalogue, queues, economy. */
  const recognitionAdmin = {
    rules(signal?: AbortSignal): Promise<RuleList> {
      return request('/api/v1/admin/rules', { signal });
    },
    rule(id: Uuid, signal?: AbortSignal): Promise<RuleView> {
      return request(`/api/v1/admin/rules/${enc(id)}`, { signal });
    },
    createRule(body: RuleInput): Promise<RuleView> {
      return request('/api/v1/admin/rules', { method: 'POST', body });
    },
    updateRule(id: Uuid, body: RuleUpdate): Promise<RuleView> {
      return request(`/api/v1/admin/rules/${enc(id)}`, { method: 'PUT', body });
    },
    previewRule(body: PreviewInput, signal?: AbortSignal): Promise<PreviewResult> {
      return request('/api/v1/admin/rules/preview', { method: 'POST', body, signal });
    },
    activateRule(id: Uuid, startsAt: string | null): Promise<RuleView> {
      return request(`/api/v1/admin/rules/${enc(id)}/activate`, { method: 'POST', body: { starts_at: startsAt } });
    },
    pauseRule(id: Uuid): Promise<RuleView> {
      return request(`/api/v1/admin/rules/${enc(id)}/pause`, { method: 'POST' });
    },
    policies(signal?: AbortSignal): Promise<AllowancePolicyList> {
      return request('/api/v1/admin/recognition/allowances', { signal });
    },
    addPolicy(body: AllowancePolicyInput): Promise<AllowancePolicy> {
      return request('/api/v1/admin/recognition/allowances', { method: 'POST', body });
    },
    deletePolicy(id: Uuid): Promise<void> {
      return request(`/api/v1/admin/recognition/allowances/${enc(id)}`, { method: 'DELETE' });
    },
    addValue(body: CompanyValueInput): Promise<CompanyValue> {
      return request('/api/v1/admin/recognition/values', { method: 'POST', body });
    },
    updateValue(id: Uuid, body: CompanyValuePatch): Promise<CompanyValue> {
      return request(`/api/v1/admin/recognition/values/${enc(id)}`, { method: 'PATCH', body });
    },
    settings(signal?: AbortSignal): Promise<RecognitionSettings> {
      return request('/api/v1/admin/recognition/settings', { signal });
    },
    saveSettings(body: RecognitionSettings): Promise<RecognitionSettings> {
      return request('/api/v1/admin/recognition/settings', { method: 'PUT', body });
    },
    addReward(body: RewardInput): Promise<RewardView> {
      return request('/api/v1/admin/rewards', { method: 'POST', body });
    },
    updateReward(id: Uuid, body: RewardPatch): Promise<RewardView> {
      return request(`/api/v1/admin/rewards/${enc(id)}`, { method: 'PATCH', body });
    },
    redemptions(status: string, signal?: AbortSignal): Promise<RedemptionList> {
      return request('/api/v1/admin/redemptions', { query: { status }, signal });
    },
    decideRedemption(id: Uuid, decision: 'approve' | 'reject' | 'fulfil', note: string): Promise<RedemptionView> {
      return request(`/api/v1/admin/redemptions/${enc(id)}/${decision}`, { method: 'POST', body: { note: note || null } });
    },
    spotAwards(status: string, signal?: AbortSignal): Promise<SpotAwardList> {
      return request('/api/v1/admin/spot-awards', { query: { status }, signal });
    },
    decideSpotAward(id: Uuid, decision: 'approve' | 'reject'): Promise<SpotAwardView> {
      return request(`/api/v1/admin/spot-awards/${enc(id)}/${decision}`, { method: 'POST' });
    },
    economy(signal?: AbortSignal): Promise<Economy> {
      return request('/api/v1/admin/recognition/economy', { signal });
    },
    consistency(signal?: AbortSignal): Promise<ConsistencyReport> {
      return request('/api/v1/admin/recognition/consistency', { signal });
    },
    badges(archived: boolean, signal?: AbortSignal): Promise<BadgeList> {
      return request('/api/v1/admin/badges', { query: archived ? { archived } : {}, signal });
    },
    addBadge(body: BadgeInput): Promise<BadgeView> {
      return request('/api/v1/admin/badges', { method: 'POST', body });
    },
    updateBadge(id: Uuid, body: BadgeUpdate): Promise<BadgeView> {
      return request(`/api/v1/admin/badges/${enc(id)}`, { method: 'PUT', body });
    },
    archiveBadge(id: Uuid): Promise<BadgeView> {
      return request(`/api/v1/admin/badges/${enc(id)}/archive`, { method: 'POST' });
    },
    reverse(transactionId: Uuid, reason: string): Promise<Reversal> {
      return request(`/api/v1/admin/recognition/transactions/${enc(transactionId)}/reverse`, { method: 'POST', body: { reason } });
    },
  };

  return {
    request,
    download,
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
    /** Active colleagues of the caller's organisation whose name or email contains `q`. */
    people(q: string, limit: number, signal?: AbortSignal): Promise<ColleagueList> {
      return request('/api/v1/people', { query: { q, limit }, signal });
    },
    /** Everything the platform holds about the signed-in person, as a JSON file. */
    exportMyData(): Promise<DownloadedFile> {
      return download('/api/v1/me/data');
    },
    /** Delete (anonymise) the signed-in person's account, then forget the session here. */
    async deleteMyAccount(password: string): Promise<void> {
      await request<unknown>('/api/v1/me', { method: 'DELETE', body: { password } });
      endSession('signed_out');
    },
    auth,
    invitations,
    admin,
    advocacy,
    content,
    reach,
    settings,
    recognition,
    recognitionAdmin,
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The app's client instance. */
export const api: ApiClient = createApiClient();
