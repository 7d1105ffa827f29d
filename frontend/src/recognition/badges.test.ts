import { describe, expect, it } from 'vitest';
import { criterionLabel, progressRatio, progressText } from './badges';

describe('badge progress', () => {
  it('says how far along a badge is, in the criterion’s units, never past the target', () => {
    expect(progressText('shares', 3, 5)).toBe('3 of 5 shares');
    expect(progressText('shares', 0, 1)).toBe('0 of 1 share');
    expect(progressText('weekly_streak', 6, 4)).toBe('4 of 4 weeks in a row');
    expect(progressText('human_clicks', 1250, 1000)).toBe('1,000 of 1,000 human clicks');
    expect(progressText('something_new', 1, 2)).toBe('1 of 2 units');
  });

  it('gives a ratio between 0 and 1', () => {
    expect(progressRatio(3, 4)).toBe(0.75);
    expect(progressRatio(9, 4)).toBe(1);
    expect(progressRatio(-1, 4)).toBe(0);
    expect(progressRatio(1, 0)).toBe(0);
  });

  it('names criteria, falling back to the id', () => {
    expect(criterionLabel('thanks_given')).toBe('Thanks given');
    expect(criterionLabel('x')).toBe('x');
  });
});
