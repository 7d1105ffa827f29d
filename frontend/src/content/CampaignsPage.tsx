import { useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import type { CampaignInput, CampaignView, Team } from '../api/types';
import { TextAreaField, TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert, ErrorState, Loading, useFocusWhen } from '../ui/feedback';
import { formatDateTime, formatNumber, parseCount } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { fromLocalInput, toLocalInput } from './datetime';
import { TeamTargets } from './TeamTargets';

interface CampaignForm {
  name: string;
  description: string;
  starts_at: string;
  ends_at: string;
  goal: string;
  multiplier: string;
  target_team_ids: string[];
}

function formFrom(c: CampaignView | null): CampaignForm {
  return {
    name: c?.name ?? '',
    description: c?.description ?? '',
    starts_at: toLocalInput(c?.starts_at ?? new Date().toISOString()),
    ends_at: toLocalInput(c?.ends_at),
    goal: c?.goal_human_clicks != null ? String(c.goal_human_clicks) : '',
    multiplier: c ? String(c.points_multiplier) : '1',
    target_team_ids: c?.target_team_ids ?? [],
  };
}

/** Validate the form and build the API body; problems by field name when it cannot be sent. */
export function campaignInput(form: CampaignForm, archived?: boolean): { input: CampaignInput } | { problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  if (!form.name.trim()) problems.name = 'Give the campaign a name.';
  const starts = fromLocalInput(form.starts_at);
  if (!starts) problems.starts_at = 'Choose when the campaign starts.';
  const ends = form.ends_at.trim() ? fromLocalInput(form.ends_at) : null;
  if (form.ends_at.trim() && !ends) problems.ends_at = 'Enter a valid date and time.';
  if (starts && ends && Date.parse(ends) <= Date.parse(starts)) problems.ends_at = 'The campaign must end after it starts.';
  const goal = form.goal.trim() ? parseCount(form.goal) : null;
  if (form.goal.trim() && goal === null) problems.goal_human_clicks = 'Enter a whole number of human clicks.';
  const multiplier = Number(form.multiplier.replace(',', '.'));
  if (!form.multiplier.trim() || !Number.isFinite(multiplier) || multiplier <= 0) problems.points_multiplier = 'Enter a number above 0, e.g. 1.5.';
  if (Object.keys(problems).length || !starts) return { problems };
  return {
    input: {
      name: form.name.trim(),
      description: form.description.trim(),
      starts_at: starts,
      ends_at: ends,
      goal_human_clicks: goal,
      points_multiplier: multiplier,
      target_team_ids: form.target_team_ids,
      ...(archived === undefined ? {} : { archived }),
    },
  };
}

/** Campaigns group posts under a goal and dates; their slug becomes `utm_campaign`. */
export function CampaignsPage() {
  const campaigns = useResource((signal) => api.content.listCampaigns(signal), []);
  const teams = useResource((signal) => api.admin.listTeams(signal), []);
  const [editing, setEditing] = useState<CampaignView | 'new' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const teamList = teams.status === 'ready' ? teams.data.items : null;
  const teamName = (id: string) => teamList?.find((t) => t.id === id)?.name ?? 'a team';

  return (
    <>
      <PageHeader
        title="Campaigns"
        description="Group posts under a goal and a period. Dashboards report each campaign separately."
        actions={
          <button type="button" class="button button-primary" onClick={() => setEditing('new')} aria-expanded={editing === 'new'}>
            New campaign
          </button>
        }
      />
      {message ? (
        <Alert kind="success">
          <p>{message}</p>
        </Alert>
      ) : null}
      {editing ? (
        <CampaignEditor
          key={editing === 'new' ? 'new' : editing.id}
          campaign={editing === 'new' ? null : editing}
          teams={teamList}
          onCancel={() => setEditing(null)}
          onSaved={(c, verb) => {
            setEditing(null);
            setMessage(`Campaign “${c.name}” ${verb}.`);
            campaigns.reload();
          }}
        />
      ) : null}
      <section class="card card-flush" aria-labelledby="campaigns-heading">
        <h2 id="campaigns-heading" class="visually-hidden">
          All campaigns
        </h2>
        {campaigns.status === 'loading' ? <Loading label="Loading campaigns…" /> : null}
        {campaigns.status === 'error' ? <ErrorState error={campaigns.error} onRetry={campaigns.reload} title="Campaigns could not be loaded" /> : null}
        {campaigns.status === 'ready' && campaigns.data.items.length === 0 ? (
          <EmptyState title="No campaigns yet">
            <p>Campaigns are optional. Create one to report a group of posts against a goal.</p>
          </EmptyState>
        ) : null}
        {campaigns.status === 'ready' && campaigns.data.items.length > 0 ? (
          <div class="table-scroll" role="region" aria-label="Campaigns table" tabIndex={0}>
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Period</th>
                  <th scope="col" class="num">
                    Goal (human clicks)
                  </th>
                  <th scope="col" class="num">
                    Points multiplier
                  </th>
                  <th scope="col">For</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {campaigns.data.items.map((c) => (
                  <tr key={c.id} class={c.archived ? 'row-other' : undefined}>
                    <th scope="row" class="wrap">
                      {c.name}
                      {c.archived ? <span class="badge badge-muted">Archived</span> : null}
                      <span class="cell-detail">utm_campaign={c.slug}</span>
                    </th>
                    <td>
                      {formatDateTime(c.starts_at)} – {c.ends_at ? formatDateTime(c.ends_at) : 'open-ended'}
                    </td>
                    <td class="num">{c.goal_human_clicks != null ? formatNumber(c.goal_human_clicks) : '—'}</td>
                    <td class="num">×{c.points_multiplier}</td>
                    <td class="wrap">{c.target_team_ids.length ? c.target_team_ids.map(teamName).join(', ') : 'Everyone'}</td>
                    <td>
                      <button type="button" class="button button-secondary button-small" onClick={() => setEditing(c)} aria-label={`Edit ${c.name}`}>
                        Edit
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

function CampaignEditor({
  campaign,
  teams,
  onCancel,
  onSaved,
}: {
  campaign: CampaignView | null;
  teams: Team[] | null;
  onCancel: () => void;
  onSaved: (c: CampaignView, verb: string) => void;
}) {
  const [form, setForm] = useState(() => formFrom(campaign));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const headingRef = useFocusWhen<HTMLHeadingElement>(true);
  const set = <K extends keyof CampaignForm>(key: K, value: CampaignForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  async function save(archived?: boolean) {
    if (pending) return;
    const built = campaignInput(form, archived);
    if ('problems' in built) {
      setProblems(built.problems);
      return;
    }
    setProblems({});
    setPending(true);
    setError(null);
    try {
      const saved = campaign ? await api.content.updateCampaign(campaign.id, built.input) : await api.content.createCampaign(built.input);
      onSaved(saved, archived === true ? 'archived' : archived === false ? 'restored' : campaign ? 'saved' : 'created');
    } catch (err) {
      setError(toApiError(err));
      setPending(false);
    }
  }

  const fieldError = (name: string) => problems[name] ?? error?.fieldErrors[name];
  return (
    <section class="card" aria-labelledby="campaign-editor-heading">
      <h2 id="campaign-editor-heading" ref={headingRef} tabIndex={-1}>
        {campaign ? `Edit “${campaign.name}”` : 'New campaign'}
      </h2>
      <form
        class="form-narrow"
        noValidate
        aria-busy={pending}
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <ErrorAlert error={error && !error.hasFieldErrors ? error : null} />
        <TextField label="Name" value={form.name} onValue={(v) => set('name', v)} error={fieldError('name')} maxLength={120} />
        <TextAreaField label="Description" value={form.description} onValue={(v) => set('description', v)} error={fieldError('description')} rows={3} />
        <TextField label="Starts" type="datetime-local" value={form.starts_at} onValue={(v) => set('starts_at', v)} error={fieldError('starts_at')} />
        <TextField label="Ends (optional)" type="datetime-local" value={form.ends_at} onValue={(v) => set('ends_at', v)} error={fieldError('ends_at')} />
        <TextField label="Goal in human clicks (optional)" inputMode="numeric" value={form.goal} onValue={(v) => set('goal', v)} error={fieldError('goal_human_clicks')} />
        <TextField
          label="Points multiplier"
          inputMode="decimal"
          value={form.multiplier}
          onValue={(v) => set('multiplier', v)}
          error={fieldError('points_multiplier')}
          hint="Reward rules may multiply points for shares in this campaign (1 = no change)."
        />
        <TeamTargets legend="Who it is for" teams={teams} selected={form.target_team_ids} onChange={(ids) => set('target_team_ids', ids)} error={fieldError('target_team_ids')} />
        <div class="button-row">
          <button type="submit" class="button button-primary" disabled={pending}>
            {pending ? 'Saving…' : campaign ? 'Save campaign' : 'Create campaign'}
          </button>
          {campaign ? (
            <button type="button" class="button button-secondary" disabled={pending} onClick={() => void save(!campaign.archived)}>
              {campaign.archived ? 'Restore' : 'Archive'}
            </button>
          ) : null}
          <button type="button" class="button button-secondary" disabled={pending} onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
