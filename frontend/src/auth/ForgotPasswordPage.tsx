import type { TargetedSubmitEvent } from 'preact';
import { useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import { TextField } from '../ui/Field';
import { Alert, ErrorAlert, useFocusWhen } from '../ui/feedback';
import { AuthLayout } from './AuthLayout';

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [missing, setMissing] = useState<string | undefined>();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const sentRef = useFocusWhen<HTMLDivElement>(sentTo !== null);

  async function submit(e: TargetedSubmitEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending) return;
    if (!email.trim()) {
      setMissing('Enter your email address.');
      return;
    }
    setMissing(undefined);
    setPending(true);
    setError(null);
    try {
      await api.auth.requestPasswordReset(email.trim());
      setSentTo(email.trim());
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }

  if (sentTo) {
    return (
      <AuthLayout title="Check your inbox">
        <div ref={sentRef} tabIndex={-1}>
          <Alert kind="success">
            <p>
              If <strong>{sentTo}</strong> belongs to a Chorus account, we have sent it a link to choose a new password.
              The link expires soon; check your spam folder if it does not arrive.
            </p>
          </Alert>
        </div>
        <p>
          <a href="/login">Back to sign in</a>
        </p>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Reset your password" intro={<p>Enter the email you use for Chorus and we will send you a link to choose a new password.</p>}>
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate aria-busy={pending}>
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onValue={setEmail}
          error={missing ?? error?.fieldErrors.email}
        />
        <button type="submit" class="button button-primary button-block" disabled={pending}>
          {pending ? 'Sending…' : 'Send reset link'}
        </button>
      </form>
      <p class="auth-alt">
        <a href="/login">Back to sign in</a>
      </p>
    </AuthLayout>
  );
}
