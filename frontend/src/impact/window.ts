// Reporting windows: whole UTC days, both ends inclusive, as the reach API counts them. A
// window lives in the page's query string (`?range=30d` or `?from=…&to=…`) so it survives a
// reload and can be linked to.

export type RangePreset = '7d' | '30d' | '90d';
export const PRESETS: readonly { id: RangePreset; days: number; label: string }[] = [
  { id: '7d', days: 7, label: 'Last 7 days' },
  { id: '30d', days: 30, label: 'Last 30 days' },
  { id: '90d', days: 90, label: 'Last 90 days' },
];
export const DEFAULT_PRESET: RangePreset = '30d';
/** The server refuses windows longer than this (days between `from` and `to`). */
export const MAX_WINDOW_DAYS = 400;

export interface ReportWindow {
  /** `7d`/`30d`/`90d`, or `custom` for explicit days. */
  preset: RangePreset | 'custom';
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Today's UTC date as `YYYY-MM-DD`. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** Whether `day` is a real calendar day written `YYYY-MM-DD`. */
export function isDay(day: string): boolean {
  if (!DAY_RE.test(day)) return false;
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day;
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Days from `from` to `to` (0 when equal; negative when reversed). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** The window a preset means today: the last N days, today included. */
export function presetWindow(preset: RangePreset, today: string): ReportWindow {
  const days = PRESETS.find((p) => p.id === preset)?.days ?? 30;
  return { preset, from: addDays(today, -(days - 1)), to: today };
}

/** Why a custom window is not acceptable, or null when it is. */
export function windowProblem(from: string, to: string): string | null {
  if (!isDay(from) || !isDay(to)) return 'Choose both a start and an end date.';
  if (daysBetween(from, to) < 0) return 'The start date must not be after the end date.';
  if (daysBetween(from, to) > MAX_WINDOW_DAYS) return `Choose at most ${MAX_WINDOW_DAYS + 1} days.`;
  return null;
}

/**
 * The window a query string asks for: a known `range`, else a valid `from`/`to` pair, else the
 * default preset. Never throws: a hand-edited URL falls back instead of breaking the page.
 */
export function windowFromQuery(query: Record<string, string | undefined>, today: string): ReportWindow {
  const range = query.range;
  if (range && PRESETS.some((p) => p.id === range)) return presetWindow(range as RangePreset, today);
  const { from, to } = query;
  if (from && to && windowProblem(from, to) === null) return { preset: 'custom', from, to };
  return presetWindow(DEFAULT_PRESET, today);
}

/** The query-string parameters that describe a window (the inverse of windowFromQuery). */
export function windowToQuery(w: ReportWindow): Record<string, string> {
  return w.preset === 'custom' ? { from: w.from, to: w.to } : { range: w.preset };
}

/** The API's window parameters. */
export function apiWindow(w: ReportWindow): { from: string; to: string } {
  return { from: w.from, to: w.to };
}

/** Build `path?query`, dropping empty values, keys in a stable order. */
export function withQuery(path: string, query: Record<string, string | null | undefined>): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value) params.set(key, value);
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}
