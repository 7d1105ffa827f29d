import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, toApiError, type ApiError } from '../api/client';
import type { CampaignView, Network, PreviewResult, RuleView, Team } from '../api/types';
import { NETWORKS } from '../advocacy/networks';
import type { ViewProps } from '../shell/routes';
import { Checkbox, SelectField, TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert, ErrorState, Loading } from '../ui/feedback';
import { formatDateTime, formatNumber } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { Figures, StatusBadge, useAction } from './parts';
import { buildRule, describeRule, emptyRuleForm, formFromRule, previewFigures, TRIGGERS, type RuleErrors, type RuleForm } from './rule';

const PREVIEW_DAYS = [
  { value: '7', label: 'Last 7 days' },
  { value: '30', label: 'Last 30 days' },
  { value: '90', label: 'Last 90 days' },
  { value: '365', label: 'Last 12 months' },
];

let lastPreview: { key: string; result: PreviewResult } | null = null;

/** Write or change a reward rule, preview its cost and distribution, then enable or pause it. */
export function RuleEditorPage({ params }: ViewProps) {
  const id = params?.id;
  const rule = useResource((signal) => (id ? api.recognitionAdmin.rule(id, signal) : Promise.resolve(null)), [id]);
  if (rule.status === 'loading') return <Loading label="Loading the rule…" />;
  if (rule.status === 'error') {
    return (
      <>
        <PageHeader title="Reward rule" />
        <ErrorState error={rule.error} onRetry={rule.reload} title="The rule could not be loaded" />
      </>
    );
  }
  return <RuleEditor key={rule.data?.id ?? 'new'} initial={rule.data} onChanged={rule.reload} />;
}

