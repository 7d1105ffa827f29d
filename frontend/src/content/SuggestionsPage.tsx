import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, toApiError, type ApiError } from '../api/client';
import type { SuggestionView } from '../api/types';
import { hostOf } from '../feed/SharePreview';
import { withQuery } from '../impact/window';
import { TextAreaField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert, ErrorState, Loading } from '../ui/feedback';
import { formatDateTime } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';

export function suggestionStatusLabel(status: string): string {
  return status === 'pending' ? 'Waiting for review' : status === 'approved' ? 'Approved' : status === 'rejected' ? 'Not taken up' : status;
}

/** Editors' queue of posts colleagues suggested: approve (creates a draft) or reject, with a note. */
export function SuggestionsPage() {
  const { query } = useLocation();
  const showReviewed = query.show === 'reviewed';
  const suggestions = useResource((signal) => api.content.listSuggestions(signal), []);
  const [reviewed, setReviewed] = useState<Record<string, SuggestionView>>({});
  const items = suggestions.status === 'ready' ? suggestions.data.items.map((s) => reviewed[s.id] ?? s) : [];
  const pending = items.filter((s) => s.status === 'pending');
  const done = items.filter((s) => s.status !== 'pending');
  // Cards reviewed on this visit stay where they are, showing the outcome (and the draft's link).
  const shown = showReviewed ? done : items.filter((s) => s.status === 'pending' || reviewed[s.id]);

  return (
    <>
      <PageHeader title="Suggestions" description="Posts colleagues think are worth sharing. Approving one creates a draft post for you to finish." />
      <nav class="tabs" aria-label="Suggestions by state">
        <a class="tab" href="/content/suggestions" aria-current={!showReviewed ? 'page' : undefined}>
          To review{suggestions.status === 'ready' ? ` (${pending.length})` : ''}
        </a>
        <a class="tab" href={withQuery('/content/suggestions', { show: 'reviewed' })} aria-current={showReviewed ? 'page' : undefined}>
          Reviewed
        </a>
      </nav>
      {suggestions.status === 'loading' ? <Loading label="Loading suggestions…" /> : null}
      {suggestions.status === 'error' ? (
        <section class="card">
          <ErrorState error={suggestions.error} onRetry={suggestions.reload} title="Suggestions could not be loaded" />
        </section>
      ) : null}
      {suggestions.status === 'ready' && shown.length === 0 ? (
        <section class="card">
          <EmptyState title={showReviewed ? 'Nothing reviewed yet' : 'Nothing to review'}>
            <p>{showReviewed ? 'Suggestions you approve or reject are listed here.' : 'New suggestions from colleagues appear here.'}</p>
          </EmptyState>
        </section>
      ) : null}
      {shown.length > 0 ? (
        <ul class="post-list" aria-label={showReviewed ? 'Reviewed suggestions' : 'Suggestions to review'}>
          {shown.map((s) => (
            <li key={s.id}>
              <SuggestionCard suggestion={s} onReviewed={(next) => setReviewed((cur) => ({ ...cur, [next.id]: next }))} />
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

function SuggestionCard({ suggestion: s, onReviewed }: { suggestion: SuggestionView; onReviewed: (s: SuggestionView) => void }) {
  const [note, setNote] = useState('');
  const [pending, setPending] = useState<'approve' | 'reject' | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const headingId = `suggestion-${s.id}`;

  async function review(kind: 'approve' | 'reject') {
    setPending(kind);
    setError(null);
    try {
      onReviewed(kind === 'approve' ? await api.content.approveSuggestion(s.id, note.trim()) : await api.content.rejectSuggestion(s.id, note.trim()));
    } catch (err) {
      setError(toApiError(err));
      setPending(null);
    }
  }

  return (
    <article class="card" aria-labelledby={headingId}>
      <p class="post-meta">
        Suggested {formatDateTime(s.created_at)} · {suggestionStatusLabel(s.status)}
        {s.reviewed_at ? ` ${formatDateTime(s.reviewed_at)}` : ''}
      </p>
      <h2 id={headingId} class="post-title">
        {s.title}
      </h2>
      {s.summary ? <p>{s.summary}</p> : null}
      <p>
        <a href={s.url} target="_blank" rel="noopener noreferrer">
          {hostOf(s.url)}
          <span class="visually-hidden"> — open the suggested page (new tab)</span>
        </a>
      </p>
      {s.review_note ? (
        <p class="review-note">
          <strong>Note:</strong> {s.review_note}
        </p>
      ) : null}
      {s.status === 'approved' && s.post_id ? (
        <Alert kind="success">
          <p>
            Approved. <a href={`/content/posts/${s.post_id}`}>Finish the draft post</a>.
          </p>
        </Alert>
      ) : null}
      {s.status === 'pending' ? (
        <div class="review-form">
          <ErrorAlert error={error} />
          <TextAreaField
            label="Note for your colleague (optional)"
            value={note}
            onValue={setNote}
            rows={2}
            maxLength={1000}
            error={error?.fieldErrors.note}
          />
          <div class="button-row">
            <button type="button" class="button button-primary button-small" disabled={pending !== null} onClick={() => void review('approve')}>
              {pending === 'approve' ? 'Approving…' : 'Approve as draft'}
            </button>
            <button type="button" class="button button-secondary button-small" disabled={pending !== null} onClick={() => void review('reject')}>
              {pending === 'reject' ? 'Rejecting…' : 'Reject'}
            </button>
          </div>
        </div>
      ) : null}
    </article>
  );
}
