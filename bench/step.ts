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

function mlp(batch: number): Case {
  const inputs = weft.input({ shape: [784] });
  let h = weft.layers.dense({ units: 512, activation: 'relu' }).apply(inputs);
  h = weft.layers.dropout({ rate: 0.2 }).apply(h);
  h = weft.layers.dense({ units: 512, activation: 'relu' }).apply(h);
  h = weft.layers.dropout({ rate: 0.2 }).apply(h);
  const outputs = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(h);
  const dims = [784, 512, 512, 10];
  const products: [number, number, number][] = [];
  for (let l = 0; l < 3; l++) {
    products.push([batch, dims[l], dims[l + 1]]); // forward
    products.push([dims[l], batch, dims[l + 1]]); // kernel gradient
    if (l > 0) products.push([batch, dims[l + 1], dims[l]]); // input gradient
  }
  const x = new Float32Array(batch * 784).map((_, i) => (i % 255) / 255);
  return { name: 'MLP 784-512-512-10, dropout 0.2', model: weft.model({ inputs, outputs, seed: 1 }), batch, x, products };
}

function seed3(batch: number): Case {
  const inputs = weft.input({ shape: [50], dtype: 'int32' });
  let h = weft.layers.embedding({ inputDim: 1000, outputDim: 64 }).apply(inputs);
  h = weft.layers.flatten().apply(h);
  h = weft.layers.dense({ units: 256, activation: 'relu' }).apply(h);
  h = weft.layers.dropout({ rate: 0.25 }).apply(h);
  const outputs = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(h);
  const products: [number, number, number][] = [
    [batch, 3200, 256], [3200, batch, 256], [batch, 256, 3200],
    [batch, 256, 10], [256, batch, 10], [batch, 10, 256],
  ];
  const x = new Int32Array(batch * 50).map((_, i) => (i * 7919) % 1000);
  return { name: 'seed example 3 (Embedding→Flatten→MLP)', model: weft.model({ inputs, outputs, seed: 1 }), batch, x, products };
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

await run(mlp(512));
await run(seed3(256));
