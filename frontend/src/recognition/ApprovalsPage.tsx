import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { DownloadCsvButton } from '../impact/CsvButton';
import { SelectField, TextField } from '../ui/Field';
import { EmptyState, ErrorAlert } from '../ui/feedback';
import { formatDateTime, formatNumber } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { StatusBadge, useAction, ResourceState } from './parts';

const REDEMPTION_FILTERS = [
  { value: 'requested', label: 'Waiting for approval' },
  { value: 'approved', label: 'Approved, to deliver' },
  { value: 'fulfilled', label: 'Delivered' },
  { value: 'rejected', label: 'Rejected' },
  { value: 'all', label: 'All' },
];

/** Administrators: redemptions and spot awards waiting for a decision. */
export function ApprovalsPage() {
  return (
    <>
      <PageHeader title="Approvals" description="Reward redemptions hold the requester’s points until you decide; spot awards above the threshold reserve the manager’s budget." />
      <Redemptions />
      <SpotAwardQueue />
    </>
  );
}

function Redemptions() {
  const [status, setStatus] = useState('requested');
  const queue = useResource((signal) => api.recognitionAdmin.redemptions(status, signal), [status]);
  const [notes, setNotes] = useState<Record<string, string>>({});
  const action = useAction();
  const decide = (id: string, decision: 'approve' | 'reject' | 'fulfil') =>
    void action.run(`${decision}-${id}`, () => api.recognitionAdmin.decideRedemption(id, decision, notes[id] ?? '')).then((ok) => ok && queue.reload());

  return (
    <section class="card card-flush" aria-labelledby="redemptions-heading">
      <div class="card-header">
        <h2 id="redemptions-heading">Reward redemptions</h2>
        <div class="card-actions">
          <SelectField class="field-inline" label="Show" value={status} onValue={setStatus} options={REDEMPTION_FILTERS} />
          <DownloadCsvButton load={() => api.recognition.exportCsv('/admin/redemptions', { status })} name={`chorus-redemptions-${status}.csv`} what="the redemptions" />
        </div>
      </div>
      <ErrorAlert error={action.error} title="The decision was not saved" />
      <ResourceState resource={queue} loading="Loading redemptions…" error="Redemptions could not be loaded" />
      {queue.status === 'ready' && queue.data.items.length === 0 ? (
        <EmptyState title={status === 'requested' ? 'Nothing waiting' : 'No redemptions'}>
          <p>{status === 'requested' ? 'New requests appear here, oldest first.' : 'None with this status.'}</p>
        </EmptyState>
      ) : null}
      {queue.status === 'ready' && queue.data.items.length ? (
        <ul class="row-list queue-list">
          {queue.data.items.map((r) => (
            <li key={r.id} class="row-item queue-item">
              <div class="row-main">
                <p>
                  <strong>{r.user_name}</strong> — {r.reward_name}, {formatNumber(r.cost)} points <StatusBadge status={r.status} />
                </p>
                <p class="muted">
                  Requested {formatDateTime(r.created_at)}
                  {r.decided_at ? ` · decided ${formatDateTime(r.decided_at)}` : ''}
                  {r.note ? ` · ${r.note}` : ''}
                </p>
              </div>
              {r.status === 'requested' || r.status === 'approved' ? (
                <div class="queue-actions">
                  <TextField label={`Note for ${r.user_name} (optional)`} value={notes[r.id] ?? ''} onValue={(v) => setNotes((n) => ({ ...n, [r.id]: v }))} maxLength={500} />
                  <div class="button-row">
                    {r.status === 'requested' ? (
                      <>
                        <button type="button" class="button button-primary button-small" disabled={action.pending !== null} onClick={() => decide(r.id, 'approve')}>
                          Approve<span class="visually-hidden"> {r.reward_name} for {r.user_name}</span>
                        </button>
                        <button type="button" class="button button-danger button-small" disabled={action.pending !== null} onClick={() => decide(r.id, 'reject')}>
                          Reject<span class="visually-hidden"> {r.reward_name} for {r.user_name}</span>
                        </button>
                      </>
                    ) : null}
                    <button type="button" class="button button-secondary button-small" disabled={action.pending !== null} onClick={() => decide(r.id, 'fulfil')}>
                      Mark delivered<span class="visually-hidden"> {r.reward_name} for {r.user_name}</span>
                    </button>
                  </div>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

function SpotAwardQueue() {
  const queue = useResource((signal) => api.recognitionAdmin.spotAwards('pending', signal), []);
  const action = useAction();
  const decide = (id: string, decision: 'approve' | 'reject') => void action.run(`${decision}-${id}`, () => api.recognitionAdmin.decideSpotAward(id, decision)).then((ok) => ok && queue.reload());
  return (
    <section class="card card-flush" aria-labelledby="spot-queue-heading">
      <div class="card-header">
        <h2 id="spot-queue-heading">Spot awards waiting for approval</h2>
      </div>
      <ErrorAlert error={action.error} title="The decision was not saved" />
      <ResourceState resource={queue} loading="Loading spot awards…" error="Spot awards could not be loaded" />
      {queue.status === 'ready' && queue.data.items.length === 0 ? (
        <EmptyState title="Nothing waiting">
          <p>Spot awards above the approval threshold appear here.</p>
        </EmptyState>
      ) : null}
      {queue.status === 'ready' && queue.data.items.length ? (
        <ul class="row-list queue-list">
          {queue.data.items.map((a) => (
            <li key={a.id} class="row-item queue-item">
              <div class="row-main">
                <p>
                  <strong>{formatNumber(a.points)} points</strong> for {a.recipient_name}
                </p>
                <p>{a.reason}</p>
                <p class="muted">Given {formatDateTime(a.created_at)}</p>
              </div>
              <div class="button-row">
                <button type="button" class="button button-primary button-small" disabled={action.pending !== null} onClick={() => decide(a.id, 'approve')}>
                  Approve<span class="visually-hidden"> award for {a.recipient_name}</span>
                </button>
                <button type="button" class="button button-danger button-small" disabled={action.pending !== null} onClick={() => decide(a.id, 'reject')}>
                  Reject<span class="visually-hidden"> award for {a.recipient_name}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
