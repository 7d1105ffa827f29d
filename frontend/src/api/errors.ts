// Every failure the API client reports is an ApiError: problem documents from the
// server, non-problem error responses (a proxy's HTML 502), network failures and an
// ended session all arrive in this one shape, with a message a person can read.

import type { ProblemDocument } from './types';

export interface ApiErrorInit {
  /** HTTP status; 0 when no response was received. */
  status: number;
  /** Stable snake_case code from the problem document, or one of the client's own codes. */
  code: string;
  title: string;
  detail?: string | undefined;
  fieldErrors?: Record<string, string>;
  /** Seconds to wait before retrying (from Retry-After), when the server said so. */
  retryAfter?: number | undefined;
}

/** Codes the client produces itself (the server's codes pass through unchanged). */
export const CLIENT_CODES = {
  network: 'network_error',
  sessionExpired: 'session_expired',
  notAuthenticated: 'not_authenticated',
  invalidResponse: 'invalid_response',
} as const;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly fieldErrors: Record<string, string>;
  readonly retryAfter: number | undefined;

  constructor(init: ApiErrorInit) {
    super(readableMessage(init));
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.fieldErrors = init.fieldErrors ?? {};
    this.retryAfter = init.retryAfter;
  }

  get isNetworkError(): boolean {
    return this.code === CLIENT_CODES.network;
  }

  get hasFieldErrors(): boolean {
    return Object.keys(this.fieldErrors).length > 0;
  }
}

function readableMessage(e: ApiErrorInit): string {
  switch (e.code) {
    case CLIENT_CODES.network:
      return 'Chorus could not be reached. Check your connection and try again.';
    case CLIENT_CODES.sessionExpired:
      return 'Your session has ended. Please sign in again.';
    case CLIENT_CODES.notAuthenticated:
      return 'Please sign in to continue.';
    case CLIENT_CODES.invalidResponse:
      return 'The server sent an answer Chorus did not understand. Please try again.';
    case 'invalid_credentials':
      return 'That email and password do not match an account. Check them and try again.';
    case 'rate_limited':
      return e.retryAfter !== undefined && e.retryAfter > 0
        ? `Too many attempts. Please wait ${formatWait(e.retryAfter)} and try again.`
        : 'Too many attempts. Please wait a moment and try again.';
  }
  if (e.status >= 500) {
    return 'Something went wrong on the server. Please try again in a moment.';
  }
  if (e.detail) return e.detail;
  if (e.title) return e.title;
  if (e.status === 403) return 'You do not have permission to do that.';
  if (e.status === 404) return 'That could not be found.';
  return `The request failed (HTTP ${e.status}).`;
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

function isProblemDocument(value: unknown): value is ProblemDocument {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' || typeof v.title === 'string';
}

/** Parse a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Build an ApiError from a non-2xx response, reading its problem document when there is one. */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let body: unknown;
  const contentType = res.headers.get('content-type') ?? '';
  if (contentType.includes('json')) {
    try {
      body = await res.json();
    } catch {
      body = undefined;
    }
  }
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  if (isProblemDocument(body)) {
    const fieldErrors: Record<string, string> = {};
    for (const fe of Array.isArray(body.errors) ? body.errors : []) {
      if (!fe || typeof fe.field !== 'string' || typeof fe.message !== 'string') continue;
      fieldErrors[fe.field] = fieldErrors[fe.field] ? `${fieldErrors[fe.field]} ${fe.message}` : fe.message;
    }
    return new ApiError({
      status: res.status,
      code: typeof body.code === 'string' && body.code ? body.code : `http_${res.status}`,
      title: typeof body.title === 'string' ? body.title : res.statusText,
      detail: typeof body.detail === 'string' ? body.detail : undefined,
      fieldErrors,
      retryAfter,
    });
  }
  return new ApiError({
    status: res.status,
    code: res.status === 429 ? 'rate_limited' : `http_${res.status}`,
    title: res.statusText,
    retryAfter,
  });
}

export function networkError(cause?: unknown): ApiError {
  const err = new ApiError({ status: 0, code: CLIENT_CODES.network, title: 'Network error' });
  if (cause !== undefined) (err as { cause?: unknown }).cause = cause;
  return err;
}

export function sessionExpiredError(): ApiError {
  return new ApiError({ status: 401, code: CLIENT_CODES.sessionExpired, title: 'Session expired' });
}

/** Normalise anything thrown by an API call into an ApiError (for views to render). */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof TypeError) return networkError(error);
  console.error(error);
  return new ApiError({
    status: 0,
    code: 'unexpected_error',
    title: 'Something unexpected went wrong. Please reload the page and try again.',
  });
}

export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}
