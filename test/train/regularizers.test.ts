/**
 * Weight regularizers (issue 11.4), Keras 3 semantics: the penalty l1·Σ|w| + l2·Σw² joins the
 * loss the user sees once per step (mean data loss + penalty), and its gradient joins the mean
 * gradient once per step, in the update, so N workers train what 1 worker trains. tfjs-layers'
 * trainOnBatch on cpu (autodiff, regularizers included) is the reference for one SGD step.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { l1, l1l2, l2, regularizerFromKeras, regularizerToKeras, resolveRegularizer, weightPenalties } from '../../src/graph/regularizers.js';
import { addPenaltyGradient, penaltyValue } from '../../src/train/regularizers.js';
import type { ModelJSON } from '../../src/train/save.js';
import { TrainingState } from '../../src/train/training-state.js';
import { floatRows } from '../support/random-data.js';
import { classification, maxRelativeDiff } from '../parallel/helpers.js';
import { onCpu } from '../support/cpu.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'weft-regularizers-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);
const flat = (ts: tf.Tensor[]): number[][] => ts.map((t) => Array.from(t.dataSync()));

describe('regularizer configs', () => {
  it("factories take Keras's defaults and check their factors", () => {
    expect(l2()).toEqual({ className: 'L2', config: { l2: 0.01 } });
    expect(l1({ l1: 0.5 })).toEqual({ className: 'L1', config: { l1: 0.5 } });
    expect(l1l2({ l2: 0.2 })).toEqual({ className: 'L1L2', config: { l1: 0.01, l2: 0.2 } });
    expect(() => l2({ l2: -1 })).toThrow("Invalid value received for argument `l2`. Expected a finite number >= 0. Received: l2=-1");
    expect(() => l1({ l1: '0.1' as never })).toThrow(TypeError);
    expect(() => l2({ l2: Number.NaN })).toThrow(RangeError);
    expect(() => l2({ l1: 0.1 } as never)).toThrow(/Unknown option of regularizers.l2: 'l1'/);
  });

  it("layers take names ('l1', 'l2', 'l1_l2', 'l1l2'), specs, and refuse other things by name", () => {
    expect(resolveRegularizer('kernelRegularizer', 'l2')).toEqual(l2());
    expect(resolveRegularizer('kernelRegularizer', 'l1_l2')).toEqual(l1l2());
    expect(resolveRegularizer('kernelRegularizer', 'l1l2')).toEqual(l1l2());
    expect(resolveRegularizer('kernelRegularizer', null)).toBeNull();
    expect(() => resolveRegularizer('kernelRegularizer', 'orthogonal')).toThrow("Unknown regularizer for `kernelRegularizer`: 'orthogonal'");
    expect(() => resolveRegularizer('kernelRegularizer', 3)).toThrow(TypeError);
    const dense = weft.layers.dense({ units: 3, kernelRegularizer: 'l2', biasRegularizer: l1({ l1: 0.1 }) });
    expect(dense.getConfig()).toMatchObject({ kernelRegularizer: l2(), biasRegularizer: l1({ l1: 0.1 }) });
    expect(() => weft.layers.dense({ units: 3, kernelRegularizer: 'l3' })).toThrow(RangeError);
    expect(weft.layers.embedding({ inputDim: 4, outputDim: 2, embeddingsRegularizer: 'l1' }).getConfig()).toMatchObject({ embeddingsRegularizer: l1() });
    expect(weft.layers.layerNormalization({ gammaRegularizer: 'l2' }).getConfig()).toMatchObject({ gammaRegularizer: l2() });
    // Unset regularizers stay out of getConfig.
    expect('kernelRegularizer' in weft.layers.dense({ units: 3 }).getConfig()).toBe(false);
  });

  it("Keras JSON: L1, L2, L1L2 (and tfjs-layers' l1l2) read; written as the L1L2 tfjs-layers reads", () => {
    expect(regularizerFromKeras('k', { class_name: 'L2', config: { l2: 0.03 } })).toEqual(l2({ l2: 0.03 }));
    expect(regularizerFromKeras('k', { class_name: 'L1', config: { l1: 0.02 }, module: 'keras.regularizers', registered_name: null })).toEqual(l1({ l1: 0.02 }));
    expect(regularizerFromKeras('k', { class_name: 'L1L2', config: { l1: 0, l2: 0.01 } })).toEqual(l2());
    expect(regularizerFromKeras('k', { class_name: 'L1L2', config: { l1: 0.1, l2: 0.2 } })).toEqual(l1l2({ l1: 0.1, l2: 0.2 }));
    expect(regularizerFromKeras('k', { class_name: 'l1l2', config: { l1: 0.1, l2: 0 } })).toEqual(l1({ l1: 0.1 }));
    expect(regularizerFromKeras('k', 'l1_l2')).toEqual(l1l2());
    expect(regularizerFromKeras('k', null)).toBeUndefined();
    expect(() => regularizerFromKeras('k', { class_name: 'OrthogonalRegularizer', config: {} })).toThrow(/Unknown regularizer for k: 'OrthogonalRegularizer'/);
    expect(() => regularizerFromKeras('k', { class_name: 'L2', config: { l2: -0.1 } })).toThrow(/k.config.l2/);
    expect(regularizerToKeras(l2())).toEqual({ class_name: 'L1L2', config: { l1: 0, l2: 0.01 } });
    expect(regularizerToKeras(undefined)).toBeNull();
  });
});

describe('penalty math', () => {
  it('value in float64 and gradient l1·sign(w) + 2·l2·w, scaled to the gradient sums, over a range only', () => {
    const params = Float32Array.from([0.5, -0.25, 0, 2, -1, 3]);
    const penalties = [{ offset: 1, size: 3, l1: 0.1, l2: 0.2 }, { offset: 5, size: 1, l1: 0, l2: 0.5 }];
    const expected = 0.1 * (0.25 + 0 + 2) + 0.2 * (0.0625 + 0 + 4) + 0.5 * 9;
    expect(penaltyValue(penalties, params)).toBeCloseTo(expected, 12);
    const grad = new Float32Array(6).fill(1);
    addPenaltyGradient(penalties, params, grad, 1 / 4, 2, 6);
    // gradScale 1/4: the sums carry 4× the penalty's gradient, so g·scale = mean + penalty gradient.
    const want = [1, 1, 1 + 4 * 0, 1 + 4 * (0.1 + 0.4 * 2), 1, 1 + 4 * (1.0 * 3)];
    want.forEach((w, i) => expect(grad[i]).toBeCloseTo(w, 5));
  });
});

/** Input(6) → Dense(5, tanh, kernel l1l2, bias l2) → Dense(3, kernel l2); the same in tfjs-layers. */
function models(): { ours: weft.Model; theirs: () => tfl.LayersModel } {
  const inputs = weft.input({ shape: [6] });
  const h = weft.layers.dense({ units: 5, activation: 'tanh', kernelRegularizer: l1l2({ l1: 0.01, l2: 0.02 }), biasRegularizer: l2({ l2: 0.05 }) }).apply(inputs);
  const outputs = weft.layers.dense({ units: 3, kernelRegularizer: 'l2' }).apply(h);
  const ours = weft.model({ inputs, outputs, seed: 5 });
  const theirs = () => {
    const i = tfl.input({ shape: [6] });
    const a = tfl.layers.dense({ units: 5, activation: 'tanh', kernelRegularizer: tfl.regularizers.l1l2({ l1: 0.01, l2: 0.02 }), biasRegularizer: tfl.regularizers.l2({ l2: 0.05 }) }).apply(i) as tfl.SymbolicTensor;
    const o = tfl.layers.dense({ units: 3, kernelRegularizer: tfl.regularizers.l2() }).apply(a) as tfl.SymbolicTensor;
    return tfl.model({ inputs: i, outputs: o });
  };
  return { ours, theirs };
}

