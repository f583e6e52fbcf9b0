/**
 * Samples/s of weft at N = 1, 2, ... workers for the benchmark models, the scaling efficiency
 * (rate at N) / (N × rate at 1), a per-step time breakdown, and tfjs-layers on wasm training
 * the same MLP in the same run as the baseline.
 *   npm run bench:scaling -- [--workers 1,2] [--models mlp,seed1,seed3] [--repeats 5] [--out file.json]
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { getLoss } from '../src/graph/losses.js';
import { ParallelEngine, type StepTiming } from '../src/parallel/coordinator.js';
import { WorkerPool } from '../src/parallel/pool.js';
import { keyFromSeed } from '../src/parallel/random.js';
import { epochPermutation } from '../src/parallel/shuffle.js';
import { adam } from '../src/train/optimizers.js';
import { TrainingState } from '../src/train/training-state.js';
import { BENCH_MODELS, type BenchModel } from './models.js';
import { summarize, type Summary } from './stats.js';

const { values: args } = parseArgs({
  options: {
    workers: { type: 'string', default: '' },
    models: { type: 'string', default: 'mlp,seed1,seed3' },
    repeats: { type: 'string', default: '5' },
    steps: { type: 'string', default: '10' },
    'warmup-ms': { type: 'string', default: '2000' },
    sharded: { type: 'string', default: 'auto' },
    batch: { type: 'string', default: '' },
    out: { type: 'string', default: '' },
    'no-peer': { type: 'boolean', default: false },
  },
});
const cores = availableParallelism();
const workerCounts = args.workers ? args.workers.split(',').map(Number) : Array.from({ length: cores }, (_, i) => i + 1);
const repeats = Number(args.repeats);
const stepsPerRepeat = Number(args.steps);
const warmupMs = Number(args['warmup-ms']);

interface Point {
  workers: number;
  samplesPerSec: Summary;
  efficiency: number;
  breakdown: Record<keyof StepTiming, number>;
}

function medianTiming(timings: StepTiming[]): Record<keyof StepTiming, number> {
  const keys = Object.keys(timings[0]) as (keyof StepTiming)[];
  return Object.fromEntries(keys.map((k) => [k, summarize(timings.map((t) => t[k])).median])) as Record<keyof StepTiming, number>;
}

/** Steady-state training throughput: the engine driven step by step, the pool already warm. */
async function measure(bench: BenchModel, batch: number, workers: number): Promise<Omit<Point, 'efficiency'>> {
  const model = bench.build();
  const rows = batch * stepsPerRepeat;
  const { x, labels } = bench.rows(rows);
  const data = { xs: [{ data: x, rowSize: x.length / rows, rows }], y: { data: labels, rowSize: 1, rows }, rows };
  const state = new TrainingState(adam(), getLoss('sparseCategoricalCrossentropy'), [], model.countParams());
  const runKey = keyFromSeed(1);
  const order = epochPermutation(runKey, 0, new Int32Array(rows));
  const pool = new WorkerPool(workers);
  const engine = new ParallelEngine(pool, model, { loss: 'sparseCategoricalCrossentropy', metrics: [] }, {
    data, runKey, optimizer: state, shardedUpdate: args.sharded === 'auto' ? undefined : args.sharded === 'on',
  });
  try {
    const epoch = async (): Promise<number> => {
      const t0 = performance.now();
      for (let s = 0; s < stepsPerRepeat; s++) await engine.trainBatch(0, order, s * batch, (s + 1) * batch);
      return performance.now() - t0;
    };
    // Warm-up by time, not by steps: fresh threads run wasm in V8's baseline tier until the
    // hot kernels are recompiled optimised, which takes a second or so of work.
    for (const t0 = performance.now(); performance.now() - t0 < warmupMs; ) await epoch();
    // Each repeat trains whole passes over the rows for at least half a second, so a fast
    // model's figure is not one scheduler hiccup.
    const rates: number[] = [];
    const timings: StepTiming[] = [];
    for (let r = 0; r < repeats; r++) {
      let ms = 0;
      let passes = 0;
      while (ms < 500) {
        ms += await epoch();
        passes += 1;
        timings.push(engine.lastTiming as StepTiming);
      }
      rates.push(((passes * rows) / ms) * 1000);
    }
    return { workers, samplesPerSec: summarize(rates), breakdown: medianTiming(timings) };
  } finally {
    await pool.destroy();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const results: Record<string, { batch: number; points: Point[] }> = {};
for (const key of args.models.split(',')) {
  const bench = BENCH_MODELS[key];
  if (bench === undefined) throw new Error(`--models: unknown model '${key}'; expected ${Object.keys(BENCH_MODELS).join(', ')}`);
  const batch = args.batch ? Number(args.batch) : bench.batch;
  console.log(`\n${bench.name}, global batch ${batch}`);
  const points: Point[] = [];
  for (const workers of workerCounts) {
    const p = await measure(bench, batch, workers);
    const base = points[0]?.samplesPerSec.median ?? p.samplesPerSec.median;
    const point = { ...p, efficiency: p.samplesPerSec.median / (workers * base) };
    points.push(point);
    const b = point.breakdown;
    const step = b.dispatchAndWaitMs + b.reduceMs + b.optimizerMs;
    const outside = step - b.workerComputeMs + b.copyInMs + b.exportMs;
    console.log(
      `  N=${workers}: ${fmt(p.samplesPerSec.median)} samples/s (min ${fmt(p.samplesPerSec.min)}, max ${fmt(p.samplesPerSec.max)})` +
      `  efficiency ${(100 * point.efficiency).toFixed(0)}%\n` +
      `       step ${step.toFixed(2)} ms = worker ${b.workerComputeMs.toFixed(2)} (copy-in ${b.copyInMs.toFixed(2)}, export ${b.exportMs.toFixed(2)})` +
      ` + dispatch/wait ${(b.dispatchAndWaitMs - b.workerComputeMs).toFixed(2)} + reduce ${b.reduceMs.toFixed(2)} + optimizer ${b.optimizerMs.toFixed(2)}` +
      `  → outside compute ${(100 * outside / step).toFixed(1)}%`,
    );
  }
  results[key] = { batch, points };
}

let peer: { samplesPerSec: number } | null = null;
if (!args['no-peer'] && results.mlp !== undefined) {
  const { tfjsLayersMlpRate } = await import('./peers/tfjs-layers.js');
  const rate = (await tfjsLayersMlpRate({ backend: 'wasm', batch: results.mlp.batch, dropout: 0.2, repeats: 3, warmup: 1 })).samplesPerSec;
  peer = { samplesPerSec: rate };
  const best = Math.max(...results.mlp.points.map((p) => p.samplesPerSec.median));
  const one = results.mlp.points[0].samplesPerSec.median;
  console.log(`\ntfjs-layers on wasm, same MLP, batch ${results.mlp.batch}: ${fmt(rate)} samples/s`);
  console.log(`weft / tfjs-layers: ${(one / rate).toFixed(1)}x with 1 worker, ${(best / rate).toFixed(1)}x at best`);
}

const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores, node: process.version, date: new Date().toISOString() };
if (args.out) writeFileSync(args.out, JSON.stringify({ machine, results, tfjsLayersWasm: peer }, null, 2));
console.log(`\n${machine.cpu}, ${cores} cores, Node ${machine.node}`);
