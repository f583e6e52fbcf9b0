/**
 * Explicit-key random sampling on Philox4x32-10 (Salmon et al., "Parallel random
 * numbers: as easy as 1, 2, 3", SC'11), in the style of JAX's PRNG keys.
 *
 * Every sample is a pure function of (key, counter); there is no generator
 * state. Callers derive keys with `foldIn` / `split` (e.g. one per layer) and
 * put the coordinates of a draw in the counter, so the same seed gives the same
 * numbers whichever worker draws them (DESIGN.md, "Randomness").
 *
 * Counter word 3 (or word 2 for key derivation) carries a domain tag so the
 * samplers never reuse each other's counters under one key:
 *   uniform (i/4, stream, 0, 0)        normal   (i/4, stream, 0, 0x4E)
 *   truncated (i/4, stream, attempt, 0x54)   dropout (j/4, example, epoch, 0xD0)
 *   foldIn (data, 0, 0xF01D, 0)        split    (i, 0, 0x5B17, 0)
 *   per-example uniform (j/4, example, epoch, 0xE1)   per-example normal (j/4, example, epoch, 0xE2)
 */
import { getRandomValues } from 'node:crypto';
import { philox4x32, philox4x32Blocks, type Key } from './philox.js';

export type { Key } from './philox.js';

const TWO_32 = 4294967296;
const TWO_M32 = 1 / TWO_32;
const TWO_M24 = 1 / 16777216;
const TWO_PI = 2 * Math.PI;

const FOLD_TAG = 0xf01d;
const SPLIT_TAG = 0x5b17;
const NORMAL_TAG = 0x4e;
const TRUNC_TAG = 0x54;
const DROPOUT_TAG = 0xd0;
const EXAMPLE_UNIFORM_TAG = 0xe1;
const EXAMPLE_NORMAL_TAG = 0xe2;

/** Blocks per bulk call: 4 KiB of words, reused, so sampling allocates nothing. */
const CHUNK_BLOCKS = 256;
const words = new Uint32Array(CHUNK_BLOCKS * 4);

/**
 * Element i of a fill of `n` reads word i%4 of counter (floor(i/4), stream, 0, tag): this walks
 * the elements a chunk at a time, filling `words` and calling `each(base, m)` for elements
 * [base, base + m) with element base + j in words[j].
 */
function forEachChunk(key: Key, stream: number, tag: number, n: number, each: (base: number, m: number) => void): void {
  for (let base = 0; base < n; base += CHUNK_BLOCKS * 4) {
    const m = Math.min(CHUNK_BLOCKS * 4, n - base);
    philox4x32Blocks(base / 4, stream, 0, tag, key[0], key[1], (m + 3) >>> 2, words);
    each(base, m);
  }
}
const one = new Uint32Array(4);
/** Dropout output by keep bit: [dropped, kept]; kept is set per call. */
const pick = new Float32Array(2);

function fail(name: string, expected: string, received: unknown): never {
  throw new RangeError(`${name} must be ${expected}; received ${String(received)}`);
}

function checkUint32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= TWO_32) fail(name, 'an integer in [0, 2^32)', v);
}

function checkCount(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) fail(name, 'a non-negative safe integer', v);
}

function checkKey(key: Key): void {
  checkUint32('key[0]', key[0]);
  checkUint32('key[1]', key[1]);
}

/** Key from a user seed: low and high 32-bit words of a non-negative safe integer. */
export function keyFromSeed(seed: number): Key {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    fail('seed', `a non-negative safe integer (0 <= seed <= ${Number.MAX_SAFE_INTEGER})`, seed);
  }
  return [seed >>> 0, Math.floor(seed / TWO_32)];
}

/** A fresh, non-reproducible 53-bit seed for callers who gave none (log it to replay). */
export function randomSeed(): number {
  const w = getRandomValues(new Uint32Array(2));
  return (w[0]! & 0x1fffff) * TWO_32 + w[1]!;
}

/** A new key derived from `key` and the integer `data` (JAX fold_in), e.g. a layer id. */
export function foldIn(key: Key, data: number): Key {
  checkKey(key);
  checkUint32('data', data);
  philox4x32(data, 0, FOLD_TAG, 0, key[0], key[1], one);
  return [one[0]!, one[1]!];
}

/** `n` independent keys derived from `key` (JAX split); split(k, m) is a prefix of split(k, n) for m <= n. */
export function split(key: Key, n: number): Key[] {
  checkKey(key);
  if (!Number.isInteger(n) || n < 0 || n > TWO_32) fail('n', 'an integer in [0, 2^32]', n);
  const keys: Key[] = [];
  for (let i = 0; i < n; i++) {
    philox4x32(i, 0, SPLIT_TAG, 0, key[0], key[1], one);
    keys.push([one[0]!, one[1]!]);
  }
  return keys;
}