describe('one step against tfjs-layers', () => {
  it("one SGD step equals trainOnBatch within 2e-4, and the loss reported includes the penalty", async () => {
    const { ours, theirs } = models();
    const rows = 8;
    const x = floatRows(rows, 6, 21);
    const y = floatRows(rows, 3, 22);
    // A non-zero bias, so L2's gradient on it shows (tfjs's |w| gradient differs from Keras's only at 0).
    ours.layers[1].setWeights([ours.layers[1].getWeights()[0], tf.tensor1d([0.3, -0.2, 0.1, 0.4, -0.5])]);
    const before = flat(ours.getWeights());
    ours.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const history = await ours.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false, workers: 1, verbose: 0 });
    const after = flat(ours.getWeights());
    const ref = await onCpu(async () => {
      const m = theirs();
      m.setWeights(m.weights.map((w, i) => tf.tensor(before[i], w.shape as number[])));
      m.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const loss = (await m.trainOnBatch(tf.tensor2d(x), tf.tensor2d(y))) as number;
      const dataLoss = tf.losses.meanSquaredError(tf.tensor2d(y), m.predict(tf.tensor2d(x)) as tf.Tensor).dataSync()[0];
      return { loss, weights: m.getWeights().map((w) => Array.from(w.dataSync())), dataLoss };
    });
    const steps = (w: number[][]) => w.flatMap((v, i) => v.map((a, j) => a - before[i][j]));
    const ourSteps = steps(after);
    const theirSteps = steps(ref.weights);
    const worst = Math.max(...ourSteps.map((s, i) => rel(s, theirSteps[i])));
    expect(worst).toBeLessThanOrEqual(2e-4);
    const loss = history.history.loss[0] as number;
    expect(rel(loss, ref.loss)).toBeLessThan(1e-5);
    // The penalty is a visible part of it (not lost in rounding).
    const penalty = penaltyValue(weightPenalties(ours.layout), Float32Array.from(before.flat()));
    expect(penalty).toBeGreaterThan(0.01);
    await ours.dispose();
  });
});

