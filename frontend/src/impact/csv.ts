import type { DownloadedFile } from '../api/client';
import type { ReachExportQuery } from '../api/types';

/** A file name that says what and when: `chorus-teams-by_network-2026-10-23-to-2026-11-21.csv`. */
export function exportFileName(q: ReachExportQuery): string {
  const parts = ['chorus', q.view, q.table];
  if (q.from && q.to) parts.push(`${q.from}-to-${q.to}`);
  return `${parts.join('-').replace(/[^A-Za-z0-9._-]+/g, '_')}.csv`;
}

interface SaveDeps {
  document: Pick<Document, 'createElement' | 'body'>;
  url: Pick<typeof URL, 'createObjectURL' | 'revokeObjectURL'>;
  setTimeout: (fn: () => void, ms: number) => unknown;
}

const browserDeps = (): SaveDeps => ({ document, url: URL, setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms) });

/**
 * Hand a fetched file to the browser as a download. The export needs the bearer token, so it is
 * fetched with it and saved from a Blob rather than opened as a plain link.
 */
export function saveFile(file: DownloadedFile, name: string | null, deps: SaveDeps = browserDeps()): string {
  const filename = name ?? file.filename ?? 'chorus-export.csv';
  const href = deps.url.createObjectURL(file.blob);
  const a = deps.document.createElement('a');
  a.href = href;
  a.download = filename;
  a.rel = 'noopener';
  a.className = 'visually-hidden';
  deps.document.body.append(a);
  a.click();
  a.remove();
  // Give the browser time to start reading the blob before it is released.
  deps.setTimeout(() => deps.url.revokeObjectURL(href), 30_000);
  return filename;
}
