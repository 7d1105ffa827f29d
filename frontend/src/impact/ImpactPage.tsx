import { api } from '../api/client';
import type { MyImpact } from '../api/types';
import { networkLabel } from '../advocacy/networks';
import { EmptyState, ErrorState, Loading } from '../ui/feedback';
import { formatEmv, formatNumber } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useLatest, useResource } from '../ui/useResource';
import { BreakdownTable } from './BreakdownTable';
import { chartMetric, DailyChart } from './DailyChart';
import { DefinitionList, MetricTiles } from './MetricTiles';
import { apiWindow } from './window';
import { useReportQuery, WindowPicker } from './WindowPicker';

/** The employee's own impact: KPI tiles, a chart over the chosen window, and a per-network table. */
export function ImpactPage() {
  const { window, query, update, setWindow } = useReportQuery();
  const range = apiWindow(window);
  const impact = useResource((signal) => api.reach.me(range, signal), [range.from, range.to]);
  const shown = useLatest(impact);

  return (
    <>
      <PageHeader title="My impact" description="What your shares achieved. Every number says whether it is measured or only potential." />
      <WindowPicker window={window} onChange={setWindow} />
      {impact.status === 'loading' && !shown ? <Loading label="Loading your impact…" /> : null}
      {impact.status === 'loading' && shown ? (
        <p class="updating" role="status">
          Updating…
        </p>
      ) : null}
      {impact.status === 'error' ? (
        <section class="card">
          <ErrorState error={impact.error} onRetry={impact.reload} title="Your impact could not be loaded" />
        </section>
      ) : null}
      {shown && impact.status !== 'error' ? (
        <ImpactView data={shown} busy={impact.status === 'loading'} metric={chartMetric(query.metric)} onMetric={(m) => update({ metric: m })} />
      ) : null}
    </>
  );
}

function ImpactView({ data, busy, metric, onMetric }: { data: MyImpact; busy: boolean; metric: ReturnType<typeof chartMetric>; onMetric: (m: ReturnType<typeof chartMetric>) => void }) {
  const t = data.totals;
  const csv = { view: 'me', from: data.from, to: data.to } as const;
  const idle = t.shares === 0 && t.human_clicks === 0 && t.bot_hits === 0 && t.engagement === 0;
  return (
    <div data-view="impact" aria-busy={busy} class={busy ? 'is-updating' : undefined}>
      <section class="card" aria-labelledby="impact-totals">
        <h2 id="impact-totals">Totals</h2>
        <MetricTiles
          label="Your totals in this period"
          definitions={data.definitions}
          tiles={[
            { metric: 'shares', value: formatNumber(t.shares) },
            { metric: 'human_clicks', value: formatNumber(t.human_clicks) },
            { metric: 'unique_visitors', value: formatNumber(t.unique_visitors) },
            { metric: 'potential_reach', value: formatNumber(t.potential_reach) },
            { metric: 'engagement', value: formatNumber(t.engagement) },
            { metric: 'measured_impressions', value: formatNumber(t.measured_impressions) },
            { metric: 'emv', value: formatEmv(t.emv), detail: Object.keys(t.emv).length ? null : 'No rates set by your administrators yet.' },
            { metric: 'bot_hits', value: formatNumber(t.bot_hits), detail: 'Not counted as clicks.' },
          ]}
        />
        <p class="rank">
          {data.rank != null ? (
            <>
              Your rank by human clicks: <strong>{data.rank}</strong> among colleagues who show their rank.
            </>
          ) : (
            <>
              You have no rank in this period. Ranks include only people who chose to appear on leaderboards (see{' '}
              <a href="/advocacy">Advocacy programme</a>) and who shared in the period.
            </>
          )}
        </p>
      </section>
      {idle ? (
        <section class="card">
          <EmptyState title="No activity in this period" action={<a href="/feed">Find something to share</a>}>
            <p>Share a post, and the visits to your link will show up here day by day.</p>
          </EmptyState>
        </section>
      ) : (
        <>
          <DailyChart id="impact-daily" rows={data.by_day} definitions={data.definitions} metric={metric} onMetric={onMetric} csv={{ ...csv, table: 'by_day' }} />
          <BreakdownTable
            id="impact-networks"
            title="By network"
            keyHeading="Network"
            rows={data.by_network}
            rowLabel={(r) => networkLabel(r.key)}
            definitions={data.definitions}
            csv={{ ...csv, table: 'by_network' }}
            empty="No shares or visits on any network in this period."
          />
        </>
      )}
      <DefinitionList definitions={data.definitions} />
    </div>
  );
}
