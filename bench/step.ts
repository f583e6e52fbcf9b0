/**
 * One training step in one thread, against plain tf.matMul doing the same products in the same
 * run: how close the hand-written backward passes come to the wasm matMul ceiling.
 *   npm run bench:step
 */
import * as weft from '../src/index.js';
import { getLoss } from '../src/graph/losses.js';
import { StepRunner } from '../src/parallel/step.js';
import { keyFromSeed } from '../src/parallel/random.js';
import { adam } from '../src/train/optimizers.js';
import { BENCH_MODELS, stepProducts } from './models.js';
import { timeIt } from './stats.js';

const { tf } = weft;
const REPEATS = Number(process.env.REPEATS ?? 7);

interface Case {
  name: string;
  model: weft.Model;
  batch: number;
  x: Float32Array | Int32Array;
  /** [m, k, n] of every product one step computes, each as a plain matMul. */
  products: [number, number, number][];
}

function benchCase(key: 'mlp' | 'seed3', batch: number): Case {
  const bench = BENCH_MODELS[key];
  return { name: bench.name, model: bench.build(), batch, x: bench.rows(batch).x, products: stepProducts(bench.architecture, batch) };
}

async function run(c: Case): Promise<void> {
  const loss = getLoss('sparseCategoricalCrossentropy');
  const runner = new StepRunner(c.model, loss, []);
  const opt = adam();
  const slots = [new Float32Array(c.model.countParams()), new Float32Array(c.model.countParams())];
  const grads = new Float32Array(c.model.countParams());
  const y = new Float32Array(c.batch).map((_, i) => i % 10);
  const batch = { xs: [c.x], y, rows: c.batch, firstExample: 0 };
  let t = 0;
  const step = await timeIt(() => {
    runner.train(c.model.params, batch, { runKey: keyFromSeed(1), epoch: 0 }, grads);
    opt.applyInPlace(c.model.params, grads, slots, ++t, 1 / c.batch);
  }, REPEATS);
  const operands = c.products.map(([m, k, n]) => [tf.randomUniform([m, k]), tf.randomUniform([k, n])] as const);
  const plain = await timeIt(() => {
    for (const [a, b] of operands) tf.matMul(a, b).dispose();
  }, REPEATS);
  const flops = c.products.reduce((s, [m, k, n]) => s + 2 * m * k * n, 0);
  const stepRate = flops / step.median / 1e6;
  const plainRate = flops / plain.median / 1e6;
  console.log(`${c.name}, batch ${c.batch}`);
  console.log(`  step   ${step.median.toFixed(1)} ms (min ${step.min.toFixed(1)}, max ${step.max.toFixed(1)})  ${Math.round(c.batch / step.median * 1000)} samples/s  ${stepRate.toFixed(1)} GFLOP/s`);
  console.log(`  matMul ${plain.median.toFixed(1)} ms for the same products  ${plainRate.toFixed(1)} GFLOP/s`);
  console.log(`  step / plain matMul rate: ${(100 * stepRate / plainRate).toFixed(0)}%`);
  operands.forEach(([a, b]) => { a.dispose(); b.dispose(); });
}

await run(benchCase('mlp', 512));
await run(benchCase('seed3', 256));
