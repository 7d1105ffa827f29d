import { describe, expect, it } from 'vitest';
import { formatDay, formatEmv, formatMoney, formatPercent, parseCount } from './format';

describe('formatting', () => {
  it('reads audience sizes with any common digit grouping, and nothing vaguer', () => {
    expect(parseCount('850')).toBe(850);
    expect(parseCount(' 12,400 ')).toBe(12400);
    expect(parseCount('12 400')).toBe(12400);
    expect(parseCount('12.400')).toBe(12400);
    expect(parseCount("1'234'567")).toBe(1234567);
    expect(parseCount('0')).toBe(0);
    expect(parseCount('1.2k')).toBeNull();
    expect(parseCount('12,40')).toBeNull();
    expect(parseCount('-5')).toBeNull();
    expect(parseCount('')).toBeNull();
    expect(parseCount('99999999999999999999')).toBeNull();
  });

  it('shows EMV per currency, and a dash when no rates are set', () => {
    expect(formatEmv({})).toBe('—');
    expect(formatEmv({ EUR: 1619.82 })).toBe(formatMoney(1619.82, 'EUR'));
    expect(formatEmv({ USD: 4, EUR: 10 })).toBe(`${formatMoney(10, 'EUR')} + ${formatMoney(4, 'USD')}`);
    expect(formatMoney(3, 'NOT A CODE')).toMatch(/3 NOT A CODE/);
  });

  it('keeps UTC days on their date whatever the time zone', () => {
    expect(formatDay('2026-11-01')).toMatch(/1/);
    expect(formatDay('2026-11-01')).not.toMatch(/31/);
    expect(formatDay('garbage')).toBe('garbage');
    expect(formatPercent(0.521)).toMatch(/52\.1/);
    expect(formatPercent(Number.NaN)).toMatch(/0/);
  });
});
