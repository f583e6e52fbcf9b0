import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { getLoss } from '../../src/graph/losses.js';
import { gatherRows } from '../../src/parallel/batch.js';
import { ParallelEngine } from '../../src/parallel/coordinator.js';
import { WorkerPool } from '../../src/parallel/pool.js';
import { keyFromSeed } from '../../src/parallel/random.js';
import { StepRunner } from '../../src/parallel/step.js';
import { toInputColumns, toTargetColumn } from '../../src/train/data.js';
import { sgd } from '../../src/train/optimizers.js';
import { TrainingState } from '../../src/train/training-state.js';
import { bitwiseEqual, classification, dropoutModel, flatWeights, maxRelativeDiff } from './helpers.js';
import { disposeAfterEach } from '../support/dispose.js';

const track = disposeAfterEach();


describe('data-parallel fit', () => {
  it('trains the same model with 1, 2, 3 and 4 workers: losses and weights within 1e-5', async () => {
    const { x, y } = classification(103);
    const runs: { loss: number[]; weights: Float32Array }[] = [];
    for (const workers of [1, 2, 3, 4]) {
      const model = track(dropoutModel(7));
      const h = await model.fit(x, y, { epochs: 3, batchSize: 16, seed: 42, workers, verbose: 0 });
      runs.push({ loss: h.history.loss, weights: flatWeights(model) });
      await model.dispose();
    }
    for (const run of runs.slice(1)) {
      expect(maxRelativeDiff(run.loss, runs[0].loss)).toBeLessThan(1e-5);
      expect(maxRelativeDiff(run.weights, runs[0].weights)).toBeLessThan(1e-5);
    }
    // Dropout was really on: a rate-0 model trained the same way ends elsewhere.
    const plain = track(dropoutModel(7, 0));
    await plain.fit(x, y, { epochs: 3, batchSize: 16, seed: 42, workers: 2, verbose: 0 });
    expect(maxRelativeDiff(flatWeights(plain), runs[0].weights)).toBeGreaterThan(1e-3);
  });

  it('is bitwise reproducible for the same seed and worker count, and differs for another seed', async () => {
    const { x, y } = classification(64);
    const fitWith = async (seed: number) => {
      const model = track(dropoutModel(3));
      await model.fit(x, y, { epochs: 2, batchSize: 10, seed, workers: 2, verbose: 0 });
      return flatWeights(model);
    };
    const a = await fitWith(5);
    const b = await fitWith(5);
    const c = await fitWith(6);
    expect(bitwiseEqual(a, b)).toBe(true);
    expect(bitwiseEqual(a, c)).toBe(false);
  });

  it.each([
    ['a batch size not divisible by the workers', 50, 7, 3],
    ['a batch smaller than the worker count', 12, 2, 3],
    ['a dataset smaller than one batch', 5, 32, 2],
  ])('handles %s', async (_name, rows, batchSize, workers) => {
    const { x, y } = classification(rows);
    const one = track(dropoutModel(11));
    const many = track(dropoutModel(11));
    const h1 = await one.fit(x, y, { epochs: 2, batchSize, seed: 1, workers: 1, verbose: 0 });
    const hn = await many.fit(x, y, { epochs: 2, batchSize, seed: 1, workers, verbose: 0 });
    expect(maxRelativeDiff(hn.history.loss, h1.history.loss)).toBeLessThan(1e-5);
    expect(maxRelativeDiff(flatWeights(many), flatWeights(one))).toBeLessThan(1e-5);
    expect(Number.isFinite(hn.history.loss[1])).toBe(true);
  });

  it('sums the workers\' gradients to the one-thread gradient of the same batch', async () => {
    const { x, y } = classification(40);
    const model = track(dropoutModel(2));
    const xs = toInputColumns(model, x);
    const yc = toTargetColumn(model, getLoss('categoricalCrossentropy'), y, 40);
    const runKey = keyFromSeed(9);
    // One thread, the whole batch of rows 0..40 in place.
    const reference = new Float32Array(model.countParams());
    const runner = new StepRunner(model, getLoss('categoricalCrossentropy'), []);
    const batch = { xs: [gatherRows(xs[0], null, 0, 40, xs[0].data)], y: gatherRows(yc, null, 0, 40, yc.data), rows: 40, firstExample: 0 };
    runner.train(model.params, batch, { runKey, epoch: 0 }, reference);
    // Three workers, the same batch.
    let captured: Float32Array | null = null;
    const pool = new WorkerPool(3);
    try {
      const optimizer = new TrainingState(sgd(), getLoss('categoricalCrossentropy'), [], model.countParams());
      optimizer.applyGradients = (_p, g) => { captured = g.slice(); };
      const engine = new ParallelEngine(pool, model, { loss: optimizer.loss.spec, metrics: [] }, {
        data: { xs, y: yc, rows: 40 }, runKey, optimizer,
      });
      await engine.trainBatch(0, null, 0, 40);
    } finally {
      await pool.destroy();
    }
    expect(captured).not.toBeNull();
    expect(maxRelativeDiff(captured as unknown as Float32Array, reference)).toBeLessThan(1e-5);
  });

  it('sends the session setup only until the workers have it: later steps carry a few numbers', async () => {
    const { x, y } = classification(64);
    const model = track(dropoutModel(2));
    const loss = getLoss('categoricalCrossentropy');
    const data = { xs: toInputColumns(model, x), y: toTargetColumn(model, loss, y, 64), rows: 64 };
    const pool = new WorkerPool(2);
    const sent: { step: number; withSetup: boolean; bytes: number }[] = [];
    const run = pool.run.bind(pool);
    pool.run = (task) => {
      const { setup, ...rest } = task;
      sent.push({ step: (task as { step?: number }).step ?? -1, withSetup: setup !== null, bytes: JSON.stringify(rest).length });
      return run(task);
    };
    try {
      const optimizer = new TrainingState(sgd(), loss, [], model.countParams());
      const engine = new ParallelEngine(pool, model, { loss: loss.spec, metrics: [] }, { data, runKey: keyFromSeed(1), optimizer });
      for (let s = 0; s < 4; s++) await engine.trainBatch(0, null, s * 16, (s + 1) * 16);
    } finally {
      await pool.destroy();
    }
    const later = sent.filter((t) => t.step >= 2);
    expect(later.length).toBeGreaterThanOrEqual(4);
    expect(later.every((t) => !t.withSetup && t.bytes < 300)).toBe(true);
  });

  it('evaluates and predicts in parallel as in one thread', async () => {
    const { x, y } = classification(77);
    const model = track(dropoutModel(4));
    const local = (await model.evaluate(x, y, { batchSize: 8 })) as weft.tf.Scalar[];
    const localPred = (await model.predict(x)) as weft.tf.Tensor;
    const parallel = (await model.evaluate(x, y, { batchSize: 8, workers: 3 })) as weft.tf.Scalar[];
    const parallelPred = (await model.predict(x, { workers: 3 })) as weft.tf.Tensor;
    expect(parallelPred.shape).toEqual([77, 5]);
    expect(maxRelativeDiff(parallelPred.dataSync(), localPred.dataSync())).toBeLessThan(1e-5);
    parallel.forEach((s, i) => expect(s.dataSync()[0]).toBeCloseTo(local[i].dataSync()[0], 5));
  });

  it('leaves the weights readable in the host thread after fit', async () => {
    const { x, y } = classification(32);
    const model = track(dropoutModel(8));
    const before = model.getWeights().map((w) => w.dataSync().slice());
    await model.fit(x, y, { epochs: 1, batchSize: 8, seed: 1, workers: 2, verbose: 0 });
    const after = model.getWeights().map((w) => w.dataSync());
    expect(maxRelativeDiff(after[0], before[0])).toBeGreaterThan(1e-4);
    const pred = (await model.predict(x, { workers: 1 })) as weft.tf.Tensor;
    const host = (await (async () => { await model.dispose(); return model.predict(x); })()) as weft.tf.Tensor;
    expect(maxRelativeDiff(pred.dataSync(), host.dataSync())).toBeLessThan(1e-5);
  });
});