/** Float32 helpers: the output is float32, so bounds must hold after rounding. */
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
function stepF32(x: number, up: boolean): number {
  if (x === 0) return up ? 1.401298464324817e-45 : -1.401298464324817e-45;
  f32[0] = x;
  i32[0] = i32[0]! + ((x > 0) === up ? 1 : -1);
  return f32[0]!;
}

/**
 * Uniform in [lo, hi) (all lo when lo == hi), element i from word i%4 of counter
 * (floor(i/4), stream, 0, 0).
 * The top 24 bits of the word give u = k * 2^-24, exact in float32 (as in JAX);
 * results are clamped so float32 rounding cannot reach hi.
 */
export function fillUniform(key: Key, out: Float32Array, lo: number, hi: number, stream = 0): void {
  checkKey(key);
  checkUint32('stream', stream);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo <= hi) || !Number.isFinite(hi - lo)) {
    fail('lo, hi', 'finite with lo <= hi', `${lo}, ${hi}`);
  }
  if (lo === hi) {
    // Degenerate range, as TF's float uniform gives for minval == maxval.
    out.fill(lo);
    return;
  }
  const loF = Math.fround(lo) >= lo ? Math.fround(lo) : stepF32(Math.fround(lo), true);
  const hiF = Math.fround(hi) < hi ? Math.fround(hi) : stepF32(Math.fround(hi), false);
  if (loF > hiF) fail('lo, hi', 'to enclose at least one float32', `${lo}, ${hi}`);
  const width = hi - lo;
  forEachChunk(key, stream, 0, out.length, (base, m) => {
    for (let j = 0; j < m; j++) {
      const v = Math.fround(lo + width * ((words[j]! >>> 8) * TWO_M24));
      out[base + j] = v < loF ? loF : v > hiF ? hiF : v;
    }
  });
}

/**
 * Box-Muller on a pair of words: u1 in (0, 1) from the first (never 0, so the
 * log is finite; tails reach about 6.7 sigma), angle from the second. Element
 * parity picks the cosine or sine half, which are independent N(0, 1).
 */
function boxMuller(w1: number, w2: number, sine: boolean): number {
  const r = Math.sqrt(-2 * Math.log((w1 + 0.5) * TWO_M32));
  const t = TWO_PI * w2 * TWO_M32;
  return sine ? r * Math.sin(t) : r * Math.cos(t);
}

function checkMoments(mean: number, stddev: number): void {
  if (!Number.isFinite(mean)) fail('mean', 'finite', mean);
  if (!Number.isFinite(stddev) || stddev < 0) fail('stddev', 'finite and >= 0', stddev);
}

/** Normal(mean, stddev); element i from counter (floor(i/4), stream, 0, 0x4E), pair (i%4)>>1. */
export function fillNormal(key: Key, out: Float32Array, mean: number, stddev: number, stream = 0): void {
  checkKey(key);
  checkUint32('stream', stream);
  checkMoments(mean, stddev);
  forEachChunk(key, stream, NORMAL_TAG, out.length, (base, m) => {
    for (let j = 0; j < m; j++) {
      const p = j & ~1;
      out[base + j] = mean + stddev * boxMuller(words[p]!, words[p + 1]!, (j & 1) === 1);
    }
  });
}

/**
 * Keras/TF TruncatedNormal: N(mean, stddev) with draws beyond 2 stddev
 * re-picked. A counter-based generator re-picks by moving to a fresh counter:
 * attempt a of element i uses (floor(i/4), stream, a, 0x54). Each element's
 * attempts depend only on i, so the result does not depend on chunking.
 */
export function fillTruncatedNormal(
  key: Key, out: Float32Array, mean: number, stddev: number, stream = 0,
): void {
  checkKey(key);
  checkUint32('stream', stream);
  checkMoments(mean, stddev);
  forEachChunk(key, stream, TRUNC_TAG, out.length, (base, m) => {
    for (let j = 0; j < m; j++) {
      const p = j & ~1;
      const sine = (j & 1) === 1;
      let z = boxMuller(words[p]!, words[p + 1]!, sine);
      // P(reject) ~ 4.6%, so 2^32 attempts will not be exhausted in practice.
      for (let a = 1; Math.abs(z) > 2 && a < TWO_32; a++) {
        philox4x32((base + j) >>> 2, stream, a, TRUNC_TAG, key[0], key[1], one);
        const q = (base + j) & 2;
        z = boxMuller(one[q]!, one[q + 1]!, sine);
      }
      out[base + j] = mean + stddev * z;
    }
  });
}

