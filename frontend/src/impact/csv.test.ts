import { describe, expect, it, vi } from 'vitest';
import { filenameFromDisposition } from '../api/client';
import { exportFileName, saveFile } from './csv';

describe('CSV download', () => {
  it('names the file after the view, table and window', () => {
    expect(exportFileName({ view: 'teams', table: 'by_network', from: '2026-10-23', to: '2026-11-21' })).toBe(
      'chorus-teams-by_network-2026-10-23-to-2026-11-21.csv',
    );
    expect(exportFileName({ view: 'me', table: 'by_day' })).toBe('chorus-me-by_day.csv');
    expect(exportFileName({ view: 'teams', table: '../../etc' })).toBe('chorus-teams-.._.._etc.csv');
  });

  it('saves the blob through a temporary link and releases it later', () => {
    const clicked: { href: string; download: string }[] = [];
    const appended: unknown[] = [];
    const timers: (() => void)[] = [];
    const anchor = {
      href: '',
      download: '',
      rel: '',
      className: '',
      click() {
        clicked.push({ href: this.href, download: this.download });
      },
      remove: vi.fn(),
    };
    const revoke = vi.fn();
    const deps = {
      document: { createElement: () => anchor, body: { append: (el: unknown) => appended.push(el) } } as unknown as Pick<Document, 'createElement' | 'body'>,
      url: { createObjectURL: () => 'blob:chorus/1', revokeObjectURL: revoke },
      setTimeout: (fn: () => void) => timers.push(fn),
    };
    const name = saveFile({ blob: new Blob(['key,label\n']), filename: 'server.csv' }, 'chorus-me-by_day.csv', deps);
    expect(name).toBe('chorus-me-by_day.csv');
    expect(clicked).toEqual([{ href: 'blob:chorus/1', download: 'chorus-me-by_day.csv' }]);
    expect(appended).toEqual([anchor]);
    expect(anchor.remove).toHaveBeenCalled();
    expect(revoke).not.toHaveBeenCalled(); // not before the browser has read it
    timers.forEach((t) => t());
    expect(revoke).toHaveBeenCalledWith('blob:chorus/1');
    // Without a name of our own, the server's is used.
    expect(saveFile({ blob: new Blob([]), filename: 'chorus-teams-by_day.csv' }, null, deps)).toBe('chorus-teams-by_day.csv');
  });

  it('reads the file name the server suggests, safely', () => {
    expect(filenameFromDisposition('attachment; filename="chorus-teams-by_day.csv"')).toBe('chorus-teams-by_day.csv');
    expect(filenameFromDisposition('attachment; filename=report.csv')).toBe('report.csv');
    expect(filenameFromDisposition("attachment; filename=\"x.csv\"; filename*=UTF-8''r%C3%A9sum%C3%A9.csv")).toBe('résumé.csv');
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(filenameFromDisposition('attachment')).toBeNull();
    expect(filenameFromDisposition(null)).toBeNull();
  });
});
