import { useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import type { Network, ProfileView } from '../api/types';
import { TextField } from '../ui/Field';
import { Alert, ErrorAlert, ErrorState, Loading, useFocusWhen } from '../ui/feedback';
import { formatDate, formatNumber, parseCount } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { NETWORKS, networkLabel, type NetworkInfo } from './networks';

export function NetworksPage() {
  const networks = useResource((signal) => api.advocacy.networks(signal), []);
  const [message, setMessage] = useState<string | null>(null);

  return (
    <>
      <PageHeader
        title="Your networks"
        description="Link the networks you share to and how many people follow you there. Potential reach is estimated from these numbers at the moment you share."
      />
      {message ? (
        <Alert kind="success">
          <p>{message}</p>
        </Alert>
      ) : null}
      <section class="card card-flush" aria-labelledby="networks-heading">
        <h2 id="networks-heading" class="visually-hidden">
          Networks
        </h2>
        {networks.status === 'loading' ? <Loading label="Loading your networks…" /> : null}
        {networks.status === 'error' ? <ErrorState error={networks.error} onRetry={networks.reload} title="Your networks could not be loaded" /> : null}
        {networks.status === 'ready' ? (
          <ul class="network-list">
            {NETWORKS.map((info) => (
              <NetworkRow
                key={info.id}
                info={info}
                profile={networks.data.items.find((p) => p.network === info.id) ?? null}
                onChanged={(text) => {
                  setMessage(text);
                  networks.reload();
                }}
              />
            ))}
          </ul>
        ) : null}
      </section>
    </>
  );
}

function NetworkRow({ info, profile, onChanged }: { info: NetworkInfo; profile: ProfileView | null; onChanged: (message: string) => void }) {
  const [editing, setEditing] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const headingId = `network-${info.id}`;

  async function unlink() {
    setPending(true);
    setError(null);
    try {
      await api.advocacy.unlinkNetwork(info.id);
      onChanged(`${info.label} is no longer linked. Earlier shares keep the audience size they had.`);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <li class="network-row">
      <div class="network-summary">
        <div>
          <h3 id={headingId} class="network-name">
            {info.label}
          </h3>
          {profile ? (
            <p class="muted">
              <span class="network-handle">{profile.handle}</span> · {formatNumber(profile.audience_size)} {info.audience} ·{' '}
              {profile.source === 'connector' ? 'from a connector' : 'self-reported'}, {formatDate(profile.as_of)}
            </p>
          ) : (
            <p class="muted">Not linked</p>
          )}
        </div>
        {!editing ? (
          <div class="button-row">
            <button
              type="button"
              class={profile ? 'button button-secondary button-small' : 'button button-primary button-small'}
              onClick={() => setEditing(true)}
              aria-label={profile ? `Edit ${info.label}` : `Link ${info.label}`}
            >
              {profile ? 'Edit' : 'Link'}
            </button>
            {profile ? (
              <button type="button" class="button button-secondary button-small" disabled={pending} onClick={() => void unlink()} aria-label={`Unlink ${info.label}`}>
                {pending ? 'Unlinking…' : 'Unlink'}
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      <ErrorAlert error={error} />
      {editing ? (
        <NetworkForm
          info={info}
          profile={profile}
          onCancel={() => setEditing(false)}
          onSaved={(saved) => {
            setEditing(false);
            onChanged(`${networkLabel(saved.network)} saved: ${formatNumber(saved.audience_size)} ${info.audience}.`);
          }}
        />
      ) : null}
    </li>
  );
}

function NetworkForm({
  info,
  profile,
  onCancel,
  onSaved,
}: {
  info: NetworkInfo;
  profile: ProfileView | null;
  onCancel: () => void;
  onSaved: (p: ProfileView) => void;
}) {
  const [handle, setHandle] = useState(profile?.handle ?? '');
  const [profileUrl, setProfileUrl] = useState(profile?.profile_url ?? '');
  const [audience, setAudience] = useState(profile ? String(profile.audience_size) : '');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});
  const focusRef = useFocusWhen<HTMLFormElement>(true);

  async function submit(e: Event) {
    e.preventDefault();
    if (pending) return;
    const size = parseCount(audience);
    const found = {
      handle: handle.trim() ? undefined : `Enter your ${info.label} handle or name.`,
      audience_size: size === null ? 'Enter a whole number, e.g. 850.' : undefined,
    };
    setProblems(found);
    if (found.handle || found.audience_size || size === null) return;
    setPending(true);
    setError(null);
    try {
      const saved = await api.advocacy.linkNetwork(info.id as Network, {
        handle: handle.trim(),
        profile_url: profileUrl.trim() || null,
        audience_size: size,
      });
      onSaved(saved);
    } catch (err) {
      setError(toApiError(err));
      setPending(false);
    }
  }

  const fieldError = (name: string) => problems[name] ?? error?.fieldErrors[name];
  return (
    <form ref={focusRef} tabIndex={-1} class="network-form form-narrow" onSubmit={submit} noValidate aria-busy={pending} aria-label={`${info.label} profile`}>
      {error && !error.hasFieldErrors ? <ErrorAlert error={error} /> : null}
      <TextField label="Handle" value={handle} onValue={setHandle} error={fieldError('handle')} autoComplete="off" hint="How people find you there, e.g. @ada" />
      <TextField label="Profile URL (optional)" type="url" inputMode="url" value={profileUrl} onValue={setProfileUrl} error={fieldError('profile_url')} />
      <TextField
        label="Audience size"
        inputMode="numeric"
        value={audience}
        onValue={setAudience}
        error={fieldError('audience_size')}
        hint={`Your ${info.audience} on ${info.label}, as a whole number.`}
      />
      <div class="button-row">
        <button type="submit" class="button button-primary" disabled={pending}>
          {pending ? 'Saving…' : `Save ${info.label}`}
        </button>
        <button type="button" class="button button-secondary" onClick={onCancel} disabled={pending}>
          Cancel
        </button>
      </div>
    </form>
  );
}
