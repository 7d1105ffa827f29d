// Ledger entries carry an "explain" record (SPEC §3.5: which rule, which event, which numbers).
// Its shape depends on the transaction kind; this turns it into labelled lines a person can
// read. Keys this file does not know are still shown (humanised), so nothing is hidden.

import { formatNumber } from '../ui/format';

export interface ExplainRow {
  label: string;
  value: string;
}

const KIND_LABELS: Record<string, string> = {
  rule_award: 'Rule award',
  thanks: 'Thanks',
  spot_award: 'Spot award',
  spot_hold: 'Spot award (reserved for approval)',
  spot_release: 'Spot award released',
  redemption_hold: 'Reward requested (points held)',
  redemption_settle: 'Reward approved',
  redemption_refund: 'Reward refunded',
  allowance_grant: 'Giving allowance',
  budget_grant: 'Spot-award budget',
  adjustment: 'Adjustment',
  reversal: 'Correction (reversal)',
};

/** "rule_award" → "Rule award"; unknown kinds are humanised. */
export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? humanise(kind);
}

const ACCOUNT_LABELS: Record<string, string> = {
  earned: 'Earned',
  giving: 'Giving allowance',
  manager_budget: 'Spot-award budget',
  held: 'On hold',
};

export function accountLabel(account: string): string {
  return ACCOUNT_LABELS[account] ?? humanise(account);
}

export const EVENT_LABELS: Record<string, string> = {
  share_created: 'Share created',
  share_published: 'Share published',
  first_share: 'First share',
  campaign_share: 'Campaign share',
  engagement_reported: 'Engagement reported',
  human_clicks_reached: 'Human clicks reached',
  unique_visitors_reached: 'Unique visitors reached',
  network_linked: 'Network linked',
  thanks_received: 'Thanks received',
};

export function eventLabel(kind: string): string {
  return EVENT_LABELS[kind] ?? humanise(kind);
}

