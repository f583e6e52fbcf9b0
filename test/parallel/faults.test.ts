import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { WorkerError } from '../../src/parallel/coordinator.js';
import { injectFault } from '../../src/parallel/faults.js';
import { bitwiseEqual, classification, dropoutModel, flatWeights } from './helpers.js';

afterEach(() => injectFault(null));

/** Weights after exactly `steps` unshuffled steps of batch 8 on the first rows of the data. */
async function weightsAfter(steps: number, workers: number): Promise<Float32Array> {
  const { x, y } = classification(8 * steps);
  const model = dropoutModel(21);
  await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, seed: 3, workers, verbose: 0 });
  await model.dispose();
  return flatWeights(model);
}

describe('a failing worker', () => {
  it.each(['throw', 'exit'] as const)('that %ss at step k rejects fit fast, keeps the step k-1 weights and closes the pool', async (kind) => {
    const { x, y } = classification(40);
    const model = dropoutModel(21);
    injectFault({ step: 3, rank: 1, kind });
    const began = performance.now();
    const error = await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, seed: 3, workers: 2, verbose: 0 }).catch((e: unknown) => e);
    const elapsed = performance.now() - began;
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as Error).message).toMatch(/rank 1 failed at step 3/);
    if (kind === 'throw') expect((error as Error).message).toMatch(/injected fault at step 3 on rank 1 \(gradients\)/);
    // Start-up of two threads is part of the fit; the failing step itself must end at once.
    expect(elapsed).toBeLessThan(15_000);
    expect(bitwiseEqual(flatWeights(model), await weightsAfter(3, 2))).toBe(true);
    expect((model as unknown as { pool: unknown }).pool).toBeNull();
    // The model is still usable: the next fit starts a new pool and trains.
    const h = await model.fit(x, y, { epochs: 1, batchSize: 8, seed: 3, workers: 2, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    await model.dispose();
  });

  it('fails within a second of the faulty step once the pool is warm', async () => {
    const { x, y } = classification(64);
    const model = dropoutModel(5);
    await model.fit(x, y, { epochs: 1, batchSize: 8, seed: 1, workers: 2, verbose: 0 });
    injectFault({ step: 2, rank: 0, kind: 'throw' });
    const began = performance.now();
    await expect(model.fit(x, y, { epochs: 1, batchSize: 8, seed: 1, workers: 2, verbose: 0 })).rejects.toThrow(/step 2/);
    expect(performance.now() - began).toBeLessThan(1000);
    await model.dispose();
  });
});

describe('process lifetime', () => {
  it('a script that calls fit and returns exits by itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-exit-'));
    const script = join(dir, 'fit.mts');
    const index = new URL('../../src/index.ts', import.meta.url).pathname;
    writeFileSync(script, [
      `import * as weft from ${JSON.stringify(index)};`,
      `const inputs = weft.input({ shape: [4] });`,
      `const outputs = weft.layers.dense({ units: 2, activation: 'softmax' }).apply(inputs);`,
      `const model = weft.model({ inputs, outputs, seed: 1 });`,
      `model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });`,
      `await model.fit([[1, 2, 3, 4], [4, 3, 2, 1]], [0, 1], { epochs: 2, workers: 2, verbose: 0 });`,
      `console.log('fit done');`,
    ].join('\n'));
    const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
    const result = spawnSync(tsx, [script], { timeout: 60_000, encoding: 'utf8' });
    expect(result.stdout).toContain('fit done');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
  });
});

describe('a worker out of memory', () => {
  it('ends fit with the cause, keeps the last complete step, and the next fit works', async () => {
    const { x, y } = classification(40);
    const build = () => {
      const inputs = weft.input({ shape: [20] });
      let h = weft.layers.dense({ units: 32, activation: 'relu' }).apply(inputs);
      h = weft.layers.dropout({ rate: 0.3 }).apply(h);
      const outputs = weft.layers.dense({ units: 5, activation: 'softmax' }).apply(h);
      const m = weft.model({ inputs, outputs, seed: 21, resourceLimits: { maxOldGenerationSizeMb: 48 } });
      m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const model = build();
    injectFault({ step: 2, rank: 1, kind: 'oom' });
    const error = await model.fit(x, y, { epochs: 1, batchSize: 8, shuffle: false, seed: 3, workers: 2, verbose: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as Error).message).toMatch(/rank 1 failed at step 2.*(memory|heap)/i);
    expect(bitwiseEqual(flatWeights(model), await weightsAfter(2, 2))).toBe(true);
    const h = await model.fit(x, y, { epochs: 1, batchSize: 8, seed: 3, workers: 2, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    await model.dispose();
  });
});

describe('two models in one process', () => {
  it('train concurrently, each with its own pool, exactly as each would alone', async () => {
    const { x, y } = classification(48);
    const alone = [dropoutModel(31), dropoutModel(32)];
    for (const m of alone) await m.fit(x, y, { epochs: 2, batchSize: 8, seed: 9, workers: 2, verbose: 0 });
    const together = [dropoutModel(31), dropoutModel(32)];
    await Promise.all(together.map((m) => m.fit(x, y, { epochs: 2, batchSize: 8, seed: 9, workers: 2, verbose: 0 })));
    together.forEach((m, i) => expect(bitwiseEqual(flatWeights(m), flatWeights(alone[i]))).toBe(true));
    await Promise.all([...alone, ...together].map((m) => m.dispose()));
  });
});
