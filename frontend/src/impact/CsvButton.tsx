import { useState } from 'preact/hooks';
import { api, toApiError, type DownloadedFile } from '../api/client';
import type { ReachExportQuery } from '../api/types';
import { exportFileName, saveFile } from './csv';

/** Download one dashboard table as CSV, with the same window, team and ranking as on screen. */
export function CsvButton({ query, what }: { query: ReachExportQuery; what: string }) {
  return <DownloadCsvButton load={() => api.reach.exportCsv(query)} name={exportFileName(query)} what={what} />;
}

/**
 * Download a CSV the API answers (through the client: it needs the bearer token). `name` is the
 * file name to save under; null keeps the one the server suggests.
 */
export function DownloadCsvButton({ load, name, what, label = 'Download CSV' }: { load: () => Promise<DownloadedFile>; name: string | null; what: string; label?: string }) {
  const [state, setState] = useState<{ kind: 'idle' } | { kind: 'pending' } | { kind: 'done'; name: string } | { kind: 'error'; message: string }>({
    kind: 'idle',
  });

  async function download() {
    setState({ kind: 'pending' });
    try {
      const file = await load();
      setState({ kind: 'done', name: saveFile(file, name) });
    } catch (err) {
      setState({ kind: 'error', message: toApiError(err).message });
    }
  }

  return (
    <span class="csv">
      <button type="button" class="button button-secondary button-small" onClick={() => void download()} disabled={state.kind === 'pending'}>
        {state.kind === 'pending' ? 'Preparing…' : label}
        <span class="visually-hidden"> of {what}</span>
      </button>
      <span class={state.kind === 'error' ? 'csv-status field-error' : 'csv-status visually-hidden'} role="status">
        {state.kind === 'done' ? `Downloaded ${state.name}` : state.kind === 'error' ? state.message : ''}
      </span>
    </span>
  );
}
