import { useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import type { BudgetView, Me, SpotAwardView } from '../api/types';
import type { ViewProps } from '../shell/routes';
import { DownloadCsvButton } from '../impact/CsvButton';
import { SelectField, TextAreaField, TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert, ErrorState, Loading } from '../ui/feedback';
import { formatDateTime, formatNumber, formatPercent } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { teamMembers, type Person } from './people';
import { Figures, StatusBadge, ResourceState } from './parts';
import { PersonPicker } from './PersonPicker';
import { parseWhole } from './rule';

const DAY_OPTIONS = [
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
  { value: '365', label: 'Last 12 months' },
];

/** Managers: recognition in their teams (aggregates only) and spot awards from their budget. */
export function TeamRecognitionPage({ me }: ViewProps) {
  const isManager = me.roles.includes('manager');
  return (
    <>
      <PageHeader title="Team recognition" description="How thanks flow in your teams — as team totals only, never per person — and spot awards from your budget." />
      <TeamSummary me={me} />
      {isManager ? <SpotAwards me={me} /> : null}
    </>
  );
}

function TeamSummary({ me }: { me: Me }) {
  const isAdmin = me.roles.includes('admin');
  const teams = useResource((signal) => (isAdmin ? api.admin.listTeams(signal) : api.reach.managedTeams(signal)), [isAdmin]);
  const [teamId, setTeamId] = useState('');
  const [days, setDays] = useState('30');
  const chosen = teamId || (teams.status === 'ready' ? (teams.data.items[0]?.id ?? '') : '');
  const summary = useResource((signal) => (chosen ? api.recognition.teamSummary(chosen, Number(days), signal) : Promise.resolve(null)), [chosen, days]);

  return (
    <section class="card" aria-labelledby="team-recognition-summary">
      <h2 id="team-recognition-summary">Thanks in the team</h2>
      <ResourceState resource={teams} loading="Loading teams…" error="Teams could not be loaded" />
      {teams.status === 'ready' && teams.data.items.length === 0 ? (
        <EmptyState title="No teams">
          <p>You do not manage a team yet.</p>
        </EmptyState>
      ) : null}
      {teams.status === 'ready' && teams.data.items.length ? (
        <div class="toolbar">
          <SelectField class="field-inline" label="Team" value={chosen} onValue={setTeamId} options={teams.data.items.map((t) => ({ value: t.id, label: t.name }))} />
          <SelectField class="field-inline" label="Period" value={days} onValue={setDays} options={DAY_OPTIONS} />
          {summary.status === 'ready' && summary.data?.shown ? (
            <DownloadCsvButton load={() => api.recognition.exportCsv(`/teams/${chosen}/recognition`, { days })} name={`chorus-team-recognition-${days}d.csv`} what="the team summary" />
          ) : null}
        </div>
      ) : null}
      {chosen && summary.status === 'loading' ? <Loading label="Loading the summary…" /> : null}
      {summary.status === 'error' ? <ErrorState error={summary.error} onRetry={summary.reload} title="The summary could not be loaded" /> : null}
      {summary.status === 'ready' && summary.data ? (
        summary.data.shown ? (
          <>
            <Figures
              label="Team recognition"
              figures={[
                { id: 'members', label: 'Members', value: formatNumber(summary.data.members), detail: 'Including sub-teams' },
                { id: 'received', label: 'Thanks received', value: formatNumber(summary.data.thanks_received) },
                { id: 'given', label: 'Thanks given', value: formatNumber(summary.data.thanks_given) },
                { id: 'points', label: 'Points received', value: formatNumber(summary.data.points_received) },
                { id: 'giving', label: 'Members who gave thanks', value: formatPercent(summary.data.giving_participation) },
                { id: 'receiving', label: 'Members who were thanked', value: formatPercent(summary.data.receiving_participation) },
              ]}
            />
            <h3 class="subheading">By company value</h3>
            {summary.data.by_value.length === 0 ? (
              <p class="muted">No thanks with a company value in this period.</p>
            ) : (
              <ul class="plain-list">
                {summary.data.by_value.map((v) => (
                  <li key={v.value}>
                    {v.value}: {formatNumber(v.thanks)}
                  </li>
                ))}
              </ul>
            )}
          </>
        ) : (
          <Alert kind="info" title="Not shown for groups this small">
            <p>
              This team has {formatNumber(summary.data.members)} members; figures are shown for groups of {formatNumber(summary.data.k_anonymity)} or more so that no one can be singled out.
            </p>
          </Alert>
        )
      ) : null}
    </section>
  );
}

function SpotAwards({ me }: { me: Me }) {
  const budget = useResource((signal) => api.recognition.spotBudget(signal), []);
  const awards = useResource((signal) => api.recognition.mySpotAwards(signal), []);
  const members = useResource((signal) => teamMembers(signal), []);
  const [done, setDone] = useState<SpotAwardView | null>(null);
  return (
    <section class="card" aria-labelledby="spot-awards-heading">
      <h2 id="spot-awards-heading">Spot awards</h2>
      <ResourceState resource={budget} loading="Loading your budget…" error="Your budget could not be loaded" />
      {budget.status === 'ready' ? <BudgetFigures budget={budget.data} /> : null}
      {done ? (
        <Alert kind={done.status === 'pending' ? 'info' : 'success'} title={done.status === 'pending' ? 'Waiting for approval' : 'Spot award given'}>
          <p>
            {formatNumber(done.points)} points for {done.recipient_name}
            {done.status === 'pending' ? ' are reserved from your budget until an administrator approves them.' : ' are in their wallet.'}
          </p>
        </Alert>
      ) : null}
      {members.status === 'error' ? <ErrorState error={members.error} onRetry={members.reload} title="Team members could not be loaded" /> : null}
      {budget.status === 'ready' ? (
        <SpotAwardForm
          me={me}
          budget={budget.data}
          people={members.status === 'ready' ? members.data : null}
          onDone={(a) => {
            setDone(a);
            budget.reload();
            awards.reload();
          }}
        />
      ) : null}
      <h3 class="subheading">Awards you gave</h3>
      <ResourceState resource={awards} loading="Loading awards…" error="Awards could not be loaded" />
      {awards.status === 'ready' && awards.data.items.length === 0 ? <p class="muted">No spot awards yet.</p> : null}
      {awards.status === 'ready' && awards.data.items.length ? (
        <div class="table-scroll" role="region" aria-label="Spot awards you gave" tabIndex={0}>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Recipient</th>
                <th scope="col" class="num">
                  Points
                </th>
                <th scope="col">Reason</th>
                <th scope="col">Given</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {awards.data.items.map((a) => (
                <tr key={a.id}>
                  <th scope="row">{a.recipient_name}</th>
                  <td class="num">{formatNumber(a.points)}</td>
                  <td>{a.reason}</td>
                  <td>{formatDateTime(a.created_at)}</td>
                  <td>
                    <StatusBadge status={a.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

function BudgetFigures({ budget }: { budget: BudgetView }) {
  return (
    <>
      <Figures
        label="Spot-award budget"
        figures={[
          { id: 'available', label: 'Budget left', value: `${formatNumber(budget.available)} of ${formatNumber(budget.amount)}`, detail: `Until ${formatDateTime(budget.period_ends_at)}` },
          { id: 'used', label: 'Used this period', value: formatNumber(budget.used), detail: 'Awarded or reserved for approval' },
        ]}
      />
      {budget.approval_threshold !== null && budget.approval_threshold !== undefined ? (
        <p class="muted">Awards above {formatNumber(budget.approval_threshold)} points wait for an administrator’s approval; their points are reserved meanwhile.</p>
      ) : null}
    </>
  );
}

function SpotAwardForm({ me, budget, people, onDone }: { me: Me; budget: BudgetView; people: readonly Person[] | null; onDone: (a: SpotAwardView) => void }) {
  const [recipient, setRecipient] = useState<Person | null>(null);
  const [points, setPoints] = useState('');
  const [reason, setReason] = useState('');
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const p = parseWhole(points, 1);
  const needsApproval = typeof p === 'number' && budget.approval_threshold !== null && budget.approval_threshold !== undefined && p > budget.approval_threshold;

  async function submit(e: Event) {
    e.preventDefault();
    if (pending) return;
    const found = {
      recipient_id: recipient ? undefined : 'Choose a member of your team.',
      points: typeof p !== 'number' ? 'Enter a whole number of points, 1 or more.' : p > budget.available ? `Your budget has ${formatNumber(budget.available)} points left.` : undefined,
      reason: !reason.trim() ? 'Say why — the recipient sees it.' : reason.length > 500 ? 'Keep the reason to 500 characters.' : undefined,
    };
    setProblems(found);
    if (Object.values(found).some(Boolean) || !recipient || typeof p !== 'number') return;
    setPending(true);
    setError(null);
    try {
      const award = await api.recognition.giveSpotAward({ recipient_id: recipient.id, points: p, reason: reason.trim() });
      setRecipient(null);
      setPoints('');
      setReason('');
      onDone(award);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }
  const fieldError = (name: string) => problems[name] ?? error?.fieldErrors[name];
  return (
    <form class="form-grid" onSubmit={submit} noValidate aria-busy={pending}>
      <ErrorAlert error={error && !error.hasFieldErrors ? error : null} title="The award was not given" />
      <PersonPicker me={me} label="Recipient" value={recipient} onChange={setRecipient} people={people} hint="Type part of the name of someone in a team you manage." error={fieldError('recipient_id')} />
      <TextField
        label="Points"
        inputMode="numeric"
        value={points}
        onValue={setPoints}
        error={fieldError('points')}
        hint={needsApproval ? 'Above the approval threshold: an administrator will have to approve this award.' : `Up to ${formatNumber(budget.available)} points.`}
      />
      <TextAreaField label="Reason" value={reason} onValue={setReason} maxLength={500} counter={`${reason.length} of 500 characters`} error={fieldError('reason')} />
      <div class="form-grid-action">
        <button type="submit" class="button button-primary" disabled={pending}>
          {pending ? 'Giving…' : needsApproval ? 'Request spot award' : 'Give spot award'}
        </button>
      </div>
    </form>
  );
}
