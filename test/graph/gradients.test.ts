/**
 * Gradient checks: every layer, activation and loss, the hand-written backward pass (float32,
 * wasm) against central finite differences of a float64 reference (test/graph/reference64.ts).
 *
 * Each case builds a tiny model through the public API, sets its weights to fixed random
 * values, runs StepRunner.train (Σ over the batch of the loss and of its gradient), and
 * compares with the float64 forward pass of the same graph on the same float32-rounded weights.
 */
import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { ACTIVATION_NAMES } from '../../src/graph/activations.js';
import { getLoss } from '../../src/graph/losses.js';
import type { Layer } from '../../src/graph/layer.js';
import { keyFromSeed } from '../../src/parallel/random.js';
import { StepRunner, type Batch, type StepKey } from '../../src/parallel/step.js';
import { finiteDifferences, referenceLoss, stepDropoutMasks, type RefBatch, type Value } from './reference64.js';
import { rng } from '../support/random-data.js';

const { layers } = weft;

function uniform(n: number, lo: number, hi: number, rand: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

const exampleSize = (t: weft.SymbolicTensor): number => (t.shape.slice(1) as number[]).reduce((a, b) => a * b, 1);

interface Case {
  model: weft.Model;
  loss: string;
  rows?: number;
  /** Inputs per model input; default uniform(-1, 1). */
  xs?: (Float32Array | Int32Array)[];
  /** Targets; default chosen per loss. */
  y?: Float32Array;
  /** Weight range; default ±0.8. */
  scale?: number;
  /** Overrides applied to the weights after the random fill: name ('dense_3/bias') → values. */
  set?: Record<string, number[]>;
  key?: StepKey;
  firstExample?: number;
  seed?: number;
}

interface Checked {
  analytic: Float32Array;
  numeric: Float64Array;
  loss: number;
  refLoss: number;
  masks: Map<Layer, Value>;
  refBatch: RefBatch;
}

function defaultTargets(model: weft.Model, loss: string, rows: number, rand: () => number): Float32Array {
  const out = model.outputs[0];
  const n = rows * exampleSize(out);
  const classes = out.shape[out.shape.length - 1] as number;
  switch (loss) {
    case 'sparseCategoricalCrossentropy':
      return Float32Array.from({ length: rows }, () => Math.floor(rand() * classes));
    case 'categoricalCrossentropy': // soft, unnormalised labels: exercises p·Σy − y
      return uniform(n, 0, 1, rand);
    case 'binaryCrossentropy':
      return uniform(n, 0, 1, rand);
    default:
      return uniform(n, -1, 1, rand);
  }
}

/** Runs one case and checks loss and gradient against the float64 reference. */
function check(c: Case): Checked {
  const { model } = c;
  const rand = rng(c.seed ?? 12345);
  const rows = c.rows ?? 3;
  model.params.set(uniform(model.params.length, -(c.scale ?? 0.8), c.scale ?? 0.8, rand));
  for (const [name, values] of Object.entries(c.set ?? {})) {
    const e = model.layout.entries.find((x) => x.name === name);
    if (e === undefined) throw new Error(`no weight ${name} in ${model.layout.entries.map((x) => x.name).join(', ')}`);
    model.params.set(values, e.offset);
  }
  const xs = c.xs ?? model.inputs.map((t) => uniform(rows * exampleSize(t), -1, 1, rand));
  const y = c.y ?? defaultTargets(model, c.loss, rows, rand);
  const key = c.key ?? { runKey: keyFromSeed(99), epoch: 0 };
  const firstExample = c.firstExample ?? 0;

  const runner = new StepRunner(model, getLoss(c.loss), []);
  const batch: Batch = { xs, y, rows, firstExample };
  const analytic = new Float32Array(model.layout.size).fill(Number.NaN); // every entry must be written
  const stats = runner.train(model.params, batch, key, analytic);

  const masks = stepDropoutMasks(model, key, firstExample, rows);
  const refBatch: RefBatch = { xs, y, rows };
  const p64 = Float64Array.from(model.params);
  const f = (p: Float64Array): number => referenceLoss(model, c.loss, p, refBatch, { training: true, masks }).loss;
  const ref = referenceLoss(model, c.loss, p64, refBatch, { training: true, masks });
  // Finite differences are meaningless across a relu/elu kink: the case must stay clear of them.
  expect(ref.kinkDistance, 'a pre-activation sits too close to a relu/elu kink').toBeGreaterThan(1e-4);

  expect(Math.abs(stats[0] - ref.loss) / Math.max(1e-6, Math.abs(ref.loss)), `loss ${stats[0]} vs float64 ${ref.loss}`).toBeLessThan(1e-4);

  const numeric = finiteDifferences(f, p64);
  compareGradients(model, analytic, numeric);
  return { analytic, numeric, loss: stats[0], refLoss: ref.loss, masks, refBatch };
}

const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

/**
 * The analytic gradient matches when, for the whole vector and for each weight on its own,
 * ‖a − n‖ ≤ 1e-3 ‖n‖ (a weight whose gradient is tiny next to the rest is held to 1e-3 of
 * 1e-3 of the whole), and elementwise |a − n| ≤ 1e-3 |n| + 1e-6 max(1, ‖n‖∞).
 */
function compareGradients(model: weft.Model, analytic: Float32Array, numeric: Float64Array): void {
  const total = norm(numeric);
  const inf = numeric.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const bad: string[] = [];
  for (const e of model.layout.entries) {
    const a = analytic.subarray(e.offset, e.offset + e.size);
    const n = numeric.subarray(e.offset, e.offset + e.size);
    const diff = norm(Array.from(a, (v, i) => v - n[i]));
    const scale = Math.max(norm(n), 1e-3 * total, 1e-12);
    if (!(diff <= 1e-3 * scale)) bad.push(`${e.name}: ‖a−n‖/‖n‖ = ${(diff / scale).toExponential(2)}`);
    for (let i = 0; i < e.size; i++) {
      const err = Math.abs(a[i] - n[i]);
      if (!(err <= 1e-3 * Math.abs(n[i]) + 1e-6 * Math.max(1, inf))) {
        bad.push(`${e.name}[${i}]: analytic ${a[i]} vs numeric ${n[i]}`);
      }
    }
  }
  const diffAll = norm(Array.from(analytic, (v, i) => v - numeric[i]));
  if (!(diffAll <= 1e-3 * total)) bad.push(`whole vector: ‖a−n‖/‖n‖ = ${(diffAll / total).toExponential(2)}`);
  expect(bad, bad.join('\n')).toEqual([]);
  expect(total, 'numeric gradient is identically zero: the case tests nothing').toBeGreaterThan(1e-3);
}

/** input [5] → dense(4, hidden) → dense(3, head). */
function mlp(hidden: string, head: string, units = 3): weft.Model {
  const x = weft.input({ shape: [5] });
  const h = layers.dense({ units: 4, activation: hidden }).apply(x);
  return weft.model({ inputs: x, outputs: layers.dense({ units, activation: head }).apply(h), seed: 1 });
}

describe('gradient checks against float64 finite differences', () => {
  describe('every activation in a hidden Dense (linear head, meanSquaredError)', () => {
    it.each(ACTIVATION_NAMES)('%s', (act) => {
      check({ model: mlp(act, 'linear'), loss: 'meanSquaredError' });
    });
  });

  describe('every activation in the output Dense (tanh hidden, meanSquaredError)', () => {
    it.each(ACTIVATION_NAMES)('%s', (act) => {
      check({ model: mlp('tanh', act), loss: 'meanSquaredError', seed: 777 });
    });
  });

  describe('every loss', () => {
    it('categoricalCrossentropy, softmax head (fused logits path), soft unnormalised labels', () => {
      check({ model: mlp('tanh', 'softmax'), loss: 'categoricalCrossentropy' });
    });

    it('categoricalCrossentropy, softmax head, one-hot labels', () => {
      check({ model: mlp('relu', 'softmax'), loss: 'categoricalCrossentropy', y: Float32Array.from([1, 0, 0, 0, 0, 1, 0, 1, 0]) });
    });

    it('categoricalCrossentropy, sigmoid head (renormalised, clipped-probability path)', () => {
      check({ model: mlp('tanh', 'sigmoid'), loss: 'categoricalCrossentropy' });
    });

    it('categoricalCrossentropy, relu head with a dead unit (the clip at 1e-7 blocks its gradient)', () => {
      const model = mlp('tanh', 'relu');
      const head = model.layout.entries[3].name;
      // Unit 1 is always dead (q = 0, clipped to 1e-7), unit 0 always alive; labels weight all three.
      const r = check({ model, loss: 'categoricalCrossentropy', set: { [head]: [3, -6, 0.5] } });
      expect(r.refLoss).toBeGreaterThan(5); // the −y log(1e-7) terms are in
    });

    it('sparseCategoricalCrossentropy, softmax head (fused)', () => {
      check({ model: mlp('gelu', 'softmax', 4), loss: 'sparseCategoricalCrossentropy', rows: 4 });
    });

    it('sparseCategoricalCrossentropy, sigmoid head (probability path)', () => {
      check({ model: mlp('elu', 'sigmoid', 4), loss: 'sparseCategoricalCrossentropy', rows: 4 });
    });

    it('binaryCrossentropy, sigmoid head (fused logits path)', () => {
      check({ model: mlp('tanh', 'sigmoid'), loss: 'binaryCrossentropy' });
    });

    it('binaryCrossentropy, softmax head (unfused path, outputs inside (0, 1))', () => {
      check({ model: mlp('softplus', 'softmax'), loss: 'binaryCrossentropy' });
    });

    it('binaryCrossentropy, relu head clipped at both ends (0 → 1e-7, > 1 → 1 − 1e-7)', () => {
      const model = mlp('tanh', 'relu');
      const head = model.layout.entries[3].name;
      const r = check({ model, loss: 'binaryCrossentropy', set: { [head]: [6, -6, 0.5] }, scale: 0.5 });
      expect(r.refLoss).toBeGreaterThan(5);
    });

    it('meanSquaredError, linear head', () => {
      check({ model: mlp('swish', 'linear'), loss: 'meanSquaredError' });
    });
  });

  describe('layers and graph structure', () => {
    it('Embedding(7, 3) on int32 input [4] → Flatten → Dense (repeated indices scatter-add)', () => {
      const ids = weft.input({ shape: [4], dtype: 'int32' });
      const e = layers.embedding({ inputDim: 7, outputDim: 3 }).apply(ids);
      const out = layers.dense({ units: 3, activation: 'softmax' }).apply(layers.flatten().apply(e));
      const model = weft.model({ inputs: ids, outputs: out, seed: 1 });
      const xs = [Int32Array.from([0, 3, 3, 6, 2, 2, 2, 5, 1, 0, 6, 3])];
      const r = check({ model, loss: 'categoricalCrossentropy', xs });
      // Row 4 of the table is never looked up: its gradient is exactly zero.
      const table = model.layout.entries[0];
      expect(Array.from(r.analytic.subarray(table.offset + 12, table.offset + 15))).toEqual([0, 0, 0]);
    });

    it('Embedding on float32 indices (cast path)', () => {
      const ids = weft.input({ shape: [4] });
      const e = layers.embedding({ inputDim: 7, outputDim: 3 }).apply(ids);
      const out = layers.dense({ units: 2 }).apply(layers.flatten().apply(e));
      const model = weft.model({ inputs: ids, outputs: out, seed: 1 });
      check({ model, loss: 'meanSquaredError', xs: [Float32Array.from([1, 1, 4, 6, 0, 5, 2, 1])], rows: 2 });
    });

    it('Dense on a rank-3 input, Concatenate on axis 1, Flatten (Embedding → [b, 4, 3])', () => {
      const ids = weft.input({ shape: [4], dtype: 'int32' });
      const e = layers.embedding({ inputDim: 7, outputDim: 3 }).apply(ids);
      const d = layers.dense({ units: 3, activation: 'tanh' }).apply(e);
      const cat = layers.concatenate([e, d], { axis: 1 });
      expect(cat.shape).toEqual([null, 8, 3]);
      const out = layers.dense({ units: 2, activation: 'sigmoid' }).apply(layers.flatten().apply(cat));
      const model = weft.model({ inputs: ids, outputs: out, seed: 1 });
      check({ model, loss: 'binaryCrossentropy', xs: [Int32Array.from([0, 1, 2, 3, 6, 5, 4, 3, 2, 2, 0, 0])] });
    });

    it('Dense on a rank-3 input as the output layer (loss over the last axis of [b, 2, 3])', () => {
      const x = weft.input({ shape: [2, 5] });
      const h = layers.dense({ units: 4, activation: 'swish' }).apply(x);
      const out = layers.dense({ units: 3 }).apply(h);
      const model = weft.model({ inputs: x, outputs: out, seed: 1 });
      check({ model, loss: 'meanSquaredError' });
    });

    it('branching model: two Dense branches and the raw input concatenated (input grads sum, input side needs none)', () => {
      const x = weft.input({ shape: [5] });
      const a = layers.dense({ units: 4, activation: 'relu' }).apply(x);
      const b = layers.dense({ units: 3, activation: 'tanh' }).apply(x);
      const c = layers.dense({ units: 2, activation: 'sigmoid' }).apply(a);
      const cat = layers.concatenate([c, b, x, a]);
      const out = layers.dense({ units: 3, activation: 'softmax' }).apply(cat);
      const model = weft.model({ inputs: x, outputs: out, seed: 1 });
      check({ model, loss: 'categoricalCrossentropy' });
    });

    it('shared Dense applied twice in sequence (weight gradients sum)', () => {
      const x = weft.input({ shape: [5] });
      const shared = layers.dense({ units: 5, activation: 'tanh' });
      const out = layers.dense({ units: 3 }).apply(shared.apply(shared.apply(x)));
      const model = weft.model({ inputs: x, outputs: out, seed: 1 });
      check({ model, loss: 'meanSquaredError' });
    });

    it('shared Dense on two inputs, joined by Concatenate', () => {
      const a = weft.input({ shape: [4] });
      const b = weft.input({ shape: [4] });
      const shared = layers.dense({ units: 3, activation: 'sigmoid' });
      const out = layers.dense({ units: 2, activation: 'softmax' }).apply(layers.concatenate([shared.apply(a), shared.apply(b)]));
      const model = weft.model({ inputs: [a, b], outputs: out, seed: 1 });
      check({ model, loss: 'sparseCategoricalCrossentropy', rows: 4 });
    });

    it('shared layer as the output layer, used twice (fused head path on its last node only)', () => {
      const x = weft.input({ shape: [3] });
      const shared = layers.dense({ units: 3, activation: 'softmax' });
      const model = weft.model({ inputs: x, outputs: shared.apply(shared.apply(x)), seed: 1 });
      check({ model, loss: 'categoricalCrossentropy' });
    });

    it.each([
      ['few rows: computed as (W·dzᵀ)ᵀ', 2],
      ['many rows: computed as dz·Wᵀ', 40],
    ])('a wide hidden Dense passes the right input gradient down, %s', (_, rows) => {
      const x = weft.input({ shape: [12] });
      const h1 = layers.dense({ units: 12, activation: 'tanh' }).apply(x);
      const h2 = layers.dense({ units: 12, activation: 'tanh' }).apply(h1);
      const model = weft.model({ inputs: x, outputs: layers.dense({ units: 3, activation: 'linear' }).apply(h2), seed: 1 });
      check({ model, loss: 'meanSquaredError', rows, scale: 0.5 });
    });

    it('Dense without bias', () => {
      const x = weft.input({ shape: [5] });
      const h = layers.dense({ units: 4, activation: 'elu', useBias: false }).apply(x);
      const model = weft.model({ inputs: x, outputs: layers.dense({ units: 3, activation: 'sigmoid', useBias: false }).apply(h), seed: 1 });
      expect(model.layout.entries.map((e) => e.shape)).toEqual([[5, 4], [4, 3]]);
      check({ model, loss: 'binaryCrossentropy' });
    });
  });

  describe('Dropout in training mode (mask from the step key, same mask in the reference)', () => {
    const hasBothKinds = (m: Value): boolean => m.data.some((v) => v === 0) && m.data.some((v) => v > 1);

    it('Dense → Dropout(0.4) → Dense(softmax), run key, epoch 2, firstExample 5', () => {
      const x = weft.input({ shape: [6] });
      const h = layers.dense({ units: 8, activation: 'relu' }).apply(x);
      const drop = layers.dropout({ rate: 0.4 });
      const out = layers.dense({ units: 3, activation: 'softmax' }).apply(drop.apply(h));
      const model = weft.model({ inputs: x, outputs: out, seed: 1 });
      const key = { runKey: keyFromSeed(7), epoch: 2 };
      const r = check({ model, loss: 'categoricalCrossentropy', rows: 4, key, firstExample: 5 });
      const mask = r.masks.get(drop) as Value;
      expect(hasBothKinds(mask)).toBe(true);
      // The mask matters: without it the reference loss differs, so the match above is not luck.
      const p64 = Float64Array.from(model.params);
      const plain = referenceLoss(model, 'categoricalCrossentropy', p64, r.refBatch, { training: false });
      expect(Math.abs(plain.loss - r.loss)).toBeGreaterThan(1e-3);
      // Inference mode (evaluate) is the identity.
      const runner = new StepRunner(model, getLoss('categoricalCrossentropy'), []);
      const evalStats = runner.evaluate(model.params, { xs: r.refBatch.xs, y: r.refBatch.y, rows: 4, firstExample: 5 });
      expect(Math.abs(evalStats[0] - plain.loss) / plain.loss).toBeLessThan(1e-4);
    });

    it('Dropout with its own seed and a noiseShape [null, 1, 4] (mask broadcast over axis 1)', () => {
      const x = weft.input({ shape: [2, 5] });
      const h = layers.dense({ units: 4, activation: 'tanh' }).apply(x);
      const drop = layers.dropout({ rate: 0.5, noiseShape: [null, 1, 4], seed: 42 });
      const out = layers.dense({ units: 3, activation: 'sigmoid' }).apply(layers.flatten().apply(drop.apply(h)));
      const model = weft.model({ inputs: x, outputs: out, seed: 1 });
      const r = check({ model, loss: 'binaryCrossentropy', rows: 4, key: { runKey: keyFromSeed(3), epoch: 1 } });
      const mask = r.masks.get(drop) as Value;
      expect(mask.shape).toEqual([4, 1, 4]);
      expect(hasBothKinds(mask)).toBe(true);
    });

    it('Dropout after a Concatenate of two branches', () => {
      const x = weft.input({ shape: [5] });
      const a = layers.dense({ units: 4, activation: 'gelu' }).apply(x);
      const b = layers.dropout({ rate: 0.3 }).apply(layers.dense({ units: 4, activation: 'softplus' }).apply(x));
      const drop = layers.dropout({ rate: 0.5 });
      const out = layers.dense({ units: 3, activation: 'softmax' }).apply(drop.apply(layers.concatenate([a, b])));
      const model = weft.model({ inputs: x, outputs: out, seed: 1 });
      const r = check({ model, loss: 'sparseCategoricalCrossentropy', rows: 5, key: { runKey: keyFromSeed(11), epoch: 0 }, firstExample: 17 });
      expect(hasBothKinds(r.masks.get(drop) as Value)).toBe(true);
    });

    it('Dropout(rate 1) zeroes its input and every gradient upstream of it', () => {
      const x = weft.input({ shape: [5] });
      const hidden = layers.dense({ units: 4, activation: 'tanh' });
      const skip = layers.dense({ units: 2 }).apply(x);
      const dropped = layers.dropout({ rate: 1 }).apply(hidden.apply(x));
      const out = layers.dense({ units: 3 }).apply(layers.concatenate([dropped, skip]));
      const model = weft.model({ inputs: x, outputs: out, seed: 1 });
      const r = check({ model, loss: 'meanSquaredError' });
      const upstream = model.layout.entries.filter((e) => e.layer === hidden);
      expect(upstream).toHaveLength(2);
      for (const e of upstream) expect(Array.from(r.analytic.subarray(e.offset, e.offset + e.size)).every((v) => v === 0)).toBe(true);
    });
  });
});
