/**
 * Steady-state training throughput of weft: the parallel engine driven step by step over a warm
 * pool, so the figure is the step itself (no per-fit set-up, no progress, no callbacks).
 */
import { getLoss } from '../src/graph/losses.js';
import { ParallelEngine, type CrossHostSum, type StepTiming } from '../src/parallel/coordinator.js';
import { WorkerPool } from '../src/parallel/pool.js';
import { keyFromSeed } from '../src/parallel/random.js';
import { epochPermutation } from '../src/parallel/shuffle.js';
import { adam } from '../src/train/optimizers.js';
import { TrainingState } from '../src/train/training-state.js';
import { buildWeft, rowSize, syntheticRows } from './models.js';
import type { Architecture, WeftPoint } from './results.js';
import { summarize } from './stats.js';

export interface RateOptions {
  readonly batch: number;
  readonly workers: number;
  readonly repeats: number;
  /** Untimed training before the repeats: fresh threads run wasm in V8's baseline tier until the hot kernels are recompiled optimised. */
  readonly warmupMs: number;
  /** Each repeat trains whole passes for at least this long, so a fast model's figure is not one scheduler hiccup. */
  readonly minRepeatMs: number;
  /** Steps per pass over the synthetic rows. */
  readonly steps?: number;
  /** Force the sharded update on or off; default: the engine's own choice. */
  readonly sharded?: boolean;
  /** Other hosts training with this one (bench/hosts.ts): every host must run the same steps. */
  readonly hosts?: CrossHostSum;
  /**
   * Fixed passes for the warm-up and for each repeat instead of timed ones: ranks on several
   * hosts must run the same number of steps (a timed loop would stop them at different ones).
   */
  readonly passes?: number;
}

/** A step's timing plus the slowest worker's time inside the sharded update round (0 without one). */
type Timing = StepTiming & { updateWorkerMs: number };

function medianTiming(timings: readonly Timing[]): Record<string, number> {
  const keys = Object.keys(timings[0]) as (keyof Timing)[];
  return Object.fromEntries(keys.map((k) => [k, summarize(timings.map((t) => t[k])).median]));
}

/** Samples/s (median, min, max over the repeats) and the median per-step breakdown. */
export async function weftRate(arch: Architecture, opts: RateOptions): Promise<Omit<WeftPoint, 'efficiency'>> {
  const { batch, workers, repeats, warmupMs, minRepeatMs } = opts;
  const steps = opts.steps ?? 10;
  const model = buildWeft(arch);
  const rows = batch * steps;
  const { x, labels } = syntheticRows(arch, rows);
  const data = { xs: [{ data: x, rowSize: rowSize(arch), rows }], y: { data: labels, rowSize: 1, rows }, rows };
  const state = new TrainingState(adam(), getLoss('sparseCategoricalCrossentropy'), [], model.layout.trainableSize);
  const runKey = keyFromSeed(1);
  const order = epochPermutation(runKey, 0, new Int32Array(rows));
  const pool = new WorkerPool(workers);
  try {
    const engine = new ParallelEngine(pool, model, { loss: state.loss.spec, metrics: [] }, {
      data, runKey, optimizer: state, shardedUpdate: opts.sharded, hosts: opts.hosts ?? null,
    });
    const pass = async (): Promise<number> => {
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) await engine.trainBatch(0, order, s * batch, (s + 1) * batch);
      return performance.now() - t0;
    };
    const fixed = opts.passes;
    if (fixed !== undefined) for (let p = 0; p < fixed; p++) await pass();
    else for (const t0 = performance.now(); performance.now() - t0 < warmupMs; ) await pass();
    const rates: number[] = [];
    const timings: Timing[] = [];
    for (let r = 0; r < repeats; r++) {
      let ms = 0;
      let passes = 0;
      while (fixed === undefined ? ms < minRepeatMs || passes === 0 : passes < fixed) {
        ms += await pass();
        passes += 1;
        timings.push({ ...(engine.lastTiming as StepTiming), updateWorkerMs: engine.updateWorkerMs });
      }
      rates.push(((passes * rows) / ms) * 1000);
    }
    return { workers, samplesPerSec: summarize(rates), breakdown: medianTiming(timings) };
  } finally {
    await pool.destroy();
  }
}
