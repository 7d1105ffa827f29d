import { useCallback, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, toApiError, type ApiError } from '../api/client';
import type { Me, ThanksView } from '../api/types';
import { DownloadCsvButton } from '../impact/CsvButton';
import { withQuery } from '../impact/window';
import type { ViewProps } from '../shell/routes';
import { SelectField, TextAreaField, TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert } from '../ui/feedback';
import { formatDateTime, formatNumber } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { ResourceState } from './parts';
import { useResource } from '../ui/useResource';
import { searchColleagues, type Person } from './people';
import { PersonPicker } from './PersonPicker';
import { parseWhole } from './rule';

export const MESSAGE_LIMIT = 500;
const WALL_PAGE = 30;

export const REACTIONS: readonly { id: string; emoji: string; label: string }[] = [
  { id: 'clap', emoji: '👏', label: 'Applause' },
  { id: 'tada', emoji: '🎉', label: 'Celebrate' },
  { id: 'heart', emoji: '❤️', label: 'Love' },
  { id: 'raised_hands', emoji: '🙌', label: 'Raised hands' },
  { id: 'bulb', emoji: '💡', label: 'Insightful' },
  { id: 'rocket', emoji: '🚀', label: 'Rocket' },
];

type View = 'wall' | 'received' | 'given';
const VIEWS: readonly { id: View; label: string }[] = [
  { id: 'wall', label: 'Thanks wall' },
  { id: 'received', label: 'Received' },
  { id: 'given', label: 'Given' },
];

/** Give thanks, and read the wall and one's own thanks received and given. */
export function ThanksPage({ me }: ViewProps) {
  const { query } = useLocation();
  const view: View = VIEWS.find((v) => v.id === query.view)?.id ?? 'wall';
  const [limit, setLimit] = useState(WALL_PAGE);
  const [version, setVersion] = useState(0);
  const list = useResource(
    (signal) => (view === 'wall' ? api.recognition.wall({ limit, offset: 0 }, signal) : api.recognition.myThanks(view, signal)),
    [view, limit, version],
  );
  const [sent, setSent] = useState<ThanksView | null>(null);

  return (
    <>
      <PageHeader title="Thanks" description="Thank a colleague for their help — with a company value and points from your allowance if you like." />
      {sent ? (
        <Alert kind="success" title="Thanks sent">
          <p>
            {sent.recipient_name} was thanked{sent.points ? ` with ${formatNumber(sent.points)} points` : ''}.
          </p>
        </Alert>
      ) : null}
      <GiveThanks
        me={me}
        onSent={(t) => {
          setSent(t);
          setVersion((n) => n + 1);
        }}
      />
      <nav class="tabs" aria-label="Thanks lists">
        {VIEWS.map((v) => (
          <a key={v.id} class="tab" href={withQuery('/thanks', { view: v.id === 'wall' ? null : v.id })} aria-current={view === v.id ? 'page' : undefined}>
            {v.label}
          </a>
        ))}
      </nav>
      <section class="card" aria-labelledby="thanks-list-heading">
        <div class="card-header card-header-inset">
          <h2 id="thanks-list-heading">{VIEWS.find((v) => v.id === view)?.label}</h2>
          {view !== 'wall' && list.status === 'ready' && list.data.items.length ? (
            <DownloadCsvButton load={() => api.recognition.exportCsv('/me/thanks', { direction: view })} name={`chorus-thanks-${view}.csv`} what={`thanks ${view}`} />
          ) : null}
        </div>
        {view === 'received' ? <p class="muted">Thanks you keep private stay off the wall; you and the giver still see them.</p> : null}
        <ResourceState resource={list} loading="Loading thanks…" error="Thanks could not be loaded" />
        {list.status === 'ready' && list.data.items.length === 0 ? (
          <EmptyState title={view === 'given' ? 'You have not thanked anyone yet' : view === 'received' ? 'No thanks received yet' : 'The wall is empty'}>
            <p>{view === 'wall' ? 'Public thanks appear here for everyone in the organisation.' : 'Thanks appear here as soon as they are sent.'}</p>
          </EmptyState>
        ) : null}
        {list.status === 'ready' && list.data.items.length ? (
          <>
            <ul class="thanks-list">
              {list.data.items.map((t) => (
                <li key={t.id}>
                  <ThanksCard me={me} thanks={t} />
                </li>
              ))}
            </ul>
            {view === 'wall' && list.data.items.length >= limit ? (
              <button type="button" class="button button-secondary" onClick={() => setLimit((n) => n + WALL_PAGE)}>
                Show older thanks
              </button>
            ) : null}
          </>
        ) : null}
      </section>
    </>
  );
}

