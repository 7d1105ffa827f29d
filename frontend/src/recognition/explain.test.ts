import { describe, expect, it } from 'vitest';
import { explainRows, kindLabel, signedPoints } from './explain';

const rows = (kind: string, explain: unknown) => Object.fromEntries(explainRows(kind, explain).map((r) => [r.label, r.value]));

describe('ledger explanations', () => {
  it('reads a capped per-unit rule award: rule and version, event, arithmetic, cap, result', () => {
    const explain = {
      rule_id: 'r1',
      rule_version: 3,
      rule_name: 'Engagement points',
      event_id: 'e1',
      event_kind: 'engagement_reported',
      mode: 'per_unit',
      units: 16,
      points_per_unit: 2,
      ceiling: 50,
      diminishing: true,
      base: 8,
      campaign_multiplier: 1.5,
      window_multipliers: [2],
      requested: 24,
      cap_day: { cap: 30, used_before: 20, period: 'day:2026-11-21' },
      awarded: 10,
      limited_by: 'cap_day',
    };
    expect(explainRows('rule_award', explain)).toEqual([
      { label: 'Rule', value: 'Engagement points (version 3)' },
      { label: 'Event', value: 'Engagement reported' },
      { label: 'Award', value: '2 points per unit × √16 units (diminishing returns) = 8, at most 50 points' },
      { label: 'Multipliers', value: 'campaign ×1.5, date window ×2' },
      { label: 'Before caps', value: '24 points' },
      { label: 'Cap per day', value: '30 points; 20 already awarded in day 2026-11-21' },
      { label: 'Awarded', value: '10 points (reduced by the daily cap)' },
    ]);
  });

  it('reads a fixed award with a budget and no reduction', () => {
    const r = rows('rule_award', {
      rule_name: 'Published',
      rule_version: 1,
      event_kind: 'share_published',
      mode: 'fixed',
      points_per_unit: 10,
      base: 10,
      campaign_multiplier: 1,
      window_multipliers: [],
      requested: 10,
      budget: { budget: 1000, spent_before: 990 },
      awarded: 10,
      limited_by: null,
    });
    expect(r).toEqual({
      Rule: 'Published (version 1)',
      Event: 'Share published',
      Award: '10 points (fixed)',
      'Rule budget': '1,000 points; 990 spent before',
      Awarded: '10 points',
    });
  });

  it('reads thanks, leaving identifiers out and unknown keys humanised', () => {
    const r = rows('thanks', {
      thanks_id: 't',
      giver_id: 'g',
      period: '2026-11',
      policy_amount: 100,
      available_before: 40,
      value: 'Customer first',
      extra_note: 'x',
      flag: true,
      nothing: null,
      event_payload: { giver_id: 'g', tags: ['Customer first', 'Teamwork'], milestone: 1000 },
    });
    expect(r).toEqual({
      Period: '2026-11',
      'Allowance this period': '100 points',
      'Allowance left before': '40 points',
      'Company value': 'Customer first',
      'Extra note': 'x',
      Flag: 'Yes',
      'Event details': 'Tags: Customer first, Teamwork; Milestone: 1,000',
    });
  });

  it('says which transaction a reversal corrects', () => {
    expect(rows('reversal', { reverses: '0f3c2a1b-aaaa-bbbb-cccc-000000000000', original_kind: 'thanks' })).toEqual({
      'Corrects transaction': '0f3c2a1b',
      'Corrects a': 'Thanks',
    });
  });

  it('gives no rows for a missing or non-object record', () => {
    expect(explainRows('thanks', null)).toEqual([]);
    expect(explainRows('thanks', [1, 2])).toEqual([]);
  });

  it('labels kinds and signs amounts', () => {
    expect(kindLabel('redemption_hold')).toBe('Reward requested (points held)');
    expect(kindLabel('something_new')).toBe('Something new');
    expect(signedPoints(25)).toBe('+25');
    expect(signedPoints(-1200)).toBe('\u22121,200');
    expect(signedPoints(0)).toBe('0');
  });
});
