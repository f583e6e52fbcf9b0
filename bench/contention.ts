/**
 * Where multi-core scaling bends on this machine: how much of its one-thread rate each thread
 * keeps when N threads of one process run the same work at once, for plain tf.matMul doing a
 * training step's products (the hardware's and wasm's ceiling: no weft code) and for weft's own
 * step on the same shard (no coordination, no reduction, no optimizer). If weft keeps what the
 * plain matMul keeps, the bend is in the machine (memory bandwidth, shared caches, clocks); the
 * rest of the gap to ideal scaling is the coordination measured by the suite's breakdown.
 *   npm run bench:contention -- [--threads 1,2,4,...] [--rows 128] [--model mlp] [--timed-ms 3000]
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { flagInts, flagNumber, parseScriptArgs, runScript } from './args.js';
import type { ContentionJob } from './contention-thread.js';
import { BENCH_MODELS } from './models.js';
import { defaultWorkerCounts } from './suite-options.js';
import { summarize } from './stats.js';

/** The checked flags; a RangeError names the bad one. */
function plan() {
  const args = parseScriptArgs({
    threads: { type: 'string' },
    rows: { type: 'string', default: '128' },
    model: { type: 'string', default: 'mlp' },
    'warmup-ms': { type: 'string', default: '1500' },
    'timed-ms': { type: 'string', default: '3000' },
  });
  const bench = BENCH_MODELS[String(args.model)];
  if (bench === undefined) throw new RangeError(`--model: expected one of ${Object.keys(BENCH_MODELS).join(', ')}, received '${String(args.model)}'`);
  const threads = typeof args.threads === 'string' ? flagInts('threads', args.threads) : defaultWorkerCounts(availableParallelism());
  const number = (flag: string): number => flagNumber(flag, String(args[flag]), 'a number > 0');
  return { bench, threads, rows: number('rows'), warmupMs: number('warmup-ms'), timedMs: number('timed-ms') };
}

// Compiled only (npm run bench:contention builds first): the threads load dist's .js.
const script = new URL('./contention-thread.js', import.meta.url);

/** Per-thread rates (runs/s) of `n` threads running `work` together. */
async function together(p: ReturnType<typeof plan>, work: ContentionJob['work'], n: number): Promise<number[]> {
  const barrier = new SharedArrayBuffer(12);
  new Int32Array(barrier)[2] = n;
  const job: ContentionJob = { work, architecture: p.bench.architecture, rows: p.rows, warmupMs: p.warmupMs, timedMs: p.timedMs, barrier };
  return Promise.all(Array.from({ length: n }, () => new Promise<number>((done, fail) => {
    const w = new Worker(script, { workerData: job });
    w.once('message', (rate: number) => { done(rate); void w.terminate(); });
    w.once('error', fail);
  })));
}

async function main(): Promise<void> {
  const p = plan();
  const base = p.threads[0];
  console.log(`${p.bench.name}: ${p.rows} rows per thread; per-thread rate relative to ${base === 1 ? 'one thread alone' : `${base} threads together`}`);
  for (const work of ['matmul', 'step'] as const) {
    let first = 0;
    for (const n of p.threads) {
      const rates = await together(p, work, n);
      const s = summarize(rates);
      if (n === base) first = s.median;
      const samples = rates.reduce((a, b) => a + b, 0) * p.rows;
      console.log(`  ${work.padEnd(6)} N=${String(n).padStart(2)}: ${s.median.toFixed(1)} runs/s per thread (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)}) = ${(100 * s.median / first).toFixed(0)}% of N=${base}'s; ${Math.round(samples).toLocaleString('en-US')} samples/s together`);
    }
  }
}

await runScript('bench:contention', main);
