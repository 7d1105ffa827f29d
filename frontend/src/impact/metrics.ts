import type { MetricDefinition, Totals } from '../api/types';
import { formatEmv, formatNumber } from '../ui/format';

/** The count metrics of a Totals row (EMV is a money map and handled apart). */
export type CountMetric = Exclude<keyof Totals, 'emv'>;
export type MetricId = CountMetric | 'emv' | 'active_advocates' | 'opt_in_rate';

/** The names the UI uses; definitions and tiers always come from the API's `definitions`. */
export const METRIC_LABELS: Record<MetricId, string> = {
  shares: 'Shares',
  potential_reach: 'Potential reach',
  human_clicks: 'Human clicks',
  unique_visitors: 'Unique visitors',
  engagement: 'Engagement',
  measured_impressions: 'Measured impressions',
  bot_hits: 'Bot and preview hits',
  emv: 'Earned media value',
  active_advocates: 'Active advocates',
  opt_in_rate: 'Opt-in rate',
};

/** Metrics a daily chart can plot, in the order a picker lists them. */
export const CHARTABLE: readonly CountMetric[] = [
  'human_clicks',
  'unique_visitors',
  'shares',
  'potential_reach',
  'engagement',
  'measured_impressions',
  'bot_hits',
];

export type Definitions = Record<string, MetricDefinition>;

/** `potential` or `measured`, as the API labels the metric; null when it does not say. */
export function tierOf(definitions: Definitions, metric: string): string | null {
  return definitions[metric]?.tier ?? null;
}

export function tierLabel(tier: string | null): string {
  if (tier === 'potential') return 'Potential';
  if (tier === 'measured') return 'Measured';
  return tier ?? '';
}

export function formatMetric(totals: Totals, metric: CountMetric | 'emv'): string {
  return metric === 'emv' ? formatEmv(totals.emv) : formatNumber(totals[metric]);
}
