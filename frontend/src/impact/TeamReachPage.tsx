import { api } from '../api/client';
import type { Me, ReachExportQuery, TeamDashboard } from '../api/types';
import { networkLabel } from '../advocacy/networks';
import { teamOptions } from '../admin/TeamsPage';
import { SelectField } from '../ui/Field';
import { EmptyState, ErrorState, Loading } from '../ui/feedback';
import { formatDecimal, formatEmv, formatNumber, formatPercent } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useLatest, useResource } from '../ui/useResource';
import { BreakdownTable } from './BreakdownTable';
import { CsvButton } from './CsvButton';
import { chartMetric, DailyChart } from './DailyChart';
import { DefinitionList, MetricTiles, TierBadge } from './MetricTiles';
import { tierOf, type CountMetric } from './metrics';
import { apiWindow } from './window';
import { describeWindow, useReportQuery, WindowPicker } from './WindowPicker';

export type RankMode = 'clicks' | 'per_share';

export function rankMode(value: string | undefined): RankMode {
  return value === 'per_share' ? 'per_share' : 'clicks';
}

/**
 * The manager's reach dashboard: their teams (administrators: any team or all) over a window.
 * Aggregates only; the API folds groups below the k-anonymity threshold into "other".
 */
export function TeamReachPage({ me }: { me: Me }) {
  const isAdmin = me.roles.includes('admin');
  const { window, query, update, setWindow } = useReportQuery();
  const range = apiWindow(window);
  const teamId = query.team || undefined;
  const rank = rankMode(query.rank);
  const teams = useResource((signal) => (isAdmin ? api.admin.listTeams(signal) : api.reach.managedTeams(signal)), [isAdmin]);
  // Each answer keeps the settings it was asked with, so stale numbers shown while new ones load
  // are never labelled with the new settings.
  const dashboard = useResource(
    (signal) => api.reach.teams({ ...range, ...(teamId ? { team_id: teamId } : {}), rank }, signal).then((data) => ({ data, teamId, rank })),
    [range.from, range.to, teamId, rank],
  );
  const shown = useLatest(dashboard);
  const teamList = teams.status === 'ready' ? teams.data.items : [];
  const everyone = isAdmin ? 'Whole organisation' : 'All teams you manage';
  const teamName = (id: string | undefined) => (id ? (teamList.find((t) => t.id === id)?.name ?? 'the chosen team') : everyone.toLowerCase());

  return (
    <>
      <PageHeader
        title="Team reach"
        description="Totals for your teams and the teams below them. People are never shown one by one, except on the leaderboard they chose to join."
      />
      <WindowPicker window={window} onChange={setWindow}>
        <SelectField
          class="field-inline"
          label="Teams"
          value={teamId ?? ''}
          onValue={(v) => update({ team: v || null })}
          options={[{ value: '', label: everyone }, ...teamOptions(teamList)]}
          hint={teams.status === 'error' ? 'The team list could not be loaded.' : undefined}
        />
      </WindowPicker>
      {dashboard.status === 'loading' && !shown ? <Loading label="Loading the dashboard…" /> : null}
      {dashboard.status === 'loading' && shown ? (
        <p class="updating" role="status">
          Updating…
        </p>
      ) : null}
      {dashboard.status === 'error' ? (
        <section class="card">
          <ErrorState
            error={dashboard.error}
            onRetry={dashboard.reload}
            title={dashboard.error.status === 403 ? 'You manage no teams yet' : 'The dashboard could not be loaded'}
          />
        </section>
      ) : null}
      {shown && dashboard.status !== 'error' ? (
        <Dashboard
          data={shown.data}
          busy={dashboard.status === 'loading'}
          teamId={shown.teamId}
          teamName={teamName(shown.teamId)}
          rank={rank}
          dataRank={shown.rank}
          metric={chartMetric(query.metric)}
          onMetric={(m) => update({ metric: m })}
          onRank={(r) => update({ rank: r === 'clicks' ? null : r })}
        />
      ) : null}
    </>
  );
}

