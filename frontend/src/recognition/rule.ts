// The reward rule editor's form as plain data: what a person types (strings, checkboxes) on
// one side, the API's RuleDocument on the other. `buildRule` validates and converts; it is
// pure so the rules of the form are tested without a browser.

import type { Network, PreviewResult, RuleDocument, RuleTrigger, RuleView } from '../api/types';
import { formatNumber, formatPercent } from '../ui/format';

/** Each trigger with what one of its units is (singular and plural). */
export const TRIGGERS: readonly { id: RuleTrigger; label: string; unit: string; units: string; milestone?: true }[] = [
  { id: 'share_published', label: 'A share is published', unit: 'share', units: 'shares' },
  { id: 'share_created', label: 'A share is created', unit: 'share', units: 'shares' },
  { id: 'first_share', label: 'A person’s first share', unit: 'share', units: 'shares' },
  { id: 'campaign_share', label: 'A share of a campaign post', unit: 'share', units: 'shares' },
  { id: 'engagement_reported', label: 'Engagement is reported', unit: 'reaction, comment or reshare', units: 'reactions, comments and reshares' },
  { id: 'human_clicks_reached', label: 'A share reaches N human clicks', unit: 'click', units: 'human clicks', milestone: true },
  { id: 'unique_visitors_reached', label: 'A share reaches N unique visitors', unit: 'visitor', units: 'unique visitors', milestone: true },
  { id: 'network_linked', label: 'A network is linked', unit: 'network', units: 'networks' },
  { id: 'thanks_received', label: 'Thanks are received', unit: 'point of thanks', units: 'points of thanks' },
];

export function triggerLabel(id: string): string {
  return TRIGGERS.find((t) => t.id === id)?.label ?? id;
}

export interface WindowForm {
  from: string;
  to: string;
  factor: string;
}

export interface RuleForm {
  name: string;
  trigger: RuleTrigger;
  /** Milestone for the "reached N" triggers. */
  threshold: string;
  mode: 'fixed' | 'per_unit';
  points: string;
  ceiling: string;
  diminishing: boolean;
  networks: Network[];
  campaignIds: string[];
  teamIds: string[];
  /** Comma-separated tags (post tags or company values). */
  tags: string;
  minUnits: string;
  personalisedOnly: boolean;
  campaignMultiplier: boolean;
  windows: WindowForm[];
  capDay: string;
  capWeek: string;
  capMonth: string;
  /** Programme budget in points; empty = unlimited. */
  budget: string;
}

export function emptyRuleForm(): RuleForm {
  return {
    name: '',
    trigger: 'share_published',
    threshold: '',
    mode: 'fixed',
    points: '10',
    ceiling: '',
    diminishing: false,
    networks: [],
    campaignIds: [],
    teamIds: [],
    tags: '',
    minUnits: '',
    personalisedOnly: false,
    campaignMultiplier: false,
    windows: [],
    capDay: '',
    capWeek: '',
    capMonth: '',
    budget: '',
  };
}

/** `YYYY-MM-DD` of a time (UTC); empty when unreadable. */
function utcDay(ms: number): string {
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString().slice(0, 10);
}

/** A window's exclusive end as the last day it includes (the form shows whole days). */
function lastDay(end: string): string {
  const ms = Date.parse(end);
  const midnight = !Number.isNaN(ms) && ms % 86_400_000 === 0;
  return utcDay(midnight ? ms - 86_400_000 : ms);
}

const str = (n: number | null | undefined): string => (n === null || n === undefined ? '' : String(n));

