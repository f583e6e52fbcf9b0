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
