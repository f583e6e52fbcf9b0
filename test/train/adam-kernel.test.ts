import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script, no types
import { assemble, embedding } from '../../scripts/build-kernels.mjs';
import { adamRange } from '../../src/train/kernels/adam.js';

const f = Math.fround;

/** Adam's step written element by element in float32 (every operation rounded), as adam.wat documents it. */
function reference(p: number, m: number, v: number, grads: number[], s: { scale: number; alpha: number; c1: number; c2: number; epsilon: number }): [number, number, number] {
  let g = grads[0];
  for (let k = 1; k < grads.length; k++) g = f(g + grads[k]);
  g = f(g * f(s.scale));
  const mi = f(m + f(f(g - m) * f(s.c1)));
  const vi = f(v + f(f(f(g * g) - v) * f(s.c2)));
  return [f(p - f(f(f(s.alpha) * mi) / f(f(Math.sqrt(vi)) + f(s.epsilon)))), mi, vi];
}

const data = (n: number, seed: number, positive = false) =>
  Float32Array.from({ length: n }, (_, i) => (positive ? Math.abs : (x: number) => x)(Math.sin(i * 12.9898 + seed * 78.233) * 0.7));

describe("Adam's SIMD kernel", () => {
  const scalars = { scale: 1 / 96, alpha: 0.0031, c1: 0.1, c2: 0.001, epsilon: 1e-7 };

  it.each([1, 2, 3])('equals the float32 formulas bitwise with %i gradient arrays, lanes and tail alike', (k) => {
    // More than one chunk (8,192), and a length that is not a multiple of four.
    const n = 20_003;
    const grads = Array.from({ length: k }, (_, r) => data(n, r + 1));
    const from = { params: data(n, 7), m: data(n, 8), v: data(n, 9, true) };
    const to = { params: new Float32Array(n), m: new Float32Array(n), v: new Float32Array(n) };
    adamRange({ from, to, grads }, scalars, 0, n);
    for (let i = 0; i < n; i++) {
      const [p, m, v] = reference(from.params[i], from.m[i], from.v[i], grads.map((g) => g[i]), scalars);
      if (to.params[i] !== p || to.m[i] !== m || to.v[i] !== v) throw new Error(`element ${i}: ${to.params[i]}, ${to.m[i]}, ${to.v[i]} vs ${p}, ${m}, ${v}`);
    }
    // Not vacuous: the step moved every weight it had a gradient for.
    expect(to.params.filter((p, i) => p !== from.params[i]).length).toBeGreaterThan(n * 0.99);
  });

  it('gives the same bits in place and over ranges split anywhere (what workers updating disjoint ranges rely on)', () => {
    const n = 9_001;
    const grads = [data(n, 1), data(n, 2)];
    const whole = { params: data(n, 7), m: data(n, 8), v: data(n, 9, true) };
    const split = { params: whole.params.slice(), m: whole.m.slice(), v: whole.v.slice() };
    adamRange({ from: whole, to: whole, grads }, scalars, 0, n);
    for (const [a, b] of [[0, 3], [3, 4101], [4101, 8193], [8193, n]]) adamRange({ from: split, to: split, grads }, scalars, a, b);
    expect(Buffer.from(split.params.buffer).equals(Buffer.from(whole.params.buffer))).toBe(true);
    expect(Buffer.from(split.v.buffer).equals(Buffer.from(whole.v.buffer))).toBe(true);
  });

  it.each([
    ['NaN in the lanes', 5, Number.NaN], ['Infinity in the tail', 8_194, Number.POSITIVE_INFINITY], ['-Infinity in the second array', 4_000, Number.NEGATIVE_INFINITY],
  ])('reports a non-finite summed gradient: %s', (_, at, value) => {
    const n = 8_195;
    const grads = [data(n, 1), data(n, 2)];
    const own = { params: data(n, 7), m: data(n, 8), v: data(n, 9, true) };
    expect(adamRange({ from: own, to: own, grads }, scalars, 0, n)).toBe(true);
    grads[value === Number.NEGATIVE_INFINITY ? 1 : 0][at] = value;
    expect(adamRange({ from: own, to: own, grads }, scalars, 0, n)).toBe(false);
    // A range without the bad element is finite.
    expect(adamRange({ from: own, to: own, grads }, scalars, at + 1, n)).toBe(true);
  });

  it('embeds the bytes its .wat assembles to (scripts/build-kernels.mjs)', async () => {
    const dir = new URL('../../src/train/kernels/', import.meta.url).pathname;
    const bytes = await assemble(`${dir}adam.wat`);
    expect(readFileSync(`${dir}adam-wasm.ts`, 'utf8')).toBe(embedding('adam', bytes));
  });
});
