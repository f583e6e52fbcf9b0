import { describe, expect, it } from 'vitest';
import { philox4x32 } from '../../src/parallel/philox.js';
import {
  fillDropoutMask, fillNormal, fillTruncatedNormal, fillUniform, foldIn, keyFromSeed,
  randomSeed, split, type Key,
} from '../../src/parallel/random.js';

const KEY = keyFromSeed(20240611);
const N = 1_000_000;

function moments(a: Float32Array): { mean: number; variance: number } {
  let s = 0;
  for (const v of a) s += v;
  const mean = s / a.length;
  let q = 0;
  for (const v of a) q += (v - mean) ** 2;
  return { mean, variance: q / a.length };
}

function mask(key: Key, epoch: number, first: number, rows: number, rowSize: number, rate: number): Float32Array {
  const out = new Float32Array(rows * rowSize);
  fillDropoutMask(key, epoch, first, rows, rowSize, rate, out);
  return out;
}

describe('keys', () => {
  it('keyFromSeed splits a safe integer into low and high words', () => {
    expect(keyFromSeed(0)).toEqual([0, 0]);
    expect(keyFromSeed(2 ** 32 + 5)).toEqual([5, 1]);
    expect(keyFromSeed(Number.MAX_SAFE_INTEGER)).toEqual([0xffffffff, 0x1fffff]);
  });

  it.each([-1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY])('keyFromSeed(%s) throws a RangeError naming seed', (bad) => {
    expect(() => keyFromSeed(bad)).toThrow(RangeError);
    expect(() => keyFromSeed(bad)).toThrow(
      `seed must be a non-negative safe integer (0 <= seed <= 9007199254740991); received ${String(bad)}`);
  });

  it('randomSeed gives fresh non-negative safe integers', () => {
    const a = randomSeed();
    const b = randomSeed();
    expect(Number.isSafeInteger(a) && a >= 0).toBe(true);
    expect(Number.isSafeInteger(b) && b >= 0).toBe(true);
    expect(a).not.toBe(b);
  });

  it('foldIn is the first two words of Philox at (data, 0, 0xF01D, 0)', () => {
    const w = new Uint32Array(4);
    philox4x32(7, 0, 0xf01d, 0, KEY[0], KEY[1], w);
    expect(foldIn(KEY, 7)).toEqual([w[0], w[1]]);
    expect(foldIn(KEY, 7)).toEqual(foldIn(KEY, 7));
  });

  it('foldIn and split give distinct keys', () => {
    const folded = Array.from({ length: 100 }, (_, i) => foldIn(KEY, i).join());
    const splitted = split(KEY, 100).map((k) => k.join());
    expect(new Set([...folded, ...splitted, KEY.join()]).size).toBe(201);
    expect(foldIn(keyFromSeed(1), 0)).not.toEqual(foldIn(keyFromSeed(2), 0));
  });

  it('split is deterministic, prefix-stable, and rejects bad counts', () => {
    expect(split(KEY, 0)).toEqual([]);
    expect(split(KEY, 3)).toEqual(split(KEY, 5).slice(0, 3));
    expect(() => split(KEY, -1)).toThrow(RangeError);
    expect(() => foldIn(KEY, 1.5)).toThrow(/data must be an integer/);
    expect(() => foldIn([1, -2], 0)).toThrow(/key\[1\]/);
  });
});

