import { describe, expect, it } from 'vitest';
import { myDataFileName } from './mydata';

describe('my data file name', () => {
  it('holds a short id and the UTC day', () => {
    expect(myDataFileName('0196f1c2-aaaa-7bbb-8ccc-123456789abc', new Date('2026-11-21T23:30:00-02:00'))).toBe('chorus-my-data-0196f1c2-2026-11-22.json');
  });
});
