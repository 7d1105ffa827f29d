import { describe, expect, it } from 'vitest';
import type { PreviewResult } from '../api/types';
import { buildRule, describeRule, emptyRuleForm, formFromRule, parseWhole, previewFigures, type RuleForm } from './rule';

const form = (patch: Partial<RuleForm>): RuleForm => ({ ...emptyRuleForm(), name: 'Shares', ...patch });

describe('rule editor form', () => {
  it('builds the smallest document for a fixed award', () => {
    expect(buildRule(form({ points: '10' }))).toEqual({ ok: true, name: 'Shares', budget: null, document: { trigger: 'share_published', award: { mode: 'fixed', points: 10 } } });
  });

  it('builds conditions, per-unit award with ceiling, multipliers, caps and budget', () => {
    const built = buildRule(
      form({
        trigger: 'engagement_reported',
        mode: 'per_unit',
        points: '2',
        ceiling: '50',
        diminishing: true,
        networks: ['linkedin'],
        teamIds: ['t1'],
        tags: ' #hiring, culture, hiring ',
        minUnits: '3',
        campaignMultiplier: true,
        windows: [{ from: '2026-12-01', to: '2026-12-07', factor: '1,5' }],
        capWeek: '100',
        budget: '5 000',
      }),
    );
    expect(built).toEqual({
      ok: true,
      name: 'Shares',
      budget: 5000,
      document: {
        trigger: 'engagement_reported',
        award: { mode: 'per_unit', points: 2, diminishing: true, ceiling: 50 },
        conditions: { networks: ['linkedin'], team_ids: ['t1'], tags: ['hiring', 'culture'], min_units: 3 },
        multipliers: { campaign: true, windows: [{ from: '2026-12-01T00:00:00.000Z', to: '2026-12-08T00:00:00.000Z', factor: 1.5 }] },
        caps: { week: 100 },
      },
    });
  });

  it('requires a milestone for the "reached N" triggers and keeps it only there', () => {
    expect(buildRule(form({ trigger: 'human_clicks_reached' }))).toEqual({ ok: false, errors: { threshold: expect.any(String) } });
    const ok = buildRule(form({ trigger: 'human_clicks_reached', threshold: '100' }));
    expect(ok.ok && ok.document.threshold).toBe(100);
    const ignored = buildRule(form({ trigger: 'share_published', threshold: '100' }));
    expect(ignored.ok && 'threshold' in ignored.document).toBe(false);
  });

  it('reports every invalid field at once', () => {
    const built = buildRule(form({ name: ' ', points: '-1', capDay: '0', budget: 'lots', windows: [{ from: '2026-12-07', to: '2026-12-01', factor: '2' }] }));
    expect(built.ok).toBe(false);
    expect(!built.ok && Object.keys(built.errors).sort()).toEqual(['budget', 'capDay', 'name', 'points', 'window0']);
  });

  it('round-trips a stored rule through the form', () => {
    const built = buildRule(form({ mode: 'per_unit', points: '3', ceiling: '9', networks: ['x'], capMonth: '40', budget: '900', windows: [{ from: '2026-01-01', to: '2026-01-31', factor: '2' }] }));
    if (!built.ok) throw new Error('invalid');
    const again = buildRule(formFromRule({ name: built.name, budget: built.budget, document: built.document }));
    expect(again).toEqual(built);
  });

  it('parses whole numbers with digit grouping and refuses anything else', () => {
    expect(parseWhole('1,000')).toBe(1000);
    expect(parseWhole('')).toBeUndefined();
    expect(parseWhole('1.5')).toBeNull();
    expect(parseWhole('0', 1)).toBeNull();
  });

  it('describes a rule in one sentence', () => {
    expect(describeRule({ trigger: 'human_clicks_reached', threshold: 1000, award: { mode: 'fixed', points: 25 }, caps: { week: 100 } })).toBe(
      'A share reaches 1,000 human clicks: 25 points; at most 100 a week per person.',
    );
  });
});

describe('preview figures', () => {
  const result: PreviewResult = {
    budget: 1000,
    budget_exhausted: false,
    budget_remaining: 400,
    by_team: [],
    events_replayed: 50,
    limited_awards: 2,
    matching_events: 30,
    max: 90,
    p50: 10,
    p90: 40,
    p99: 80,
    recipients: 12,
    top10_share: 0.85,
    total_points: 600,
    window_end: '2026-11-21T00:00:00Z',
    window_start: '2026-10-22T00:00:00Z',
  };
  it('shows total, recipients, percentiles, top-10 share and budget use', () => {
    const f = Object.fromEntries(previewFigures(result).map((x) => [x.id, [x.value, x.detail]]));
    expect(f.total).toEqual(['600 points', '30 of 50 events matched']);
    expect(f.p50?.[0]).toBe('10');
    expect(f.p99?.[0]).toBe('80');
    expect(f.top10?.[0]).toBe('85%');
    expect(f.budget).toEqual(['400 of 1,000', '60% used']);
  });
  it('has no budget figure without a budget, and says when it would run out', () => {
    expect(previewFigures({ ...result, budget: null }).some((x) => x.id === 'budget')).toBe(false);
    expect(previewFigures({ ...result, budget_exhausted: true }).find((x) => x.id === 'budget')?.detail).toBe('The budget would run out.');
  });
});
