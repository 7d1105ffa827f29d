import type { TargetedSubmitEvent } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, toApiError, type ApiError } from '../api/client';
import { Alert, ErrorAlert, useFocusWhen } from '../ui/feedback';
import { AuthLayout } from './AuthLayout';
import { NewPasswordField, passwordProblem } from './NewPasswordField';

/** Landing page of the emailed reset link: /reset-password?token=… */
export function ResetPasswordPage() {
  const { query } = useLocation();
  const token = query.token ?? '';
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [problem, setProblem] = useState<string | undefined>();
  const [done, setDone] = useState(false);
  const doneRef = useFocusWhen<HTMLDivElement>(done);

  if (!token) {
    return (
      <AuthLayout title="This reset link did not work">
        <Alert kind="error">
          <p>The link is incomplete. Copy the whole link from the email, or ask for a new one.</p>
        </Alert>
        <p>
          <a href="/forgot-password">Send me a new reset link</a>
        </p>
      </AuthLayout>
    );
  }

  if (done) {
    return (
      <AuthLayout title="Password changed">
        <div ref={doneRef} tabIndex={-1}>
          <Alert kind="success">
            <p>Your new password is set. Sign in with it to continue.</p>
          </Alert>
        </div>
        <p>
          <a class="button button-primary button-block" href="/login">
            Sign in
          </a>
        </p>
      </AuthLayout>
    );
  }

  async function submit(e: TargetedSubmitEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending) return;
    const p = passwordProblem(password);
    setProblem(p);
    if (p) return;
    setPending(true);
    setError(null);
    try {
      await api.auth.confirmPasswordReset(token, password);
      setDone(true);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }

  // A 4xx without a password complaint means the token itself was refused.
  const tokenRefused = error && error.status >= 400 && error.status < 500 && !error.fieldErrors.password && error.code !== 'rate_limited';

  return (
    <AuthLayout title="Choose a new password">
      {tokenRefused ? (
        <Alert kind="error">
          <p>
            This reset link is invalid, was already used, or has expired. <a href="/forgot-password">Ask for a new one</a>.
          </p>
        </Alert>
      ) : (
        <ErrorAlert error={error} />
      )}
      <form onSubmit={submit} noValidate aria-busy={pending}>
        <NewPasswordField label="New password" value={password} onValue={setPassword} error={problem ?? error?.fieldErrors.password} />
        <button type="submit" class="button button-primary button-block" disabled={pending}>
          {pending ? 'Saving…' : 'Set new password'}
        </button>
      </form>
    </AuthLayout>
  );
}
