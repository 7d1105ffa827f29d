import { api } from '../api/client';
import type { Programme, ReachExportQuery, TrendPoint } from '../api/types';
import { networkLabel } from '../advocacy/networks';
import { SelectField } from '../ui/Field';
import { EmptyState, ErrorState, Loading } from '../ui/feedback';
import { formatDay, formatEmv, formatNumber, formatPercent, formatShortDay } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { EconomySection } from '../recognition/EconomySection';
import { useLatest, useResource } from '../ui/useResource';
import { BreakdownTable } from './BreakdownTable';
import { CsvButton } from './CsvButton';
import { DefinitionList, MetricTiles, TierBadge } from './MetricTiles';
import { tierOf } from './metrics';
import { TimeSeriesChart } from './TimeSeriesChart';
import { apiWindow } from './window';
import { useReportQuery, WindowPicker } from './WindowPicker';

type TrendMetric = Exclude<keyof TrendPoint, 'week'>;
const TREND_METRICS: readonly { id: TrendMetric; label: string }[] = [
  { id: 'active_advocates', label: 'Active advocates' },
  { id: 'shares', label: 'Shares' },
  { id: 'human_clicks', label: 'Human clicks' },
];

export function trendMetric(value: string | undefined): TrendMetric {
  return TREND_METRICS.find((m) => m.id === value)?.id ?? 'active_advocates';
}

/** Programme health for administrators: opt-in and participation, the weekly trend, totals. */
export function ProgrammeHealthPage() {
  const { window, query, update, setWindow } = useReportQuery();
  const range = apiWindow(window);
  const programme = useResource((signal) => api.reach.programme(range, signal), [range.from, range.to]);
  const shown = useLatest(programme);
  return (
    <>
      <PageHeader title="Programme health" description="How many people take part, how that changes week by week, and what the programme achieves." />
      <WindowPicker window={window} onChange={setWindow} />
      {programme.status === 'loading' && !shown ? <Loading label="Loading programme health…" /> : null}
      {programme.status === 'loading' && shown ? (
        <p class="updating" role="status">
          Updating…
        </p>
      ) : null}
      {programme.status === 'error' ? (
        <section class="card">
          <ErrorState error={programme.error} onRetry={programme.reload} title="Programme health could not be loaded" />
        </section>
      ) : null}
      {shown && programme.status !== 'error' ? <ProgrammeView data={shown} busy={programme.status === 'loading'} metric={trendMetric(query.trend)} onMetric={(m) => update({ trend: m })} /> : null}
    </>
  );
}

function ProgrammeView({ data, busy, metric, onMetric }: { data: Programme; busy: boolean; metric: TrendMetric; onMetric: (m: TrendMetric) => void }) {
  const p = data.participation;
  const t = data.totals;
  const csv = (table: string): ReachExportQuery => ({ view: 'programme', table, from: data.from, to: data.to });
  const label = TREND_METRICS.find((m) => m.id === metric)?.label ?? metric;
  return (
    <div data-view="programme" aria-busy={busy} class={busy ? 'is-updating' : undefined}>
      <section class="card" aria-labelledby="programme-participation">
        <h2 id="programme-participation">Participation</h2>
        <MetricTiles
          label="Participation"
          definitions={data.definitions}
          tiles={[
            {
              metric: 'opt_in_rate',
              value: formatPercent(p.opt_in_rate),
              detail: `${formatNumber(p.opted_in)} of ${formatNumber(p.members)} people`,
              definition: { tier: 'measured', definition: 'Active members who are opted in now, divided by all active members.' },
            },
            { metric: 'active_advocates', value: formatNumber(p.active_advocates), detail: `${formatPercent(p.active_rate)} of those opted in` },
          ]}
        />
      </section>
      <section class="card" aria-labelledby="programme-totals">
        <h2 id="programme-totals">Totals</h2>
        <MetricTiles
          label="Programme totals in this period"
          definitions={data.definitions}
          tiles={[
            { metric: 'shares', value: formatNumber(t.shares) },
            { metric: 'potential_reach', value: formatNumber(t.potential_reach) },
            { metric: 'human_clicks', value: formatNumber(t.human_clicks) },
            { metric: 'unique_visitors', value: formatNumber(t.unique_visitors) },
            { metric: 'engagement', value: formatNumber(t.engagement) },
            { metric: 'measured_impressions', value: formatNumber(t.measured_impressions) },
            { metric: 'emv', value: formatEmv(t.emv) },
            { metric: 'bot_hits', value: formatNumber(t.bot_hits), detail: 'Not counted as clicks.' },
          ]}
        />
      </section>
      <section class="card" aria-labelledby="programme-trend">
        <div class="card-header card-header-inset">
          <div>
            <h2 id="programme-trend">Week by week</h2>
            <p class="muted card-description">
              {label} <TierBadge tier={tierOf(data.definitions, metric)} /> per week. Weeks start on Monday; the first and last may reach outside the period.
            </p>
          </div>
          <div class="card-actions">
            <SelectField class="field-inline" label="Show" value={metric} onValue={(v) => onMetric(trendMetric(v))} options={TREND_METRICS.map((m) => ({ value: m.id, label: m.label }))} />
            {data.trend.length ? <CsvButton query={csv('trend')} what="the weekly trend" /> : null}
          </div>
        </div>
        {data.trend.length === 0 ? (
          <EmptyState title="No activity in this period">
            <p>Weeks with shares or visits appear here.</p>
          </EmptyState>
        ) : (
          <TimeSeriesChart
            kind="bar"
            title={`${label} per week`}
            labels={data.trend.map((w) => w.week)}
            values={data.trend.map((w) => w[metric])}
            formatLabel={(w) => `week of ${formatDay(w)}`}
            formatTick={formatShortDay}
            formatValue={formatNumber}
            unit={label.toLowerCase()}
            labelHeading="Week of"
          />
        )}
      </section>
      <BreakdownTable
        id="programme-networks"
        title="By network"
        keyHeading="Network"
        rows={data.by_network}
        rowLabel={(r) => networkLabel(r.key)}
        definitions={data.definitions}
        csv={csv('by_network')}
        empty="No shares or visits on any network in this period."
      />
      <BreakdownTable
        id="programme-campaigns"
        title="By campaign"
        keyHeading="Campaign"
        rows={data.by_campaign}
        definitions={data.definitions}
        csv={csv('by_campaign')}
        empty="No campaign had enough people sharing in this period to be shown."
      />
      <EconomySection />
      <DefinitionList definitions={data.definitions} />
    </div>
  );
}
