import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import type { History } from '../../src/train/history.js';

/** A regression the optimizer blows up: SGD with an absurd learning rate on MSE. */
function diverging(): weft.Model {
  const inputs = weft.input({ shape: [4] });
  const outputs = weft.layers.dense({ units: 1 }).apply(inputs);
  const model = weft.model({ inputs, outputs, seed: 1 });
  model.compile({ optimizer: weft.optimizers.sgd({ learningRate: 1e18 }), loss: 'meanSquaredError' });
  return model;
}

const x = Array.from({ length: 64 }, (_, i) => [i, -i, i / 2, 1]);
const y = x.map((r) => [r[0] * 3]);

describe('a NaN or infinite loss', () => {
  it('ends fit with a clear error, keeps the last finite weights and shows the loss in the History', async () => {
    const model = diverging();
    const error = await model.fit(x, y, { epochs: 5, batchSize: 8, workers: 2, verbose: 0, shuffle: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(weft.NonFiniteLossError);
    expect((error as Error).message).toMatch(/loss became (NaN|Infinity).*last finite step.*terminateOnNaN/);
    expect(model.params.every(Number.isFinite)).toBe(true);
    const history = (error as weft.NonFiniteLossError).history as History;
    const losses = history.history.loss;
    expect(Number.isFinite(losses[losses.length - 1])).toBe(false);
    await model.dispose();
  });

  it('stops quietly with the last finite weights when a callback sets stopTraining on it', async () => {
    const model = diverging();
    let sawNaN = false;
    const h = await model.fit(x, y, {
      epochs: 5, batchSize: 8, workers: 1, verbose: 0, shuffle: false,
      callbacks: { onBatchEnd: (_b, logs) => { if (!Number.isFinite(logs?.loss)) { sawNaN = true; model.stopTraining = true; } } },
    });
    expect(sawNaN).toBe(true);
    expect(model.params.every(Number.isFinite)).toBe(true);
    expect(h.epoch.length).toBeGreaterThan(0);
    await model.dispose();
  });

  it('terminateOnNaN() stops fit with the last finite weights, and the History shows the loss', async () => {
    const model = diverging();
    const h = await model.fit(x, y, { epochs: 5, batchSize: 8, workers: 2, verbose: 0, shuffle: false, callbacks: [weft.callbacks.terminateOnNaN({ verbose: 0 })] });
    expect(model.params.every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(h.history.loss[h.history.loss.length - 1])).toBe(false);
    await model.dispose();
  });
});

describe('a non-finite gradient behind a finite loss', () => {
  // wasm's fused matMul+relu clamps a NaN pre-activation to 0: a NaN weight in the second layer
  // leaves predict and the loss finite while the first layer's gradient is NaN (dz·Wᵀ).
  // `units` 256 makes 67,329 parameters: with 2 workers they update their ranges themselves.
  async function withNaNWeight(units = 8, optimizer = 'adam'): Promise<{ model: weft.Model; before: Float32Array }> {
    const inputs = weft.input({ shape: [4] });
    const h1 = weft.layers.dense({ units, activation: 'relu' }).apply(inputs);
    const h2 = weft.layers.dense({ units, activation: 'relu' }).apply(h1);
    const outputs = weft.layers.dense({ units: 1 }).apply(h2);
    const model = weft.model({ inputs, outputs, seed: 3 });
    const ws = model.getWeights();
    const k = ws[2].arraySync() as number[][];
    k[0][0] = NaN;
    model.setWeights([ws[0], ws[1], weft.tf.tensor2d(k), ...ws.slice(3)]);
    model.compile({ optimizer, loss: 'meanSquaredError' });
    return { model, before: model.params.slice() };
  }
  const xs = Array.from({ length: 16 }, (_, i) => [1 + i / 16, 0.5, 1, 2]);
  const ys = xs.map((r) => [r[0]]);

  it('predict and the loss stay finite: the NaN is hidden from the loss guard', async () => {
    const { model } = await withNaNWeight();
    const p = (await model.predict(xs)) as weft.tf.Tensor;
    expect(Array.from(p.dataSync()).every(Number.isFinite)).toBe(true);
    const loss = (await model.evaluate(xs, ys)) as weft.tf.Scalar;
    expect(Number.isFinite(loss.dataSync()[0])).toBe(true);
  });

  // Each place the update runs: the one worker's fused update, the coordinator (small, 2
  // workers), the workers' ranges (wide, 2 workers); Adam's SIMD kernel and the JS kernels.
  for (const [workers, units, optimizer] of [[1, 8, 'adam'], [2, 8, 'adam'], [1, 256, 'adam'], [2, 256, 'adam'], [2, 256, 'sgd'], [1, 256, 'rmsprop']] as const) {
    it(`fit refuses the step and ends with NonFiniteLossError naming the gradient (${workers} worker(s), ${units} units, ${optimizer}); nothing is applied`, async () => {
      const { model, before } = await withNaNWeight(units, optimizer);
      const error = await model.fit(xs, ys, { epochs: 2, batchSize: 8, workers, verbose: 0, shuffle: false }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(weft.NonFiniteLossError);
      const e = error as weft.NonFiniteLossError;
      expect(e.source).toBe('gradient');
      expect(e.message).toMatch(/gradient became non-finite.*at step 0 \(epoch 1\).*loss sum was [0-9.e+-]+: the update was not applied/);
      expect(Number.isFinite(e.loss)).toBe(true);
      // Bitwise the weights before fit: the NaN stays where the user put it, nothing else moved.
      expect(Buffer.from(model.params.buffer, model.params.byteOffset, model.params.byteLength))
        .toEqual(Buffer.from(before.buffer, before.byteOffset, before.byteLength));
      await model.dispose();
    });
  }

  it('terminateOnNaN stops fit quietly on it, the step unapplied', async () => {
    const { model, before } = await withNaNWeight();
    const h = await model.fit(xs, ys, { epochs: 3, batchSize: 8, workers: 2, verbose: 0, shuffle: false, callbacks: [weft.callbacks.terminateOnNaN({ verbose: 0 })] });
    expect(h.epoch).toEqual([0]);
    expect(Number.isNaN(h.history.loss[0])).toBe(true);
    expect(Array.from(model.params)).toEqual(Array.from(before));
    await model.dispose();
  });
});