function Dashboard({
  data,
  busy,
  teamId,
  teamName,
  rank,
  dataRank,
  metric,
  onMetric,
  onRank,
}: {
  data: TeamDashboard;
  busy: boolean;
  teamId: string | undefined;
  teamName: string;
  /** The ranking asked for (the toggle follows it at once) … */
  rank: RankMode;
  /** … and the one the numbers on screen were computed with. */
  dataRank: RankMode;
  metric: CountMetric;
  onMetric: (m: CountMetric) => void;
  onRank: (r: RankMode) => void;
}) {
  const t = data.totals;
  const p = data.participation;
  const base: Omit<ReachExportQuery, 'table'> = { view: 'teams', from: data.from, to: data.to, ...(teamId ? { team_id: teamId } : {}), rank: dataRank };
  const csv = (table: string): ReachExportQuery => ({ ...base, table });
  const k = data.k_anonymity;
  return (
    <div data-view="team-reach" aria-busy={busy} class={busy ? 'is-updating' : undefined}>
      <section class="card" aria-labelledby="team-totals">
        <h2 id="team-totals">Totals for {teamName}</h2>
        <p class="muted card-description">
          {describeWindow({ preset: 'custom', from: data.from, to: data.to })} · {formatNumber(data.team_ids.length)} team{data.team_ids.length === 1 ? '' : 's'}
        </p>
        <MetricTiles
          label="Team totals in this period"
          definitions={data.definitions}
          tiles={[
            { metric: 'shares', value: formatNumber(t.shares) },
            {
              metric: 'active_advocates',
              value: formatNumber(p.active_advocates),
              detail: `of ${formatNumber(p.opted_in)} opted in (${formatPercent(p.active_rate)})`,
            },
            { metric: 'potential_reach', value: formatNumber(t.potential_reach) },
            { metric: 'human_clicks', value: formatNumber(t.human_clicks) },
            { metric: 'unique_visitors', value: formatNumber(t.unique_visitors) },
            { metric: 'engagement', value: formatNumber(t.engagement) },
            { metric: 'measured_impressions', value: formatNumber(t.measured_impressions) },
            { metric: 'emv', value: formatEmv(t.emv) },
          ]}
        />
      </section>
      <section class="card" aria-labelledby="team-participation">
        <h2 id="team-participation">Participation</h2>
        <p class="muted card-description">Counts for the whole group only. Who opted in or out is never shown.</p>
        <dl class="participation">
          <div>
            <dt>Members</dt>
            <dd>{formatNumber(p.members)}</dd>
          </div>
          <div>
            <dt>Opted in</dt>
            <dd>
              {formatNumber(p.opted_in)} <span class="muted">({formatPercent(p.opt_in_rate)} of members)</span>
            </dd>
          </div>
          <div>
            <dt>
              Active advocates <TierBadge tier={tierOf(data.definitions, 'active_advocates')} />
            </dt>
            <dd>
              {formatNumber(p.active_advocates)} <span class="muted">({formatPercent(p.active_rate)} of those opted in)</span>
            </dd>
          </div>
        </dl>
        <Meter label="Opted in" value={p.opt_in_rate} />
        <Meter label="Active, of those opted in" value={p.active_rate} />
      </section>
      <DailyChart id="team-daily" rows={data.by_day} definitions={data.definitions} metric={metric} onMetric={onMetric} csv={csv('by_day')} />
      <BreakdownTable
        id="team-networks"
        title="By network"
        keyHeading="Network"
        rows={data.by_network}
        rowLabel={(r) => networkLabel(r.key)}
        definitions={data.definitions}
        csv={csv('by_network')}
        empty="No shares or visits on any network in this period."
      />
      <BreakdownTable
        id="team-campaigns"
        title="By campaign"
        keyHeading="Campaign"
        rows={data.by_campaign}
        definitions={data.definitions}
        csv={csv('by_campaign')}
        description={`Campaigns with fewer than ${k} people sharing are folded into “Other”.`}
        empty={`No campaign had ${k} or more people sharing in this period.`}
      />
      <BreakdownTable
        id="team-teams"
        title="By team"
        keyHeading="Team"
        rows={data.by_team}
        definitions={data.definitions}
        csv={csv('by_team')}
        description={`Teams with fewer than ${k} people sharing are folded into “Other”.`}
        empty={`No team had ${k} or more people sharing in this period.`}
      />
      <BreakdownTable
        id="team-posts"
        title="Top posts"
        keyHeading="Post"
        rows={data.top_posts}
        definitions={data.definitions}
        csv={csv('by_post')}
        description="The ten posts with the most human clicks."
        empty={`No post was shared by ${k} or more people in this period.`}
      />
      <Leaderboard data={data} rank={rank} onRank={onRank} csv={csv('leaderboard')} />
      <section class="card note" aria-labelledby="k-anon-heading">
        <h2 id="k-anon-heading">About anonymity</h2>
        <p>
          Breakdowns show a group only when at least <strong>{k}</strong> people are behind it; smaller groups are added up as “Other”, and an
          “Other” of fewer than {k} people is left out of the tables (its numbers stay in the totals). The leaderboard appears only when at least{' '}
          {k} opted-in people chose to be on it.
        </p>
      </section>
      <DefinitionList definitions={data.definitions} />
    </div>
  );
}

