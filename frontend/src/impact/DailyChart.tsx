import type { ReachExportQuery, ReachRow } from '../api/types';
import { SelectField } from '../ui/Field';
import { formatDay, formatNumber, formatShortDay } from '../ui/format';
import { CsvButton } from './CsvButton';
import { TierBadge } from './MetricTiles';
import { CHARTABLE, METRIC_LABELS, tierLabel, tierOf, type CountMetric, type Definitions } from './metrics';
import { TimeSeriesChart } from './TimeSeriesChart';

export function chartMetric(value: string | undefined): CountMetric {
  return CHARTABLE.find((m) => m === value) ?? 'human_clicks';
}

/** A metric per day over the window, with a picker for the metric and the CSV of every day. */
export function DailyChart({
  id,
  rows,
  definitions,
  metric,
  onMetric,
  csv,
}: {
  id: string;
  rows: readonly ReachRow[];
  definitions: Definitions;
  metric: CountMetric;
  onMetric: (m: CountMetric) => void;
  csv?: ReachExportQuery;
}) {
  const label = METRIC_LABELS[metric];
  const definition = definitions[metric]?.definition;
  return (
    <section class="card" aria-labelledby={`${id}-heading`}>
      <div class="card-header card-header-inset">
        <div>
          <h2 id={`${id}-heading`}>Day by day</h2>
          <p class="muted card-description">
            {label} <TierBadge tier={tierOf(definitions, metric)} />
            {definition ? ` — ${definition}` : null}
          </p>
        </div>
        <div class="card-actions">
          <SelectField
            class="field-inline"
            label="Show"
            value={metric}
            onValue={(v) => onMetric(chartMetric(v))}
            options={CHARTABLE.map((m) => ({ value: m, label: `${METRIC_LABELS[m]} (${tierLabel(tierOf(definitions, m)).toLowerCase() || 'untyped'})` }))}
          />
          {csv ? <CsvButton query={csv} what="every day" /> : null}
        </div>
      </div>
      <TimeSeriesChart
        title={`${label} per day`}
        labels={rows.map((r) => r.key)}
        values={rows.map((r) => r[metric])}
        formatLabel={formatDay}
        formatTick={formatShortDay}
        formatValue={formatNumber}
        unit={label.toLowerCase()}
      />
    </section>
  );
}
