import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { CLIENT_CODES, type ApiError } from '../api/client';

export type AlertKind = 'error' | 'success' | 'info' | 'warning';

/** A message box. Errors are announced assertively (role=alert), the rest politely. */
export function Alert({ kind, title, children }: { kind: AlertKind; title?: string; children?: ComponentChildren }) {
  return (
    <div class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {title ? <p class="alert-title">{title}</p> : null}
      {children}
    </div>
  );
}

/** The readable message of an API error, unless the error has its own place on the form. */
export function ErrorAlert({ error, title }: { error: ApiError | null; title?: string }) {
  if (!error) return null;
  return (
    <Alert kind="error" {...(title ? { title } : {})}>
      <p>{error.message}</p>
    </Alert>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({
  title,
  children,
  action,
}: {
  title: string;
  children?: ComponentChildren;
  action?: ComponentChildren;
}) {
  return (
    <div class="empty-state">
      <p class="empty-state-title">{title}</p>
      {children ? <div class="empty-state-body">{children}</div> : null}
      {action ? <div class="empty-state-action">{action}</div> : null}
    </div>
  );
}

/** A view-level failure with a way to try again. */
export function ErrorState({ error, onRetry, title = 'This could not be loaded' }: { error: ApiError; onRetry?: () => void; title?: string }) {
  // An ended session is being handled (redirect to sign-in); don't flash an error.
  if (error.code === CLIENT_CODES.sessionExpired) return <Loading label="Signing you out…" />;
  return (
    <div class="error-state" role="alert">
      <p class="error-state-title">{title}</p>
      <p>{error.message}</p>
      {onRetry ? (
        <button type="button" class="button button-secondary" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** Sets document.title for the current view. */
export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Chorus` : 'Chorus';
  }, [title]);
}

/** Moves focus to an element when `when` becomes true (e.g. a result message after a submit). */
export function useFocusWhen<T extends HTMLElement>(when: boolean) {
  const ref = useRef<T>(null);
  useEffect(() => {
    if (when) ref.current?.focus();
  }, [when]);
  return ref;
}
