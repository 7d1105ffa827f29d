import type { TargetedSubmitEvent } from 'preact';
import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, toApiError, type ApiError } from '../api/client';
import type { InvitationLookup } from '../api/types';
import { TextField } from '../ui/Field';
import { Alert, ErrorAlert, Loading } from '../ui/feedback';
import { formatDateTime } from '../ui/format';
import { useResource } from '../ui/useResource';
import { AuthLayout } from './AuthLayout';
import { NewPasswordField, passwordProblem } from './NewPasswordField';
import { session } from './session';

/** Landing page of the invitation email: /invite?token=… */
export function InvitePage() {
  const { query } = useLocation();
  const token = query.token ?? '';
  const invitation = useResource((signal) => (token ? api.invitations.lookup(token, signal) : Promise.resolve(null)), [token]);

  if (!token) {
    return <InvitationProblem message="The invitation link is incomplete. Copy the whole link from the email." />;
  }
  if (invitation.status === 'loading') {
    return (
      <AuthLayout title="Your invitation">
        <Loading label="Checking your invitation…" />
      </AuthLayout>
    );
  }
  if (invitation.status === 'error') {
    const e = invitation.error;
    if (e.isNetworkError || e.status >= 500 || e.code === 'rate_limited') {
      return (
        <AuthLayout title="Your invitation">
          <ErrorAlert error={e} />
          <button type="button" class="button button-secondary" onClick={invitation.reload}>
            Try again
          </button>
        </AuthLayout>
      );
    }
    return (
      <InvitationProblem message="This invitation is invalid, was already used, or has expired. Ask your Chorus administrator to send a new one." />
    );
  }
  if (!invitation.data) return null;
  return <AcceptForm token={token} invitation={invitation.data} />;
}

function InvitationProblem({ message }: { message: string }) {
  return (
    <AuthLayout title="This invitation did not work">
      <Alert kind="error">
        <p>{message}</p>
      </Alert>
      <p>
        Already have an account? <a href="/login">Sign in</a>
      </p>
    </AuthLayout>
  );
}

function AcceptForm({ token, invitation }: { token: string; invitation: InvitationLookup }) {
  const { route } = useLocation();
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});

  async function submit(e: TargetedSubmitEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending) return;
    const found = {
      display_name: displayName.trim() ? undefined : 'Enter the name colleagues will see.',
      password: passwordProblem(password),
    };
    setProblems(found);
    if (found.display_name || found.password) return;
    setPending(true);
    setError(null);
    try {
      await api.invitations.accept({ token, display_name: displayName.trim(), password });
      await session.load();
      route('/', true);
    } catch (err) {
      setError(toApiError(err));
      setPending(false);
    }
  }

  const fieldError = (name: string) => problems[name] ?? error?.fieldErrors[name];

  return (
    <AuthLayout
      title={`Join ${invitation.organisation_name} on Chorus`}
      intro={
        <p>
          You were invited as <strong>{invitation.email}</strong>. This invitation expires on{' '}
          {formatDateTime(invitation.expires_at)}.
        </p>
      }
    >
      <ErrorAlert error={error} />
      <form onSubmit={submit} noValidate aria-busy={pending}>
        <TextField
          label="Your name"
          name="name"
          autoComplete="name"
          required
          hint="How colleagues will see you in Chorus."
          value={displayName}
          onValue={setDisplayName}
          error={fieldError('display_name')}
        />
        {/* Lets password managers file the new password under the right account. */}
        <input type="email" name="email" autoComplete="username" value={invitation.email} readOnly hidden />
        <NewPasswordField value={password} onValue={setPassword} error={fieldError('password')} />
        <button type="submit" class="button button-primary button-block" disabled={pending}>
          {pending ? 'Creating your account…' : 'Create account and sign in'}
        </button>
      </form>
    </AuthLayout>
  );
}
