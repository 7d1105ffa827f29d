import type { ComponentChildren } from 'preact';
import type { ReachExportQuery, ReachRow } from '../api/types';
import { EmptyState } from '../ui/feedback';
import { formatEmv, formatNumber } from '../ui/format';
import { CsvButton } from './CsvButton';
import { TierBadge } from './MetricTiles';
import { METRIC_LABELS, tierOf, type CountMetric, type Definitions } from './metrics';

export const DEFAULT_COLUMNS: readonly (CountMetric | 'emv')[] = [
  'shares',
  'potential_reach',
  'human_clicks',
  'unique_visitors',
  'engagement',
  'measured_impressions',
  'emv',
];

/**
 * One breakdown (by network, campaign, team, post…) as a table with a CSV download. Each
 * column header carries its tier; groups folded for anonymity arrive as an `other` row.
 */
export function BreakdownTable({
  id,
  title,
  description,
  keyHeading,
  rows,
  definitions,
  csv,
  rowLabel = (r) => r.label,
  columns = DEFAULT_COLUMNS,
  empty,
}: {
  id: string;
  title: string;
  description?: ComponentChildren;
  keyHeading: string;
  rows: readonly ReachRow[];
  definitions: Definitions;
  csv?: ReachExportQuery;
  rowLabel?: (row: ReachRow) => ComponentChildren;
  columns?: readonly (CountMetric | 'emv')[];
  empty: string;
}) {
  const headingId = `${id}-heading`;
  return (
    <section class="card card-flush" aria-labelledby={headingId}>
      <div class="card-header">
        <div>
          <h2 id={headingId}>{title}</h2>
          {description ? <p class="muted card-description">{description}</p> : null}
        </div>
        {csv && rows.length ? <CsvButton query={csv} what={`the “${title}” table`} /> : null}
      </div>
      {rows.length === 0 ? (
        <EmptyState title="Nothing to show">
          <p>{empty}</p>
        </EmptyState>
      ) : (
        <div class="table-scroll" role="region" aria-label={`${title} table`} tabIndex={0}>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{keyHeading}</th>
                {columns.map((c) => (
                  <th scope="col" class="num" key={c}>
                    {METRIC_LABELS[c]} <TierBadge tier={tierOf(definitions, c)} />
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key} class={row.key === 'other' ? 'row-other' : undefined}>
                  <th scope="row">{rowLabel(row)}</th>
                  {columns.map((c) => (
                    <td class="num" key={c}>
                      {c === 'emv' ? formatEmv(row.emv) : formatNumber(row[c])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
