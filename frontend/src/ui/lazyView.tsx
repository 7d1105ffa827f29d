import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client';
import { ErrorState, Loading } from './feedback';

/**
 * A view whose code is loaded on first use (its own chunk), so heavy pages such as the
 * dashboards do not weigh on the first screen. Shows a loading state meanwhile and an error
 * with a retry when the chunk cannot be fetched (offline, or a deploy replaced it).
 */
export function lazyView<P extends object>(load: () => Promise<FunctionComponent<P>>, label = 'Loading…'): FunctionComponent<P> {
  let loaded: FunctionComponent<P> | null = null;
  let pending: Promise<FunctionComponent<P>> | null = null;

  function LazyView(props: P) {
    const [, setReady] = useState(0);
    const [failed, setFailed] = useState(false);
    const [attempt, setAttempt] = useState(0);

    useEffect(() => {
      if (loaded) return;
      let live = true;
      pending ??= load();
      pending.then(
        (component) => {
          loaded = component;
          if (live) setReady((n) => n + 1);
        },
        () => {
          pending = null;
          if (live) setFailed(true);
        },
      );
      return () => {
        live = false;
      };
    }, [attempt]);

    if (loaded) {
      const View = loaded;
      return <View {...props} />;
    }
    if (failed) {
      return (
        <ErrorState
          title="This page could not be loaded"
          error={
            new ApiError({
              status: 0,
              code: 'chunk_load_failed',
              title: 'Chorus could not load this page. Check your connection, or reload if Chorus was just updated.',
            })
          }
          onRetry={() => {
            setFailed(false);
            setAttempt((n) => n + 1);
          }}
        />
      );
    }
    return <Loading label={label} />;
  }
  return LazyView;
}
