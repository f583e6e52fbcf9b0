/**
 * `workers: 'auto'` against every fixed count, through model.fit as a user calls it (verbose 0):
 * samples/s of each, the count auto chose, and auto's rate over the best fixed count's — with
 * and without its one-time trial steps. Each figure is the median of REPEATS fits of EPOCHS
 * epochs on a fresh model (the first fit of each model is an untimed warm-up).
 *   npm run bench:auto            MODELS=seed1@32,seed1@256,mlp@128,mlp@512 REPEATS=3 EPOCHS=2
 */
import { availableParallelism } from 'node:os';
import * as weft from '../src/index.js';
import { BENCH_MODELS, inputTensor } from './models.js';

const { tf } = weft;
const REPEATS = Number(process.env.REPEATS ?? 3);
const EPOCHS = Number(process.env.EPOCHS ?? 2);
const ROWS = Number(process.env.ROWS ?? 4096);
const MODELS = (process.env.MODELS ?? 'seed1@32,seed1@256,mlp@128,mlp@512').split(',');
const cores = availableParallelism();
const counts = [...new Set([1, 2, 4, 8, 16, cores].filter((n) => n <= cores))].sort((a, b) => a - b);

const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];

/** Samples/s of one fit (the first epoch's trial steps included when `withTrials`, else excluded via a warm model). */
async function rate(key: string, batch: number, workers: number | 'auto'): Promise<{ samplesPerS: number; chosen: number }> {
  const bench = BENCH_MODELS[key];
  const { x, labels } = bench.rows(ROWS);
  const xs = inputTensor(bench.architecture, x, ROWS);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const model = bench.build();
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  // Warm-up: the pool starts, workers build the graph, and auto measures (once per batch size).
  await model.fit(xs, ys, { epochs: 1, batchSize: batch, workers, verbose: 0, seed: 1 });
  const times: number[] = [];
  let chosen = 0;
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    const h = await model.fit(xs, ys, { epochs: EPOCHS, batchSize: batch, workers, verbose: 0, seed: 1 });
    times.push(performance.now() - t0);
    chosen = h.params?.workers ?? 0;
  }
  await model.dispose();
  tf.dispose([xs, ys]);
  return { samplesPerS: (ROWS * EPOCHS) / (median(times) / 1000), chosen };
}

/** The one-time cost of auto's trial steps: a fresh model's first fit with auto minus the same with the chosen count. */
async function trialCost(key: string, batch: number): Promise<number> {
  const bench = BENCH_MODELS[key];
  const { x, labels } = bench.rows(batch * 4);
  const n = batch * 4;
  const xs = inputTensor(bench.architecture, x, n);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
  const time = async (workers: number | 'auto') => {
    const model = bench.build();
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const t0 = performance.now();
    const h = await model.fit(xs, ys, { epochs: 1, batchSize: batch, workers, verbose: 0, seed: 1 });
    const ms = performance.now() - t0;
    await model.dispose();
    return { ms, chosen: h.params?.workers ?? 0 };
  };
  const auto = await time('auto');
  const fixed = await time(auto.chosen);
  tf.dispose([xs, ys]);
  return auto.ms - fixed.ms;
}

console.log(`fit samples/s, ${ROWS} rows, ${EPOCHS} epochs, median of ${REPEATS}; ${cores} cores`);
console.log(`model@batch       ${counts.map((c) => `${c} worker${c === 1 ? ' ' : 's'}`.padStart(11)).join('')}        auto  chose  auto/best  trials ms`);
for (const spec of MODELS) {
  const [key, b] = spec.split('@');
  const batch = b === undefined ? BENCH_MODELS[key].batch : Number(b);
  const fixed: number[] = [];
  for (const c of counts) fixed.push((await rate(key, batch, c)).samplesPerS);
  const auto = await rate(key, batch, 'auto');
  const best = Math.max(...fixed);
  const trials = await trialCost(key, batch);
  console.log(`${spec.padEnd(16)} ${fixed.map((f) => f.toFixed(0).padStart(11)).join('')} ${auto.samplesPerS.toFixed(0).padStart(11)} ${String(auto.chosen).padStart(6)} ${(auto.samplesPerS / best).toFixed(3).padStart(10)} ${trials.toFixed(0).padStart(10)}`);
}
