import { useState } from 'preact/hooks';
import { api, toApiError, type ApiError } from '../api/client';
import type { Me } from '../api/types';
import { TextAreaField, TextField } from '../ui/Field';
import { Alert, EmptyState, ErrorAlert, ErrorState, Loading } from '../ui/feedback';
import { formatDateTime } from '../ui/format';
import { PageHeader } from '../ui/PageHeader';
import { useResource } from '../ui/useResource';
import { suggestionStatusLabel } from './SuggestionsPage';

/** Any employee may suggest a post for the feed; editors review it. */
export function SuggestPage({ me }: { me: Me }) {
  const suggestions = useResource((signal) => api.content.listSuggestions(signal), []);
  const [title, setTitle] = useState('');
  const [url, setUrl] = useState('');
  const [summary, setSummary] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [problems, setProblems] = useState<Record<string, string | undefined>>({});
  const [sent, setSent] = useState<string | null>(null);
  // Editors get everyone's suggestions from the API; this page lists only the caller's own.
  const mine = suggestions.status === 'ready' ? suggestions.data.items.filter((s) => s.suggested_by === me.id) : [];

  async function submit(e: Event) {
    e.preventDefault();
    if (pending) return;
    const found = {
      title: title.trim() ? undefined : 'Give it a short title.',
      url: url.trim() ? undefined : 'Paste the address of the page.',
    };
    setProblems(found);
    if (found.title || found.url) return;
    setPending(true);
    setError(null);
    setSent(null);
    try {
      await api.content.suggest({ title: title.trim(), url: url.trim(), summary: summary.trim() });
      setSent(title.trim());
      setTitle('');
      setUrl('');
      setSummary('');
      suggestions.reload();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setPending(false);
    }
  }

  const fieldError = (name: string) => problems[name] ?? error?.fieldErrors[name];
  return (
    <>
      <PageHeader title="Suggest a post" description="Seen something colleagues would be glad to share? Suggest it; an editor reviews it." />
      <section class="card" aria-labelledby="suggest-heading">
        <h2 id="suggest-heading">Your suggestion</h2>
        <form class="form-narrow" onSubmit={submit} noValidate aria-busy={pending}>
          {sent ? (
            <Alert kind="success">
              <p>Thank you — “{sent}” is waiting for an editor.</p>
            </Alert>
          ) : null}
          <ErrorAlert error={error && !error.hasFieldErrors ? error : null} />
          <TextField label="Title" value={title} onValue={setTitle} error={fieldError('title')} maxLength={200} />
          <TextField label="Link" type="url" inputMode="url" value={url} onValue={setUrl} error={fieldError('url')} hint="The full address, starting with https://" />
          <TextAreaField label="Why share it? (optional)" value={summary} onValue={setSummary} error={fieldError('summary')} rows={3} />
          <button type="submit" class="button button-primary" disabled={pending}>
            {pending ? 'Sending…' : 'Suggest it'}
          </button>
        </form>
      </section>
      <section class="card" aria-labelledby="my-suggestions-heading">
        <h2 id="my-suggestions-heading">Your earlier suggestions</h2>
        {suggestions.status === 'loading' ? <Loading label="Loading your suggestions…" /> : null}
        {suggestions.status === 'error' ? <ErrorState error={suggestions.error} onRetry={suggestions.reload} title="Your suggestions could not be loaded" /> : null}
        {suggestions.status === 'ready' && mine.length === 0 ? (
          <EmptyState title="None yet">
            <p>Suggestions you send appear here with what the editors decided.</p>
          </EmptyState>
        ) : null}
        {mine.length ? (
          <ul class="plain-list">
            {mine.map((s) => (
              <li key={s.id}>
                <strong>{s.title}</strong> <span class="muted">· {formatDateTime(s.created_at)}</span>
                <br />
                <span class={s.status === 'approved' ? 'status status-active' : 'status status-inactive'}>{suggestionStatusLabel(s.status)}</span>
                {s.review_note ? <span> — “{s.review_note}”</span> : null}
              </li>
            ))}
          </ul>
        ) : null}
      </section>
    </>
  );
}
