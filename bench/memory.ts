/**
 * Resident memory of a fit with 1 and with 4 workers on a 60,000 × 784 dataset. The dataset
 * lives once in shared memory and the weights once too, so extra workers should add only their
 * own runtime (V8 isolate, wasm heap): goal RSS(4) ≤ RSS(1) + 160 MB.
 *   npm run bench:memory
 * Each measurement runs in a fresh child process, so one cannot inherit the other's heap.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { child: { type: 'string' }, rows: { type: 'string', default: '60000' } } });
const rows = Number(args.rows);

async function child(workers: number): Promise<void> {
  const weft = await import('../src/index.js');
  const { mlp } = await import('./models.js');
  const x = new Float32Array(rows * 784);
  for (let i = 0; i < x.length; i++) x[i] = (i % 251) / 251;
  const labels = Int32Array.from({ length: rows }, (_, i) => i % 10);
  const model = mlp();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const xs = weft.tf.tensor2d(x, [rows, 784]);
  const ys = weft.tf.tensor1d(labels, 'float32');
  await model.fit(xs, ys, { epochs: 1, batchSize: 512, workers, seed: 1, verbose: 0 });
  const rss = process.memoryUsage().rss;
  const peak = process.resourceUsage().maxRSS * 1024;
  await model.dispose();
  console.log(JSON.stringify({ workers, rss, peak }));
}

function measure(workers: number): { rss: number; peak: number } {
  const script = fileURLToPath(import.meta.url);
  const runner = script.endsWith('.ts') ? ['--import', 'tsx', script] : [script];
  const out = execFileSync(process.execPath, [...runner, '--child', String(workers), '--rows', String(rows)], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

if (args.child !== undefined) {
  await child(Number(args.child));
} else {
  const mb = (b: number) => (b / 2 ** 20).toFixed(0);
  const one = measure(1);
  const four = measure(4);
  const dataset = (rows * 784 * 4) / 2 ** 20;
  console.log(`Dataset ${rows} × 784 float32 = ${dataset.toFixed(0)} MB`);
  console.log(`RSS after fit: 1 worker ${mb(one.rss)} MB, 4 workers ${mb(four.rss)} MB, difference ${mb(four.rss - one.rss)} MB (goal ≤ 160 MB)`);
  console.log(`Peak RSS:      1 worker ${mb(one.peak)} MB, 4 workers ${mb(four.peak)} MB, difference ${mb(four.peak - one.peak)} MB`);
}
