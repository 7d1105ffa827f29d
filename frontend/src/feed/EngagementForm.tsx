import { useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import type { EngagementInput, ShareView } from '../api/types';
import { TextField } from '../ui/Field';
import { ErrorAlert } from '../ui/feedback';
import { parseCount } from '../ui/format';

const FIELDS: readonly { key: keyof EngagementInput; label: string }[] = [
  { key: 'impressions', label: 'Impressions' },
  { key: 'reactions', label: 'Reactions' },
  { key: 'comments', label: 'Comments' },
  { key: 'reshares', label: 'Reshares' },
];

/**
 * Engagement as the employee reads it off the network. Stored as employee-reported; numbers
 * from an integration take precedence over these.
 */
export function EngagementForm({ shareId, initial, onSaved }: { shareId: string; initial?: ShareView; onSaved: (share: ShareView) => void }) {
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(FIELDS.map((f) => [f.key, initial ? String(initial[f.key] ?? 0) : ''])),
  );
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (pending) return;
    const body: EngagementInput = {};
    const found: Record<string, string | undefined> = {};
    for (const f of FIELDS) {
      const raw = (values[f.key] ?? '').trim();
      if (!raw) {
        body[f.key] = 0;
        continue;
      }
      const n = parseCount(raw);
      if (n === null) found[f.key] = 'Enter a whole number (or leave it empty for 0).';
      else body[f.key] = n;
    }
    setProblems(found);
    if (Object.values(found).some(Boolean)) return;
    setPending(true);
    setError(null);
    try {
      onSaved(await api.advocacy.reportEngagement(shareId, body));
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }

  return (
    <form class="engagement-form" onSubmit={submit} noValidate aria-busy={pending}>
      {error && !error.hasFieldErrors ? <ErrorAlert error={error} /> : null}
      <div class="field-grid">
        {FIELDS.map((f) => (
          <TextField
            key={f.key}
            label={f.label}
            inputMode="numeric"
            value={values[f.key] ?? ''}
            onValue={(v) => setValues((cur) => ({ ...cur, [f.key]: v }))}
            error={problems[f.key] ?? error?.fieldErrors[f.key]}
          />
        ))}
      </div>
      <div class="button-row">
        <button type="submit" class="button button-primary button-small" disabled={pending}>
          {pending ? 'Saving…' : 'Save engagement'}
        </button>
      </div>
    </form>
  );
}
