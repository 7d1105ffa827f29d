// Small pieces the recognition views share: figure tiles, status badges, the result message of
// an action, and a hook for one-button actions with their own pending and error state.

import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { toApiError, type ApiError } from '../api/client';
import { ErrorState, Loading } from '../ui/feedback';
import type { Resource } from '../ui/useResource';

export interface Figure {
  id: string;
  label: string;
  value: string;
  detail?: ComponentChildren;
}

/** Labelled figures as tiles (the same look as the dashboards' KPI tiles). */
export function Figures({ figures, label }: { figures: readonly Figure[]; label: string }) {
  return (
    <dl class="kpis figures" aria-label={label}>
      {figures.map((f) => (
        <div class="kpi" key={f.id} data-figure={f.id}>
          <dt class="kpi-label">{f.label}</dt>
          <dd class="kpi-value">{f.value}</dd>
          {f.detail ? <dd class="kpi-detail">{f.detail}</dd> : null}
        </div>
      ))}
    </dl>
  );
}

const STATUS_CLASSES: Record<string, string> = {
  active: 'status-active',
  awarded: 'status-active',
  approved: 'status-published',
  fulfilled: 'status-active',
  requested: 'status-scheduled',
  pending: 'status-scheduled',
  draft: 'status-draft',
  paused: 'status-inactive',
  rejected: 'status-inactive',
  cancelled: 'status-archived',
  retired: 'status-archived',
};

const STATUS_LABELS: Record<string, string> = {
  requested: 'Waiting for approval',
  pending: 'Waiting for approval',
};

/** A status as text in a badge (never colour alone). */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  const text = label ?? STATUS_LABELS[status] ?? status.charAt(0).toUpperCase() + status.slice(1);
  return <span class={`status ${STATUS_CLASSES[status] ?? 'status-draft'}`}>{text}</span>;
}

/**
 * Runs one action at a time (a button's click), keeping its pending flag and its error.
 * `run` resolves to true when the action succeeded.
 */
export function useAction() {
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  async function run(key: string, action: () => Promise<unknown>): Promise<boolean> {
    if (pending) return false;
    setPending(key);
    setError(null);
    try {
      await action();
      return true;
    } catch (err) {
      setError(toApiError(err));
      return false;
    } finally {
      setPending(null);
    }
  }
  return { pending, error, run, clearError: () => setError(null) };
}

export const PERIOD_OPTIONS = [
  { value: 'day', label: 'Day' },
  { value: 'week', label: 'Week' },
  { value: 'month', label: 'Month' },
  { value: 'quarter', label: 'Quarter' },
  { value: 'year', label: 'Year' },
] as const;

export function periodLabel(kind: string): string {
  return PERIOD_OPTIONS.find((p) => p.value === kind)?.label.toLowerCase() ?? kind;
}

/** The loading and error states of a resource (nothing once it is ready). */
export function ResourceState<T>({ resource, loading, error }: { resource: Resource<T>; loading: string; error: string }) {
  if (resource.status === 'loading') return <Loading label={loading} />;
  if (resource.status === 'error') return <ErrorState error={resource.error} onRetry={resource.reload} title={error} />;
  return null;
}
