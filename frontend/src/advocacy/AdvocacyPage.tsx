import { useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import type { ConsentView, Me } from '../api/types';
import { Checkbox } from '../ui/Field';
import { Alert, ErrorAlert, ErrorState, Loading, useFocusWhen } from '../ui/feedback';
import { formatDateTime } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';

/**
 * Consent to the advocacy programme (SPEC §1.1, §3.3): the terms in force, opting in (which
 * records the terms version), the leaderboard choice, and opting out in one step — confirmed,
 * because it takes effect at once.
 */
export function AdvocacyPage({ me }: { me: Me }) {
  const consent = useResource((signal) => api.advocacy.consent(signal), []);
  // The latest answer of a change, shown until the next load.
  const [changed, setChanged] = useState<ConsentView | null>(null);
  const view = changed ?? (consent.status === 'ready' ? consent.data : null);

  return (
    <>
      <PageHeader
        title="Advocacy programme"
        description={`Sharing ${me.organisation.name}'s news is your choice. Nothing about you is tracked until you opt in, and you can opt out at any time.`}
      />
      {consent.status === 'loading' ? <Loading label="Loading your programme settings…" /> : null}
      {consent.status === 'error' ? (
        <section class="card">
          <ErrorState error={consent.error} onRetry={consent.reload} title="Your programme settings could not be loaded" />
        </section>
      ) : null}
      {view ? <ConsentPanel key={view.opted_in ? 'in' : 'out'} view={view} organisation={me.organisation.name} onChange={setChanged} /> : null}
    </>
  );
}

function ConsentPanel({ view, organisation, onChange }: { view: ConsentView; organisation: string; onChange: (v: ConsentView) => void }) {
  const outdated = view.opted_in && view.terms_version !== view.current_terms_version;
  return (
    <>
      <section class="card" aria-labelledby="consent-status-heading">
        <h2 id="consent-status-heading">Your status</h2>
        {view.opted_in ? (
          <p>
            <span class="status status-active">Taking part</span> since {view.opted_in_at ? formatDateTime(view.opted_in_at) : 'an earlier date'}, under
            the programme terms version <strong>{view.terms_version ?? '—'}</strong>.
          </p>
        ) : (
          <p>
            <span class="status status-inactive">Not taking part</span>
            {view.opted_out_at ? ` — you opted out on ${formatDateTime(view.opted_out_at)}.` : '.'} Nothing you do is tracked for
            the programme, and you appear in no leaderboard.
          </p>
        )}
        {outdated ? (
          <Alert kind="info" title="The programme terms have changed">
            <p>
              You accepted version {view.terms_version}; version {view.current_terms_version} is now in force. Read it below and accept it to keep
              sharing.
            </p>
          </Alert>
        ) : null}
      </section>
      <Terms version={view.current_terms_version} organisation={organisation} />
      {!view.opted_in || outdated ? <OptInForm view={view} onChange={onChange} /> : null}
      {view.opted_in ? <LeaderboardChoice view={view} onChange={onChange} /> : null}
      {view.opted_in ? <OptOut onChange={onChange} /> : null}
      <History view={view} />
    </>
  );
}

function Terms({ version, organisation }: { version: string; organisation: string }) {
  return (
    <section class="card terms" aria-labelledby="terms-heading">
      <h2 id="terms-heading">Programme terms, version {version}</h2>
      <ul>
        <li>
          You choose what to share, where and with which words. {organisation} suggests text; you may change it, and a sentence of your own is
          welcome.
        </li>
        <li>
          Each share gets its own link. Chorus counts the visits to it and tells people apart from link-preview bots and search engines. It
          never stores visitors' IP addresses.
        </li>
        <li>The audience sizes you enter for your networks are used to estimate potential reach; they are labelled as estimates.</li>
        <li>
          Managers see totals for the teams they manage, never who opted in or out. Breakdowns by team, campaign or post appear only for groups of
          several people. Leaderboards show you only if you turn that on, and you can turn it off again at any time.
        </li>
        <li>You can opt out at any time. It takes effect at once; past visits then count only in anonymous totals.</li>
      </ul>
    </section>
  );
}

function OptInForm({ view, onChange }: { view: ConsentView; onChange: (v: ConsentView) => void }) {
  const [showInLeaderboard, setShowInLeaderboard] = useState(view.show_in_leaderboard);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function optIn(e: Event) {
    e.preventDefault();
    if (pending) return;
    setPending(true);
    setError(null);
    try {
      onChange(await api.advocacy.optIn({ terms_version: view.current_terms_version, show_in_leaderboard: showInLeaderboard }));
    } catch (err) {
      setError(toApiError(err));
      setPending(false);
    }
  }

  return (
    <section class="card" aria-labelledby="opt-in-heading">
      <h2 id="opt-in-heading">{view.opted_in ? 'Accept the new terms' : 'Take part'}</h2>
      <form onSubmit={optIn} aria-busy={pending}>
        <ErrorAlert error={error} />
        <Checkbox label="Show me on team leaderboards (you can change this later)" checked={showInLeaderboard} onChange={setShowInLeaderboard} />
        <div>
          <button type="submit" class="button button-primary" disabled={pending}>
            {pending ? 'Opting in…' : `Opt in and accept version ${view.current_terms_version}`}
          </button>
        </div>
      </form>
    </section>
  );
}

function LeaderboardChoice({ view, onChange }: { view: ConsentView; onChange: (v: ConsentView) => void }) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function toggle(show: boolean) {
    setPending(true);
    setError(null);
    try {
      onChange(await api.advocacy.updateConsent({ show_in_leaderboard: show }));
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <section class="card" aria-labelledby="leaderboard-heading">
      <h2 id="leaderboard-heading">Leaderboards</h2>
      <ErrorAlert error={error} />
      <Checkbox label="Show me on team leaderboards" checked={view.show_in_leaderboard} disabled={pending} onChange={(on) => void toggle(on)} />
      <p class="muted">
        {view.show_in_leaderboard
          ? 'Your name and numbers appear on the leaderboards of your team’s managers and in your own rank.'
          : 'You appear on no leaderboard. Your shares still count in team totals.'}
      </p>
    </section>
  );
}

function OptOut({ onChange }: { onChange: (v: ConsentView) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const confirmRef = useFocusWhen<HTMLButtonElement>(confirming);

  async function optOut() {
    setPending(true);
    setError(null);
    try {
      onChange(await api.advocacy.optOut());
    } catch (err) {
      setError(toApiError(err));
      setPending(false);
    }
  }

  return (
    <section class="card" aria-labelledby="opt-out-heading">
      <h2 id="opt-out-heading">Stop taking part</h2>
      <ErrorAlert error={error} />
      {confirming ? (
        <div class="confirm" role="group" aria-labelledby="opt-out-confirm">
          <p id="opt-out-confirm">
            <strong>Opt out now?</strong> It takes effect at once: you stop appearing on leaderboards and cannot share through Chorus until you opt in
            again. Your managers are not told.
          </p>
          <div class="button-row">
            <button ref={confirmRef} type="button" class="button button-danger" disabled={pending} onClick={() => void optOut()}>
              {pending ? 'Opting out…' : 'Yes, opt out'}
            </button>
            <button type="button" class="button button-secondary" disabled={pending} onClick={() => setConfirming(false)}>
              Keep taking part
            </button>
          </div>
        </div>
      ) : (
        <>
          <p>You can leave the programme at any time. Past visits to your links then count only in anonymous totals.</p>
          <button type="button" class="button button-secondary" onClick={() => setConfirming(true)}>
            Opt out
          </button>
        </>
      )}
    </section>
  );
}

function History({ view }: { view: ConsentView }) {
  if (view.history.length === 0) return null;
  return (
    <section class="card" aria-labelledby="history-heading">
      <h2 id="history-heading">Your consent history</h2>
      <ol class="plain-list">
        {view.history.map((event, i) => (
          <li key={`${event.at}-${i}`}>
            <strong>{event.action === 'opt_in' ? 'Opted in' : event.action === 'opt_out' ? 'Opted out' : event.action}</strong>{' '}
            {formatDateTime(event.at)}
            {event.terms_version ? <span class="muted"> · terms version {event.terms_version}</span> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