/** A model whose every weight is regularized: Embedding isn't here (wide data), Dense kernels and biases. */
function regularizedModel(wide: boolean, seed = 1): weft.Model {
  const inputs = weft.input({ shape: [20] });
  const units = wide ? 256 : 16;
  let h = weft.layers.dense({ units, activation: 'relu', kernelRegularizer: l2({ l2: 0.01 }), biasRegularizer: l1({ l1: 0.01 }) }).apply(inputs);
  if (wide) h = weft.layers.dense({ units, activation: 'relu', kernelRegularizer: l1l2({ l1: 0.001, l2: 0.01 }) }).apply(h);
  const outputs = weft.layers.dense({ units: 5, activation: 'softmax', kernelRegularizer: 'l2' }).apply(h);
  const model = weft.model({ inputs, outputs, seed });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  return model;
}

describe('N workers train what 1 worker trains', () => {
  for (const wide of [false, true]) {
    it(`${wide ? 'a wide model (≥ 65,536 params: the sharded update)' : 'a small model (the central update)'}: 1 vs 2 workers within 1e-5`, async () => {
      const { x, y } = classification(96);
      const run = async (workers: number) => {
        const model = regularizedModel(wide);
        if (wide) expect(model.layout.size).toBeGreaterThanOrEqual(65_536);
        const h = await model.fit(x, y, { epochs: 2, batchSize: 32, workers, seed: 3, verbose: 0 });
        const out = { params: model.params.slice(), loss: h.history.loss as number[] };
        await model.dispose();
        return out;
      };
      const one = await run(1);
      const two = await run(2);
      expect(maxRelativeDiff(two.params, one.params)).toBeLessThan(1e-5);
      two.loss.forEach((l, i) => expect(rel(l, one.loss[i])).toBeLessThan(1e-5));
    });
  }

  it("the training state finds every regularized weight, and its penalty is the float64 sum", async () => {
    const state = (model: weft.Model) => new TrainingState(weft.optimizers.sgd({ learningRate: 0.1 }), {} as never, [], model.layout);
    const model = regularizedModel(false);
    const s = state(model);
    expect(s.penalties.map((p) => [p.l1, p.l2])).toEqual([[0, 0.01], [0.01, 0], [0, 0.01]]);
    expect(s.regularizationLoss(model.params)).toBeCloseTo(penaltyValue(s.penalties, model.params), 12);
    await model.dispose();
  });
});