describe('fillUniform', () => {
  it('is deterministic and depends on key and stream', () => {
    const a = new Float32Array(1000), b = new Float32Array(1000), c = new Float32Array(1000);
    fillUniform(KEY, a, 0, 1);
    fillUniform(KEY, b, 0, 1);
    expect(b).toEqual(a);
    fillUniform(KEY, c, 0, 1, 1);
    expect(c).not.toEqual(a);
    fillUniform(foldIn(KEY, 1), c, 0, 1);
    expect(c).not.toEqual(a);
  });

  it('element i does not depend on the array length', () => {
    const long = new Float32Array(3001), short = new Float32Array(1001);
    fillUniform(KEY, long, -2, 3);
    fillUniform(KEY, short, -2, 3);
    expect(long.subarray(0, 1001)).toEqual(short);
  });

  it('uses the 24 high bits of word i%4 of counter (i/4, stream, 0, 0)', () => {
    const out = new Float32Array(8);
    fillUniform(KEY, out, 0, 1, 5);
    const w = new Uint32Array(4);
    philox4x32(1, 5, 0, 0, KEY[0], KEY[1], w);
    expect(Array.from(out.subarray(4))).toEqual(Array.from(w, (x) => (x >>> 8) / 2 ** 24));
  });

  it('has the moments of U[lo, hi) and stays in range', () => {
    const out = new Float32Array(N);
    fillUniform(KEY, out, -1, 3);
    const { mean, variance } = moments(out);
    // 16/12 is the variance; 5 standard errors of the mean and of the variance.
    expect(Math.abs(mean - 1)).toBeLessThan(5 * Math.sqrt(16 / 12 / N));
    expect(Math.abs(variance - 16 / 12)).toBeLessThan(5 * Math.sqrt((256 / 80 - (16 / 12) ** 2) / N));
    expect(out.every((v) => v >= -1 && v < 3)).toBe(true);
  });

  it('never returns hi after float32 rounding; lo == hi gives lo; rejects lo > hi', () => {
    const out = new Float32Array(100000);
    fillUniform(KEY, out, 1, 1 + 1e-7);
    expect(out.every((v) => v >= 1 && v < 1 + 1e-7)).toBe(true);
    expect(() => fillUniform(KEY, out, 2, 1)).toThrow(/lo, hi must be finite with lo <= hi; received 2, 1/);
    fillUniform(KEY, out, 0.5, 0.5);
    expect(out.every((v) => v === 0.5)).toBe(true);
    expect(() => fillUniform(KEY, out, 0, 1, -1)).toThrow(/stream/);
  });
});

describe('fillNormal', () => {
  it('has mean and variance of N(mean, stddev^2)', () => {
    const out = new Float32Array(N);
    fillNormal(KEY, out, 2, 3);
    const { mean, variance } = moments(out);
    expect(Math.abs(mean - 2)).toBeLessThan(5 * 3 / Math.sqrt(N));
    expect(Math.abs(variance - 9)).toBeLessThan(5 * 9 * Math.sqrt(2 / N));
    let within = 0;
    for (const v of out) if (Math.abs(v - 2) < 3) within++;
    expect(Math.abs(within / N - 0.682689)).toBeLessThan(5 * Math.sqrt(0.2166 / N));
  });

  it('is deterministic, prefix-stable, and handles odd lengths', () => {
    const a = new Float32Array(1027), b = new Float32Array(7), c = new Float32Array(7);
    fillNormal(KEY, a, 0, 1);
    fillNormal(KEY, b, 0, 1);
    expect(b).toEqual(a.subarray(0, 7));
    fillNormal(KEY, c, 0, 1, 1);
    expect(c).not.toEqual(b);
    expect(a.every(Number.isFinite)).toBe(true);
  });
});

describe('fillTruncatedNormal', () => {
  it('never goes beyond 2 stddev and has the truncated moments', () => {
    const out = new Float32Array(N);
    fillTruncatedNormal(KEY, out, 0, 0.05);
    const bound = 2 * 0.05 * (1 + 1e-6); // float32 rounding of mean + stddev * z
    expect(out.every((v) => Math.abs(v) <= bound)).toBe(true);
    const { mean, variance } = moments(out);
    // Var of N(0,1) truncated to [-2, 2]: 1 - 4 phi(2) / (Phi(2) - Phi(-2)) = 0.773741.
    expect(Math.abs(mean)).toBeLessThan(5 * 0.05 * Math.sqrt(0.7737 / N));
    expect(Math.abs(variance / 0.0025 - 0.773741)).toBeLessThan(0.005);
  });

  it('is deterministic and prefix-stable', () => {
    const a = new Float32Array(5000), b = new Float32Array(1234);
    fillTruncatedNormal(KEY, a, 1, 2);
    fillTruncatedNormal(KEY, b, 1, 2);
    expect(b).toEqual(a.subarray(0, 1234));
    expect(() => fillTruncatedNormal(KEY, b, 0, -1)).toThrow(/stddev/);
  });
});

