import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client';
import type { AllowancePolicy, PeriodKind, RecognitionSettings, Role, Team } from '../api/types';
import { SelectField, TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert } from '../ui/feedback';
import { formatNumber, roleLabel } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { PERIOD_OPTIONS, periodLabel, StatusBadge, useAction, ResourceState } from './parts';
import { parseWhole } from './rule';

/** Administrators: giving allowances, manager budgets and limits, and the company values. */
export function RecognitionSettingsPage() {
  return (
    <>
      <PageHeader title="Recognition settings" description="How many points people may give, managers’ spot-award budgets, limits on thanks, and the company values thanks can name." />
      <SettingsForm />
      <Allowances />
      <Values />
    </>
  );
}

function SettingsForm() {
  const settings = useResource((signal) => api.recognitionAdmin.settings(signal), []);
  const [form, setForm] = useState<Record<string, string>>({});
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});
  const [saved, setSaved] = useState(false);
  const action = useAction();

  useEffect(() => {
    if (settings.status !== 'ready') return;
    const s = settings.data;
    setForm({
      thanks_max_points: String(s.thanks_max_points),
      pair_limit_per_period: String(s.pair_limit_per_period),
      pair_limit_period: s.pair_limit_period,
      manager_budget: String(s.manager_budget),
      manager_budget_period: s.manager_budget_period,
      spot_approval_threshold: s.spot_approval_threshold === null || s.spot_approval_threshold === undefined ? '' : String(s.spot_approval_threshold),
    });
  }, [settings.status]);

  async function submit(e: Event) {
    e.preventDefault();
    const n = (k: string) => parseWhole(form[k] ?? '', 0);
    const found: Record<string, string | undefined> = {};
    for (const k of ['thanks_max_points', 'pair_limit_per_period', 'manager_budget']) if (typeof n(k) !== 'number') found[k] = 'Enter a whole number of 0 or more.';
    const threshold = n('spot_approval_threshold');
    if (threshold === null) found.spot_approval_threshold = 'Enter a whole number, or leave it empty for no approval.';
    setProblems(found);
    if (Object.values(found).some(Boolean)) return;
    const body: RecognitionSettings = {
      thanks_max_points: n('thanks_max_points') as number,
      pair_limit_per_period: n('pair_limit_per_period') as number,
      pair_limit_period: form.pair_limit_period as PeriodKind,
      manager_budget: n('manager_budget') as number,
      manager_budget_period: form.manager_budget_period as PeriodKind,
      spot_approval_threshold: threshold ?? null,
    };
    setSaved(false);
    if (await action.run('save', () => api.recognitionAdmin.saveSettings(body))) setSaved(true);
  }

  const field = (k: string) => ({ value: form[k] ?? '', onValue: (v: string) => setForm((f) => ({ ...f, [k]: v })), error: problems[k] ?? action.error?.fieldErrors[k] });
  return (
    <section class="card" aria-labelledby="recognition-settings-heading">
      <h2 id="recognition-settings-heading">Limits and budgets</h2>
      <ResourceState resource={settings} loading="Loading settings…" error="Settings could not be loaded" />
      {settings.status === 'ready' ? (
        <form class="form-grid" onSubmit={submit} noValidate aria-busy={action.pending !== null}>
          {saved ? (
            <Alert kind="success">
              <p>Settings saved.</p>
            </Alert>
          ) : null}
          <ErrorAlert error={action.error && !action.error.hasFieldErrors ? action.error : null} />
          <TextField label="Most points in one thanks" inputMode="numeric" {...field('thanks_max_points')} />
          <TextField label="Thanks to the same colleague per period" inputMode="numeric" {...field('pair_limit_per_period')} hint="0 means no limit." />
          <SelectField label="Period for that limit" options={PERIOD_OPTIONS} {...field('pair_limit_period')} />
          <TextField label="Spot-award budget per manager" inputMode="numeric" {...field('manager_budget')} />
          <SelectField label="Budget period" options={PERIOD_OPTIONS} {...field('manager_budget_period')} />
          <TextField label="Spot awards above this need approval" inputMode="numeric" {...field('spot_approval_threshold')} hint="Points. Leave empty: no approval needed." />
          <div class="form-grid-action">
            <button type="submit" class="button button-primary" disabled={action.pending !== null}>
              {action.pending ? 'Saving…' : 'Save settings'}
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}

function policyTarget(p: AllowancePolicy, teams: readonly Team[]): string {
  if (p.team_id) return `Team: ${teams.find((t) => t.id === p.team_id)?.name ?? 'unknown team'}`;
  if (p.role) return `Role: ${roleLabel(p.role)}`;
  return 'Everyone else (default)';
}

function Allowances() {
  const policies = useResource((signal) => api.recognitionAdmin.policies(signal), []);
  const teams = useResource((signal) => api.admin.listTeams(signal), []);
  const [target, setTarget] = useState('default');
  const [amount, setAmount] = useState('100');
  const [period, setPeriod] = useState<PeriodKind>('month');
  const [problem, setProblem] = useState<string | undefined>();
  const action = useAction();
  const teamList = teams.status === 'ready' ? teams.data.items : [];

  async function add(e: Event) {
    e.preventDefault();
    const n = parseWhole(amount, 0);
    setProblem(typeof n === 'number' ? undefined : 'Enter a whole number of points.');
    if (typeof n !== 'number') return;
    const [kind, value] = target.split(':');
    const body = { amount: n, period, ...(kind === 'role' ? { role: value as Role } : {}), ...(kind === 'team' ? { team_id: value ?? null } : {}) };
    if (await action.run('add', () => api.recognitionAdmin.addPolicy(body))) policies.reload();
  }

  const targets = [
    { value: 'default', label: 'Everyone (default)' },
    ...(['employee', 'manager', 'editor', 'admin'] as const).map((r) => ({ value: `role:${r}`, label: `Role: ${roleLabel(r)}` })),
    ...teamList.map((t) => ({ value: `team:${t.id}`, label: `Team: ${t.name}` })),
  ];
  return (
    <section class="card" aria-labelledby="allowances-heading">
      <h2 id="allowances-heading">Giving allowances</h2>
      <p class="muted">Points each person may give in thanks per period. A team’s policy comes first, then a role’s, then the default.</p>
      <ResourceState resource={policies} loading="Loading allowances…" error="Allowances could not be loaded" />
      {policies.status === 'ready' && policies.data.items.length === 0 ? (
        <EmptyState title="No allowance yet">
          <p>Until you add one, people can give thanks without points.</p>
        </EmptyState>
      ) : null}
      {policies.status === 'ready' && policies.data.items.length ? (
        <ul class="row-list">
          {policies.data.items.map((p) => (
            <li key={p.id} class="row-item">
              <span class="row-main">
                {policyTarget(p, teamList)}: <strong>{formatNumber(p.amount)} points</strong> per {periodLabel(p.period)}
              </span>
              <button
                type="button"
                class="button button-secondary button-small"
                disabled={action.pending !== null}
                onClick={() => void action.run(`del-${p.id}`, () => api.recognitionAdmin.deletePolicy(p.id)).then((ok) => ok && policies.reload())}
              >
                Delete<span class="visually-hidden"> allowance for {policyTarget(p, teamList)}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <form class="form-grid" onSubmit={add} noValidate aria-busy={action.pending !== null}>
        <ErrorAlert error={action.error && !action.error.hasFieldErrors ? action.error : null} />
        <SelectField label="Applies to" value={target} onValue={setTarget} options={targets} />
        <TextField label="Points per period" inputMode="numeric" value={amount} onValue={setAmount} error={problem ?? action.error?.fieldErrors.amount} />
        <SelectField label="Period" value={period} onValue={(v) => setPeriod(v as PeriodKind)} options={PERIOD_OPTIONS} />
        <div class="form-grid-action">
          <button type="submit" class="button button-primary" disabled={action.pending !== null}>
            Add allowance
          </button>
        </div>
      </form>
    </section>
  );
}

function Values() {
  const values = useResource((signal) => api.recognition.values(signal), []);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
  const action = useAction();

  async function add(e: Event) {
    e.preventDefault();
    setProblem(name.trim() ? undefined : 'Name the value.');
    if (!name.trim()) return;
    if (await action.run('add', () => api.recognitionAdmin.addValue({ name: name.trim(), description: description.trim() }))) {
      setName('');
      setDescription('');
      values.reload();
    }
  }
  return (
    <section class="card" aria-labelledby="values-heading">
      <h2 id="values-heading">Company values</h2>
      <p class="muted">People can tag thanks with a value; rules can award points for thanks that carry one.</p>
      <ResourceState resource={values} loading="Loading values…" error="Values could not be loaded" />
      {values.status === 'ready' && values.data.items.length === 0 ? (
        <EmptyState title="No values yet">
          <p>Add your company’s values, e.g. “Customer first”.</p>
        </EmptyState>
      ) : null}
      {values.status === 'ready' && values.data.items.length ? (
        <ul class="row-list">
          {values.data.items.map((v) => (
            <li key={v.id} class="row-item">
              <span class="row-main">
                <strong>{v.name}</strong> {v.active ? null : <StatusBadge status="retired" />}
                {v.description ? <span class="cell-detail">{v.description}</span> : null}
              </span>
              <button
                type="button"
                class="button button-secondary button-small"
                disabled={action.pending !== null}
                onClick={() => void action.run(`v-${v.id}`, () => api.recognitionAdmin.updateValue(v.id, { active: !v.active })).then((ok) => ok && values.reload())}
              >
                {v.active ? 'Retire' : 'Restore'}
                <span class="visually-hidden"> {v.name}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <form class="form-grid" onSubmit={add} noValidate>
        <TextField label="Value" value={name} onValue={setName} error={problem ?? action.error?.fieldErrors.name} maxLength={100} />
        <TextField label="Description (optional)" value={description} onValue={setDescription} maxLength={500} />
        <div class="form-grid-action">
          <button type="submit" class="button button-primary" disabled={action.pending !== null}>
            Add value
          </button>
        </div>
      </form>
    </section>
  );
}
