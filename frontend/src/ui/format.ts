import type { Role } from '../api/types';

export const ROLE_LABELS: Record<Role, string> = {
  employee: 'Employee',
  manager: 'Manager',
  editor: 'Editor',
  admin: 'Admin',
};

export const ALL_ROLES: readonly Role[] = ['employee', 'manager', 'editor', 'admin'];

export function roleLabel(role: string): string {
  return (ROLE_LABELS as Record<string, string>)[role] ?? role;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d);
}

export function formatDateTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTimeFormat.format(d);
}

export function formatCount(n: number, singular: string, plural = `${singular}s`): string {
  return `${n.toLocaleString()} ${n === 1 ? singular : plural}`;
}

const numberFormat = new Intl.NumberFormat(undefined);
const decimalFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const percentFormat = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const shortDayFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** A whole number with the reader's digit grouping. */
export function formatNumber(n: number): string {
  return numberFormat.format(n);
}

/** Up to two decimals (ratios such as clicks per share). */
export function formatDecimal(n: number): string {
  return decimalFormat.format(n);
}

/** A ratio 0…1 as a percentage. */
export function formatPercent(ratio: number): string {
  return percentFormat.format(Number.isFinite(ratio) ? ratio : 0);
}

/** An amount of money in an ISO 4217 currency (falls back to "12.30 XYZ" for unknown codes). */
export function formatMoney(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
  } catch {
    return `${decimalFormat.format(amount)} ${currency}`;
  }
}

/** EMV per currency, e.g. "€1,619.82" or "€10.00 + $4.00"; "—" when no rates are set. */
export function formatEmv(emv: Record<string, number>): string {
  const entries = Object.entries(emv).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return '—';
  return entries.map(([currency, amount]) => formatMoney(amount, currency)).join(' + ');
}

/** A UTC calendar day (`YYYY-MM-DD`) as a readable date, without shifting it by the time zone. */
export function formatDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? day : dayFormat.format(d);
}

/** A UTC calendar day as a short label for chart axes ("21 Nov"). */
export function formatShortDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? day : shortDayFormat.format(d);
}

/**
 * Reads an audience size as people type it: digits with optional grouping ("12,400",
 * "12 400", "12.400", "12'400"). Returns null for anything else — no guessing at "1.2k".
 */
export function parseCount(input: string): number | null {
  const trimmed = input.trim();
  if (!/^\d{1,3}([ ,.'\u00a0\u202f]?\d{3})*$/.test(trimmed) && !/^\d+$/.test(trimmed)) return null;
  const n = Number(trimmed.replace(/[^\d]/g, ''));
  return Number.isSafeInteger(n) ? n : null;
}