function Meter({ label, value }: { label: string; value: number }) {
  const percent = Math.round(Math.min(1, Math.max(0, value)) * 100);
  return (
    <div class="meter-row">
      <span class="meter-label" aria-hidden="true">
        {label}
      </span>
      <meter class="meter" min={0} max={100} value={percent} aria-label={`${label}: ${percent}%`}>
        {percent}%
      </meter>
    </div>
  );
}

function Leaderboard({ data, rank, onRank, csv }: { data: TeamDashboard; rank: RankMode; onRank: (r: RankMode) => void; csv: ReachExportQuery }) {
  const rows = data.leaderboard;
  return (
    <section class="card card-flush" aria-labelledby="leaderboard-heading">
      <div class="card-header">
        <div>
          <h2 id="leaderboard-heading">Leaderboard</h2>
          <p class="muted card-description">Only opted-in people who chose to appear. Everyone else counts in the totals above.</p>
        </div>
        {rows.length ? <CsvButton query={csv} what="the “Leaderboard” table" /> : null}
      </div>
      <fieldset class="segmented" aria-describedby="rank-hint">
        <legend>Rank by</legend>
        <label class={rank === 'clicks' ? 'segment is-selected' : 'segment'}>
          <input type="radio" name="rank" value="clicks" checked={rank === 'clicks'} onChange={() => onRank('clicks')} />
          Human clicks
        </label>
        <label class={rank === 'per_share' ? 'segment is-selected' : 'segment'}>
          <input type="radio" name="rank" value="per_share" checked={rank === 'per_share'} onChange={() => onRank('per_share')} />
          Clicks per share
        </label>
        <p id="rank-hint" class="field-hint">
          Clicks per share is fairer to people with small audiences or little time: it rewards what each share achieved, not how many there were.
        </p>
      </fieldset>
      {rows.length === 0 ? (
        <EmptyState title="No leaderboard for this group">
          <p>Fewer than {data.k_anonymity} opted-in people who chose to appear on leaderboards shared in this period.</p>
        </EmptyState>
      ) : (
        <div class="table-scroll" role="region" aria-label="Leaderboard table" tabIndex={0}>
          <table class="table">
            <thead>
              <tr>
                <th scope="col" class="num">
                  Rank
                </th>
                <th scope="col">Name</th>
                <th scope="col" class="num">
                  Shares
                </th>
                <th scope="col" class="num">
                  Human clicks
                </th>
                <th scope="col" class="num">
                  Clicks per share
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.user_id}>
                  <td class="num">{e.rank}</td>
                  <th scope="row">{e.display_name}</th>
                  <td class="num">{formatNumber(e.shares)}</td>
                  <td class="num">{formatNumber(e.human_clicks)}</td>
                  <td class="num">{formatDecimal(e.clicks_per_share)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