describe('worker resources', () => {
  it('leaves no tfjs tensor behind in a worker from one step to the next', async () => {
    const { x, y } = classification(64);
    const model = dropoutModel(2);
    const loss = getLoss('categoricalCrossentropy');
    const data = { xs: toInputColumns(model, x), y: toTargetColumn(model, loss, y, 64), rows: 64 };
    const pool = new WorkerPool(1);
    try {
      const engine = new ParallelEngine(pool, model, { loss: loss.spec, metrics: [] }, {
        data, runKey: keyFromSeed(1), optimizer: new TrainingState(sgd(), loss, [], model.countParams()),
      });
      await engine.trainBatch(0, null, 0, 16);
      const first = engine.workerTensors[0];
      for (let s = 1; s < 4; s++) await engine.trainBatch(0, null, s * 16, (s + 1) * 16);
      expect(engine.workerTensors[0]).toBe(first);
    } finally {
      await pool.destroy();
      await model.dispose();
    }
  });
});

describe('worker-side reuse across calls', () => {
  it('a worker reuses the graph it built only for the same spec, loss and metrics: a recompiled model trains as on a fresh pool', async () => {
    const { x, y } = classification(40);
    const opts = { epochs: 2, batchSize: 10, seed: 2, workers: 2, verbose: 0 as const, validationSplit: 0.25 };
    const recompile = (m: weft.Model) => m.compile({ optimizer: 'adam', loss: 'meanSquaredError', metrics: ['mae'] });
    const samePool = track(dropoutModel(8));
    const newPool = track(dropoutModel(8));
    await samePool.fit(x, y, opts);
    await newPool.fit(x, y, opts);
    recompile(samePool);
    recompile(newPool);
    await newPool.dispose();
    const a = await samePool.fit(x, y, opts);
    const b = await newPool.fit(x, y, opts);
    expect(Object.keys(a.history)).toEqual(['loss', 'mae', 'val_loss', 'val_mae']);
    expect(a.history).toEqual(b.history);
    expect(bitwiseEqual(flatWeights(samePool), flatWeights(newPool))).toBe(true);
    // And predict (a session without targets) after training sessions of the same graph.
    const p = (await samePool.predict(x)) as weft.tf.Tensor;
    expect(Array.from(p.dataSync())).toEqual(Array.from(((await newPool.predict(x)) as weft.tf.Tensor).dataSync()));
  });
});
