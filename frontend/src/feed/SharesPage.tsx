import { useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import type { ShareView } from '../api/types';
import { networkLabel } from '../advocacy/networks';
import { copyText } from '../ui/clipboard';
import { TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert, ErrorState, Loading } from '../ui/feedback';
import { formatDateTime, formatNumber } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { EngagementForm } from './EngagementForm';

/** Where an engagement number came from, in words. */
export function engagementSourceLabel(source: string | null | undefined): string {
  if (!source) return 'not reported yet';
  if (source === 'employee') return 'reported by you';
  if (source.startsWith('integration:')) return `reported by the ${source.slice('integration:'.length)} integration`;
  if (source === 'integration') return 'reported by an integration';
  return `reported by ${source}`;
}

export function SharesPage() {
  const shares = useResource((signal) => api.advocacy.myShares(signal), []);
  // Titles come from the feed (published posts aimed at you); older posts may have left it.
  const feed = useResource((signal) => api.advocacy.feed(signal), []);
  const [updated, setUpdated] = useState<Record<string, ShareView>>({});
  const titleOf = (postId: string) => (feed.status === 'ready' ? feed.data.items.find((p) => p.id === postId)?.title : undefined);

  return (
    <>
      <PageHeader title="My shares" description="Every link you created, newest first. Tell Chorus when you posted, and add the engagement you see." />
      <section aria-labelledby="shares-heading">
        <h2 id="shares-heading" class="visually-hidden">
          Your shares
        </h2>
        {shares.status === 'loading' ? <Loading label="Loading your shares…" /> : null}
        {shares.status === 'error' ? (
          <div class="card">
            <ErrorState error={shares.error} onRetry={shares.reload} title="Your shares could not be loaded" />
          </div>
        ) : null}
        {shares.status === 'ready' && shares.data.items.length === 0 ? (
          <div class="card">
            <EmptyState title="You have not shared anything yet" action={<a href="/feed">Find something to share</a>}>
              <p>Shares you create from the feed appear here with their tracked links.</p>
            </EmptyState>
          </div>
        ) : null}
        {shares.status === 'ready' && shares.data.items.length > 0 ? (
          <ul class="post-list">
            {shares.data.items.map((s) => {
              const share = updated[s.id] ?? s;
              return (
                <li key={share.id}>
                  <ShareCard share={share} title={titleOf(share.post_id)} onUpdated={(next) => setUpdated((cur) => ({ ...cur, [next.id]: next }))} />
                </li>
              );
            })}
          </ul>
        ) : null}
      </section>
    </>
  );
}

function ShareCard({ share, title, onUpdated }: { share: ShareView; title: string | undefined; onUpdated: (s: ShareView) => void }) {
  const [panel, setPanel] = useState<'posted' | 'engagement' | null>(null);
  const [copied, setCopied] = useState<boolean | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const headingId = `share-${share.id}`;
  const label = networkLabel(share.network);
  const published = share.status === 'published';

  return (
    <article class="card share-card" aria-labelledby={headingId}>
      <p class="post-meta">
        {label} · {formatDateTime(share.created_at)} ·{' '}
        <span class={published ? 'status status-active' : 'status status-inactive'}>{published ? 'Posted' : 'Link created, not marked as posted'}</span>
      </p>
      <h3 id={headingId} class="post-title">
        {title ?? 'A post no longer in your feed'}
      </h3>
      {share.text ? <p class="share-text">{share.text}</p> : <p class="muted">No text — just the link.</p>}
      <dl class="details details-compact">
        <div>
          <dt>Tracked link</dt>
          <dd>
            <span class="code">{share.tracked_url}</span>{' '}
            <button
              type="button"
              class="link-button"
              onClick={() => void copyText(share.tracked_url).then(setCopied)}
              aria-label={`Copy the tracked link ${share.tracked_url}`}
            >
              Copy
            </button>
            <span aria-live="polite" class="muted">
              {copied === true ? ' Copied.' : copied === false ? ' Copy it by hand.' : ''}
            </span>
          </dd>
        </div>
        <div>
          <dt>Audience when shared</dt>
          <dd>{formatNumber(share.audience_size)}</dd>
        </div>
        {share.public_url ? (
          <div>
            <dt>Your post</dt>
            <dd>
              <a href={share.public_url} target="_blank" rel="noopener noreferrer">
                View on {label}
                <span class="visually-hidden"> (opens in a new tab)</span>
              </a>
            </dd>
          </div>
        ) : null}
        <div class="details-wide">
          <dt>Engagement</dt>
          <dd>
            {formatNumber(share.impressions)} impressions · {formatNumber(share.reactions)} reactions · {formatNumber(share.comments)} comments ·{' '}
            {formatNumber(share.reshares)} reshares <span class="muted">({engagementSourceLabel(share.engagement_source)})</span>
          </dd>
        </div>
      </dl>
      {saved ? (
        <Alert kind="success">
          <p>{saved}</p>
        </Alert>
      ) : null}
      <div class="button-row">
        {!published ? (
          <button type="button" class="button button-primary button-small" aria-expanded={panel === 'posted'} onClick={() => setPanel(panel === 'posted' ? null : 'posted')}>
            I posted it
          </button>
        ) : null}
        <button
          type="button"
          class="button button-secondary button-small"
          aria-expanded={panel === 'engagement'}
          onClick={() => setPanel(panel === 'engagement' ? null : 'engagement')}
        >
          Report engagement
        </button>
      </div>
      {panel === 'posted' ? (
        <PostedForm
          share={share}
          onSaved={(next) => {
            setPanel(null);
            setSaved('Marked as posted.');
            onUpdated(next);
          }}
        />
      ) : null}
      {panel === 'engagement' ? (
        <EngagementForm
          shareId={share.id}
          initial={share}
          onSaved={(next) => {
            setPanel(null);
            setSaved('Engagement saved.');
            onUpdated(next);
          }}
        />
      ) : null}
    </article>
  );
}

function PostedForm({ share, onSaved }: { share: ShareView; onSaved: (s: ShareView) => void }) {
  const [url, setUrl] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [problem, setProblem] = useState<string | undefined>();

  async function submit(e: Event) {
    e.preventDefault();
    if (pending) return;
    if (!url.trim()) {
      setProblem('Paste the address of your post.');
      return;
    }
    setProblem(undefined);
    setPending(true);
    setError(null);
    try {
      onSaved(await api.advocacy.markPublished(share.id, { public_url: url.trim() }));
    } catch (err) {
      setError(toApiError(err));
      setPending(false);
    }
  }

  return (
    <form class="inline-form form-narrow" onSubmit={submit} noValidate aria-busy={pending}>
      {error && !error.hasFieldErrors ? <ErrorAlert error={error} /> : null}
      <TextField
        label={`Address of your post on ${networkLabel(share.network)}`}
        type="url"
        inputMode="url"
        value={url}
        onValue={setUrl}
        error={problem ?? error?.fieldErrors.public_url}
      />
      <button type="submit" class="button button-primary button-small" disabled={pending}>
        {pending ? 'Saving…' : 'Save'}
      </button>
    </form>
  );
}
