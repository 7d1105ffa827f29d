import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { BadgeView } from '../api/types';
import { Checkbox, SelectField, TextAreaField, TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert } from '../ui/feedback';
import { formatDateTime, formatNumber } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { CRITERIA, criterionLabel, progressText } from './badges';
import { ResourceState, StatusBadge, useAction } from './parts';
import { parseWhole } from './rule';

/** Administrators: badge definitions — what each counts and at which number it is earned. */
export function BadgesAdminPage() {
  const [archived, setArchived] = useState(false);
  const badges = useResource((signal) => api.recognitionAdmin.badges(archived, signal), [archived]);
  const [editing, setEditing] = useState<BadgeView | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const action = useAction();
  return (
    <>
      <PageHeader title="Badge definitions" description="Badges mark milestones people reach: shares, weeks in a row with a share, human clicks, thanks, linked networks. The badges job awards them; every change is audited." />
      {message ? (
        <Alert kind="success">
          <p>{message}</p>
        </Alert>
      ) : null}
      <section class="card" aria-labelledby="badge-form-heading">
        <h2 id="badge-form-heading">{editing ? `Change “${editing.name}”` : 'Add a badge'}</h2>
        <BadgeEditor
          key={editing?.id ?? 'new'}
          editing={editing}
          onCancel={() => setEditing(null)}
          onSaved={(b) => {
            setMessage(editing ? `${b.name} saved (version ${b.version}).` : `${b.name} added.`);
            setEditing(null);
            badges.reload();
          }}
        />
      </section>
      <section class="card card-flush" aria-labelledby="badge-list-heading">
        <div class="card-header">
          <h2 id="badge-list-heading">Badge definitions</h2>
          <Checkbox label="Show archived badges" checked={archived} onChange={setArchived} />
        </div>
        <ErrorAlert error={action.error} title="The badge was not archived" />
        <ResourceState resource={badges} loading="Loading badges…" error="Badges could not be loaded" />
        {badges.status === 'ready' && badges.data.items.length === 0 ? (
          <EmptyState title="No badges yet">
            <p>Add a first badge above, e.g. “First share” (shares, 1).</p>
          </EmptyState>
        ) : null}
        {badges.status === 'ready' && badges.data.items.length ? (
          <div class="table-scroll" role="region" aria-label="Badges table" tabIndex={0}>
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Badge</th>
                  <th scope="col">Earned at</th>
                  <th scope="col" class="num">
                    Holders
                  </th>
                  <th scope="col">State</th>
                  <th scope="col">Changed</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {badges.data.items.map((b) => (
                  <tr key={b.id}>
                    <th scope="row">
                      {b.name}
                      {b.description ? <span class="cell-detail">{b.description}</span> : null}
                    </th>
                    <td>{progressText(b.criterion, b.threshold, b.threshold)}</td>
                    <td class="num">{formatNumber(b.holders)}</td>
                    <td>
                      <StatusBadge status={b.status === 'archived' ? 'retired' : 'active'} label={b.status === 'archived' ? 'Archived' : 'Active'} />
                      <span class="cell-detail">Version {b.version}</span>
                    </td>
                    <td>{formatDateTime(b.updated_at)}</td>
                    <td>
                      {b.status !== 'archived' ? (
                        <div class="button-row">
                          <button type="button" class="button button-secondary button-small" onClick={() => setEditing(b)}>
                            Change<span class="visually-hidden"> {b.name}</span>
                          </button>
                          <button
                            type="button"
                            class="button button-secondary button-small"
                            disabled={action.pending !== null}
                            onClick={() =>
                              void action.run(b.id, () => api.recognitionAdmin.archiveBadge(b.id)).then((ok) => {
                                if (ok) {
                                  setMessage(`${b.name} archived. People who earned it keep it.`);
                                  badges.reload();
                                }
                              })
                            }
                          >
                            Archive<span class="visually-hidden"> {b.name}</span>
                          </button>
                        </div>
                      ) : null}
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

function BadgeEditor({ editing, onSaved, onCancel }: { editing: BadgeView | null; onSaved: (b: BadgeView) => void; onCancel: () => void }) {
  const [name, setName] = useState(editing?.name ?? '');
  const [description, setDescription] = useState(editing?.description ?? '');
  const [criterion, setCriterion] = useState<string>(editing?.criterion ?? 'shares');
  const [threshold, setThreshold] = useState(editing ? String(editing.threshold) : '1');
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});
  const action = useAction();

  async function submit(e: Event) {
    e.preventDefault();
    const t = parseWhole(threshold, 1);
    const found = {
      name: name.trim() ? undefined : 'Name the badge.',
      threshold: typeof t === 'number' ? undefined : 'Enter a whole number of 1 or more.',
    };
    setProblems(found);
    if (Object.values(found).some(Boolean) || typeof t !== 'number') return;
    const body = { name: name.trim(), description: description.trim(), criterion: criterion as BadgeView['criterion'], threshold: t };
    await action.run('save', async () => onSaved(editing ? await api.recognitionAdmin.updateBadge(editing.id, body) : await api.recognitionAdmin.addBadge(body)));
  }
  const fieldError = (k: string) => problems[k] ?? action.error?.fieldErrors[k];
  return (
    <form class="form-grid" onSubmit={submit} noValidate aria-busy={action.pending !== null}>
      <ErrorAlert error={action.error && !action.error.hasFieldErrors ? action.error : null} title="The badge was not saved" />
      <TextField label="Badge name" value={name} onValue={setName} error={fieldError('name')} maxLength={100} />
      <TextAreaField label="Description" value={description} onValue={setDescription} rows={2} maxLength={500} />
      <SelectField label="Counts" value={criterion} onValue={setCriterion} options={CRITERIA.map((c) => ({ value: c.id, label: c.label }))} error={fieldError('criterion')} />
      <TextField label="Earned at" inputMode="numeric" value={threshold} onValue={setThreshold} error={fieldError('threshold')} hint={`${criterionLabel(criterion)}: the count at which the badge is earned (1 for a “first …” badge).`} />
      <div class="form-grid-action button-row">
        <button type="submit" class="button button-primary" disabled={action.pending !== null}>
          {action.pending ? 'Saving…' : editing ? 'Save badge' : 'Add badge'}
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
