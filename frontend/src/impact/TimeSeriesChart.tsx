import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { areaPath, labelIndices, linePath, linearScale, nearestIndex, niceTicks, type Point } from './chart';

export interface ChartProps {
  /** What is plotted, e.g. "Human clicks per day". */
  title: string;
  /** One label per point (days or weeks, `YYYY-MM-DD`). */
  labels: readonly string[];
  values: readonly number[];
  /** Label for a point in sentences and the table ("3 Nov 2026"). */
  formatLabel: (label: string) => string;
  /** Short label on the x axis ("3 Nov"). */
  formatTick: (label: string) => string;
  formatValue: (value: number) => string;
  /** Unit in sentences: "45 human clicks". */
  unit: string;
  kind?: 'line' | 'bar';
  /** Heading of the first table column. */
  labelHeading?: string;
}

const HEIGHT = 220;
const MARGIN = { top: 12, right: 12, bottom: 28, left: 8 };
const CHAR_WIDTH = 7; // ≈ width of a 12px digit, to leave room for the y-axis labels

/**
 * A small hand-written SVG chart (no library: a few kilobytes, rendered in one pass). It is an
 * image with a text summary for screen readers, can be explored with the arrow keys (the value
 * of the chosen point is read out above the chart), and has the same numbers as a table.
 */