describe('fillDropoutMask', () => {
  it('does not depend on how examples are chunked into calls', () => {
    for (const rowSize of [16, 10, 1030]) {
      const whole = mask(KEY, 3, 100, 8, rowSize, 0.3);
      const parts = new Float32Array(8 * rowSize);
      fillDropoutMask(KEY, 3, 100, 3, rowSize, 0.3, parts.subarray(0, 3 * rowSize));
      fillDropoutMask(KEY, 3, 103, 5, rowSize, 0.3, parts.subarray(3 * rowSize));
      expect(parts).toEqual(whole);
      // Row r alone, as a worker holding only that example would draw it.
      expect(mask(KEY, 3, 105, 1, rowSize, 0.3)).toEqual(whole.subarray(5 * rowSize, 6 * rowSize));
    }
  });

  it('is deterministic and differs across keys, examples and epochs', () => {
    const a = mask(KEY, 0, 0, 4, 64, 0.5);
    expect(mask(KEY, 0, 0, 4, 64, 0.5)).toEqual(a);
    expect(mask(foldIn(KEY, 1), 0, 0, 4, 64, 0.5)).not.toEqual(a);
    expect(mask(KEY, 1, 0, 4, 64, 0.5)).not.toEqual(a);
    expect(mask(KEY, 0, 4, 4, 64, 0.5)).not.toEqual(a);
    expect(a.subarray(0, 64)).not.toEqual(a.subarray(64, 128));
  });

  it('keeps word j%4 of counter (j/4, example, epoch, 0xD0) iff it is >= round(rate 2^32)', () => {
    const out = mask(KEY, 9, 77, 1, 8, 0.5);
    const w = new Uint32Array(4);
    philox4x32(1, 77, 9, 0xd0, KEY[0], KEY[1], w);
    expect(Array.from(out.subarray(4))).toEqual(Array.from(w, (x) => (x >= 2 ** 31 ? 2 : 0)));
  });

  it.each([0.1, 0.5, 0.9])('rate %s: keep fraction 1-rate, kept value 1/(1-rate), mean 1', (rate) => {
    const out = mask(KEY, 2, 1000, 1000, 1000, rate);
    const n = out.length;
    const kept = Math.fround(1 / (1 - rate));
    let keep = 0, sum = 0;
    for (const v of out) {
      if (v !== 0 && v !== kept) throw new Error(`unexpected mask value ${v}`);
      if (v !== 0) keep++;
      sum += v;
    }
    expect(Math.abs(keep / n - (1 - rate))).toBeLessThan(5 * Math.sqrt(rate * (1 - rate) / n));
    expect(Math.abs(sum / n - 1)).toBeLessThan(5 * Math.sqrt(rate / (1 - rate) / n) + 1e-6);
  });

  it('rate 0 is the identity mask', () => {
    const out = new Float32Array(10).fill(5);
    fillDropoutMask(KEY, 0, 0, 2, 4, 0, out);
    expect(Array.from(out)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 5, 5]);
  });

  it('validates its arguments', () => {
    const out = new Float32Array(16);
    expect(() => fillDropoutMask(KEY, 0, 0, 4, 4, 1, out)).toThrow(/rate must be in \[0, 1\); received 1/);
    expect(() => fillDropoutMask(KEY, 0, 0, 4, 4, Number.NaN, out)).toThrow(RangeError);
    expect(() => fillDropoutMask(KEY, 0, 0, 5, 4, 0.5, out)).toThrow(/out.length/);
    expect(() => fillDropoutMask(KEY, -1, 0, 4, 4, 0.5, out)).toThrow(/epoch/);
    expect(() => fillDropoutMask(KEY, 0, 2 ** 32 - 2, 4, 4, 0.5, out)).toThrow(/firstExample \+ rows/);
  });
});
