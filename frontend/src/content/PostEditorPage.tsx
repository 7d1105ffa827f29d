import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, toApiError, type ApiError } from '../api/client';
import type { CampaignView, Me, Network, PostView, Team } from '../api/types';
import { NETWORKS, networkLabel } from '../advocacy/networks';
import { SharePreview } from '../feed/SharePreview';
import { SelectField, TextAreaField, TextField } from '../ui/Field';
import { Alert, ErrorAlert, ErrorState, Loading, useFocusWhen } from '../ui/feedback';
import { formatDateTime } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { formFromPost, statusLabel, toPostInput, toPostPatch, validatePostForm, type PostForm, type PostIntent } from './posts';
import { TeamTargets } from './TeamTargets';

const DONE_MESSAGES: Record<string, string> = {
  created: 'Draft saved.',
  saved: 'Changes saved.',
  scheduled: 'Scheduled. The post goes live at the time you chose.',
  published: 'Published. It is now in the feed of the people it targets.',
  archived: 'Archived. It has left the feed, and its tracked links no longer redirect.',
  draft: 'Moved back to drafts.',
};

/** Create (`/content/new`) or edit (`/content/posts/:id`) a post. */
export function PostEditorPage({ me, params }: { me: Me; params?: Record<string, string> }) {
  const id = params?.id;
  const { query } = useLocation();
  const post = useResource((signal) => (id ? api.content.getPost(id, signal) : Promise.resolve(null)), [id]);
  const campaigns = useResource((signal) => api.content.listCampaigns(signal), []);
  const teams = useResource((signal) => api.admin.listTeams(signal), []);
  // The answer to the last save of this post, newer than what was loaded.
  const [saved, setSaved] = useState<{ post: PostView; done: string; version: number } | null>(null);

  if (post.status === 'loading') return <Loading label="Loading the post…" />;
  if (post.status === 'error') {
    return (
      <>
        <PageHeader title="Edit post" />
        <section class="card">
          <ErrorState error={post.error} onRetry={post.reload} title="This post could not be loaded" />
        </section>
      </>
    );
  }
  const current = saved && saved.post.id === post.data?.id ? saved : null;
  return (
    <Editor
      key={`${post.data?.id ?? 'new'}-${current?.version ?? 0}`}
      me={me}
      post={current?.post ?? post.data}
      done={current ? DONE_MESSAGES[current.done] : query.done ? DONE_MESSAGES[query.done] : undefined}
      onSaved={(p, done) => setSaved((prev) => ({ post: p, done, version: (prev?.version ?? 0) + 1 }))}
      campaigns={campaigns.status === 'ready' ? campaigns.data.items : []}
      teams={teams.status === 'ready' ? teams.data.items : null}
    />
  );
}