/** The checks every per-example fill makes of its coordinates. */
function checkExampleFill(epoch: number, firstExample: number, rows: number, rowSize: number, out: Float32Array): void {
  checkUint32('epoch', epoch);
  checkCount('firstExample', firstExample);
  checkCount('rows', rows);
  checkCount('rowSize', rowSize);
  if (firstExample + rows > TWO_32) fail('firstExample + rows', '<= 2^32', firstExample + rows);
  if (out.length < rows * rowSize) fail('out.length', `>= rows * rowSize = ${rows * rowSize}`, out.length);
}

/**
 * Walks `rows` examples of `rowSize` values: unit j of row r (global example e = firstExample +
 * r) reads word j%4 of counter (floor(j/4), e, epoch, tag), so every value depends only on
 * (key, epoch, e, j) — never on how examples were split across calls or workers. Calls
 * `each(o, m)` for out[o, o + m) with element o + j in words[j].
 */
function forEachExampleChunk(
  key: Key, epoch: number, firstExample: number, rows: number, rowSize: number, tag: number, each: (o: number, m: number) => void,
): void {
  const blocksPerRow = Math.ceil(rowSize / 4);
  for (let r = 0; r < rows; r++) {
    const e = firstExample + r;
    for (let b = 0; b < blocksPerRow; b += CHUNK_BLOCKS) {
      const nb = Math.min(CHUNK_BLOCKS, blocksPerRow - b);
      philox4x32Blocks(b, e, epoch, tag, key[0], key[1], nb, words);
      const j0 = b * 4;
      each(r * rowSize + j0, Math.min(nb * 4, rowSize - j0));
    }
  }
}

/** Uniform [0, 1) per example (counters as forEachExampleChunk's, tag 0xE1): the noise of a dropout-family layer. */
export function fillExampleUniform(key: Key, epoch: number, firstExample: number, rows: number, rowSize: number, out: Float32Array): void {
  checkKey(key);
  checkExampleFill(epoch, firstExample, rows, rowSize, out);
  forEachExampleChunk(key, epoch, firstExample, rows, rowSize, EXAMPLE_UNIFORM_TAG, (o, m) => {
    for (let j = 0; j < m; j++) out[o + j] = (words[j]! >>> 8) * TWO_M24;
  });
}

/** Standard normal per example (tag 0xE2; Box-Muller on word pairs, as fillNormal). */
export function fillExampleNormal(key: Key, epoch: number, firstExample: number, rows: number, rowSize: number, out: Float32Array): void {
  checkKey(key);
  checkExampleFill(epoch, firstExample, rows, rowSize, out);
  forEachExampleChunk(key, epoch, firstExample, rows, rowSize, EXAMPLE_NORMAL_TAG, (o, m) => {
    for (let j = 0; j < m; j++) {
      const p = j & ~1;
      out[o + j] = boxMuller(words[p]!, words[p + 1]!, (j & 1) === 1);
    }
  });
}

/**
 * Inverted-dropout mask for `rows` examples of `rowSize` units, into
 * out[r*rowSize + j]. Row r is global example e = firstExample + r; unit j
 * reads word j%4 of counter (floor(j/4), e, epoch, 0xD0). The mask of an
 * example therefore depends only on (key, epoch, e, j), never on how examples
 * were chunked across calls or workers. Derive `key` per layer (and per step if
 * an example can be seen twice in an epoch) with `foldIn`.
 *
 * Keep iff word >= T with T = round(rate * 2^32): P(keep) = 1 - T/2^32, within
 * 2^-33 of 1 - rate. Kept units are scaled by 1/(1 - rate), so E[mask] = 1.
 */
export function fillDropoutMask(
  key: Key, epoch: number, firstExample: number, rows: number, rowSize: number,
  rate: number, out: Float32Array,
): void {
  checkKey(key);
  checkExampleFill(epoch, firstExample, rows, rowSize, out);
  if (!(rate >= 0 && rate < 1)) fail('rate', 'in [0, 1)', rate);
  if (rate === 0) {
    out.fill(1, 0, rows * rowSize);
    return;
  }
  const threshold = Math.round(rate * TWO_32);
  pick[1] = 1 / (1 - rate);
  forEachExampleChunk(key, epoch, firstExample, rows, rowSize, DROPOUT_TAG, (o, m) => {
    // Branch-free on purpose: keep/drop is a coin flip, so `w >= t ? s : 0`
    // mispredicts and runs at half speed. (w - t) * 2^-32 + 1 lies in [0, 2)
    // exactly, so truncating gives 1 iff w >= t, and indexes [0, scale].
    for (let j = 0; j < m; j++) out[o + j] = pick[((words[j]! - threshold) * TWO_M32 + 1) | 0]!;
  });
}
