import { describe, expect, it } from 'vitest';
import { summarize, timeIt } from '../../bench/stats.js';

describe('summarize', () => {
  it('takes the middle sample of an odd count as the median', () => {
    expect(summarize([5, 1, 9])).toEqual({ median: 5, min: 1, max: 9 });
  });

  it('averages the two middle samples of an even count', () => {
    expect(summarize([4, 1, 3, 10])).toEqual({ median: 3.5, min: 1, max: 10 });
  });

  it('sorts numerically, not as strings, and leaves the input unsorted', () => {
    const samples = [100, 9, 20, 3, 1000];
    expect(summarize(samples)).toEqual({ median: 20, min: 3, max: 1000 });
    expect(samples).toEqual([100, 9, 20, 3, 1000]);
  });

  it('gives a single sample as median, min and max', () => {
    expect(summarize([7.5])).toEqual({ median: 7.5, min: 7.5, max: 7.5 });
  });
});

describe('timeIt', () => {
  it('runs the warm-up untimed, then times exactly `repeats` calls', async () => {
    let calls = 0;
    const s = await timeIt(() => calls++, 5, 3);
    expect(calls).toBe(8);
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.min).toBeLessThanOrEqual(s.median);
    expect(s.median).toBeLessThanOrEqual(s.max);
  });
});