export function humanise(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : key;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): string {
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

function points(v: unknown): string {
  return typeof v === 'number' ? `${formatNumber(v)} ${Math.abs(v) === 1 ? 'point' : 'points'}` : String(v);
}

/** A multiplier such as 1.5 → "×1.5". */
function factor(v: unknown): string {
  return typeof v === 'number' ? `×${Number(v.toFixed(3))}` : String(v);
}

const CAP_LABELS: Record<string, string> = { cap_day: 'day', cap_week: 'week', cap_month: 'month' };
const LIMIT_LABELS: Record<string, string> = { cap_day: 'the daily cap', cap_week: 'the weekly cap', cap_month: 'the monthly cap', budget: 'the rule budget' };

/** Keys rendered by the rule-award layout (in this order), not repeated generically. */
const RULE_KEYS = new Set([
  'rule_id', 'rule_version', 'rule_name', 'event_id', 'event_kind', 'mode', 'units', 'points_per_unit', 'ceiling',
  'diminishing', 'base', 'campaign_multiplier', 'window_multipliers', 'requested', 'cap_day', 'cap_week', 'cap_month',
  'budget', 'awarded', 'limited_by',
]);

function ruleRows(e: Record<string, unknown>): ExplainRow[] {
  const rows: ExplainRow[] = [];
  if (e.rule_name !== undefined || e.rule_version !== undefined) {
    const name = typeof e.rule_name === 'string' ? e.rule_name : 'Rule';
    rows.push({ label: 'Rule', value: e.rule_version !== undefined ? `${name} (version ${num(e.rule_version)})` : name });
  }
  if (typeof e.event_kind === 'string') rows.push({ label: 'Event', value: eventLabel(e.event_kind) });
  if (e.mode === 'per_unit') {
    const units = typeof e.units === 'number' ? e.units : 0;
    const unitText = e.diminishing ? `√${formatNumber(units)} units (diminishing returns)` : `${formatNumber(units)} units`;
    let text = `${points(e.points_per_unit)} per unit × ${unitText}`;
    if (typeof e.base === 'number') text += ` = ${formatNumber(Math.round(e.base * 100) / 100)}`;
    if (typeof e.ceiling === 'number') text += `, at most ${points(e.ceiling)}`;
    rows.push({ label: 'Award', value: text });
  } else if (e.mode === 'fixed') {
    rows.push({ label: 'Award', value: `${points(e.points_per_unit ?? e.base)} (fixed)` });
    if (typeof e.units === 'number') rows.push({ label: 'Units', value: num(e.units) });
  }
  const multipliers: string[] = [];
  if (typeof e.campaign_multiplier === 'number' && e.campaign_multiplier !== 1) multipliers.push(`campaign ${factor(e.campaign_multiplier)}`);
  if (Array.isArray(e.window_multipliers)) for (const f of e.window_multipliers) multipliers.push(`date window ${factor(f)}`);
  if (multipliers.length) rows.push({ label: 'Multipliers', value: multipliers.join(', ') });
  if (typeof e.requested === 'number' && e.requested !== e.awarded) rows.push({ label: 'Before caps', value: points(e.requested) });
  for (const key of ['cap_day', 'cap_week', 'cap_month']) {
    const cap = e[key];
    if (!isRecord(cap)) continue;
    rows.push({
      label: `Cap per ${CAP_LABELS[key]}`,
      value: `${points(cap.cap)}; ${num(cap.used_before)} already awarded in ${String(cap.period).replace(/^([a-z]+):/, '$1 ')}`,
    });
  }
  if (isRecord(e.budget)) rows.push({ label: 'Rule budget', value: `${points(e.budget.budget)}; ${num(e.budget.spent_before)} spent before` });
  if (e.awarded !== undefined) {
    const limit = typeof e.limited_by === 'string' ? ` (reduced by ${LIMIT_LABELS[e.limited_by] ?? humanise(e.limited_by)})` : '';
    rows.push({ label: 'Awarded', value: points(e.awarded) + limit });
  }
  return rows;
}

/** Known labels for keys of the other kinds' records. */
const KEY_LABELS: Record<string, [string, (v: unknown) => string]> = {
  period: ['Period', String],
  policy_amount: ['Allowance this period', points],
  available_before: ['Allowance left before', points],
  previously_funded: ['Already funded', points],
  value: ['Company value', String],
  cost: ['Cost', points],
  budget: ['Budget', points],
  approval_threshold: ['Approval needed above', points],
  needs_approval: ['Needed approval', (v) => (v ? 'Yes' : 'No')],
  original_kind: ['Corrects a', (v) => kindLabel(String(v))],
  event_payload: ['Event details', (v) => flatten(v)],
  reverses: ['Corrects transaction', (v) => String(v).slice(0, 8)],
};

/**
 * The explain record of a ledger entry as readable rows. Identifiers (`*_id`) are left out
 * except where they are the point (the transaction a reversal corrects); null values too.
 */
export function explainRows(kind: string, explain: unknown): ExplainRow[] {
  if (!isRecord(explain)) return [];
  const isRule = kind === 'rule_award' || 'rule_version' in explain || 'event_kind' in explain;
  const rows = isRule ? ruleRows(explain) : [];
  for (const [key, value] of Object.entries(explain)) {
    if (value === null || value === undefined || key.endsWith('_id')) continue;
    if (isRule && RULE_KEYS.has(key)) continue;
    const known = KEY_LABELS[key];
    if (known) rows.push({ label: known[0], value: known[1](value) });
    else if (typeof value === 'number') rows.push({ label: humanise(key), value: formatNumber(value) });
    else if (typeof value === 'string') rows.push({ label: humanise(key), value });
    else if (typeof value === 'boolean') rows.push({ label: humanise(key), value: value ? 'Yes' : 'No' });
    else {
      const text = flatten(value);
      if (text) rows.push({ label: humanise(key), value: text });
    }
  }
  return rows;
}

/** A nested record or list in words ("Tags: Customer first; Network: linkedin"), ids left out. */
export function flatten(value: unknown): string {
  if (Array.isArray(value)) return value.map(flatten).filter(Boolean).join(', ');
  if (isRecord(value)) {
    return Object.entries(value)
      .filter(([k, v]) => !k.endsWith('_id') && v !== null && v !== undefined)
      .map(([k, v]) => `${humanise(k)}: ${flatten(v)}`)
      .filter((part) => !part.endsWith(': '))
      .join('; ');
  }
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return String(value ?? '');
}

/** A signed amount: "+25" / "−10" (a real minus sign). */
export function signedPoints(amount: number): string {
  if (amount > 0) return `+${formatNumber(amount)}`;
  if (amount < 0) return `\u2212${formatNumber(-amount)}`;
  return '0';
}
