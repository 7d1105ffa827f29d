import { useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import type { IntegrationCreated, IntegrationView } from '../api/types';
import { copyText } from '../ui/clipboard';
import { TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert, ErrorState, Loading, useFocusWhen } from '../ui/feedback';
import { formatDateTime } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';

/** API clients that report engagement numbers; their secrets are shown once, at creation. */
export function IntegrationsPage() {
  const integrations = useResource((signal) => api.settings.integrations(signal), []);
  const [created, setCreated] = useState<IntegrationCreated | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  return (
    <>
      <PageHeader
        title="Integrations"
        description="Tools that report engagement (impressions, reactions, comments, reshares) for shares, by API token or signed webhook. Their numbers are labelled with the integration's name."
      />
      {message ? (
        <Alert kind="success">
          <p>{message}</p>
        </Alert>
      ) : null}
      {created ? <Secrets created={created} onDone={() => setCreated(null)} /> : null}
      <section class="card" aria-labelledby="integration-new-heading">
        <h2 id="integration-new-heading">New integration</h2>
        <NewIntegration
          onCreated={(c) => {
            setMessage(null);
            setCreated(c);
            integrations.reload();
          }}
        />
      </section>
      <section class="card card-flush" aria-labelledby="integrations-heading">
        <div class="card-header">
          <h2 id="integrations-heading">Integrations</h2>
        </div>
        {integrations.status === 'loading' ? <Loading label="Loading integrations…" /> : null}
        {integrations.status === 'error' ? <ErrorState error={integrations.error} onRetry={integrations.reload} title="Integrations could not be loaded" /> : null}
        {integrations.status === 'ready' && integrations.data.items.length === 0 ? (
          <EmptyState title="No integrations yet">
            <p>Without integrations, engagement comes only from what employees report themselves.</p>
          </EmptyState>
        ) : null}
        {integrations.status === 'ready' && integrations.data.items.length > 0 ? (
          <ul class="row-list">
            {integrations.data.items.map((i) => (
              <IntegrationRow
                key={i.id}
                integration={i}
                onRevoked={() => {
                  setMessage(`“${i.name}” was revoked. Its token and signatures no longer work.`);
                  integrations.reload();
                }}
              />
            ))}
          </ul>
        ) : null}
      </section>
    </>
  );
}

function NewIntegration({ onCreated }: { onCreated: (c: IntegrationCreated) => void }) {
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (pending) return;
    if (!name.trim()) {
      setProblem('Name the integration, e.g. “LinkedIn analytics export”.');
      return;
    }
    setProblem(undefined);
    setPending(true);
    setError(null);
    try {
      onCreated(await api.settings.createIntegration({ name: name.trim() }));
      setName('');
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <form class="form-narrow" onSubmit={submit} noValidate aria-busy={pending}>
      <ErrorAlert error={error && !error.hasFieldErrors ? error : null} />
      <TextField label="Name" value={name} onValue={setName} error={problem ?? error?.fieldErrors.name} maxLength={80} />
      <button type="submit" class="button button-primary" disabled={pending}>
        {pending ? 'Creating…' : 'Create integration'}
      </button>
    </form>
  );
}

function Secrets({ created, onDone }: { created: IntegrationCreated; onDone: () => void }) {
  const ref = useFocusWhen<HTMLElement>(true);
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async (label: string, value: string) => setCopied((await copyText(value)) ? `${label} copied.` : 'Copying did not work; select the text and copy it by hand.');
  return (
    <section class="card secrets" aria-labelledby="secrets-heading" ref={ref} tabIndex={-1}>
      <h2 id="secrets-heading">“{created.integration.name}” is ready</h2>
      <Alert kind="warning" title="Copy these now">
        <p>They are shown only this once. If you lose them, revoke the integration and create a new one.</p>
      </Alert>
      <TextField label="API token (for POST /api/v1/integrations/engagement)" value={created.token} onValue={() => undefined} readOnly />
      <button type="button" class="button button-secondary button-small" onClick={() => void copy('Token', created.token)}>
        Copy token
      </button>
      <TextField
        label={`Webhook signing secret (for POST /api/v1/webhooks/engagement/${created.integration.id})`}
        value={created.signing_secret}
        onValue={() => undefined}
        readOnly
      />
      <button type="button" class="button button-secondary button-small" onClick={() => void copy('Signing secret', created.signing_secret)}>
        Copy signing secret
      </button>
      <p class="muted" aria-live="polite">
        {copied}
      </p>
      <button type="button" class="button button-primary" onClick={onDone}>
        I have stored them
      </button>
    </section>
  );
}

function IntegrationRow({ integration: i, onRevoked }: { integration: IntegrationView; onRevoked: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function revoke() {
    setPending(true);
    setError(null);
    try {
      await api.settings.revokeIntegration(i.id);
      onRevoked();
    } catch (err) {
      setError(toApiError(err));
      setPending(false);
    }
  }

  return (
    <li class="row-item">
      <div class="row-main">
        <strong>{i.name}</strong>{' '}
        {i.revoked ? <span class="status status-inactive">Revoked</span> : <span class="status status-active">Active</span>}
        <p class="muted">
          Created {formatDateTime(i.created_at)} · {i.last_used_at ? `last used ${formatDateTime(i.last_used_at)}` : 'never used'}
        </p>
        <ErrorAlert error={error} />
      </div>
      {!i.revoked ? (
        confirming ? (
          <div class="button-row" role="group" aria-label={`Revoke ${i.name}?`}>
            <button type="button" class="button button-danger button-small" disabled={pending} onClick={() => void revoke()}>
              {pending ? 'Revoking…' : `Yes, revoke ${i.name}`}
            </button>
            <button type="button" class="button button-secondary button-small" disabled={pending} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        ) : (
          <button type="button" class="button button-secondary button-small" onClick={() => setConfirming(true)} aria-label={`Revoke ${i.name}`}>
            Revoke
          </button>
        )
      ) : null}
    </li>
  );
}
