/**
 * Long runs (issue 6): does a process that trains again and again, or for a long time, stay
 * the same size? Goal: after warm-up, growth < 5% and zero leaked tensors, threads or handles.
 *   npm run bench:soak -- [--fits 500] [--fresh-fits 100] [--epochs 20] [--rows 12000]
 *                         [--batch 128] [--workers N] [--quick]
 *   (or: npx tsx bench/soak.ts --quick)
 * Three runs, one after the other, in this one process:
 *  1a. --fits short fits of seed example 1 (100-128-10, dropout 0.5; 512 synthetic rows, batch 64,
 *      1 epoch, 128 validation rows, verbose 0) on ONE model: its pool is reused across fits.
 *  1b. --fresh-fits fits, each on a NEW model that is disposed after it: a pool started and
 *      closed every time (many small jobs); threads and handles must come back to baseline.
 *  2.  A --epochs-epoch fit of the 784-512-512-10 MLP (dropout 0.2) on the first --rows images
 *      of Fashion-MNIST when weft.loadFashionMnistSplit finds it, else on synthetic rows.
 * Sampled after warm-up (the first 10% of fits; epoch 1) and at the end: resident memory, V8
 * heap (after a forced GC), external/ArrayBuffer memory, the V8 heap each isolate holds from the
 * OS (this thread's after the GC; each worker's as it reports it after its last step), resident
 * memory outside those heaps, OS threads (/proc/self/status),
 * open file descriptors (/proc/self/fd), active libuv resources by type
 * (process.getActiveResourcesInfo), host tfjs tensors, and the live tfjs tensors each worker
 * reports after its last step (ParallelEngine.workerTensors, read from the fits' own engines).
 * Always exits 0 when it completes: the verdicts are printed, FAIL lines marked.
 * --quick: --fits 50 --fresh-fits 20 --epochs 3 --rows 4000.
 * Compiled (npm run bench:soak) is the figure to quote: under tsx every new pool's workers compile
 * the TypeScript sources again (~2.5 s per fit in 1b on a 2-core machine, against ~0.8 s compiled).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import * as weft from '../src/index.js';
import { ParallelEngine } from '../src/parallel/coordinator.js';
import { BENCH_MODELS, mlp, seed1 } from './models.js';

const { values: opts } = parseArgs({
  options: {
    fits: { type: 'string' },
    'fresh-fits': { type: 'string' },
    epochs: { type: 'string' },
    rows: { type: 'string' },
    batch: { type: 'string', default: '128' },
    workers: { type: 'string', default: String(availableParallelism()) },
    quick: { type: 'boolean', default: false },
  },
});
const quick = opts.quick;
const num = (name: string, value: string | undefined, fallback: number, min = 1): number => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: expected an integer ≥ ${min}, received ${value}`);
  return n;
};
const FITS = num('fits', opts.fits, quick ? 50 : 500, 2);
const FRESH_FITS = num('fresh-fits', opts['fresh-fits'], quick ? 20 : 100, 0);
const EPOCHS = num('epochs', opts.epochs, quick ? 3 : 20, 2);
const ROWS = num('rows', opts.rows, quick ? 4000 : 12000);
const BATCH = num('batch', opts.batch, 128);
const WORKERS = num('workers', opts.workers, availableParallelism());
const GOAL_GROWTH = 0.05;

const { tf } = weft;

// ---- measurement -------------------------------------------------------------------------

/** A real collector even without --expose-gc, so heap figures are live objects, not garbage. */
const gc: () => void = (() => {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** Live tfjs tensors per worker after the most recent training step of any fit in this process. */
let lastWorkerTensors: number[] | null = null;
/** Each worker's V8 heap after that step. */
let lastWorkerHeap: ParallelEngine['workerHeap'] | null = null;
let stepsSeen = 0;
// model.fit builds its ParallelEngine internally; wrapping the method on the prototype reads
// each engine's own workerTensors (what every worker reports with every task) without changing
// what fit does.
const trainBatch = ParallelEngine.prototype.trainBatch;
ParallelEngine.prototype.trainBatch = async function (this: ParallelEngine, ...args: Parameters<typeof trainBatch>) {
  const stats = await trainBatch.apply(this, args);
  lastWorkerTensors = [...this.workerTensors];
  lastWorkerHeap = [...this.workerHeap];
  stepsSeen += 1;
  return stats;
};

interface Sample {
  rss: number;
  heapUsed: number;
  /** V8 heap committed by this thread (after the GC). */
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  threads: number | null;
  fds: number | null;
  resources: Record<string, number>;
  hostTensors: number;
  workerTensors: number[] | null;
  /** V8 heap committed by each worker, by rank. */
  workerHeap: number[] | null;
}

/**
 * Resident memory outside every isolate's V8 heap: shared buffers, the workers' wasm heaps,
 * malloc'd memory, code. V8 sizes its heaps by its own rules (an isolate's young generation
 * grows once enough objects have survived collections, however slowly; weft caps a worker's at
 * 24 MB), so the V8 heap rows show that growth and this row what weft itself holds.
 */
const outsideHeaps = (s: Sample) => s.rss - s.heapTotal - (s.workerHeap ?? []).reduce((a, b) => a + b, 0);

function procThreads(): number | null {
  try {
    const m = /^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

function procFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}

function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Lets just-closed threads and handles finish closing, then collects garbage twice. */
async function settle(ms = 20): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
}

/** `workersLive`: false once the pool that reported the worker figures has been closed. */
async function sample(settleMs?: number, workersLive = true): Promise<Sample> {
  await settle(settleMs);
  const m = process.memoryUsage();
  return {
    rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers,
    threads: procThreads(), fds: procFds(), resources: resourceCounts(),
    hostTensors: tf.memory().numTensors, workerTensors: lastWorkerTensors === null ? null : [...lastWorkerTensors],
    workerHeap: lastWorkerHeap === null || !workersLive ? null : lastWorkerHeap.map((h) => h.committed),
  };
}

// ---- report ------------------------------------------------------------------------------

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
const fails: string[] = [];

interface Row {
  metric: string;
  warm: string;
  end: string;
  growth: string;
  verdict: string;
}

/** A memory figure: PASS when it grew by less than 5% from warm-up to end. */
function memoryRow(metric: string, warm: number, end: number): Row {
  const g = (end - warm) / warm;
  const ok = g < GOAL_GROWTH;
  return { metric, warm: mb(warm), end: mb(end), growth: `${g >= 0 ? '+' : ''}${(100 * g).toFixed(2)}%`, verdict: ok ? 'PASS' : `FAIL (≥ ${100 * GOAL_GROWTH}%)` };
}

/** A count of things that must not leak: PASS only when the end equals the warm-up figure. */
function countRow(metric: string, warm: number | null, end: number | null): Row {
  if (warm === null || end === null) return { metric, warm: String(warm ?? 'n/a'), end: String(end ?? 'n/a'), growth: 'n/a', verdict: 'n/a' };
  const d = end - warm;
  const growth = `${d >= 0 ? '+' : ''}${d}`;
  return { metric, warm: String(warm), end: String(end), growth, verdict: d === 0 ? 'PASS' : d > 0 ? `FAIL (${d} leaked)` : 'PASS (fewer)' };
}

/** The table rows; `countsOnly` leaves out memory and worker tensors (for comparisons with no pool running). */
function rowsFor(a: Sample, b: Sample, countsOnly = false): Row[] {
  const workerHeaps = countsOnly ? [] : Array.from({ length: Math.max(a.workerHeap?.length ?? 0, b.workerHeap?.length ?? 0) },
    (_, r) => memoryRow(`worker ${r} V8 heap committed`, a.workerHeap?.[r] ?? NaN, b.workerHeap?.[r] ?? NaN));
  const rows = countsOnly ? [] : [
    memoryRow('RSS', a.rss, b.rss),
    memoryRow('V8 heap used', a.heapUsed, b.heapUsed),
    memoryRow('V8 heap committed', a.heapTotal, b.heapTotal),
    ...workerHeaps,
    memoryRow('RSS outside the V8 heaps', outsideHeaps(a), outsideHeaps(b)),
    memoryRow('external (incl. ArrayBuffers)', a.external, b.external),
  ];
  rows.push(countRow('OS threads', a.threads, b.threads), countRow('open file descriptors', a.fds, b.fds));
  const types = [...new Set([...Object.keys(a.resources), ...Object.keys(b.resources)])].sort();
  const total = (s: Sample) => Object.values(s.resources).reduce((x, y) => x + y, 0);
  rows.push(countRow('active resources (total)', total(a), total(b)));
  for (const t of types) rows.push(countRow(`  ${t}`, a.resources[t] ?? 0, b.resources[t] ?? 0));
  rows.push(countRow('host tfjs tensors', a.hostTensors, b.hostTensors));
  if (countsOnly) return rows;
  const ranks = Math.max(a.workerTensors?.length ?? 0, b.workerTensors?.length ?? 0);
  if (ranks === 0) rows.push(countRow('worker tfjs tensors', null, null));
  for (let r = 0; r < ranks; r++) rows.push(countRow(`worker ${r} tfjs tensors`, a.workerTensors?.[r] ?? null, b.workerTensors?.[r] ?? null));
  return rows;
}

function printTable(title: string, rows: Row[], warmLabel = 'after warm-up', endLabel = 'at end'): void {
  const head: Row = { metric: 'metric', warm: warmLabel, end: endLabel, growth: 'growth', verdict: 'verdict' };
  const all = [head, ...rows];
  const w = (k: keyof Row) => Math.max(...all.map((r) => r[k].length));
  const line = (r: Row) =>
    `  ${r.metric.padEnd(w('metric'))}  ${r.warm.padStart(w('warm'))}  ${r.end.padStart(w('end'))}  ${r.growth.padStart(w('growth'))}  ${r.verdict}`;
  console.log(`\n${title}`);
  console.log(line(head));
  console.log(`  ${'-'.repeat(line(head).length - 2)}`);
  for (const r of rows) {
    console.log(line(r));
    if (r.verdict.startsWith('FAIL')) fails.push(`${title.split(':')[0]}: ${r.metric.trim()} ${r.warm} → ${r.end} (${r.growth})`);
  }
}

/** Least-squares slope of y over x: bytes per fit (or per epoch) after warm-up. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function printTrend(unit: string, points: { at: number; s: Sample }[]): void {
  const at = points.map((p) => p.at);
  const kb = (b: number) => `${b >= 0 ? '+' : ''}${(b / 1024).toFixed(1)} KB`;
  console.log(`  trend after warm-up (least squares over ${points.length} samples): ` +
    `RSS ${kb(slope(at, points.map((p) => p.s.rss)))}/${unit}, heap ${kb(slope(at, points.map((p) => p.s.heapUsed)))}/${unit}, ` +
    `external ${kb(slope(at, points.map((p) => p.s.external)))}/${unit}`);
  // A bounded warm-up flattens out; a leak keeps its slope to the end.
  const tail = points.slice(points.length >> 1);
  console.log(`  second half only (${tail.length} samples): RSS ${kb(slope(tail.map((p) => p.at), tail.map((p) => p.s.rss)))}/${unit}`);
  console.log(`  RSS series (MB): ${points.map((p) => `${unit} ${p.at}: ${(p.s.rss / 2 ** 20).toFixed(0)}`).join(', ')}`);
}

const seconds = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

// ---- part 1 ------------------------------------------------------------------------------

const SMALL_ROWS = 512;
const SMALL_VAL = 128;
const SMALL_BATCH = 64;
const SMALL_COMPILE = { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] };

function smallData(): { xs: weft.tf.Tensor; ys: weft.tf.Tensor; xv: weft.tf.Tensor; yv: weft.tf.Tensor } {
  const { x, labels } = BENCH_MODELS.seed1.rows(SMALL_ROWS + SMALL_VAL);
  const all = tf.tensor2d(x as Float32Array, [SMALL_ROWS + SMALL_VAL, 100]);
  const ally = tf.tensor1d(labels);
  const [xs, xv] = tf.split(all, [SMALL_ROWS, SMALL_VAL]);
  const [ys, yv] = tf.split(ally, [SMALL_ROWS, SMALL_VAL]);
  all.dispose();
  ally.dispose();
  return { xs, ys, xv, yv };
}

const fitSmall = (model: weft.Model, data: ReturnType<typeof smallData>, i: number) =>
  model.fit(data.xs, data.ys, {
    epochs: 1, batchSize: SMALL_BATCH, verbose: 0, workers: WORKERS, seed: 1 + i, validationData: [data.xv, data.yv],
  });

/** When to sample a run of `n` units: the end of warm-up (first 10%), ~20 points after, and the end. */
function samplePoints(n: number): { warm: number; at: Set<number> } {
  const warm = Math.max(1, Math.ceil(n * 0.1));
  const every = Math.max(1, Math.floor((n - warm) / 20));
  const at = new Set<number>([warm, n]);
  for (let k = warm + every; k < n; k += every) at.add(k);
  return { warm, at };
}

async function reusedPool(data: ReturnType<typeof smallData>, baseline: Sample): Promise<void> {
  const t0 = performance.now();
  const model = seed1();
  model.compile(SMALL_COMPILE);
  const { warm, at } = samplePoints(FITS);
  const points: { at: number; s: Sample }[] = [];
  let loss = NaN;
  for (let i = 1; i <= FITS; i++) {
    const h = await fitSmall(model, data, i);
    loss = h.history.loss[0];
    if (at.has(i)) points.push({ at: i, s: await sample() });
  }
  const during = points[points.length - 1].s;
  await model.dispose();
  const after = await sample(100);
  console.log(`\nPart 1a: ${FITS} fits of seed example 1 on one model (one pool of ${WORKERS} workers reused), ${seconds(t0)}` +
    `; ${SMALL_ROWS} rows, batch ${SMALL_BATCH}, 1 epoch + ${SMALL_VAL} validation rows each; last loss ${loss.toFixed(4)}`);
  printTable(`Part 1a: reused pool, after fit ${warm} (warm-up) vs after fit ${FITS}`, rowsFor(points[0].s, during));
  printTrend('fit', points);
  printTable('Part 1a: after model.dispose(), vs before any pool existed', rowsFor(baseline, after, true),
    'before pool', 'after dispose');
}

async function freshModels(data: ReturnType<typeof smallData>, baseline: Sample): Promise<void> {
  if (FRESH_FITS === 0) return;
  const t0 = performance.now();
  const { warm, at } = samplePoints(FRESH_FITS);
  const points: { at: number; s: Sample }[] = [];
  let loss = NaN;
  for (let i = 1; i <= FRESH_FITS; i++) {
    const model = seed1();
    model.compile(SMALL_COMPILE);
    try {
      loss = (await fitSmall(model, data, i)).history.loss[0];
    } finally {
      await model.dispose();
    }
    if (at.has(i)) points.push({ at: i, s: await sample(100, false) });
  }
  const end = points[points.length - 1].s;
  console.log(`\nPart 1b: ${FRESH_FITS} fits, each on a new seed-1 model disposed after it (a pool of ${WORKERS} started and closed per fit), ` +
    `${seconds(t0)} (${((performance.now() - t0) / FRESH_FITS).toFixed(0)} ms per fit); last loss ${loss.toFixed(4)}`);
  printTable(`Part 1b: new model per fit, after dispose ${warm} (warm-up) vs after dispose ${FRESH_FITS}`, rowsFor(points[0].s, end));
  printTrend('fit', points);
  printTable('Part 1b: after the last dispose, vs before any pool existed', rowsFor(baseline, end, true),
    'before pool', 'after dispose');
}

// ---- part 2 ------------------------------------------------------------------------------

function fashionData(): { x: Float32Array; labels: Float32Array; rows: number; source: string } {
  try {
    const split = weft.loadFashionMnistSplit('train');
    const rows = Math.min(ROWS, split.rows);
    return {
      x: split.x.subarray(0, rows * 784), labels: Float32Array.from(split.labels.subarray(0, rows)), rows,
      source: `real Fashion-MNIST (first ${rows} of ${split.rows} training images, from ${split.source})`,
    };
  } catch (err) {
    const { x, labels } = BENCH_MODELS.mlp.rows(ROWS);
    const why = (err as Error).message.split('\n')[0];
    return { x: x as Float32Array, labels, rows: ROWS, source: `synthetic ${ROWS} × 784 rows (Fashion-MNIST not found: ${why})` };
  }
}

async function fashionRun(): Promise<void> {
  const t0 = performance.now();
  const data = fashionData();
  const xs = tf.tensor2d(data.x, [data.rows, 784]);
  const ys = tf.tensor1d(data.labels);
  const model = mlp();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const points: { at: number; s: Sample }[] = [];
  const epochMs: number[] = [];
  let tEpoch = performance.now();
  const history = await model.fit(xs, ys, {
    epochs: EPOCHS, batchSize: BATCH, workers: WORKERS, seed: 1, verbose: 0,
    callbacks: {
      onEpochEnd: async (epoch) => {
        epochMs.push(performance.now() - tEpoch);
        points.push({ at: epoch + 1, s: await sample(0) });
        tEpoch = performance.now();
      },
    },
  });
  await model.dispose();
  xs.dispose();
  ys.dispose();
  const loss = history.history.loss as number[];
  const acc = history.history.acc ?? history.history.accuracy;
  const median = [...epochMs].sort((a, b) => a - b)[epochMs.length >> 1];
  console.log(`\nPart 2: ${EPOCHS}-epoch fit of the MLP 784-512-512-10 (dropout 0.2, Adam) on ${data.source}; ` +
    `batch ${BATCH}, ${WORKERS} workers; ${seconds(t0)} (median epoch ${(median / 1000).toFixed(2)} s, ` +
    `${Math.round(data.rows / (median / 1000)).toLocaleString('en-US')} samples/s)`);
  console.log(`  loss ${loss[0].toFixed(4)} → ${loss[loss.length - 1].toFixed(4)}` +
    (acc === undefined ? '' : `, accuracy ${(acc[0] as number).toFixed(4)} → ${(acc[acc.length - 1] as number).toFixed(4)}`));
  printTable(`Part 2: ${EPOCHS}-epoch run, after epoch 1 (warm-up) vs after epoch ${EPOCHS} (sampled in onEpochEnd, pool running)`,
    rowsFor(points[0].s, points[points.length - 1].s));
  printTrend('epoch', points);
}

// ---- main --------------------------------------------------------------------------------

const started = performance.now();
console.log(`weft soak benchmark${quick ? ' (--quick)' : ''}: ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, ` +
  `Node ${process.version}, ${WORKERS} workers`);
console.log(`Goal: after warm-up, growth < ${100 * GOAL_GROWTH}% and zero leaked tensors, threads or handles.`);
// Start libuv's thread pool (it starts on first use) before the baseline, so it is not counted as a leak.
await readFile(fileURLToPath(import.meta.url));
const small = smallData();
const baseline = await sample(100);
await reusedPool(small, baseline);
await freshModels(small, baseline);
await fashionRun();
for (const t of Object.values(small)) t.dispose();
console.log(`\nTotal ${seconds(started)}; ${stepsSeen} training steps observed.`);
if (fails.length === 0) console.log('All checks PASS.');
else {
  console.log(`${fails.length} check(s) FAIL:`);
  for (const f of fails) console.log(`FAIL  ${f}`);
}
process.exitCode = 0;