/** The form for an existing rule's current version. */
export function formFromRule(rule: Pick<RuleView, 'name' | 'budget' | 'document'>): RuleForm {
  const d = rule.document;
  return {
    name: rule.name,
    trigger: d.trigger,
    threshold: str(d.threshold),
    mode: d.award.mode,
    points: String(d.award.points),
    ceiling: str(d.award.ceiling),
    diminishing: d.award.diminishing ?? false,
    networks: [...(d.conditions?.networks ?? [])],
    campaignIds: [...(d.conditions?.campaign_ids ?? [])],
    teamIds: [...(d.conditions?.team_ids ?? [])],
    tags: (d.conditions?.tags ?? []).join(', '),
    minUnits: str(d.conditions?.min_units),
    personalisedOnly: d.conditions?.personalised_only ?? false,
    campaignMultiplier: d.multipliers?.campaign ?? false,
    windows: (d.multipliers?.windows ?? []).map((w) => ({ from: utcDay(Date.parse(w.from)), to: lastDay(w.to), factor: String(w.factor) })),
    capDay: str(d.caps?.day),
    capWeek: str(d.caps?.week),
    capMonth: str(d.caps?.month),
    budget: str(rule.budget),
  };
}

export type RuleErrors = Partial<Record<keyof RuleForm | `window${number}`, string>>;

export type BuiltRule =
  | { ok: true; name: string; document: RuleDocument; budget: number | null }
  | { ok: false; errors: RuleErrors };

