import type { ComponentChildren } from 'preact';
import { useEffect } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { loginPathFor } from '../auth/redirect';
import { session, useSession } from '../auth/session';
import { ErrorState, Loading, useDocumentTitle } from '../ui/feedback';
import { Forbidden, NotFound } from '../pages/NotFound';
import { findRoute, canOpen } from './routes';
import { Shell } from './Shell';

/** Everything under / that needs a session: guard, then shell + the page for the path. */
export function AuthedApp() {
  const state = useSession();
  const { path, url, route } = useLocation();

  useEffect(() => {
    if (state.status !== 'anonymous') return;
    // Keep the wanted page so sign-in can return to it — unless the user chose to leave.
    route(state.reason === 'signed_out' ? '/login' : loginPathFor(url), true);
  }, [state]);

  if (state.status === 'loading' || state.status === 'anonymous') {
    return (
      <StatusPage title="Loading">
        <Loading label="Loading Chorus…" />
      </StatusPage>
    );
  }
  if (state.status === 'error') {
    return (
      <StatusPage title="Chorus could not start">
        <ErrorState error={state.error} title="Chorus could not load your account" onRetry={() => void session.load()} />
      </StatusPage>
    );
  }

  const me = state.me;
  const match = findRoute(path);
  let view: ComponentChildren;
  if (!match) view = <NotFound />;
  else if (!canOpen(match.route, me)) view = <Forbidden />;
  else view = <match.route.view me={me} params={match.params} />;

  return (
    <Shell me={me} path={path} navPath={match?.route.navPath ?? path}>
      {view}
    </Shell>
  );
}

function StatusPage({ title, children }: { title: string; children: ComponentChildren }) {
  useDocumentTitle(title);
  return (
    <main id="main" class="status-page">
      {children}
    </main>
  );
}
