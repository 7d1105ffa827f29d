import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { LeaderboardQuery, RecognitionLeaderboard } from '../api/types';
import { DownloadCsvButton } from '../impact/CsvButton';
import type { ViewProps } from '../shell/routes';
import { SelectField, TextField } from '../ui/Field';
import { EmptyState } from '../ui/feedback';
import { formatCount, formatDate, formatDecimal, formatNumber } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { LeaderboardConsent } from './LeaderboardConsent';
import { ResourceState } from './parts';
import { parseWhole } from './rule';

const METRICS = [
  { value: 'points', label: 'Points received' },
  { value: 'human_clicks', label: 'Human clicks' },
  { value: 'clicks_per_share', label: 'Human clicks per share' },
  { value: 'shares', label: 'Shares' },
];
const DAYS = [
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
  { value: '365', label: 'Last 12 months' },
];

function scoreText(metric: string, score: number): string {
  return metric === 'clicks_per_share' ? formatDecimal(score) : formatNumber(score);
}

/** The leaderboard of colleagues who opted in and chose to show their rank, with fair-ranking options. */
export function LeaderboardPage({ me }: ViewProps) {
  const isManager = me.roles.includes('manager');
  const [metric, setMetric] = useState('points');
  const [scope, setScope] = useState('organisation');
  const [days, setDays] = useState('30');
  const [cap, setCap] = useState('');
  const [minShares, setMinShares] = useState('');
  const capValue = parseWhole(cap, 1);
  const minValue = metric === 'clicks_per_share' ? parseWhole(minShares, 1) : undefined;
  const query: LeaderboardQuery = { metric: metric as LeaderboardQuery['metric'], scope: scope as LeaderboardQuery['scope'], days: Number(days), ...(typeof capValue === 'number' ? { cap: capValue } : {}), ...(typeof minValue === 'number' ? { min_shares: minValue } : {}), limit: 25 };
  const board = useResource((signal) => api.recognition.leaderboard(query, signal), [metric, scope, days, capValue, minValue]);
  const scopes = [{ value: 'organisation', label: 'Whole organisation' }, ...(me.team_id ? [{ value: 'team', label: 'My team' }] : []), ...(isManager ? [{ value: 'managed_teams', label: 'Teams I manage' }] : [])];

  return (
    <>
      <PageHeader title="Leaderboard" description="Only colleagues who opted in to the programme and chose to show their rank are listed or counted. Change yours on the Advocacy programme page." />
      <div class="toolbar">
        <SelectField class="field-inline" label="Rank by" value={metric} onValue={setMetric} options={METRICS} />
        <SelectField class="field-inline" label="Who" value={scope} onValue={setScope} options={scopes} />
        <SelectField class="field-inline" label="Period" value={days} onValue={setDays} options={DAYS} />
        <TextField label={metric === 'points' || metric === 'shares' ? 'Cap on the score (optional)' : 'Most clicks one share counts for (optional)'} inputMode="numeric" value={cap} onValue={setCap} error={capValue === null ? 'Enter a whole number of 1 or more.' : undefined} />
        {metric === 'clicks_per_share' ? (
          <TextField label="Fewest shares to be ranked" inputMode="numeric" value={minShares} onValue={setMinShares} error={minValue === null ? 'Enter a whole number of 1 or more.' : undefined} hint="Default 1." />
        ) : null}
      </div>
      <ResourceState resource={board} loading="Loading the leaderboard…" error="The leaderboard could not be loaded" />
      {board.status === 'ready' ? <Board data={board.data} query={query} onConsent={board.reload} /> : null}
    </>
  );
}

function Board({ data, query, onConsent }: { data: RecognitionLeaderboard; query: LeaderboardQuery; onConsent: () => void }) {
  const mine = data.me;
  return (
    <section class="card card-flush" aria-labelledby="leaderboard-heading">
      <div class="card-header">
        <h2 id="leaderboard-heading">
          {formatCount(data.ranked, 'person ranked', 'people ranked')} · {formatDate(data.from)} to {formatDate(data.to)}
        </h2>
        {data.entries.length ? <DownloadCsvButton load={() => api.recognition.leaderboardCsv(query)} name={`chorus-leaderboard-${query.metric ?? 'points'}.csv`} what="the leaderboard" /> : null}
      </div>
      {!data.me_ranked ? (
        <div class="card-body">
          <p>You do not show your rank, so you are not listed and see no rank of your own.</p>
          <LeaderboardConsent onChange={onConsent} />
        </div>
      ) : mine ? (
        <p class="leaderboard-me card-body">
          Your rank: <strong>{formatNumber(mine.rank)}</strong> of {formatNumber(data.ranked)} (score {scoreText(data.metric, mine.score)})
        </p>
      ) : null}
      {data.entries.length === 0 ? (
        <EmptyState title="No one to rank yet">
          <p>People appear here once they opt in, choose to show their rank and have activity in the period.</p>
        </EmptyState>
      ) : (
        <div class="table-scroll" role="region" aria-label="Leaderboard table" tabIndex={0}>
          <table class="table">
            <thead>
              <tr>
                <th scope="col" class="num">Rank</th>
                <th scope="col">Name</th>
                <th scope="col" class="num">Score</th>
                <th scope="col" class="num">Points</th>
                <th scope="col" class="num">Human clicks</th>
                <th scope="col" class="num">Shares</th>
              </tr>
            </thead>
            <tbody>
              {data.entries.map((e) => (
                <tr key={e.user_id} aria-current={mine?.user_id === e.user_id ? 'true' : undefined}>
                  <td class="num">{formatNumber(e.rank)}</td>
                  <th scope="row">
                    {e.display_name}
                    {mine?.user_id === e.user_id ? <span class="muted"> (you)</span> : null}
                  </th>
                  <td class="num">{scoreText(data.metric, e.score)}</td>
                  <td class="num">{formatNumber(e.points)}</td>
                  <td class="num">{formatNumber(e.human_clicks)}</td>
                  <td class="num">{formatNumber(e.shares)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
