// The signed-in user, as the rest of the app sees it. Tokens are the API client's business;
// this store only knows whether there is a session and who it belongs to (GET /api/v1/me).

import { useEffect, useState } from 'preact/hooks';
import { api, toApiError, type ApiClient, type ApiError, type SessionEndReason } from '../api/client';
import type { Me, Role } from '../api/types';

export type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous'; reason?: SessionEndReason | undefined }
  | { status: 'authenticated'; me: Me }
  /** There is a session but /me could not be loaded (offline, server down). */
  | { status: 'error'; error: ApiError };

export function createSessionStore(client: ApiClient) {
  let state: SessionState = client.hasSession() ? { status: 'loading' } : { status: 'anonymous' };
  const subscribers = new Set<(s: SessionState) => void>();
  let loadSeq = 0;

  function set(next: SessionState): void {
    state = next;
    for (const fn of [...subscribers]) fn(state);
  }

  client.onSessionEnded((reason) => {
    loadSeq++; // any /me still in flight belongs to the ended session
    set({ status: 'anonymous', reason });
  });

  /** (Re)load the current user; call after sign-in and once at start-up. */
  async function load(): Promise<void> {
    if (!client.hasSession()) {
      set({ status: 'anonymous' });
      return;
    }
    const seq = ++loadSeq;
    if (state.status !== 'authenticated') set({ status: 'loading' });
    try {
      const me = await client.me();
      if (seq === loadSeq) set({ status: 'authenticated', me });
    } catch (error) {
      if (seq !== loadSeq) return;
      const apiError = toApiError(error);
      // A rejected session has already been reported through onSessionEnded.
      if (apiError.status === 401) set({ status: 'anonymous', reason: 'expired' });
      else set({ status: 'error', error: apiError });
    }
  }

  async function signOut(): Promise<void> {
    await client.auth.logout(); // ends the session, which notifies us
    if (state.status !== 'anonymous') set({ status: 'anonymous', reason: 'signed_out' });
  }

  return {
    get: () => state,
    subscribe(fn: (s: SessionState) => void): () => void {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    load,
    signOut,
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

export const session: SessionStore = createSessionStore(api);

export function useSession(store: SessionStore = session): SessionState {
  const [state, setState] = useState(store.get);
  useEffect(() => {
    setState(store.get());
    return store.subscribe(setState);
  }, [store]);
  return state;
}

export function hasAnyRole(me: Me, roles: readonly Role[]): boolean {
  return roles.some((role) => me.roles.includes(role));
}
