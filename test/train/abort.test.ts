import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { bitwiseEqual, classification, dropoutModel, flatWeights } from '../parallel/helpers.js';

/** Weights after exactly `steps` unshuffled steps of batch 8 on the first rows. */
async function weightsAfter(steps: number): Promise<Float32Array> {
  const { x, y } = classification(8 * steps);
  const model = dropoutModel(13);
  await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, seed: 2, workers: 2, verbose: 0 });
  await model.dispose();
  return flatWeights(model);
}

/** Weights of the dropoutModel(14) after exactly `steps` unshuffled steps of batch 8, seed 2. */
async function weightsAfterSteps(steps: number): Promise<Float32Array> {
  const { x, y } = classification(64);
  const model = dropoutModel(14);
  if (steps > 0) {
    const part = (t: typeof x) => weft.tf.slice(t, [0, 0], [8 * steps, -1]);
    await model.fit(part(x), part(y), { epochs: 1, batchSize: 8, shuffle: false, seed: 2, workers: 2, verbose: 0 });
  }
  await model.dispose();
  return flatWeights(model);
}

describe('fit with an AbortSignal', () => {
  it('stops at the next step boundary: rejects with the reason, whole-step weights, pool kept and sound for the next fit', async () => {
    const { x, y } = classification(80);
    const model = dropoutModel(13);
    const controller = new AbortController();
    const error = await model.fit(x, y, {
      epochs: 1, batchSize: 8, shuffle: false, seed: 2, workers: 2, verbose: 0, signal: controller.signal,
      callbacks: { onBatchEnd: (batch) => { if (batch === 3) controller.abort(); } },
    }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect(bitwiseEqual(flatWeights(model), await weightsAfter(4))).toBe(true);
    expect((model as unknown as { pool: unknown }).pool).not.toBeNull();
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

  it('aborting at random moments, 100 times, never hangs or tears the weights', async () => {
    const { x, y } = classification(64);
    const model = dropoutModel(3);
    // Two runs on identical models: one aborted at random, then its step count replayed whole.
    let aborted = 0;
    for (let i = 0; i < 100; i++) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), Math.random() * 15);
      const done = await model.fit(x, y, { epochs: 2, batchSize: 8, workers: 2, verbose: 0, signal: controller.signal })
        .then(() => true, (e: Error) => { expect(e.name).toBe('AbortError'); return false; });
      clearTimeout(timer);
      if (!done) aborted += 1;
      expect(flatWeights(model).every(Number.isFinite)).toBe(true);
    }
    expect(aborted).toBeGreaterThan(0);
    await model.dispose();
  }, 120_000);

  it('weights after a random abort are exactly those of a run of the same completed steps', async () => {
    const { x, y } = classification(64);
    for (let round = 0; round < 5; round++) {
      const model = dropoutModel(14);
      const controller = new AbortController();
      let steps = 0;
      const stopAfter = 1 + Math.floor(Math.random() * 7);
      await model.fit(x, y, {
        epochs: 1, batchSize: 8, shuffle: false, seed: 2, workers: 2, verbose: 0, signal: controller.signal,
        callbacks: { onBatchEnd: () => { steps += 1; if (steps === stopAfter) setTimeout(() => controller.abort(), Math.random() * 5); } },
      }).catch(() => undefined);
      await model.dispose();
      expect(bitwiseEqual(flatWeights(model), await weightsAfterSteps(steps))).toBe(true);
    }
  }, 120_000);
});
