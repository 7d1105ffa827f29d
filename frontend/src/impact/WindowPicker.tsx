import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { SelectField, TextField } from '../ui/Field';
import { formatDay } from '../ui/format';
import { PRESETS, presetWindow, todayUtc, windowFromQuery, windowProblem, windowToQuery, withQuery, type RangePreset, type ReportWindow } from './window';

/**
 * The page's reporting window and other view settings, kept in the query string. Returns the
 * current window, a reader for other parameters and a way to change any of them.
 */
export function useReportQuery() {
  const { path, query, route } = useLocation();
  const today = todayUtc();
  const window = useMemo(() => windowFromQuery(query, today), [query.range, query.from, query.to, today]);
  function update(changes: Record<string, string | null>) {
    route(withQuery(path, { ...query, ...changes }));
  }
  function setWindow(w: ReportWindow) {
    update({ range: null, from: null, to: null, ...windowToQuery(w) });
  }
  return { window, query: query as Record<string, string | undefined>, update, setWindow };
}

export function describeWindow(w: ReportWindow): string {
  return w.from === w.to ? formatDay(w.from) : `${formatDay(w.from)} – ${formatDay(w.to)}`;
}

/** Choose the period: a preset, or custom days (UTC calendar days, both included). */
export function WindowPicker({ window, onChange, children }: { window: ReportWindow; onChange: (w: ReportWindow) => void; children?: ComponentChildren }) {
  const [custom, setCustom] = useState(window.preset === 'custom');
  const [from, setFrom] = useState(window.from);
  const [to, setTo] = useState(window.to);
  const [problem, setProblem] = useState<string | null>(null);

  function choose(value: string) {
    if (value === 'custom') {
      setCustom(true);
      setFrom(window.from);
      setTo(window.to);
      return;
    }
    setCustom(false);
    setProblem(null);
    onChange(presetWindow(value as RangePreset, todayUtc()));
  }

  function apply(e: Event) {
    e.preventDefault();
    const found = windowProblem(from, to);
    setProblem(found);
    if (!found) onChange({ preset: 'custom', from, to });
  }

  return (
    <form class="toolbar" onSubmit={apply} aria-label="Report settings">
      <SelectField
        class="field-inline"
        label="Period"
        value={custom ? 'custom' : window.preset}
        onValue={choose}
        options={[...PRESETS.map((p) => ({ value: p.id, label: p.label })), { value: 'custom', label: 'Custom dates…' }]}
      />
      {custom ? (
        <>
          <TextField label="From" type="date" value={from} onValue={setFrom} max={to} error={problem ?? undefined} />
          <TextField label="To" type="date" value={to} onValue={setTo} min={from} max={todayUtc()} />
          <div class="toolbar-action">
            <button type="submit" class="button button-secondary">
              Apply dates
            </button>
          </div>
        </>
      ) : null}
      {children}
      <p class="toolbar-note muted">{describeWindow(window)} · whole days in UTC</p>
    </form>
  );
}
