import { describe, expect, it } from 'vitest';
import type { EmvSetting } from '../api/types';
import { currentRates } from './EmvPage';

const rate = (id: string, network: EmvSetting['network'], effective_from: string): EmvSetting => ({ id, network, effective_from, cpc: 1, cpm: 10, currency: 'EUR' });

describe('EMV rates', () => {
  it('takes, per network, the latest version already in force', () => {
    const now = new Date('2026-11-21T12:00:00Z');
    const current = currentRates(
      [
        rate('a', 'linkedin', '2026-01-01T00:00:00Z'),
        rate('b', 'linkedin', '2026-10-01T00:00:00Z'),
        rate('c', 'linkedin', '2026-12-01T00:00:00Z'), // not yet
        rate('d', 'x', '2026-05-01T00:00:00Z'),
      ],
      now,
    );
    expect(current.get('linkedin')?.id).toBe('b');
    expect(current.get('x')?.id).toBe('d');
    expect(current.has('facebook')).toBe(false);
  });
});