describe('the central update', () => {
  /** Input(2) → Dense(2, kernel l1l2(0.1, 0.2), no bias): a 4-weight model whose step is easy to write out. */
  function tiny(): { model: weft.Model; state: (opt: weft.Optimizer) => TrainingState } {
    const inputs = weft.input({ shape: [2] });
    const outputs = weft.layers.dense({ units: 2, useBias: false, kernelRegularizer: l1l2({ l1: 0.1, l2: 0.2 }) }).apply(inputs);
    const model = weft.model({ inputs, outputs, seed: 1 });
    return { model, state: (opt) => new TrainingState(opt, {} as never, [], model.layout) };
  }

  it('SGD: p − lr·(Σg/B + l1·sign(p) + 2·l2·p), the penalty gradient once, whatever B', () => {
    const { state } = tiny();
    const s = state(weft.optimizers.sgd({ learningRate: 0.1 }));
    const p = Float32Array.from([0.5, -0.25, 0, 1]);
    const g = Float32Array.from([4, -8, 2, 0]);
    const out = p.slice();
    s.applyGradients(out, g.slice(), 4);
    p.forEach((w, i) => expect(out[i]).toBeCloseTo(w - 0.1 * (g[i] / 4 + 0.1 * Math.sign(w) + 0.4 * w), 6));
  });

  it('with clipvalue the penalty gradient is clipped with the data gradient (it is part of the loss gradient, as in Keras)', () => {
    const { state } = tiny();
    const s = state(weft.optimizers.sgd({ learningRate: 0.1, clipvalue: 0.3 }));
    const p = Float32Array.from([0.5, -0.25, 0, 1]);
    const g = Float32Array.from([0, 0, 0, 0]);
    const out = p.slice();
    s.applyGradients(out, g, 8);
    const clip = (v: number) => Math.max(-0.3, Math.min(0.3, v));
    p.forEach((w, i) => expect(out[i]).toBeCloseTo(w - 0.1 * clip(0.1 * Math.sign(w) + 0.4 * w), 6));
  });
});

describe('files keep the regularizers', () => {
  it("weft's save → weft's load and tfjs-layers' loadLayersModel", async () => {
    const { ours } = models();
    const inputs = weft.input({ shape: [4], dtype: 'int32' });
    const e = weft.layers.embedding({ inputDim: 10, outputDim: 3, embeddingsRegularizer: l1({ l1: 0.002 }) }).apply(inputs);
    const f = weft.layers.flatten().apply(e);
    const n = weft.layers.layerNormalization({ gammaRegularizer: 'l2', betaRegularizer: l1l2({ l1: 0.1, l2: 0.2 }) }).apply(f);
    const emb = weft.model({ inputs, outputs: weft.layers.dense({ units: 2, biasRegularizer: 'l1' }).apply(n), seed: 2 });
    for (const [k, model] of [ours, emb].entries()) {
      const dir = join(root, `m${k}`);
      await model.save(dir);
      const loaded = await weft.loadModel(dir);
      expect(loaded.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
      const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
      const configs = (mj.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers.map((l) => l.config);
      const data = await readFile(join(dir, 'weights.bin'));
      const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
      const weightSpecs = mj.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
      const ref = await onCpu(() => tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs, weightData })));
      const theirConfigs = ref.layers.map((l) => l.getConfig() as Record<string, unknown>);
      for (const key of ['kernelRegularizer', 'biasRegularizer', 'embeddingsRegularizer', 'gammaRegularizer', 'betaRegularizer']) {
        configs.forEach((c, i) => {
          const snake = key.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
          if (c[snake] === undefined || c[snake] === null) return;
          const theirs = theirConfigs[i][key] as { className: string; config: { l1: number; l2: number } };
          expect(theirs.className).toBe('L1L2');
          expect(theirs.config).toEqual((c[snake] as { config: unknown }).config);
        });
      }
      await loaded.dispose();
      await model.dispose();
    }
  });
});
