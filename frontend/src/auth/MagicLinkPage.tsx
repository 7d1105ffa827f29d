import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, toApiError, type ApiError } from '../api/client';
import { Alert, Loading } from '../ui/feedback';
import { AuthLayout } from './AuthLayout';
import { session } from './session';

/** Landing page of the emailed sign-in link: /login/magic?token=… */
export function MagicLinkPage() {
  const { query, route } = useLocation();
  const token = query.token ?? '';
  const [error, setError] = useState<ApiError | null>(null);
  const started = useRef(false);

  useEffect(() => {
    // Links are single-use: never send the same token twice, even if this view re-renders.
    if (!token || started.current) return;
    started.current = true;
    (async () => {
      try {
        await api.auth.verifyMagicLink(token);
        await session.load();
        route('/', true);
      } catch (err) {
        setError(toApiError(err));
      }
    })();
  }, [token]);

  if (!token || error) {
    const serverDown = error && (error.isNetworkError || error.status >= 500);
    return (
      <AuthLayout title="This sign-in link did not work">
        <Alert kind="error">
          <p>
            {!token
              ? 'The link is incomplete. Copy the whole link from the email, or ask for a new one.'
              : serverDown
                ? error.message
                : 'The link is invalid, was already used, or has expired. Sign-in links work once and only for a short time.'}
          </p>
        </Alert>
        <p>
          <a class="button button-primary button-block" href="/login">
            Back to sign in
          </a>
        </p>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Signing you in">
      <Loading label="Checking your sign-in link…" />
    </AuthLayout>
  );
}
