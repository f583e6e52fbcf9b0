/**
 * One thread of bench/contention.ts: builds its work (the products of one training step as plain
 * tf.matMul, or weft's own step on a shard), waits at the barrier with its siblings, warms up,
 * waits again, then counts how many times it runs the work in the timed window.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/graph/backend.js';
import { getLoss } from '../src/graph/losses.js';
import { keyFromSeed } from '../src/parallel/random.js';
import { StepRunner } from '../src/parallel/step.js';
import { buildWeft, stepProducts, syntheticRows } from './models.js';
import type { Architecture } from './results.js';

export interface ContentionJob {
  readonly work: 'matmul' | 'step';
  readonly architecture: Architecture;
  readonly rows: number;
  readonly warmupMs: number;
  readonly timedMs: number;
  /** Int32Array over a SharedArrayBuffer: [arrived at barrier 1, arrived at barrier 2], and the thread count at [2]. */
  readonly barrier: SharedArrayBuffer;
}

function arrive(flags: Int32Array, at: number): void {
  Atomics.add(flags, at, 1);
  while (Atomics.load(flags, at) < flags[2]) Atomics.wait(flags, at, Atomics.load(flags, at), 5);
  Atomics.notify(flags, at);
}

async function main(job: ContentionJob): Promise<number> {
  await initBackend();
  const flags = new Int32Array(job.barrier);
  let run: () => void;
  if (job.work === 'matmul') {
    const operands = stepProducts(job.architecture, job.rows).map(([m, k, n]) => [tf.randomUniform([m, k]), tf.randomUniform([k, n])] as const);
    run = () => { for (const [a, b] of operands) tf.matMul(a, b).dispose(); };
  } else {
    const model = buildWeft(job.architecture);
    const runner = new StepRunner(model, getLoss('sparseCategoricalCrossentropy'), []);
    const grads = new Float32Array(model.countParams());
    const { x, labels } = syntheticRows(job.architecture, job.rows);
    const batch = { xs: [x], y: labels, rows: job.rows, firstExample: 0 };
    const key = keyFromSeed(1);
    run = () => { runner.train(model.params, batch, { runKey: key, epoch: 0 }, grads); };
  }
  arrive(flags, 0);
  for (const t0 = performance.now(); performance.now() - t0 < job.warmupMs; ) run();
  arrive(flags, 1);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < job.timedMs) { run(); n += 1; }
  return (n / (performance.now() - t0)) * 1000;
}

if (parentPort !== null) parentPort.postMessage(await main(workerData as ContentionJob));
