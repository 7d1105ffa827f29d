import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { PeriodKind, RewardView } from '../api/types';
import { Checkbox, SelectField, TextAreaField, TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert } from '../ui/feedback';
import { formatNumber } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { PERIOD_OPTIONS, StatusBadge, useAction, ResourceState } from './parts';
import { parseWhole } from './rule';
import { rewardLimits } from './RewardsPage';

interface RewardForm {
  name: string;
  description: string;
  cost: string;
  stock: string;
  perUser: string;
  period: PeriodKind;
  active: boolean;
}

const EMPTY: RewardForm = { name: '', description: '', cost: '', stock: '', perUser: '0', period: 'month', active: true };

function formOf(r: RewardView): RewardForm {
  return { name: r.name, description: r.description, cost: String(r.cost), stock: r.stock === null || r.stock === undefined ? '' : String(r.stock), perUser: String(r.per_user_limit), period: r.limit_period, active: r.active };
}

/** Administrators: the rewards catalogue — add items, change cost, stock and limits, retire them. */
export function RewardsAdminPage() {
  const catalogue = useResource((signal) => api.recognition.catalogue(true, signal), []);
  const [editing, setEditing] = useState<RewardView | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  return (
    <>
      <PageHeader
        title="Rewards catalogue"
        description="What people can spend their points on. Redemptions wait in the approval queue."
        actions={
          <a class="button button-secondary" href="/admin/approvals">
            Approval queue
          </a>
        }
      />
      {message ? (
        <Alert kind="success">
          <p>{message}</p>
        </Alert>
      ) : null}
      <section class="card" aria-labelledby="reward-form-heading">
        <h2 id="reward-form-heading">{editing ? `Change “${editing.name}”` : 'Add a reward'}</h2>
        <RewardEditor
          key={editing?.id ?? 'new'}
          editing={editing}
          onCancel={() => setEditing(null)}
          onSaved={(r) => {
            setMessage(editing ? `${r.name} saved.` : `${r.name} added to the catalogue.`);
            setEditing(null);
            catalogue.reload();
          }}
        />
      </section>
      <section class="card card-flush" aria-labelledby="reward-list-heading">
        <div class="card-header">
          <h2 id="reward-list-heading">Catalogue</h2>
        </div>
        <ResourceState resource={catalogue} loading="Loading rewards…" error="Rewards could not be loaded" />
        {catalogue.status === 'ready' && catalogue.data.items.length === 0 ? (
          <EmptyState title="The catalogue is empty">
            <p>Add a first reward above.</p>
          </EmptyState>
        ) : null}
        {catalogue.status === 'ready' && catalogue.data.items.length ? (
          <div class="table-scroll" role="region" aria-label="Rewards table" tabIndex={0}>
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Reward</th>
                  <th scope="col" class="num">
                    Cost
                  </th>
                  <th scope="col">Stock and limits</th>
                  <th scope="col">State</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {catalogue.data.items.map((r) => (
                  <tr key={r.id}>
                    <th scope="row">
                      {r.name}
                      {r.description ? <span class="cell-detail">{r.description}</span> : null}
                    </th>
                    <td class="num">{formatNumber(r.cost)}</td>
                    <td>{rewardLimits(r)}</td>
                    <td>{r.active ? <StatusBadge status="active" /> : <StatusBadge status="retired" label="Hidden" />}</td>
                    <td>
                      <button type="button" class="button button-secondary button-small" onClick={() => setEditing(r)}>
                        Change<span class="visually-hidden"> {r.name}</span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}

function RewardEditor({ editing, onSaved, onCancel }: { editing: RewardView | null; onSaved: (r: RewardView) => void; onCancel: () => void }) {
  const [form, setForm] = useState<RewardForm>(editing ? formOf(editing) : EMPTY);
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});
  const action = useAction();
  const set = <K extends keyof RewardForm>(k: K, v: RewardForm[K]) => setForm((f) => ({ ...f, [k]: v }));

  async function submit(e: Event) {
    e.preventDefault();
    const cost = parseWhole(form.cost, 1);
    const stock = parseWhole(form.stock, 0);
    const perUser = parseWhole(form.perUser, 0) ?? 0;
    const found = {
      name: form.name.trim() ? undefined : 'Name the reward.',
      cost: typeof cost === 'number' ? undefined : 'Enter the cost, a whole number of points of 1 or more.',
      stock: stock === null ? 'Enter a whole number, or leave it empty for unlimited.' : undefined,
      per_user_limit: perUser === null ? 'Enter a whole number; 0 means no limit.' : undefined,
    };
    setProblems(found);
    if (Object.values(found).some(Boolean) || typeof cost !== 'number' || stock === null || perUser === null) return;
    const common = { name: form.name.trim(), description: form.description.trim(), cost, per_user_limit: perUser, limit_period: form.period, active: form.active };
    await action.run('save', async () => {
      const saved = editing
        ? await api.recognitionAdmin.updateReward(editing.id, { ...common, ...(stock === undefined ? { unlimited: true } : { stock }) })
        : await api.recognitionAdmin.addReward({ ...common, stock: stock ?? null });
      onSaved(saved);
    });
  }
  const fieldError = (k: string) => problems[k] ?? action.error?.fieldErrors[k];
  return (
    <form class="form-grid" onSubmit={submit} noValidate aria-busy={action.pending !== null}>
      <ErrorAlert error={action.error && !action.error.hasFieldErrors ? action.error : null} title="The reward was not saved" />
      <TextField label="Name" value={form.name} onValue={(v) => set('name', v)} error={fieldError('name')} maxLength={200} />
      <TextAreaField label="Description" value={form.description} onValue={(v) => set('description', v)} rows={2} maxLength={1000} />
      <TextField label="Cost in points" inputMode="numeric" value={form.cost} onValue={(v) => set('cost', v)} error={fieldError('cost')} />
      <TextField label="Stock" inputMode="numeric" value={form.stock} onValue={(v) => set('stock', v)} error={fieldError('stock')} hint="Leave empty for unlimited." />
      <TextField label="Most per person" inputMode="numeric" value={form.perUser} onValue={(v) => set('perUser', v)} error={fieldError('per_user_limit')} hint="0 means no limit." />
      <SelectField label="Per" value={form.period} onValue={(v) => set('period', v as PeriodKind)} options={PERIOD_OPTIONS} />
      <Checkbox label="Shown in the catalogue" checked={form.active} onChange={(v) => set('active', v)} />
      <div class="form-grid-action button-row">
        <button type="submit" class="button button-primary" disabled={action.pending !== null}>
          {action.pending ? 'Saving…' : editing ? 'Save reward' : 'Add reward'}
        </button>
        {editing ? (
          <button type="button" class="button button-secondary" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
