import { describe, expect, it } from 'vitest';
import { getLoss } from '../../src/graph/losses.js';
import { ParallelEngine, SHARDED_UPDATE_MIN_PARAMS } from '../../src/parallel/coordinator.js';
import { WorkerError } from '../../src/parallel/coordinator.js';
import { injectFault } from '../../src/parallel/faults.js';
import { WorkerPool } from '../../src/parallel/pool.js';
import { keyFromSeed } from '../../src/parallel/random.js';
import { toInputColumns, toTargetColumn } from '../../src/train/data.js';
import { adadelta, adagrad, adam, adamax, adamw, nadam, type Optimizer } from '../../src/train/optimizers.js';
import { cosineDecay, polynomialDecay } from '../../src/train/schedules.js';
import { TrainingState } from '../../src/train/training-state.js';
import { bitwiseEqual, classification, flatWeights, maxRelativeDiff, wideModel } from './helpers.js';

/** Trains `steps` batches of 16 through the engine directly, sharded or not. */
async function trainDirect(sharded: boolean, workers: number, steps: number, optimizer: () => Optimizer = adam): Promise<{ params: Float32Array; slots: Float32Array[] }> {
  const rows = 16 * steps;
  const { x, y } = classification(rows);
  const model = wideModel(4);
  const loss = getLoss('categoricalCrossentropy');
  const state = new TrainingState(optimizer(), loss, [], model.countParams());
  const data = { xs: toInputColumns(model, x), y: toTargetColumn(model, loss, y, rows), rows };
  const pool = new WorkerPool(workers);
  try {
    const engine = new ParallelEngine(pool, model, { loss: loss.spec, metrics: [] }, { data, runKey: keyFromSeed(3), optimizer: state, shardedUpdate: sharded });
    for (let s = 0; s < steps; s++) await engine.trainBatch(0, null, s * 16, (s + 1) * 16);
  } finally {
    await pool.destroy();
  }
  expect(state.iterations).toBe(steps);
  return { params: model.params.slice(), slots: state.slots.map((a) => a.slice()) };
}

describe('the sharded optimizer update', () => {
  it('is used for this model: it is above the threshold', () => {
    expect(wideModel().countParams()).toBeGreaterThanOrEqual(SHARDED_UPDATE_MIN_PARAMS);
  });

  it('gives bitwise the same weights and Adam state as the update in one thread', async () => {
    const central = await trainDirect(false, 2, 4);
    const sharded = await trainDirect(true, 2, 4);
    expect(bitwiseEqual(sharded.params, central.params)).toBe(true);
    sharded.slots.forEach((s, i) => expect(bitwiseEqual(s, central.slots[i])).toBe(true));
  });

  it('trains the same model with 1, 2 and 3 workers through fit', async () => {
    const { x, y } = classification(70);
    const weights: Float32Array[] = [];
    for (const workers of [1, 2, 3]) {
      const model = wideModel(9);
      await model.fit(x, y, { epochs: 2, batchSize: 16, seed: 8, workers, verbose: 0 });
      weights.push(flatWeights(model));
      await model.dispose();
    }
    expect(maxRelativeDiff(weights[1], weights[0])).toBeLessThan(1e-5);
    expect(maxRelativeDiff(weights[2], weights[0])).toBeLessThan(1e-5);
  });

  it('keeps the last complete step when a worker fails during the update round', async () => {
    const { x, y } = classification(64);
    const reference = wideModel(2);
    await reference.fit(classification(48).x, classification(48).y, { epochs: 1, batchSize: 16, shuffle: false, seed: 1, workers: 2, verbose: 0 });
    await reference.dispose();
    const model = wideModel(2);
    injectFault({ step: 3, rank: 0, kind: 'throw', phase: 'update' });
    const error = await model.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, seed: 1, workers: 2, verbose: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as Error).message).toMatch(/optimizer update at step 3.*injected fault at step 3 on rank 0 \(update\)/);
    expect(bitwiseEqual(flatWeights(model), flatWeights(reference))).toBe(true);
    // The next fit continues from there, with the optimizer at iteration 3.
    const h = await model.fit(x, y, { epochs: 1, batchSize: 16, seed: 1, workers: 2, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    await model.dispose();
  });
});

/** Keras's other optimizers and two schedules, as a fit uses them on the wide model. */
const OPTIMIZERS: Array<[string, () => Optimizer]> = [
  ['AdamW', () => adamw({ learningRate: 0.002, weightDecay: 0.05 })],
  ['AdamW amsgrad', () => adamw({ amsgrad: true })],
  ['Adamax', () => adamax({ learningRate: 0.002 })],
  ['Nadam', () => nadam({ learningRate: 0.002 })],
  ['Adagrad', () => adagrad({ learningRate: 0.02 })],
  ['Adadelta', () => adadelta({ learningRate: 1 })],
  ['Adam on a cosine decay with warm-up', () => adam({ learningRate: cosineDecay({ initialLearningRate: 0, decaySteps: 3, warmupTarget: 0.003, warmupSteps: 2 }) })],
  ['Nadam on a cyclic polynomial decay', () => nadam({ learningRate: polynomialDecay({ initialLearningRate: 0.003, decaySteps: 2, power: 2, cycle: true }) })],
];

describe('the sharded update of the other optimizers and of scheduled rates', () => {
  it.each(OPTIMIZERS)('%s: bitwise the same weights and slots as the update in one thread', async (_, make) => {
    const central = await trainDirect(false, 2, 4, make);
    const sharded = await trainDirect(true, 2, 4, make);
    expect(bitwiseEqual(sharded.params, central.params)).toBe(true);
    expect(sharded.slots).toHaveLength(make().slotCount);
    sharded.slots.forEach((s, i) => expect(bitwiseEqual(s, central.slots[i])).toBe(true));
  });

  it.each(OPTIMIZERS)('%s: fit on 1 and 2 workers trains the same model', async (_, make) => {
    const { x, y } = classification(64);
    const weights: Float32Array[] = [];
    for (const workers of [1, 2]) {
      const model = wideModel(9);
      model.compile({ optimizer: make(), loss: 'categoricalCrossentropy' });
      await model.fit(x, y, { epochs: 1, batchSize: 16, seed: 8, workers, verbose: 0 });
      weights.push(flatWeights(model));
      await model.dispose();
    }
    expect(maxRelativeDiff(weights[1], weights[0])).toBeLessThan(1e-5);
    // Not vacuous: the four steps moved the weights.
    const untrained = flatWeights(wideModel(9));
    expect(maxRelativeDiff(weights[0], untrained)).toBeGreaterThan(1e-3);
  });
});

describe('after a sharded fit', () => {
  it('leaves the trained weights in the buffer model.params was before fit', async () => {
    const { x, y } = classification(48);
    const model = wideModel(6);
    const before = model.params;
    await model.fit(x, y, { epochs: 1, batchSize: 16, seed: 1, workers: 2, verbose: 0 }); // 3 steps: ends on the other set
    expect(model.params).toBe(before);
    const reference = wideModel(6);
    await reference.fit(x, y, { epochs: 1, batchSize: 16, seed: 1, workers: 1, verbose: 0 });
    expect(maxRelativeDiff(before, flatWeights(reference))).toBeLessThan(1e-5);
    await Promise.all([model.dispose(), reference.dispose()]);
  });
});