/** A whole number ≥ min from a field; `undefined` for an empty field, `null` when invalid. */
export function parseWhole(input: string, min = 0): number | null | undefined {
  const t = input.trim().replace(/[\s,'\u00a0\u202f]/g, '');
  if (!t) return undefined;
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) && n >= min ? n : null;
}

function parseFactor(input: string): number | null {
  const n = Number(input.trim().replace(',', '.'));
  return input.trim() && Number.isFinite(n) && n > 0 && n <= 100 ? n : null;
}

/** Validates the form and builds the document the API stores (only what is set). */
export function buildRule(form: RuleForm): BuiltRule {
  const errors: RuleErrors = {};
  const name = form.name.trim();
  if (!name) errors.name = 'Give the rule a name.';
  else if (name.length > 200) errors.name = 'Keep the name under 200 characters.';

  const trigger = TRIGGERS.find((t) => t.id === form.trigger);
  const threshold = parseWhole(form.threshold, 1);
  if (trigger?.milestone && (threshold === undefined || threshold === null)) errors.threshold = 'Enter the milestone, a whole number of 1 or more.';

  const points = parseWhole(form.points, 0);
  if (points === undefined || points === null) errors.points = 'Enter the points, a whole number of 0 or more.';
  const ceiling = form.mode === 'per_unit' ? parseWhole(form.ceiling, 1) : undefined;
  if (ceiling === null) errors.ceiling = 'Enter a whole number of 1 or more, or leave it empty.';

  const minUnits = parseWhole(form.minUnits, 0);
  if (minUnits === null) errors.minUnits = 'Enter a whole number, or leave it empty.';

  const caps: Record<'day' | 'week' | 'month', number | undefined> = { day: undefined, week: undefined, month: undefined };
  for (const [key, field] of [['day', 'capDay'], ['week', 'capWeek'], ['month', 'capMonth']] as const) {
    const v = parseWhole(form[field], 1);
    if (v === null) errors[field] = 'Enter a whole number of 1 or more, or leave it empty.';
    else caps[key] = v;
  }
  const budget = parseWhole(form.budget, 1);
  if (budget === null) errors.budget = 'Enter a whole number of points, or leave it empty for no budget.';

  const windows: { from: string; to: string; factor: number }[] = [];
  form.windows.forEach((w, i) => {
    const f = parseFactor(w.factor);
    const from = Date.parse(`${w.from}T00:00:00Z`);
    const to = Date.parse(`${w.to}T00:00:00Z`);
    if (f === null || Number.isNaN(from) || Number.isNaN(to) || to < from) {
      errors[`window${i}`] = 'Give a start, an end on or after it, and a factor above 0 (e.g. 2).';
    } else {
      // Whole UTC days, both ends included: the window ends at the start of the day after `to`.
      windows.push({ from: new Date(from).toISOString(), to: new Date(to + 86_400_000).toISOString(), factor: f });
    }
  });

  if (Object.keys(errors).length || points === undefined || points === null) return { ok: false, errors };

  const document: RuleDocument = {
    trigger: form.trigger,
    award: {
      mode: form.mode,
      points,
      ...(form.mode === 'per_unit' ? { diminishing: form.diminishing, ...(ceiling ? { ceiling } : {}) } : {}),
    },
  };
  if (trigger?.milestone && threshold) document.threshold = threshold;
  const tags = form.tags
    .split(',')
    .map((t) => t.trim().replace(/^#/, ''))
    .filter(Boolean);
  const conditions: NonNullable<RuleDocument['conditions']> = {};
  if (form.networks.length) conditions.networks = [...form.networks];
  if (form.campaignIds.length) conditions.campaign_ids = [...form.campaignIds];
  if (form.teamIds.length) conditions.team_ids = [...form.teamIds];
  if (tags.length) conditions.tags = [...new Set(tags)];
  if (minUnits !== undefined) conditions.min_units = minUnits;
  if (form.personalisedOnly) conditions.personalised_only = true;
  if (Object.keys(conditions).length) document.conditions = conditions;
  if (form.campaignMultiplier || windows.length) {
    document.multipliers = { ...(form.campaignMultiplier ? { campaign: true } : {}), ...(windows.length ? { windows } : {}) };
  }
  const setCaps = Object.fromEntries(Object.entries(caps).filter(([, v]) => v !== undefined));
  if (Object.keys(setCaps).length) document.caps = setCaps;
  return { ok: true, name, document, budget: budget ?? null };
}

/** One sentence saying what a rule does, for lists and the review before enabling. */
export function describeRule(doc: RuleDocument): string {
  const trigger = TRIGGERS.find((t) => t.id === doc.trigger);
  const when = trigger?.milestone && doc.threshold ? trigger.label.replace('N', formatNumber(doc.threshold)) : (trigger?.label ?? doc.trigger);
  const a = doc.award;
  let award: string;
  if (a.mode === 'fixed') award = `${formatNumber(a.points)} points`;
  else {
    award = `${formatNumber(a.points)} points per ${trigger?.unit ?? 'unit'}${a.diminishing ? ' (diminishing returns: square root of the units)' : ''}`;
    if (a.ceiling) award += `, at most ${formatNumber(a.ceiling)} per event`;
  }
  const caps = [
    doc.caps?.day ? `${formatNumber(doc.caps.day)} a day` : '',
    doc.caps?.week ? `${formatNumber(doc.caps.week)} a week` : '',
    doc.caps?.month ? `${formatNumber(doc.caps.month)} a month` : '',
  ].filter(Boolean);
  return `${when}: ${award}${caps.length ? `; at most ${caps.join(', ')} per person` : ''}.`;
}

/** The preview's distribution as labelled figures, in reading order. */
export function previewFigures(p: PreviewResult): { id: string; label: string; value: string; detail?: string }[] {
  const figures = [
    { id: 'total', label: 'Total cost', value: `${formatNumber(p.total_points)} points`, detail: `${formatNumber(p.matching_events)} of ${formatNumber(p.events_replayed)} events matched` },
    { id: 'recipients', label: 'Recipients', value: formatNumber(p.recipients) },
    { id: 'p50', label: 'Median per recipient', value: formatNumber(p.p50), detail: '50th percentile' },
    { id: 'p90', label: '90th percentile', value: formatNumber(p.p90) },
    { id: 'p99', label: '99th percentile', value: formatNumber(p.p99) },
    { id: 'max', label: 'Most for one person', value: formatNumber(p.max) },
    { id: 'top10', label: 'Top 10 recipients’ share', value: formatPercent(p.top10_share), detail: 'of all points' },
    { id: 'limited', label: 'Awards reduced by caps or budget', value: formatNumber(p.limited_awards) },
  ];
  if (p.budget !== null && p.budget !== undefined) {
    figures.push({
      id: 'budget',
      label: 'Budget left',
      value: `${formatNumber(p.budget_remaining ?? 0)} of ${formatNumber(p.budget)}`,
      detail: p.budget_exhausted ? 'The budget would run out.' : `${formatPercent(p.budget ? p.total_points / p.budget : 0)} used`,
    });
  }
  return figures;
}
