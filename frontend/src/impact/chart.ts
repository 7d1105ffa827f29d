// The arithmetic behind the hand-written SVG charts: linear scales, "nice" axis ticks and
// path strings. No DOM here, so it is tested on its own.

export interface Scale {
  (value: number): number;
  domain: readonly [number, number];
  range: readonly [number, number];
}

/** Map [d0, d1] onto [r0, r1] linearly; a zero-width domain maps to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const scale = ((value: number) => (span === 0 ? (r0 + r1) / 2 : r0 + ((value - d0) / span) * (r1 - r0))) as Scale;
  scale.domain = domain;
  scale.range = range;
  return scale;
}

/** The "nice" step (1, 2 or 5 × 10^k) that cuts `span` into about `count` pieces. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * Axis ticks from 0 up to at least `max`, about `count` of them, at nice steps. Counts are
 * whole numbers, so steps are never fractional when `integer` is set. An all-zero series still
 * gets an axis (0 … 1).
 */
export function niceTicks(max: number, count = 4, integer = true): number[] {
  const top = Number.isFinite(max) && max > 0 ? max : 1;
  let step = niceStep(top, count);
  if (integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let v = 0; v < top + step; v += step) {
    ticks.push(Number(v.toPrecision(12)));
    if (v >= top) break;
  }
  return ticks;
}

/** Indices of about `max` evenly spread labels, always including the first and last. */
export function labelIndices(length: number, max: number): number[] {
  if (length <= 0) return [];
  if (length <= max) return Array.from({ length }, (_, i) => i);
  const every = Math.ceil((length - 1) / Math.max(1, max - 1));
  const out: number[] = [];
  for (let i = 0; i < length - 1; i += every) out.push(i);
  // The last label replaces the one before it when they would be closer than a step.
  if (length - 1 - (out.at(-1) ?? 0) < every && out.length > 1) out.pop();
  out.push(length - 1);
  return out;
}

export interface Point {
  x: number;
  y: number;
}

const r = (n: number) => Math.round(n * 10) / 10;

/** An SVG path through the points (M … L …). */
export function linePath(points: readonly Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${r(p.x)},${r(p.y)}`).join(' ');
}

/** The line's path closed down to `baseline`, for the filled area under it. */
export function areaPath(points: readonly Point[], baseline: number): string {
  if (points.length === 0) return '';
  const first = points[0] as Point;
  const last = points.at(-1) as Point;
  return `${linePath(points)} L${r(last.x)},${r(baseline)} L${r(first.x)},${r(baseline)} Z`;
}

/** The index of the point nearest to `x` (points sorted by x). */
export function nearestIndex(points: readonly Point[], x: number): number {
  let best = 0;
  let bestDistance = Infinity;
  points.forEach((p, i) => {
    const d = Math.abs(p.x - x);
    if (d < bestDistance) {
      best = i;
      bestDistance = d;
    }
  });
  return best;
}