function RuleEditor({ initial, onChanged }: { initial: RuleView | null; onChanged: () => void }) {
  const { route } = useLocation();
  const teams = useResource((signal) => api.admin.listTeams(signal), []);
  const campaigns = useResource((signal) => api.content.listCampaigns(signal), []);
  const [saved, setSaved] = useState<RuleView | null>(initial);
  const [form, setForm] = useState<RuleForm>(() => (initial ? formFromRule(initial) : emptyRuleForm()));
  const [errors, setErrors] = useState<RuleErrors>({});
  const [days, setDays] = useState('30');
  // Kept across the remount that follows saving a new rule, so its preview still counts.
  const [preview, setPreviewState] = useState<{ key: string; result: PreviewResult } | null>(lastPreview);
  const setPreview = (p: { key: string; result: PreviewResult }) => {
    lastPreview = p;
    setPreviewState(p);
  };
  const [replay, setReplay] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const action = useAction();
  const [saveError, setSaveError] = useState<ApiError | null>(null);

  const built = buildRule(form);
  const key = built.ok ? JSON.stringify([built.document, built.budget, days]) : null;
  const previewCurrent = preview !== null && preview.key === key;
  const savedKey = saved ? JSON.stringify([formDocKey(saved), saved.budget ?? null, saved.name]) : null;
  const dirty = !built.ok || !saved || savedKey !== JSON.stringify([JSON.stringify(built.document), built.budget, built.name]);

  const set = <K extends keyof RuleForm>(k: K, v: RuleForm[K]) => setForm((f) => ({ ...f, [k]: v }));

  function validate() {
    setErrors(built.ok ? {} : built.errors);
    return built.ok ? built : null;
  }

  async function runPreview() {
    const ok = validate();
    if (!ok || !key) return;
    setMessage(null);
    await action.run('preview', async () => {
      const result = await api.recognitionAdmin.previewRule({ document: ok.document, budget: ok.budget, days: Number(days) });
      setPreview({ key, result });
    });
  }

  async function save() {
    const ok = validate();
    if (!ok) return;
    setMessage(null);
    setSaveError(null);
    try {
      await action.run('save', async () => {
        try {
          if (saved) {
            const next = await api.recognitionAdmin.updateRule(saved.id, { name: ok.name, budget: ok.budget, document: ok.document });
            setSaved(next);
            setMessage(next.current_version !== saved.current_version ? `Saved as version ${next.current_version}.` : 'Saved.');
            onChanged();
          } else {
            const created = await api.recognitionAdmin.createRule({ name: ok.name, budget: ok.budget, document: ok.document });
            setSaved(created);
            route(`/admin/rules/${created.id}`);
          }
        } catch (err) {
          setSaveError(toApiError(err));
          throw err;
        }
      });
    } catch {
      // shown by saveError
    }
  }

  async function activate() {
    if (!saved) return;
    const startsAt = replay && preview ? preview.result.window_start : null;
    await action.run('activate', async () => {
      const next = await api.recognitionAdmin.activateRule(saved.id, startsAt);
      setSaved(next);
      setMessage(startsAt ? `Enabled. Events since ${formatDateTime(startsAt)} are being awarded.` : 'Enabled. New events are awarded from now on.');
    });
  }

  async function pause() {
    if (!saved) return;
    await action.run('pause', async () => {
      const next = await api.recognitionAdmin.pauseRule(saved.id);
      setSaved(next);
      setMessage('Paused. The rule awards nothing until it is enabled again.');
    });
  }

  const fieldError = (name: keyof RuleForm) => errors[name] ?? saveError?.fieldErrors[name];
  const trigger = TRIGGERS.find((t) => t.id === form.trigger);
  const teamName = (id: string | null | undefined) => (id ? (teams.status === 'ready' ? (teams.data.items.find((t: Team) => t.id === id)?.name ?? 'Unknown team') : '…') : 'No team');

  return (
    <>
      <PageHeader
        title={saved ? saved.name : 'New reward rule'}
        description={saved ? <>Version {saved.current_version} · <StatusBadge status={saved.status} /> · {formatNumber(saved.spent)} points awarded</> : 'Choose what earns points and how many; preview the cost before enabling it.'}
        actions={
          <a class="button button-secondary" href="/admin/rules">
            All rules
          </a>
        }
      />
      {message ? (
        <Alert kind="success">
          <p>{message}</p>
        </Alert>
      ) : null}
      <ErrorAlert error={action.error && !action.error.hasFieldErrors ? action.error : null} />
      <form class="editor-form card" onSubmit={(e) => { e.preventDefault(); void runPreview(); }} noValidate aria-busy={action.pending !== null}>
        <fieldset class="field-set">
          <legend class="field-set-legend">When</legend>
          <TextField label="Rule name" value={form.name} onValue={(v) => set('name', v)} error={fieldError('name')} maxLength={200} />
          <SelectField label="Trigger" value={form.trigger} onValue={(v) => set('trigger', v as RuleForm['trigger'])} options={TRIGGERS.map((t) => ({ value: t.id, label: t.label }))} />
          {trigger?.milestone ? <TextField label="Milestone (N)" inputMode="numeric" value={form.threshold} onValue={(v) => set('threshold', v)} error={fieldError('threshold')} hint={`Awarded once per share when it reaches this many ${trigger.units}.`} /> : null}
        </fieldset>
        <fieldset class="field-set">
          <legend class="field-set-legend">Only when (optional)</legend>
          <fieldset class="field-group">
            <legend>Networks</legend>
            <div class="checkbox-row">
              {NETWORKS.map((n) => (
                <Checkbox key={n.id} label={n.label} checked={form.networks.includes(n.id)} onChange={(c) => set('networks', toggle(form.networks, n.id, c) as Network[])} />
              ))}
            </div>
          </fieldset>
          {teams.status === 'ready' && teams.data.items.length ? (
            <fieldset class="field-group">
              <legend>Teams</legend>
              <div class="team-checklist">
                {teams.data.items.map((t) => (
                  <Checkbox key={t.id} label={t.name} checked={form.teamIds.includes(t.id)} onChange={(c) => set('teamIds', toggle(form.teamIds, t.id, c))} />
                ))}
              </div>
            </fieldset>
          ) : null}
          {campaigns.status === 'ready' && campaigns.data.items.length ? (
            <fieldset class="field-group">
              <legend>Campaigns</legend>
              <div class="team-checklist">
                {campaigns.data.items.map((c: CampaignView) => (
                  <Checkbox key={c.id} label={c.name} checked={form.campaignIds.includes(c.id)} onChange={(v) => set('campaignIds', toggle(form.campaignIds, c.id, v))} />
                ))}
              </div>
            </fieldset>
          ) : null}
          <TextField label="Tags" value={form.tags} onValue={(v) => set('tags', v)} hint="Comma-separated post tags or company values; the event needs one of them." />
          <TextField label="At least this many units" inputMode="numeric" value={form.minUnits} onValue={(v) => set('minUnits', v)} error={fieldError('minUnits')} hint={`Units for this trigger: ${trigger?.units ?? 'units'}.`} />
          <Checkbox label="Only shares whose text the sharer personalised" checked={form.personalisedOnly} onChange={(v) => set('personalisedOnly', v)} />
        </fieldset>
        <fieldset class="field-set">
          <legend class="field-set-legend">Award</legend>
          <fieldset class="segmented">
            <legend>How many points</legend>
            <label class={form.mode === 'fixed' ? 'segment is-selected' : 'segment'}>
              <input type="radio" name="mode" value="fixed" checked={form.mode === 'fixed'} onChange={() => set('mode', 'fixed')} />
              Fixed per event
            </label>
            <label class={form.mode === 'per_unit' ? 'segment is-selected' : 'segment'}>
              <input type="radio" name="mode" value="per_unit" checked={form.mode === 'per_unit'} onChange={() => set('mode', 'per_unit')} />
              Per unit
            </label>
          </fieldset>
          <TextField label={form.mode === 'fixed' ? 'Points per event' : `Points per ${trigger?.unit ?? 'unit'}`} inputMode="numeric" value={form.points} onValue={(v) => set('points', v)} error={fieldError('points')} />
          {form.mode === 'per_unit' ? (
            <>
              <TextField label="Ceiling per event (optional)" inputMode="numeric" value={form.ceiling} onValue={(v) => set('ceiling', v)} error={fieldError('ceiling')} />
              <Checkbox label="Diminishing returns (award grows with the square root of the units)" checked={form.diminishing} onChange={(v) => set('diminishing', v)} />
            </>
          ) : null}
        </fieldset>
        <fieldset class="field-set">
          <legend class="field-set-legend">Multipliers</legend>
          <Checkbox label="Apply the campaign’s points multiplier to shares of its posts" checked={form.campaignMultiplier} onChange={(v) => set('campaignMultiplier', v)} />
          {form.windows.map((w, i) => (
            <fieldset class="field-group inline-form" key={i}>
              <legend>Date window {i + 1}</legend>
              <TextField label="From" type="date" value={w.from} onValue={(v) => set('windows', form.windows.map((x, j) => (j === i ? { ...x, from: v } : x)))} />
              <TextField label="To (included)" type="date" value={w.to} onValue={(v) => set('windows', form.windows.map((x, j) => (j === i ? { ...x, to: v } : x)))} />
              <TextField label="Factor" inputMode="decimal" value={w.factor} onValue={(v) => set('windows', form.windows.map((x, j) => (j === i ? { ...x, factor: v } : x)))} error={errors[`window${i}`]} />
              <button type="button" class="button button-ghost button-small" onClick={() => set('windows', form.windows.filter((_, j) => j !== i))}>
                Remove window {i + 1}
              </button>
            </fieldset>
          ))}
          <button type="button" class="button button-secondary button-small" onClick={() => set('windows', [...form.windows, { from: '', to: '', factor: '2' }])}>
            Add a date window
          </button>
        </fieldset>
        <fieldset class="field-set">
          <legend class="field-set-legend">Caps and budget</legend>
          <div class="field-grid">
            <TextField label="Most per person per day" inputMode="numeric" value={form.capDay} onValue={(v) => set('capDay', v)} error={fieldError('capDay')} />
            <TextField label="Most per person per week" inputMode="numeric" value={form.capWeek} onValue={(v) => set('capWeek', v)} error={fieldError('capWeek')} />
            <TextField label="Most per person per month" inputMode="numeric" value={form.capMonth} onValue={(v) => set('capMonth', v)} error={fieldError('capMonth')} />
          </div>
          <TextField label="Programme budget (points, optional)" inputMode="numeric" value={form.budget} onValue={(v) => set('budget', v)} error={fieldError('budget')} hint="The rule stops awarding when it has spent this much. Leave empty for no budget." />
        </fieldset>
        {built.ok ? (
          <p class="rule-summary">
            <strong>In short:</strong> {describeRule(built.document)}
          </p>
        ) : null}
        <div class="toolbar">
          <SelectField class="field-inline" label="Replay" value={days} onValue={setDays} options={PREVIEW_DAYS} />
          <button type="submit" class="button button-secondary" disabled={action.pending !== null}>
            {action.pending === 'preview' ? 'Previewing…' : 'Preview cost and distribution'}
          </button>
          <button type="button" class="button button-primary" disabled={action.pending !== null || (saved !== null && !dirty)} onClick={() => void save()}>
            {action.pending === 'save' ? 'Saving…' : saved ? 'Save changes' : 'Save as draft'}
          </button>
        </div>
        <ErrorAlert error={saveError && !saveError.hasFieldErrors ? saveError : null} title="The rule was not saved" />
      </form>

      <section class="card" aria-labelledby="rule-preview-heading" aria-live="polite">
        <h2 id="rule-preview-heading">Preview</h2>
        {!preview ? <p class="muted">Run a preview to see what this rule would have awarded over recent events — nothing is written.</p> : null}
        {preview ? (
          <>
            {!previewCurrent ? (
              <Alert kind="warning">
                <p>The rule or the period changed since this preview. Preview again before enabling it.</p>
              </Alert>
            ) : null}
            <p class="muted">
              Events from {formatDateTime(preview.result.window_start)} to {formatDateTime(preview.result.window_end)}.
            </p>
            <Figures label="Preview figures" figures={previewFigures(preview.result)} />
            <h3 class="subheading">Per team</h3>
            {preview.result.by_team.length === 0 ? (
              <p class="muted">No one would have received points.</p>
            ) : (
              <div class="table-scroll" role="region" aria-label="Preview per team" tabIndex={0}>
                <table class="table">
                  <thead>
                    <tr>
                      <th scope="col">Team</th>
                      <th scope="col" class="num">
                        Recipients
                      </th>
                      <th scope="col" class="num">
                        Points
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {preview.result.by_team.map((t) => (
                      <tr key={t.team_id ?? 'none'}>
                        <th scope="row">{teamName(t.team_id)}</th>
                        <td class="num">{formatNumber(t.recipients)}</td>
                        <td class="num">{formatNumber(t.points)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        ) : null}
      </section>

      <section class="card" aria-labelledby="rule-state-heading">
        <h2 id="rule-state-heading">Enable</h2>
        {!saved ? <p class="muted">Save the rule as a draft first.</p> : null}
        {saved && saved.status === 'active' ? (
          <>
            <p>This rule is enabled and awards points for new events.</p>
            <button type="button" class="button button-secondary" disabled={action.pending !== null} onClick={() => void pause()}>
              {action.pending === 'pause' ? 'Pausing…' : 'Pause rule'}
            </button>
          </>
        ) : null}
        {saved && saved.status !== 'active' ? (
          <>
            {dirty ? <p class="muted">Save your changes first.</p> : !previewCurrent ? <p class="muted">Preview the saved rule first, so you know what it will cost.</p> : null}
            {previewCurrent && preview ? <Checkbox label={`Also award the events of the preview period (since ${formatDateTime(preview.result.window_start)})`} checked={replay} onChange={setReplay} /> : null}
            <button type="button" class="button button-primary" disabled={action.pending !== null || dirty || !previewCurrent} onClick={() => void activate()}>
              {action.pending === 'activate' ? 'Enabling…' : 'Enable rule'}
            </button>
          </>
        ) : null}
      </section>

      {saved?.versions?.length ? (
        <section class="card card-flush" aria-labelledby="rule-versions-heading">
          <div class="card-header">
            <h2 id="rule-versions-heading">Versions</h2>
          </div>
          <div class="table-scroll" role="region" aria-label="Rule versions" tabIndex={0}>
            <table class="table">
              <thead>
                <tr>
                  <th scope="col" class="num">
                    Version
                  </th>
                  <th scope="col">What it does</th>
                  <th scope="col">Applies from</th>
                  <th scope="col">Written</th>
                </tr>
              </thead>
              <tbody>
                {saved.versions.map((v) => (
                  <tr key={v.version}>
                    <th scope="row" class="num">
                      {v.version}
                    </th>
                    <td>{describeRule(v.document)}</td>
                    <td>{formatDateTime(v.starts_at)}</td>
                    <td>{formatDateTime(v.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : saved ? null : (
        <EmptyState title="No versions yet">
          <p>Each saved change becomes a version here.</p>
        </EmptyState>
      )}
    </>
  );
}

/** The saved document as the form would rebuild it (so "unchanged" compares like with like). */
function formDocKey(rule: RuleView): string {
  const rebuilt = buildRule(formFromRule(rule));
  return rebuilt.ok ? JSON.stringify(rebuilt.document) : JSON.stringify(rule.document);
}

function toggle<T>(list: readonly T[], item: T, on: boolean): T[] {
  return on ? (list.includes(item) ? [...list] : [...list, item]) : list.filter((x) => x !== item);
}