function GiveThanks({ me, onSent }: { me: Me; onSent: (t: ThanksView) => void }) {
  const wallet = useResource((signal) => api.recognition.wallet(signal), []);
  const values = useResource((signal) => api.recognition.values(signal), []);
  const search = useCallback((q: string, signal: AbortSignal) => searchColleagues(me, q, signal), [me.id]);
  const [recipient, setRecipient] = useState<Person | null>(null);
  const [valueId, setValueId] = useState('');
  const [points, setPoints] = useState('0');
  const [message, setMessage] = useState('');
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const allowance = wallet.status === 'ready' ? wallet.data.giving : null;

  async function submit(e: Event) {
    e.preventDefault();
    if (pending) return;
    const p = parseWhole(points, 0) ?? (points.trim() ? null : 0);
    const found = {
      recipient_id: recipient ? undefined : 'Choose who to thank.',
      points:
        p === null ? 'Enter a whole number of points, or 0.' : allowance && p > allowance.available ? `You have ${formatNumber(allowance.available)} points left to give this ${allowance.period_kind}.` : undefined,
      message: !message.trim() ? 'Say what you are thanking them for.' : message.length > MESSAGE_LIMIT ? `Keep the message to ${MESSAGE_LIMIT} characters.` : undefined,
    };
    setProblems(found);
    if (Object.values(found).some(Boolean) || !recipient || p === null) return;
    setPending(true);
    setError(null);
    try {
      const sent = await api.recognition.giveThanks({ recipient_id: recipient.id, message: message.trim(), points: p, value_id: valueId || null });
      setRecipient(null);
      setMessage('');
      setPoints('0');
      setValueId('');
      wallet.reload();
      onSent(sent);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }

  const fieldError = (name: string) => problems[name] ?? error?.fieldErrors[name];
  const valueOptions = [{ value: '', label: 'No value' }, ...(values.status === 'ready' ? values.data.items.filter((v) => v.active).map((v) => ({ value: v.id, label: v.name })) : [])];
  return (
    <section class="card" aria-labelledby="give-thanks-heading">
      <h2 id="give-thanks-heading">Say thanks</h2>
      <form class="form-grid" onSubmit={submit} noValidate aria-busy={pending}>
        <ErrorAlert error={error && !error.hasFieldErrors ? error : null} title="The thanks was not sent" />
        <PersonPicker me={me} label="Who do you want to thank?" value={recipient} onChange={setRecipient} search={search} error={fieldError('recipient_id')} />
        <SelectField label="Company value (optional)" value={valueId} onValue={setValueId} options={valueOptions} error={fieldError('value_id')} />
        <TextField
          label="Points"
          inputMode="numeric"
          value={points}
          onValue={setPoints}
          error={fieldError('points')}
          hint={
            allowance
              ? `${formatNumber(allowance.available)} of ${formatNumber(allowance.amount)} left to give this ${allowance.period_kind} (until ${formatDateTime(allowance.period_ends_at)}).`
              : wallet.status === 'error'
                ? 'Your allowance could not be loaded.'
                : 'Loading your allowance…'
          }
        />
        <TextAreaField
          label="Message"
          value={message}
          onValue={setMessage}
          maxLength={MESSAGE_LIMIT}
          error={fieldError('message')}
          counter={`${message.length} of ${MESSAGE_LIMIT} characters`}
        />
        <div class="form-grid-action">
          <button type="submit" class="button button-primary" disabled={pending}>
            {pending ? 'Sending…' : 'Send thanks'}
          </button>
        </div>
      </form>
    </section>
  );
}

/** One thanks: who thanked whom for what, its reactions, and the recipient's privacy switch. */
export function ThanksCard({ me, thanks: initial }: { me: Me; thanks: ThanksView }) {
  const [t, setT] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const mine = t.recipient_id === me.id;

  async function act(action: () => Promise<ThanksView>) {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      setT(await action());
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <article class="thanks-card" aria-labelledby={`thanks-${t.id}`}>
      <p class="thanks-head" id={`thanks-${t.id}`}>
        <strong>{t.giver_name}</strong> thanked <strong>{t.recipient_name}</strong>
        {t.points ? <span class="thanks-points"> · {formatNumber(t.points)} points</span> : null}
      </p>
      <p class="thanks-meta muted">
        <time dateTime={t.created_at}>{formatDateTime(t.created_at)}</time>
        {t.value_name ? (
          <>
            {' '}
            · <span class="value-tag">{t.value_name}</span>
          </>
        ) : null}
        {t.private ? (
          <>
            {' '}
            · <span class="status status-draft">Private</span>
          </>
        ) : null}
      </p>
      <p class="thanks-message">{t.message}</p>
      <div class="thanks-actions">
        <div class="reactions" role="group" aria-label="Reactions">
          {REACTIONS.map((r) => {
            const count = t.reactions[r.id] ?? 0;
            const pressed = t.my_reactions.includes(r.id);
            return (
              <button
                key={r.id}
                type="button"
                class={pressed ? 'reaction is-pressed' : 'reaction'}
                aria-pressed={pressed}
                aria-label={`${r.label}${count ? `, ${count}` : ''}`}
                disabled={busy}
                onClick={() => void act(() => (pressed ? api.recognition.unreact(t.id, r.id) : api.recognition.react(t.id, r.id)))}
              >
                <span aria-hidden="true">{r.emoji}</span>
                {count ? <span aria-hidden="true"> {count}</span> : null}
              </button>
            );
          })}
        </div>
        {mine ? (
          <button type="button" class="button button-secondary button-small" disabled={busy} onClick={() => void act(() => api.recognition.setPrivate(t.id, !t.private))}>
            {t.private ? 'Show on the wall' : 'Keep private'}
          </button>
        ) : null}
      </div>
      <ErrorAlert error={error} />
    </article>
  );
}