export function TimeSeriesChart({ title, labels, values, formatLabel, formatTick, formatValue, unit, kind = 'line', labelHeading = 'Day' }: ChartProps) {
  const id = useId();
  const boxRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(640);
  const [active, setActive] = useState<number | null>(null);

  // Draw at the container's real width, so text keeps its size on a phone.
  useLayoutEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const measure = () => setWidth(Math.max(260, Math.round(box.clientWidth || 640)));
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(measure);
    observer.observe(box);
    return () => observer.disconnect();
  }, []);

  useEffect(() => setActive(null), [labels, values]);

  const geometry = useMemo(() => {
    const max = values.reduce((m, v) => Math.max(m, v), 0);
    const ticks = niceTicks(max, 4);
    const top = ticks.at(-1) ?? 1;
    const labelWidth = Math.max(...ticks.map((t) => formatValue(t).length)) * CHAR_WIDTH + 10;
    const left = MARGIN.left + labelWidth;
    const plotRight = width - MARGIN.right;
    const bottom = HEIGHT - MARGIN.bottom;
    const n = values.length;
    const band = n > 0 ? (plotRight - left) / n : 0;
    const x =
      kind === 'bar'
        ? (i: number) => left + band * (i + 0.5)
        : linearScale([0, Math.max(1, n - 1)], [left + (n === 1 ? (plotRight - left) / 2 : 0), n === 1 ? left + (plotRight - left) / 2 : plotRight]);
    const y = linearScale([0, top], [bottom, MARGIN.top]);
    const points: Point[] = values.map((v, i) => ({ x: x(i), y: y(v) }));
    const maxLabels = Math.max(2, Math.floor((plotRight - left) / 64));
    return { ticks, left, plotRight, bottom, band, points, y, xLabels: labelIndices(n, maxLabels), max };
  }, [values, width, kind, formatValue]);

  const total = values.reduce((s, v) => s + v, 0);
  const peakIndex = values.length ? values.indexOf(geometry.max) : -1;
  const summary =
    values.length === 0
      ? 'No data in this window.'
      : `${title} from ${formatLabel(labels[0] ?? '')} to ${formatLabel(labels.at(-1) ?? '')}: ${formatValue(total)} in total` +
        (geometry.max > 0 && peakIndex >= 0 ? `, highest ${formatValue(geometry.max)} on ${formatLabel(labels[peakIndex] ?? '')}.` : '.');

  function onKey(e: KeyboardEvent) {
    if (!values.length) return;
    const last = values.length - 1;
    const current = active ?? -1;
    let next: number | null = null;
    if (e.key === 'ArrowRight') next = Math.min(last, current + 1);
    else if (e.key === 'ArrowLeft') next = current < 0 ? last : Math.max(0, current - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = last;
    else if (e.key === 'Escape') next = null;
    else return;
    e.preventDefault();
    setActive(next);
  }

  function onPointer(e: PointerEvent) {
    const svg = e.currentTarget as SVGSVGElement;
    const rect = svg.getBoundingClientRect();
    if (!rect.width || !geometry.points.length) return;
    const x = ((e.clientX - rect.left) / rect.width) * width;
    setActive(nearestIndex(geometry.points, x));
  }

  const activePoint = active !== null ? geometry.points[active] : undefined;
  const readout =
    active !== null && labels[active] !== undefined ? `${formatLabel(labels[active] ?? '')}: ${formatValue(values[active] ?? 0)} ${unit}` : null;

  return (
    <div class="chart">
      <p class="chart-readout" aria-live="polite">
        {readout ?? <span class="muted">{values.length ? 'Point at the chart, or focus it and use the arrow keys, to read each value.' : ''}</span>}
      </p>
      <div
        ref={boxRef}
        class="chart-box"
        tabIndex={values.length ? 0 : -1}
        role="group"
        aria-label={`${title}. Use the left and right arrow keys to read each value.`}
        onKeyDown={onKey}
      >
        <svg
          class={`chart-svg chart-kind-${kind}`}
          width={width}
          height={HEIGHT}
          viewBox={`0 0 ${width} ${HEIGHT}`}
          role="img"
          aria-labelledby={`${id}-title ${id}-desc`}
          onPointerMove={onPointer}
          onPointerLeave={() => setActive(null)}
        >
          <title id={`${id}-title`}>{title}</title>
          <desc id={`${id}-desc`}>{summary}</desc>
          <g class="chart-grid" aria-hidden="true">
            {geometry.ticks.map((t) => (
              <g key={t}>
                <line x1={geometry.left} x2={geometry.plotRight} y1={geometry.y(t)} y2={geometry.y(t)} />
                <text x={geometry.left - 8} y={geometry.y(t)} dy="0.32em" text-anchor="end">
                  {formatValue(t)}
                </text>
              </g>
            ))}
            {geometry.xLabels.map((i) => {
              const p = geometry.points[i];
              if (!p) return null;
              const anchor = kind === 'bar' ? 'middle' : i === 0 ? 'start' : i === values.length - 1 ? 'end' : 'middle';
              return (
                <text key={i} x={p.x} y={HEIGHT - 8} text-anchor={anchor}>
                  {formatTick(labels[i] ?? '')}
                </text>
              );
            })}
          </g>
          {kind === 'bar' ? (
            <g class="chart-bars" aria-hidden="true">
              {geometry.points.map((p, i) => {
                const w = Math.max(2, geometry.band * 0.7);
                return (
                  <rect
                    key={i}
                    class={i === active ? 'is-active' : undefined}
                    x={p.x - w / 2}
                    y={p.y}
                    width={w}
                    height={Math.max(0, geometry.bottom - p.y)}
                    rx={2}
                  />
                );
              })}
            </g>
          ) : (
            <g aria-hidden="true">
              <path class="chart-area" d={areaPath(geometry.points, geometry.bottom)} />
              <path class="chart-line" d={linePath(geometry.points)} />
            </g>
          )}
          {activePoint ? (
            <g class="chart-focus" aria-hidden="true">
              <line x1={activePoint.x} x2={activePoint.x} y1={MARGIN.top} y2={geometry.bottom} />
              {kind === 'line' ? <circle cx={activePoint.x} cy={activePoint.y} r={4} /> : null}
            </g>
          ) : null}
        </svg>
      </div>
      <details class="disclosure chart-table">
        <summary>Show the numbers</summary>
        <div class="table-scroll" tabIndex={0} role="region" aria-label={`${title} as a table`}>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">{labelHeading}</th>
                <th scope="col" class="num">
                  {unit.charAt(0).toUpperCase() + unit.slice(1)}
                </th>
              </tr>
            </thead>
            <tbody>
              {labels.map((l, i) => (
                <tr key={l}>
                  <th scope="row">{formatLabel(l)}</th>
                  <td class="num">{formatValue(values[i] ?? 0)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </div>
  );
}
