import type { TargetedSubmitEvent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, toApiError, type ApiError } from '../api/client';
import { TextField } from '../ui/Field';
import { Alert, ErrorAlert, useFocusWhen } from '../ui/feedback';
import { AuthLayout } from './AuthLayout';
import { safeNextPath } from './redirect';
import { session, useSession } from './session';

type Mode = 'password' | 'magic';

export function LoginPage() {
  const { query, route } = useLocation();
  const state = useSession();
  const next = safeNextPath(query.next);

  const [mode, setMode] = useState<Mode>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [missing, setMissing] = useState<Record<string, string>>({});
  const [linkSentTo, setLinkSentTo] = useState<string | null>(null);
  const sentRef = useFocusWhen<HTMLDivElement>(linkSentTo !== null);

  useEffect(() => {
    if (state.status === 'authenticated') route(next, true);
  }, [state.status]);

  function switchMode(to: Mode) {
    setMode(to);
    setError(null);
    setMissing({});
    setLinkSentTo(null);
  }

  function validate(fields: Record<string, string>): boolean {
    const problems: Record<string, string> = {};
    if (!fields.email?.trim()) problems.email = 'Enter your email address.';
    if ('password' in fields && !fields.password) problems.password = 'Enter your password.';
    setMissing(problems);
    return Object.keys(problems).length === 0;
  }

  async function submitPassword(e: TargetedSubmitEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending || !validate({ email, password })) return;
    setPending(true);
    setError(null);
    try {
      await api.auth.login(email.trim(), password);
      await session.load(); // on success the effect above takes the user on
      const after = session.get();
      if (after.status === 'error') {
        setError(after.error);
        setPending(false);
      }
    } catch (err) {
      setError(toApiError(err));
      setPending(false);
    }
  }

  async function submitMagic(e: TargetedSubmitEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending || !validate({ email })) return;
    setPending(true);
    setError(null);
    try {
      await api.auth.requestMagicLink(email.trim());
      setLinkSentTo(email.trim());
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }

  const fieldError = (name: string) => missing[name] ?? error?.fieldErrors[name];
  const ended =
    state.status === 'anonymous' && state.reason === 'expired'
      ? 'Your session has ended. Please sign in again.'
      : state.status === 'anonymous' && state.reason === 'signed_out_elsewhere'
        ? 'You were signed out in another window.'
        : null;

  if (mode === 'magic') {
    return (
      <AuthLayout title="Sign in with an email link" intro={<p>We will email you a link that signs you in. It works once and expires soon.</p>}>
        {linkSentTo ? (
          <div ref={sentRef} tabIndex={-1}>
            <Alert kind="success" title="Check your inbox">
              <p>
                If <strong>{linkSentTo}</strong> belongs to a Chorus account, a sign-in link is on its way. It can take a
                minute to arrive; check your spam folder too.
              </p>
            </Alert>
          </div>
        ) : null}
        <ErrorAlert error={error} />
        <form onSubmit={submitMagic} noValidate aria-busy={pending}>
          <TextField
            label="Email"
            type="email"
            name="email"
            autoComplete="email"
            required
            value={email}
            onValue={setEmail}
            error={fieldError('email')}
          />
          <button type="submit" class="button button-primary button-block" disabled={pending}>
            {pending ? 'Sending…' : linkSentTo ? 'Send another link' : 'Email me a sign-in link'}
          </button>
        </form>
        <p class="auth-alt">
          <button type="button" class="link-button" onClick={() => switchMode('password')}>
            Sign in with your password instead
          </button>
        </p>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout title="Sign in to Chorus">
      {ended ? (
        <Alert kind="info">
          <p>{ended}</p>
        </Alert>
      ) : null}
      <ErrorAlert error={error} />
      <form onSubmit={submitPassword} noValidate aria-busy={pending}>
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onValue={setEmail}
          error={fieldError('email')}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onValue={setPassword}
          error={fieldError('password')}
        />
        <button type="submit" class="button button-primary button-block" disabled={pending}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <div class="auth-alt">
        <p>
          <a href="/forgot-password">Forgot your password?</a>
        </p>
        <p class="divider">
          <span>or</span>
        </p>
        <button type="button" class="button button-secondary button-block" onClick={() => switchMode('magic')}>
          Email me a sign-in link
        </button>
      </div>
    </AuthLayout>
  );
}
