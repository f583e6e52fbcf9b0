import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../../src/index.js';
import type { Callback, Logs } from '../../../src/train/callbacks/callback.js';
import { earlyStopping } from '../../../src/train/callbacks/early-stopping.js';
import { learningRateScheduler } from '../../../src/train/callbacks/lr-scheduler.js';
import { modelCheckpoint } from '../../../src/train/callbacks/model-checkpoint.js';
import { reduceLROnPlateau } from '../../../src/train/callbacks/reduce-lr-on-plateau.js';
import { terminateOnNaN } from '../../../src/train/callbacks/terminate-on-nan.js';
import { disposeAfterEach } from '../../support/dispose.js';

const track = disposeAfterEach();

// One run per built-in callback through the real model.fit (one worker, silent).


/** Deterministic rows in [-1, 1). */
const rows = (n: number, d: number, seed: number): number[][] =>
  Array.from({ length: n }, (_, r) => Array.from({ length: d }, (_, j) => Math.sin((r * d + j + 1) * 12.9898 + seed * 78.233)));

const X = rows(24, 4, 1);
const Y = X.map((r) => [0, 1, 2].map((c) => (c === (r[0] > 0 ? 1 : 0) + (r[1] > 0 ? 1 : 0) ? 1 : 0)));

function classifier(learningRate: number, seed = 7): { model: weft.Model; optimizer: weft.Optimizer } {
  const inputs = weft.input({ shape: [4] });
  const h = weft.layers.dense({ units: 8, activation: 'relu' }).apply(inputs);
  const model = weft.model({ inputs, outputs: weft.layers.dense({ units: 3, activation: 'softmax' }).apply(h), seed });
  track(model);
  const optimizer = weft.optimizers.sgd({ learningRate });
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return { model, optimizer };
}

const fitArgs = { batchSize: 8, seed: 3, workers: 1, verbose: 0 as const };

/** A callback that keeps each epoch's logs (as the callbacks before it left them) and the weights at its end. */
function recorder(model: weft.Model): Callback & { logs: Logs[]; weights: Float32Array[] } {
  const logs: Logs[] = [];
  const weights: Float32Array[] = [];
  return {
    logs,
    weights,
    onEpochEnd(_epoch, l) {
      logs.push({ ...l });
      weights.push(model.params.slice());
    },
  };
}

describe('built-in callbacks through model.fit', () => {
  it('earlyStopping stops when the monitor stops improving and restores the best epoch\'s weights', async () => {
    const { model } = classifier(0.5);
    const rec = recorder(model);
    // No later epoch beats the first by 1000: the monitor has stopped improving after epoch 0.
    const stop = earlyStopping({ monitor: 'val_loss', minDelta: 1000, patience: 1, restoreBestWeights: true });
    const h = await model.fit(X, Y, { ...fitArgs, epochs: 10, validationSplit: 0.25, callbacks: [rec, stop] });
    expect(h.epoch).toEqual([0, 1]);
    expect(h.history.val_loss).toHaveLength(2);
    expect(stop.stoppedEpoch).toBe(1);
    expect(model.stopTraining).toBe(true);
    expect(Array.from(model.params)).toEqual(Array.from(rec.weights[0]));
    expect(Array.from(model.params)).not.toEqual(Array.from(rec.weights[1]));
  });

  it('terminateOnNaN stops fit after the batch whose loss overflowed', async () => {
    const inputs = weft.input({ shape: [3] });
    const model = weft.model({ inputs, outputs: weft.layers.dense({ units: 1 }).apply(inputs), seed: 2 });
    track(model);
    model.compile({ optimizer: weft.optimizers.sgd({ learningRate: 1e30 }), loss: 'meanSquaredError' });
    const nan = terminateOnNaN({ verbose: 0 });
    const h = await model.fit(rows(16, 3, 4), rows(16, 1, 5), { ...fitArgs, batchSize: 4, shuffle: false, epochs: 5, callbacks: [nan] });
    expect(nan.terminatedAt).toMatchObject({ epoch: 0, batch: 1 });
    expect(Number.isFinite(nan.terminatedAt?.loss)).toBe(false);
    expect(h.epoch).toEqual([0]);
    expect(Number.isFinite(h.history.loss[0])).toBe(false);
  });

  it('learningRateScheduler sets the rate the workers train with, and logs it', async () => {
    // Starting at 0.5 but scheduled to 0.1 trains bit for bit like starting at 0.1.
    const scheduled = classifier(0.5);
    const rec = recorder(scheduled.model);
    const schedule = learningRateScheduler((epoch) => 0.1 / (epoch + 1));
    await scheduled.model.fit(X, Y, { ...fitArgs, epochs: 3, callbacks: [schedule, rec] });
    expect(scheduled.optimizer.learningRate).toBe(0.1 / 3);
    expect(rec.logs.map((l) => l.learning_rate)).toEqual([0.1, 0.05, 0.1 / 3]);

    const plain = classifier(0.1);
    await plain.model.fit(X, Y, { ...fitArgs, epochs: 1 });
    expect(Array.from(rec.weights[0])).toEqual(Array.from(plain.model.params));
    const unscheduled = classifier(0.5);
    await unscheduled.model.fit(X, Y, { ...fitArgs, epochs: 1 });
    expect(Array.from(rec.weights[0])).not.toEqual(Array.from(unscheduled.model.params));
  });

  it('reduceLROnPlateau lowers the optimizer rate on a plateau', async () => {
    const { model, optimizer } = classifier(0.1);
    const rec = recorder(model);
    const plateau = reduceLROnPlateau({ monitor: 'loss', minDelta: 1000, patience: 1, factor: 0.5 });
    const h = await model.fit(X, Y, { ...fitArgs, epochs: 4, callbacks: [plateau, rec] });
    expect(h.epoch).toEqual([0, 1, 2, 3]);
    expect(rec.logs.map((l) => l.learning_rate)).toEqual([0.1, 0.1, 0.05, 0.025]);
    expect(optimizer.learningRate).toBe(0.0125);
  });

  it('modelCheckpoint saves loadable checkpoints through model.save, named by epoch and loss', async () => {
    const { model } = classifier(0.5);
    const rec = recorder(model);
    const dir = await mkdtemp(join(tmpdir(), 'weft-ckpt-'));
    try {
      const ckpt = modelCheckpoint({ path: join(dir, 'ep{epoch:02d}-{loss:.4f}') });
      const h = await model.fit(X, Y, { ...fitArgs, epochs: 3, callbacks: [rec, ckpt] });
      const names = h.history.loss.map((loss, e) => `ep0${e + 1}-${loss.toFixed(4)}`);
      expect(ckpt.saved).toEqual(names.map((n) => join(dir, n)));
      expect((await readdir(dir)).sort()).toEqual(names);
      const second = await weft.loadModel(join(dir, names[1], 'model.json'));
      expect(Array.from(second.params)).toEqual(Array.from(rec.weights[1]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
