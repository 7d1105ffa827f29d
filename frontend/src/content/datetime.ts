// <input type="datetime-local"> speaks the reader's local wall-clock time without a zone; the
// API speaks RFC 3339 instants. These convert between the two.

const pad = (n: number) => String(n).padStart(2, '0');

/** An instant as the value of a datetime-local input, in the browser's time zone ('' for none). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A datetime-local value as an RFC 3339 instant; null when empty or not a valid time. */
export function fromLocalInput(value: string): string | null {
  const m = value.trim().match(/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number | undefined];
  const date = new Date(y, mo - 1, d, h, mi, Number.isFinite(s) ? (s as number) : 0);
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date.toISOString();
}

/** Tags as typed ("hiring, #careers  culture") → ["hiring", "careers", "culture"], without repeats. */
export function parseTags(input: string): string[] {
  const seen = new Set<string>();
  for (const raw of input.split(/[,\s]+/)) {
    const tag = raw.replace(/^#+/, '').trim().toLowerCase();
    if (tag) seen.add(tag);
  }
  return [...seen];
}
