/**
 * Where a convnet training step's time goes, on one thread: the zoo's Keras MNIST convnet
 * (28×28×1, 34,826 parameters) trained on `--rows` rows (a worker's shard; default 64) through
 * the real StepRunner, as the median of timed steps after warm-up, then the kernels that take
 * the time (tf.profile; wasm runs synchronously, so a kernel's time is its own). Each step makes
 * new tensors, as in training: wasm repacks a new conv filter or matMul operand on every call,
 * which a benchmark that reuses its inputs would hide.
 * `--data fashion` trains on the first Fashion-MNIST images instead of the synthetic ramp, whose
 * values are never zero (real images are mostly zero background).
 *   npm run bench:conv-step -- [--rows 64] [--steps 20] [--data synthetic|fashion]
 */
import * as weft from '../src/index.js';
import { getLoss } from '../src/graph/losses.js';
import { keyFromSeed } from '../src/parallel/random.js';
import { StepRunner } from '../src/parallel/step.js';
import { loadFashionMnistSplit } from '../src/train/datasets/fashion-mnist.js';
import { convnet } from '../src/train/zoo.js';
import { flagNumber, parseScriptArgs, runScript } from './args.js';
import { summarize } from './stats.js';

async function main(): Promise<void> {
  const args = parseScriptArgs({ rows: { type: 'string', default: '64' }, steps: { type: 'string', default: '20' }, data: { type: 'string', default: 'synthetic' } });
  const rows = flagNumber('rows', String(args.rows), 'a positive integer');
  const steps = flagNumber('steps', String(args.steps), 'a positive integer');
  const model = convnet([28, 28], 1);
  const runner = new StepRunner(model, getLoss('sparseCategoricalCrossentropy'), []);
  if (args.data !== 'synthetic' && args.data !== 'fashion') throw new RangeError(`--data: expected 'synthetic' or 'fashion', received '${String(args.data)}'`);
  const fashion = args.data === 'fashion' ? loadFashionMnistSplit('train') : null;
  const xs = fashion === null ? new Float32Array(rows * 784).map((_, i) => ((i * 2654435761) % 255) / 255) : fashion.x.slice(0, rows * 784);
  const y = fashion === null ? Float32Array.from({ length: rows }, (_, i) => i % 10) : Float32Array.from(fashion.labels.subarray(0, rows));
  const grad = new Float32Array(model.params.length);
  const key = { runKey: keyFromSeed(1), epoch: 0 };
  const step = () => runner.train(model.params, { xs: [xs], y, rows, firstExample: 0 }, key, grad);
  for (let i = 0; i < 5; i++) step();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  const s = summarize(times);
  console.log(`Keras MNIST convnet, ${rows} rows of ${args.data} data, one thread: step ${s.median.toFixed(1)} ms median (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)}) = ${Math.round((1000 * rows) / s.median)} samples/s`);

  // Kernels only (an op's wrapper, e.g. fusedConv2d__op, also shows as a kernel: skipped).
  const byKernel = new Map<string, number>();
  const profiled = 5;
  for (let r = 0; r < profiled; r++) {
    const info = await weft.tf.profile(() => {
      step();
    });
    for (const k of info.kernels) {
      if (k.name.endsWith('__op')) continue;
      const label = `${k.name} ${JSON.stringify(k.inputShapes)}`;
      const ms = await k.kernelTimeMs;
      byKernel.set(label, (byKernel.get(label) ?? 0) + (typeof ms === 'number' ? ms : 0) / profiled);
    }
  }
  const ranked = [...byKernel].sort((a, b) => b[1] - a[1]);
  const total = ranked.reduce((sum, [, ms]) => sum + ms, 0);
  console.log(`kernels: ${total.toFixed(1)} ms per step (profiled); the largest:`);
  for (const [label, ms] of ranked.slice(0, 15)) console.log(`  ${ms.toFixed(2).padStart(7)} ms  ${label}`);
}

await runScript('bench:conv-step', main);
