import { describe, expect, it } from 'vitest';
import { bitwiseEqual, classification, dropoutModel, flatWeights } from '../parallel/helpers.js';

/** Weights after exactly `steps` unshuffled steps of batch 8 on the first rows. */
async function weightsAfter(steps: number): Promise<Float32Array> {
  const { x, y } = classification(8 * steps);
  const model = dropoutModel(13);
  await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, seed: 2, workers: 2, verbose: 0 });
  await model.dispose();
  return flatWeights(model);
}

describe('fit with an AbortSignal', () => {
  it('stops at the next step boundary: rejects with the reason, whole-step weights, pool closed, next fit works', async () => {
    const { x, y } = classification(80);
    const model = dropoutModel(13);
    const controller = new AbortController();
    const error = await model.fit(x, y, {
      epochs: 1, batchSize: 8, shuffle: false, seed: 2, workers: 2, verbose: 0, signal: controller.signal,
      callbacks: { onBatchEnd: (batch) => { if (batch === 3) controller.abort(); } },
    }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(bitwiseEqual(flatWeights(model), await weightsAfter(4))).toBe(true);
    expect((model as unknown as { pool: unknown }).pool).toBeNull();
    const h = await model.fit(x, y, { epochs: 1, batchSize: 8, workers: 2, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    await model.dispose();
  });

  it('an already aborted signal rejects before any step, with the signal\'s reason', async () => {
    const { x, y } = classification(16);
    const model = dropoutModel(13);
    const before = flatWeights(model);
    const reason = new Error('shutting down');
    await expect(model.fit(x, y, { workers: 1, verbose: 0, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(bitwiseEqual(flatWeights(model), before)).toBe(true);
    await model.dispose();
  });

  it('aborting at random moments, many times, never hangs or tears the weights', async () => {
    const { x, y } = classification(64);
    const model = dropoutModel(3);
    for (let i = 0; i < 6; i++) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), Math.random() * 30);
      await model.fit(x, y, { epochs: 2, batchSize: 8, workers: 2, verbose: 0, signal: controller.signal }).catch(() => undefined);
      clearTimeout(timer);
      expect(flatWeights(model).every(Number.isFinite)).toBe(true);
    }
    await model.dispose();
  });
});
