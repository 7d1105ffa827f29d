import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { isAbortError, toApiError, type ApiError } from '../api/client';

export type Resource<T> =
  | { status: 'loading'; reload: () => void }
  | { status: 'error'; error: ApiError; reload: () => void }
  | { status: 'ready'; data: T; reload: () => void };

/**
 * Load data for a view. Re-runs when `deps` change; cancels the previous request so a slow
 * answer for an old page can never overwrite a newer one.
 */
export function useResource<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Resource<T> {
  type State = { status: 'loading' } | { status: 'error'; error: ApiError } | { status: 'ready'; data: T };
  const [state, setState] = useState<State>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState({ status: 'ready', data });
      },
      (error: unknown) => {
        if (controller.signal.aborted || isAbortError(error)) return;
        setState({ status: 'error', error: toApiError(error) });
      },
    );
    return () => controller.abort();
  }, [...deps, attempt]);

  return { ...state, reload };
}

/**
 * The newest data a resource has loaded, kept while it reloads — so a dashboard can stay on
 * screen (marked busy) when only a setting changed, instead of flashing a spinner.
 */
export function useLatest<T>(resource: Resource<T>): T | null {
  const latest = useRef<T | null>(null);
  if (resource.status === 'ready') latest.current = resource.data;
  return latest.current;
}
