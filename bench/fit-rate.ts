/**
 * model.fit (verbose 0) against the engine's steady-state step loop (bench/weft-rate.ts, what
 * the suite reports) for the same model, batch, loss and workers: issue 12 §5 asks fit to stay
 * within 5%. Both shuffle, train with Adam on sparse categorical crossentropy, and run on a warm
 * pool; fit's figure is the median of REPEATS fits of EPOCHS epochs after an untimed one, the
 * engine's is the median of its repeats, measured before and after fit (their mean is the base).
 *   npm run bench:fit            MODELS=mlp@128,mlp@512,seed1@32 WORKERS=1,2 REPEATS=5 EPOCHS=3
 */
import { availableParallelism } from 'node:os';
import * as weft from '../src/index.js';
import { BENCH_MODELS, inputTensor } from './models.js';
import { weftRate } from './weft-rate.js';

const { tf } = weft;
const REPEATS = Number(process.env.REPEATS ?? 5);
const EPOCHS = Number(process.env.EPOCHS ?? 3);
const STEPS = Number(process.env.STEPS ?? 20);
const MODELS = (process.env.MODELS ?? 'mlp@128,mlp@512,seed1@32').split(',');
const WORKERS = (process.env.WORKERS ?? `1,${availableParallelism()}`).split(',').map(Number);

const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];

async function fitRate(key: string, batch: number, workers: number): Promise<number> {
  const bench = BENCH_MODELS[key];
  const rows = batch * STEPS;
  const { x, labels } = bench.rows(rows);
  const xs = inputTensor(bench.architecture, x, rows);
  const ys = tf.tensor1d(labels);
  const model = bench.build();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const args = { epochs: EPOCHS, batchSize: batch, workers, verbose: 0 as const, seed: 1 };
  await model.fit(xs, ys, args);
  const times: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    await model.fit(xs, ys, args);
    times.push(performance.now() - t0);
  }
  await model.dispose();
  tf.dispose([xs, ys]);
  return (rows * EPOCHS) / (median(times) / 1000);
}

console.log(`fit vs the engine loop, samples/s; ${STEPS} steps an epoch, fit: median of ${REPEATS} fits of ${EPOCHS} epochs`);
console.log('model@batch      workers    engine       fit   fit/engine');
for (const spec of MODELS) {
  const [key, b] = spec.split('@');
  const batch = b === undefined ? BENCH_MODELS[key].batch : Number(b);
  for (const workers of WORKERS) {
    const engine = async () => (await weftRate(BENCH_MODELS[key].architecture, { batch, workers, repeats: REPEATS, warmupMs: 1500, minRepeatMs: 300, steps: STEPS })).samplesPerSec.median;
    const before = await engine();
    const fit = await fitRate(key, batch, workers);
    const after = await engine();
    const base = (before + after) / 2;
    console.log(`${spec.padEnd(16)} ${String(workers).padStart(7)} ${base.toFixed(0).padStart(9)} ${fit.toFixed(0).padStart(9)} ${(fit / base).toFixed(3).padStart(12)}`);
  }
}
