import { afterEach, describe, expect, it, vi } from 'vitest';
import * as weft from '../../src/index.js';
import { StateError } from '../../src/errors.js';
import { SharedBufferCache } from '../../src/parallel/memory.js';
import { disposeAfterEach } from '../support/dispose.js';
import { bitwiseEqual, classification, dropoutModel, flatWeights, wideModel } from './helpers.js';

const { tf } = weft;
const track = disposeAfterEach();
afterEach(() => {
  vi.restoreAllMocks();
});

describe('SharedBufferCache', () => {
  it('hands a finished lease\'s buffers to the next lease of the same sizes, zero-filled', () => {
    const cache = new SharedBufferCache();
    const first = cache.lease();
    const a = first.buffer(64);
    const b = first.buffer(128);
    new Uint8Array(a).fill(7);
    first.end();
    expect(cache.stats).toEqual({ freeBuffers: 2, freeBytes: 192, allocatedBytes: 192 });

    const second = cache.lease();
    const again = second.buffer(64);
    expect(again).toBe(a);
    expect(new Uint8Array(again).every((v) => v === 0)).toBe(true);
    const other = second.buffer(32);
    expect(other).not.toBe(a);
    expect(other).not.toBe(b);
    expect(other.byteLength).toBe(32);
    second.end();
    expect(cache.stats.allocatedBytes).toBe(192 + 32);
  });

  it('never gives one buffer to two leases at once, and keeps what they held together', () => {
    const cache = new SharedBufferCache();
    const warm = cache.lease();
    warm.buffer(16);
    warm.end();
    const x = cache.lease();
    const y = cache.lease();
    const fromX = x.buffer(16);
    const fromY = y.buffer(16);
    expect(fromY).not.toBe(fromX);
    x.end();
    y.end();
    expect(cache.stats.freeBuffers).toBe(2);
  });

  it('keeps at most what the largest lease held, dropping the buffers returned longest ago', () => {
    const cache = new SharedBufferCache();
    const big = cache.lease();
    const old100 = big.buffer(100);
    const old200 = big.buffer(200);
    big.end();
    const small = cache.lease();
    const new50 = small.buffer(50);
    small.end();
    // 100 + 200 + 50 > 300, the cap: the oldest (100) goes.
    expect(cache.stats).toMatchObject({ freeBuffers: 2, freeBytes: 250 });
    const next = cache.lease();
    expect(next.buffer(200)).toBe(old200);
    expect(next.buffer(50)).toBe(new50);
    expect(next.buffer(100)).not.toBe(old100);
    next.end();
  });

  it('clear() forgets every free buffer; end() twice returns once; a lease cannot allocate after its end', () => {
    const cache = new SharedBufferCache();
    const lease = cache.lease();
    const kept = lease.buffer(8);
    lease.end();
    lease.end();
    expect(cache.stats).toMatchObject({ freeBuffers: 1, freeBytes: 8 });
    expect(() => lease.buffer(8)).toThrow(StateError);
    cache.clear();
    expect(cache.stats).toMatchObject({ freeBuffers: 0, freeBytes: 0 });
    const fresh = cache.lease();
    expect(fresh.buffer(8)).not.toBe(kept);
    fresh.end();
  });
});

/** The model's cache (private: the tests look inside). */
const cacheOf = (m: weft.Model) => (m as unknown as { memory: SharedBufferCache }).memory;

describe('a model recycles its shared memory across calls', () => {
  it('fitting again on data of the same shapes takes every shared buffer from the cache', async () => {
    const { x, y } = classification(60);
    const val = classification(20);
    const model = track(dropoutModel(4));
    const fit = () => model.fit(x, y, { epochs: 2, batchSize: 16, workers: 2, seed: 1, verbose: 0, validationData: [val.x, val.y] });
    await fit();
    const after1 = cacheOf(model).stats;
    expect(after1.freeBuffers).toBeGreaterThan(0);
    expect(after1.allocatedBytes).toBe(after1.freeBytes);
    const take = vi.spyOn(SharedBufferCache.prototype, 'take');
    await fit();
    await fit();
    // Data and targets (train and validation), gradient slots, two stats rows, the order buffer,
    // and the update's scratch (parameters and Adam's two slots) with its written flags.
    expect(take).toHaveBeenCalledTimes(2 * 12);
    // All of them came from the cache: nothing new was allocated, nothing more is held.
    expect(cacheOf(model).stats).toEqual(after1);
    // dispose() closes the pool and lets the memory go.
    await model.dispose();
    expect(cacheOf(model).stats).toMatchObject({ freeBuffers: 0, freeBytes: 0 });
  });

  it.each([
    ['a small model (update in the coordinator)', dropoutModel],
    ['a wide model (the update round of the workers)', wideModel],
  ])('%s trains on recycled buffers bitwise as on fresh ones', async (_name, build) => {
    const first = classification(48);
    const second = { x: tf.mul(first.x, -0.5) as weft.tf.Tensor2D, y: tf.reverse(first.y, 0) as weft.tf.Tensor2D };
    const opts = { epochs: 2, batchSize: 12, workers: 2, seed: 3, verbose: 0 as const, validationSplit: 0.25 };
    const recycled = track(build(9));
    const fresh = track(build(9));
    const h1 = await recycled.fit(first.x, first.y, opts);
    const h2 = await recycled.fit(second.x, second.y, opts);
    const g1 = await fresh.fit(first.x, first.y, opts);
    await fresh.dispose(); // forgets the cached buffers: the second fit allocates afresh
    const g2 = await fresh.fit(second.x, second.y, opts);
    expect(h1.history).toEqual(g1.history);
    expect(h2.history).toEqual(g2.history);
    expect(bitwiseEqual(flatWeights(recycled), flatWeights(fresh))).toBe(true);
  });

  it('predict hands back its own arrays: a later call on recycled buffers does not change them', async () => {
    const { x, y } = classification(30);
    const model = track(dropoutModel(5));
    await model.fit(x, y, { epochs: 1, batchSize: 10, workers: 2, seed: 1, verbose: 0 });
    const p1 = (await model.predict(x)) as weft.tf.Tensor;
    const before = p1.dataSync().slice();
    const p2 = (await model.predict(tf.neg(x))) as weft.tf.Tensor;
    expect(Array.from(p1.dataSync())).toEqual(Array.from(before));
    expect(Array.from(p2.dataSync())).not.toEqual(Array.from(before));
  });

  it('calls running at once on one model get separate buffers: results as when run one by one', async () => {
    const a = classification(40);
    const b = { x: tf.mul(a.x, 2) as weft.tf.Tensor2D, y: a.y };
    const model = track(dropoutModel(6));
    await model.fit(a.x, a.y, { epochs: 1, batchSize: 10, workers: 2, seed: 1, verbose: 0 });
    const values = async (t: Promise<weft.tf.Tensor | weft.tf.Tensor[]>) => [(await t) as weft.tf.Tensor].flat().map((s) => Array.from(s.dataSync()));
    const alone = [await values(model.evaluate(a.x, a.y)), await values(model.predict(a.x)), await values(model.evaluate(b.x, b.y))];
    const together = await Promise.all([values(model.evaluate(a.x, a.y)), values(model.predict(a.x)), values(model.evaluate(b.x, b.y))]);
    expect(together).toEqual(alone);
  });
});
