import { useEffect, useId, useState } from 'preact/hooks';
import { isAbortError, toApiError, type ApiError } from '../api/client';
import type { Me } from '../api/types';
import { ErrorAlert } from '../ui/feedback';
import { matchPeople, type Person } from './people';

/** Milliseconds of quiet typing before the directory is asked. */
export const SEARCH_DELAY_MS = 250;

/** The `index`-th result button of the picker that holds `from` (negative counts from the end). */
function optionAt(from: Element, index: number): HTMLButtonElement | undefined {
  const options = [...(from.closest('.person-picker')?.querySelectorAll<HTMLButtonElement>('.person-option') ?? [])];
  return options.at(index);
}

/** Arrow keys move between results; Up from the first goes back to the search box. */
function moveFocus(e: KeyboardEvent) {
  if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
  const current = e.target as HTMLElement;
  const picker = current.closest('.person-picker');
  if (!picker) return;
  const options = [...picker.querySelectorAll<HTMLButtonElement>('.person-option')];
  const i = options.indexOf(current as HTMLButtonElement);
  e.preventDefault();
  if (e.key === 'ArrowDown') options[Math.min(i + 1, options.length - 1)]?.focus();
  else if (i <= 0) picker.querySelector<HTMLInputElement>('input')?.focus();
  else options[i - 1]?.focus();
}

/**
 * Pick a colleague by typing part of their name. With `search`, the input (debounced) is sent
 * to it, e.g. the colleague directory; otherwise the search runs over `people`.
 */
export function PersonPicker({
  label,
  value,
  onChange,
  people = null,
  search,
  hint,
  error,
}: {
  me: Me;
  label: string;
  value: Person | null;
  onChange: (person: Person | null) => void;
  /** Candidates matched locally when there is no `search`; `null` while they load. */
  people?: readonly Person[] | null;
  /** Asks a server for the people matching the text. */
  search?: (q: string, signal: AbortSignal) => Promise<Person[]>;
  hint?: string;
  error?: string | undefined;
}) {
  const id = useId();
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Person[]>([]);
  const [searchError, setSearchError] = useState<ApiError | null>(null);
  const remote = search !== undefined;

  useEffect(() => {
    setSearchError(null);
    if (!q.trim()) {
      setFound([]);
      return;
    }
    if (!search) {
      setFound(matchPeople(people ?? [], q));
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      search(q.trim(), controller.signal).then(
        (result) => setFound(result),
        (err: unknown) => {
          if (!isAbortError(err)) setSearchError(toApiError(err));
        },
      );
    }, SEARCH_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [q, search, people]);

  if (value) {
    return (
      <div class="field">
        <span class="field-label" id={`${id}-label`}>
          {label}
        </span>
        <p class="picked-person" aria-labelledby={`${id}-label`}>
          <strong>{value.name}</strong>
          {value.detail ? <span class="muted"> · {value.detail}</span> : null}{' '}
          <button
            type="button"
            class="button button-secondary button-small"
            onClick={() => {
              onChange(null);
              setQ('');
            }}
          >
            Change<span class="visually-hidden"> {label.toLowerCase()}</span>
          </button>
        </p>
      </div>
    );
  }

  const hintText = hint ?? (remote ? 'Type part of a name or email address, then pick from the list (arrow keys move through it).' : 'Type part of a name, then pick from the list.');
  const describedBy = [`${id}-hint`, error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class="field person-picker">
      <label for={id}>{label}</label>
      <p id={`${id}-hint`} class="field-hint">
        {hintText}
      </p>
      <input
        id={id}
        type="search"
        autoComplete="off"
        value={q}
        onInput={(e) => setQ(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && found.length) {
            e.preventDefault();
            optionAt(e.currentTarget, 0)?.focus();
          }
        }}
        aria-describedby={describedBy}
        aria-invalid={error ? 'true' : undefined}
        aria-controls={`${id}-results`}
      />
      {error ? (
        <p id={`${id}-error`} class="field-error">
          {error}
        </p>
      ) : null}
      <ErrorAlert error={searchError} title="Search failed" />
      <div id={`${id}-results`}>
        {q.trim() ? (
          <p class="visually-hidden" role="status">
            {found.length === 0 ? 'No one found' : `${found.length} found`}
          </p>
        ) : null}
        {q.trim() && found.length === 0 && (remote || people !== null) ? <p class="muted">No one found for “{q.trim()}”.</p> : null}
        {found.length ? (
          <ul class="person-results" aria-label={`People matching “${q.trim()}”`} onKeyDown={moveFocus}>
            {found.map((p) => (
              <li key={p.id}>
                <button type="button" class="person-option" onClick={() => onChange(p)}>
                  <span class="person-name">{p.name}</span>
                  {p.detail ? <span class="muted"> {p.detail}</span> : null}
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}
