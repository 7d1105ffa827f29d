import type { ComponentChildren } from 'preact';
import { METRIC_LABELS, tierLabel, tierOf, type Definitions, type MetricId } from './metrics';

/** "Potential" or "Measured" as text (never colour alone), from the API's definition. */
export function TierBadge({ tier }: { tier: string | null }) {
  if (!tier) return null;
  return <span class={`tier tier-${tier === 'potential' ? 'potential' : 'measured'}`}>{tierLabel(tier)}</span>;
}

export interface Tile {
  metric: MetricId;
  value: string;
  /** A line under the value, e.g. "of 22 opted in (82%)". */
  detail?: ComponentChildren;
  /** Overrides the metric's usual label. */
  label?: string;
  /** For figures the API's `definitions` do not cover (e.g. the opt-in rate). */
  definition?: { tier: string; definition: string };
}

/**
 * KPI tiles: each number with its name, its tier and the API's one-line definition, so that no
 * figure appears without saying what it counts.
 */
export function MetricTiles({ tiles, definitions, label }: { tiles: readonly Tile[]; definitions: Definitions; label: string }) {
  return (
    <dl class="kpis" aria-label={label}>
      {tiles.map((t) => {
        const tier = t.definition?.tier ?? tierOf(definitions, t.metric);
        const definition = t.definition?.definition ?? definitions[t.metric]?.definition;
        return (
          <div class="kpi" key={t.metric + (t.label ?? '')} data-metric={t.metric}>
            <dt class="kpi-label">
              {t.label ?? METRIC_LABELS[t.metric]} <TierBadge tier={tier} />
            </dt>
            <dd class="kpi-value">{t.value}</dd>
            {t.detail ? <dd class="kpi-detail">{t.detail}</dd> : null}
            {definition ? <dd class="kpi-definition">{definition}</dd> : null}
          </div>
        );
      })}
    </dl>
  );
}

/** Every definition the view uses, for reference at the bottom of a dashboard. */
export function DefinitionList({ definitions }: { definitions: Definitions }) {
  const entries = Object.entries(definitions);
  if (entries.length === 0) return null;
  return (
    <details class="disclosure definitions">
      <summary>How each number is counted</summary>
      <dl class="definition-list">
        {entries.map(([metric, d]) => (
          <div key={metric}>
            <dt>
              {(METRIC_LABELS as Record<string, string>)[metric] ?? metric} <TierBadge tier={d.tier} />
            </dt>
            <dd>{d.definition}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
