import { describe, expect, it } from 'vitest';
import { areaPath, labelIndices, linePath, linearScale, nearestIndex, niceStep, niceTicks } from './chart';

describe('chart arithmetic', () => {
  it('maps a domain onto a range, inverted for SVG y axes', () => {
    const y = linearScale([0, 100], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(50)).toBe(100);
    expect(y(100)).toBe(0);
    expect(linearScale([5, 5], [0, 10])(5)).toBe(5); // a flat domain sits in the middle
  });

  it('picks steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(100, 4)).toBe(50);
    expect(niceStep(639, 4)).toBe(200);
    expect(niceStep(7, 4)).toBe(2);
    expect(niceStep(0.3, 3)).toBeCloseTo(0.1);
    expect(niceStep(0, 4)).toBe(1);
  });

  it('makes integer ticks from zero that cover the maximum', () => {
    expect(niceTicks(53)).toEqual([0, 20, 40, 60]);
    expect(niceTicks(639)).toEqual([0, 200, 400, 600, 800]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    expect(niceTicks(1)).toEqual([0, 1]);
    expect(niceTicks(0)).toEqual([0, 1]); // an all-zero series still has an axis
    expect(niceTicks(Number.NaN)).toEqual([0, 1]);
    expect(niceTicks(40)).toEqual([0, 10, 20, 30, 40]);
  });

  it('spreads axis labels evenly, always labelling both ends without crowding the last', () => {
    expect(labelIndices(5, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(labelIndices(30, 13)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 29]);
    expect(labelIndices(31, 7)).toEqual([0, 5, 10, 15, 20, 25, 30]);
    expect(labelIndices(0, 5)).toEqual([]);
    expect(labelIndices(1, 5)).toEqual([0]);
    const many = labelIndices(90, 8);
    expect(many[0]).toBe(0);
    expect(many.at(-1)).toBe(89);
    expect(many.length).toBeLessThanOrEqual(8);
  });

  it('writes line and area paths, rounded to a tenth of a pixel', () => {
    const points = [
      { x: 0, y: 10 },
      { x: 10.04, y: 5.55 },
      { x: 20, y: 0 },
    ];
    expect(linePath(points)).toBe('M0,10 L10,5.6 L20,0');
    expect(areaPath(points, 10)).toBe('M0,10 L10,5.6 L20,0 L20,10 L0,10 Z');
    expect(areaPath([], 10)).toBe('');
  });

  it('finds the point nearest to the pointer', () => {
    const points = [0, 10, 20, 30].map((x) => ({ x, y: 0 }));
    expect(nearestIndex(points, 14)).toBe(1);
    expect(nearestIndex(points, 16)).toBe(2);
    expect(nearestIndex(points, -50)).toBe(0);
    expect(nearestIndex(points, 500)).toBe(3);
  });
});