function Editor({
  me,
  post,
  done,
  onSaved,
  campaigns,
  teams,
}: {
  me: Me;
  post: PostView | null;
  done: string | undefined;
  onSaved: (post: PostView, done: string) => void;
  campaigns: CampaignView[];
  teams: Team[] | null;
}) {
  const { route } = useLocation();
  const [form, setForm] = useState<PostForm>(() => formFromPost(post));
  const [pending, setPending] = useState<PostIntent | 'archive' | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [confirmArchive, setConfirmArchive] = useState(false);
  const [previewNetwork, setPreviewNetwork] = useState<Network>('linkedin');
  const doneRef = useFocusWhen<HTMLDivElement>(Boolean(done));
  const status = post?.status ?? 'new';
  const readOnly = status === 'archived';
  const set = <K extends keyof PostForm>(key: K, value: PostForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    // A message about a field goes once the field is changed; the next save checks again.
    if (problems[key]) setProblems(({ [key]: _, ...rest }) => rest);
  };

  async function run(intent: PostIntent) {
    if (pending) return;
    const found = validatePostForm(form, intent);
    setProblems(found);
    setError(null);
    if (Object.keys(found).length) {
      document.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    setPending(intent);
    try {
      let saved: PostView;
      if (!post) {
        saved = await api.content.createPost(toPostInput(form, intent === 'save' ? 'draft' : intent));
      } else {
        saved = await api.content.updatePost(post.id, toPostPatch(form, intent));
        if (intent === 'publish') saved = await api.content.publishPost(post.id);
      }
      const outcome = intent === 'publish' ? 'published' : intent === 'schedule' ? 'scheduled' : !post ? 'created' : intent === 'draft' ? 'draft' : 'saved';
      if (post) onSaved(saved, outcome);
      else route(`/content/posts/${saved.id}?done=${outcome}`, true);
    } catch (err) {
      setError(toApiError(err));
      setPending(null);
    }
  }

  async function archive() {
    if (!post || pending) return;
    setPending('archive');
    setError(null);
    try {
      onSaved(await api.content.archivePost(post.id), 'archived');
    } catch (err) {
      setError(toApiError(err));
      setPending(null);
    }
  }

  const fieldError = (name: string) => problems[name] ?? error?.fieldErrors[name];
  const previewText = form.texts[previewNetwork]?.trim() || form.texts.linkedin?.trim() || '';
  const busy = pending !== null;

  return (
    <>
      <PageHeader
        title={post ? `Edit: ${post.title}` : 'New post'}
        description={
          post ? (
            <>
              <span class={`status status-${post.status}`}>{statusLabel(post.status)}</span>
              {post.published_at ? ` · published ${formatDateTime(post.published_at)}` : ''}
              {post.status === 'scheduled' && post.publish_at ? ` · goes live ${formatDateTime(post.publish_at)}` : ''}
            </>
          ) : (
            'Write it once; colleagues share it in their own words.'
          )
        }
        actions={
          <a class="button button-secondary" href="/content">
            All posts
          </a>
        }
      />
      {done ? (
        <div ref={doneRef} tabIndex={-1}>
          <Alert kind="success">
            <p>{done}</p>
          </Alert>
        </div>
      ) : null}
      {readOnly ? (
        <Alert kind="info">
          <p>Archived posts cannot be edited. Its numbers stay in the dashboards.</p>
        </Alert>
      ) : null}
      <div class="editor-layout">
        <form class="card editor-form" onSubmit={(e) => (e.preventDefault(), void run('save'))} noValidate aria-busy={busy} aria-label="Post">
          <ErrorAlert error={error && !error.hasFieldErrors ? error : null} />
          {error?.hasFieldErrors ? (
            <Alert kind="error">
              <p>Some fields need attention; see the messages below.</p>
            </Alert>
          ) : null}
          <fieldset class="field-set" disabled={readOnly}>
            <legend class="field-set-legend">The post</legend>
            <TextField label="Title" value={form.title} onValue={(v) => set('title', v)} error={fieldError('title')} maxLength={200} />
            <TextField
              label="Link to share"
              type="url"
              inputMode="url"
              value={form.url}
              onValue={(v) => set('url', v)}
              error={fieldError('url')}
              hint="The page people land on. Chorus adds its own tracked link in front of it."
            />
            <TextAreaField label="Summary" value={form.summary} onValue={(v) => set('summary', v)} error={fieldError('summary')} rows={3} maxLength={2000} />
            <TextField label="Image address (optional)" type="url" inputMode="url" value={form.image_url} onValue={(v) => set('image_url', v)} error={fieldError('image_url')} />
            <TextField label="Tags" value={form.tags} onValue={(v) => set('tags', v)} error={fieldError('tags')} hint="Separate with commas, e.g. hiring, careers" />
            <SelectField
              label="Campaign"
              value={form.campaign_id}
              onValue={(v) => set('campaign_id', v)}
              error={fieldError('campaign_id')}
              options={[
                { value: '', label: 'No campaign' },
                ...campaigns.filter((c) => !c.archived || c.id === form.campaign_id).map((c) => ({ value: c.id, label: c.name })),
              ]}
            />
            <TeamTargets legend="Who sees it" teams={teams} selected={form.target_team_ids} onChange={(ids) => set('target_team_ids', ids)} error={fieldError('target_team_ids')} />
          </fieldset>
          <fieldset class="field-set" disabled={readOnly}>
            <legend class="field-set-legend">Suggested text per network</legend>
            <p class="field-hint">Networks without their own text use the LinkedIn text. People can change it before they share.</p>
            {NETWORKS.map((n) => {
              const text = form.texts[n.id] ?? '';
              return (
                <details key={n.id} class="disclosure network-text" open={n.id === 'linkedin' || Boolean(text)}>
                  <summary>
                    {n.label}
                    <span class="muted"> — {text.trim() ? `${[...text.trim()].length} characters` : n.id === 'linkedin' ? 'no text yet' : 'uses the LinkedIn text'}</span>
                  </summary>
                  <TextAreaField
                    label={`Suggested text for ${n.label}`}
                    value={text}
                    onValue={(v) => set('texts', { ...form.texts, [n.id]: v })}
                    error={fieldError(`suggested_texts.${n.id}`)}
                    rows={3}
                    maxLength={3000}
                  />
                </details>
              );
            })}
          </fieldset>
          <fieldset class="field-set" disabled={readOnly}>
            <legend class="field-set-legend">Timing</legend>
            <TextField
              label="Goes live at (for scheduling)"
              type="datetime-local"
              value={form.publish_at}
              onValue={(v) => set('publish_at', v)}
              error={fieldError('publish_at')}
              hint={`Your local time (${Intl.DateTimeFormat().resolvedOptions().timeZone}).`}
            />
            <TextField
              label="Expires at (optional)"
              type="datetime-local"
              value={form.expires_at}
              onValue={(v) => set('expires_at', v)}
              error={fieldError('expires_at')}
              hint="After this the post leaves the feed and its links stop redirecting."
            />
          </fieldset>
          {!readOnly ? (
            <div class="button-row editor-actions">
              {status === 'new' ? (
                <>
                  <button type="button" class="button button-primary" disabled={busy} onClick={() => void run('publish')}>
                    {pending === 'publish' ? 'Publishing…' : 'Publish now'}
                  </button>
                  <button type="button" class="button button-secondary" disabled={busy} onClick={() => void run('schedule')}>
                    {pending === 'schedule' ? 'Scheduling…' : 'Schedule'}
                  </button>
                  <button type="submit" class="button button-secondary" disabled={busy}>
                    {pending === 'save' ? 'Saving…' : 'Save as draft'}
                  </button>
                </>
              ) : (
                <>
                  <button type="submit" class="button button-primary" disabled={busy}>
                    {pending === 'save' ? 'Saving…' : 'Save changes'}
                  </button>
                  {status === 'draft' || status === 'scheduled' ? (
                    <button type="button" class="button button-secondary" disabled={busy} onClick={() => void run('publish')}>
                      {pending === 'publish' ? 'Publishing…' : 'Publish now'}
                    </button>
                  ) : null}
                  {status === 'draft' ? (
                    <button type="button" class="button button-secondary" disabled={busy} onClick={() => void run('schedule')}>
                      {pending === 'schedule' ? 'Scheduling…' : 'Schedule'}
                    </button>
                  ) : null}
                  {status === 'scheduled' ? (
                    <button type="button" class="button button-secondary" disabled={busy} onClick={() => void run('draft')}>
                      Back to draft
                    </button>
                  ) : null}
                  <button type="button" class="button button-secondary" disabled={busy} onClick={() => setConfirmArchive(true)}>
                    Archive
                  </button>
                </>
              )}
            </div>
          ) : null}
          {confirmArchive && post ? (
            <div class="confirm" role="group" aria-labelledby="archive-confirm">
              <p id="archive-confirm">
                <strong>Archive this post?</strong> It leaves everyone's feed and its tracked links stop redirecting. This cannot be undone.
              </p>
              <div class="button-row">
                <button type="button" class="button button-danger" disabled={busy} onClick={() => void archive()}>
                  {pending === 'archive' ? 'Archiving…' : 'Yes, archive'}
                </button>
                <button type="button" class="button button-secondary" disabled={busy} onClick={() => setConfirmArchive(false)}>
                  Cancel
                </button>
              </div>
            </div>
          ) : null}
        </form>
        <aside class="card editor-preview" aria-labelledby="preview-heading">
          <h2 id="preview-heading">Preview</h2>
          <SelectField
            label="Network"
            value={previewNetwork}
            onValue={(v) => setPreviewNetwork(v as Network)}
            options={NETWORKS.map((n) => ({ value: n.id, label: n.label }))}
          />
          <SharePreview
            network={previewNetwork}
            text={previewText}
            link={`${location.origin}/r/a1B2c3D4`}
            author={me.display_name}
            post={{ title: form.title, url: form.url || 'https://example.com', summary: form.summary, image_url: form.image_url.trim() || null }}
          />
          <p class="field-hint">Each person's share gets its own tracked link like the one above. {networkLabel(previewNetwork)} draws the card from the linked page itself.</p>
        </aside>
      </div>
    </>
  );
}
