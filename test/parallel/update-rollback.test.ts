import { describe, expect, it } from 'vitest';
import { getLoss } from '../../src/graph/losses.js';
import { ParallelEngine, WorkerError } from '../../src/parallel/coordinator.js';
import type { Fault } from '../../src/parallel/messages.js';
import { WorkerPool } from '../../src/parallel/pool.js';
import { keyFromSeed } from '../../src/parallel/random.js';
import { toInputColumns, toTargetColumn } from '../../src/train/data.js';
import { adam } from '../../src/train/optimizers.js';
import { TrainingState } from '../../src/train/training-state.js';
import { bitwiseEqual, classification, dropoutModel, wideModel } from './helpers.js';

type Run = { params: Float32Array; slots: Float32Array[]; iterations: number; error: unknown; sameBuffers: boolean };

/**
 * Trains `steps` batches of 16 on `workers` threads, the update where `sharded` puts it, with an
 * optional fault; then, when `trials` is set, runs trial steps of every count (workers: 'auto').
 */
async function train(opts: { wide: boolean; workers: number; steps: number; sharded?: boolean; fault?: Fault; trials?: boolean }): Promise<Run> {
  const rows = 16 * opts.steps;
  const { x, y } = classification(rows);
  const model = opts.wide ? wideModel(4) : dropoutModel(4);
  const loss = getLoss('categoricalCrossentropy');
  const state = new TrainingState(adam({ learningRate: 0.01 }), loss, [], model.countParams());
  const data = { xs: toInputColumns(model, x), y: toTargetColumn(model, loss, y, rows), rows };
  const [params, slots] = [model.params, state.slots.slice()];
  const pool = new WorkerPool(opts.workers);
  let error: unknown = null;
  try {
    const engine = new ParallelEngine(pool, model, { loss: loss.spec, metrics: [] }, {
      data, runKey: keyFromSeed(3), optimizer: state, shardedUpdate: opts.sharded, fault: opts.fault ?? null,
    });
    try {
      for (let s = 0; s < opts.steps; s++) await engine.trainBatch(0, null, s * 16, (s + 1) * 16);
    } catch (e) {
      error = e;
    }
    if (opts.trials === true) for (let w = 1; w <= opts.workers; w++) await engine.trialStep(w, 0, 16);
    await engine.dispose();
  } finally {
    await pool.destroy();
  }
  const sameBuffers = model.params === params && state.slots.every((s, k) => s === slots[k]);
  return { params: model.params.slice(), slots: state.slots.map((s) => s.slice()), iterations: state.iterations, error, sameBuffers };
}

function expectSameState(a: Run, b: Run): void {
  expect(a.iterations).toBe(b.iterations);
  expect(bitwiseEqual(a.params, b.params)).toBe(true);
  expect(a.slots).toHaveLength(2);
  a.slots.forEach((s, k) => expect(bitwiseEqual(s, b.slots[k])).toBe(true));
}

// Each place the update runs that can fail part-way: the workers' round over disjoint ranges
// (2 workers, a wide model), and the one worker's task, where the update follows its gradients.
const PLACES = [
  ['the update round of 2 workers', { wide: true, workers: 2 }],
  ['the fused update of 1 worker', { wide: false, workers: 1 }],
] as const;

describe('a step that fails after its update wrote the weights', () => {
  it.each(PLACES)('%s: a thrown error leaves weights, Adam state and step count bitwise as after the last complete step', async (_, where) => {
    const reference = await train({ ...where, steps: 2 });
    const failed = await train({ ...where, steps: 4, fault: { step: 2, rank: where.workers - 1, kind: 'throw', phase: 'update' } });
    expect(failed.error).toBeInstanceOf(WorkerError);
    expect((failed.error as Error).message).toMatch(/at step 2.*injected fault at step 2 on rank \d \(update\)/);
    expectSameState(failed, reference);
    // Not vacuous: the failed step's update had moved the weights before the rollback.
    const three = await train({ ...where, steps: 3 });
    expect(bitwiseEqual(three.params, reference.params)).toBe(false);
  });

  it.each(PLACES)('%s: a worker that exits leaves the same state', async (_, where) => {
    const reference = await train({ ...where, steps: 2 });
    const failed = await train({ ...where, steps: 4, fault: { step: 2, rank: 0, kind: 'exit', phase: 'update' } });
    expect(failed.error).toBeInstanceOf(WorkerError);
    expectSameState(failed, reference);
  });
});

describe('one parameter buffer', () => {
  it.each([
    ['the update round', { wide: true, workers: 2 }],
    ['the coordinator', { wide: true, workers: 2, sharded: false }],
    ['the fused update', { wide: true, workers: 1 }],
  ] as const)('%s updates model.params and the slots in place, bitwise as the coordinator with as many workers', async (_, where) => {
    const run = await train({ ...where, steps: 3 });
    expect(run.sameBuffers).toBe(true);
    expect(run.iterations).toBe(3);
    expectSameState(run, await train({ wide: true, workers: where.workers, sharded: false, steps: 3 }));
  });

  it.each([
    ['small (the coordinator at 2 workers)', false],
    ['wide (the update round at 2 workers)', true],
  ] as const)("trial steps of every count change nothing: %s", async (_, wide) => {
    const run = await train({ wide, workers: 2, steps: 2, trials: true });
    expectSameState(run, await train({ wide, workers: 2, steps: 2 }));
  });
});
