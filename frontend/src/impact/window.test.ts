import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, isDay, presetWindow, todayUtc, windowFromQuery, windowProblem, windowToQuery, withQuery } from './window';

describe('reporting windows', () => {
  it('takes today in UTC, not in the local time zone', () => {
    expect(todayUtc(new Date('2026-11-21T23:30:00-05:00'))).toBe('2026-11-22');
    expect(todayUtc(new Date('2026-11-21T00:10:00+02:00'))).toBe('2026-11-20');
  });

  it('counts whole days across month, year and leap-day boundaries', () => {
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(daysBetween('2026-10-23', '2026-11-21')).toBe(29);
    expect(daysBetween('2026-11-21', '2026-11-21')).toBe(0);
  });

  it('makes the last N days with today included', () => {
    expect(presetWindow('7d', '2026-11-21')).toEqual({ preset: '7d', from: '2026-11-15', to: '2026-11-21' });
    expect(presetWindow('30d', '2026-11-21')).toEqual({ preset: '30d', from: '2026-10-23', to: '2026-11-21' });
    expect(presetWindow('90d', '2026-11-21').from).toBe('2026-08-24');
  });

  it('accepts only real calendar days', () => {
    expect(isDay('2026-02-28')).toBe(true);
    expect(isDay('2026-02-30')).toBe(false);
    expect(isDay('2026-2-3')).toBe(false);
    expect(isDay('')).toBe(false);
  });

  it('explains what is wrong with a custom window', () => {
    expect(windowProblem('2026-11-01', '2026-11-21')).toBeNull();
    expect(windowProblem('2026-11-21', '2026-11-01')).toMatch(/must not be after/);
    expect(windowProblem('2024-01-01', '2026-11-21')).toMatch(/at most 401 days/);
    expect(windowProblem('', '2026-11-21')).toMatch(/both/);
  });

  it('reads the window from the query string and falls back instead of failing', () => {
    const today = '2026-11-21';
    expect(windowFromQuery({ range: '7d' }, today)).toEqual({ preset: '7d', from: '2026-11-15', to: today });
    expect(windowFromQuery({ from: '2026-09-01', to: '2026-09-30' }, today)).toEqual({ preset: 'custom', from: '2026-09-01', to: '2026-09-30' });
    expect(windowFromQuery({ from: '2026-09-30', to: '2026-09-01' }, today).preset).toBe('30d');
    expect(windowFromQuery({ range: 'forever' }, today).preset).toBe('30d');
    expect(windowFromQuery({}, today)).toEqual({ preset: '30d', from: '2026-10-23', to: today });
  });

  it('writes the window back as query parameters, round-tripping', () => {
    const custom = { preset: 'custom', from: '2026-09-01', to: '2026-09-30' } as const;
    expect(windowToQuery(custom)).toEqual({ from: '2026-09-01', to: '2026-09-30' });
    expect(windowToQuery(presetWindow('90d', '2026-11-21'))).toEqual({ range: '90d' });
    expect(windowFromQuery(windowToQuery(custom), '2026-11-21')).toEqual(custom);
  });

  it('builds URLs without empty parameters, in a stable order', () => {
    expect(withQuery('/team-reach', { rank: 'per_share', range: '7d', team: null, metric: '' })).toBe('/team-reach?range=7d&rank=per_share');
    expect(withQuery('/team-reach', {})).toBe('/team-reach');
  });
});
