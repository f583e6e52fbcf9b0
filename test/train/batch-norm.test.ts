// BatchNormalization synchronised across workers, and frozen layers (issue 14). The layer
// table (test/graph/layer-table/batch-norm.rows.ts) compares one SGD step with tfjs-layers'
// trainOnBatch (γ, β and both moving statistics) and trains on 1–3 workers; here: the forms
// tfjs-layers cannot train (no γ, no β, a non-trailing axis) against float64, four workers over
// two epochs, frozen layers, a frozen BatchNorm's inference mode, and a rank failing mid-exchange.
import { afterEach, describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { WorkerError } from '../../src/parallel/coordinator.js';
import { injectFault } from '../../src/parallel/faults.js';
import { trainer } from '../../src/train/trainer.js';

const tf = weft.tf;
const L = weft.layers;

afterEach(() => injectFault(null));

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.sin(seed * 7.13 + i * 1.731) * 0.999);
}

const flat = (m: weft.Model) => m.getWeights().map((t) => Float64Array.from(t.dataSync()));

interface BnCase {
  readonly name: string;
  /** Example shape of the input; the Dense before the BatchNorm maps its last axis to `units`. */
  readonly input: number[];
  readonly units: number;
  readonly bn: weft.BatchNormalizationConfig;
}

const CASES: BnCase[] = [
  { name: 'scale: false (no gamma)', input: [4], units: 5, bn: { scale: false, betaInitializer: 'randomNormal' } },
  { name: 'center: false (no beta)', input: [4], units: 5, bn: { center: false, gammaInitializer: 'randomUniform', momentum: 0.9 } },
  { name: 'axis: 1 of (None, 4, 3)', input: [4, 3], units: 3, bn: { axis: 1, gammaInitializer: 'randomUniform', betaInitializer: 'randomNormal', movingMeanInitializer: 'randomNormal' } },
];

/**
 * The model's training-mode forward in float64: Dense(units, tanh) over the last axis, the
 * BatchNorm with the batch's statistics, Flatten, Dense(2). Weights in getWeights order.
 */
function forward64(c: BnCase, x: Float64Array, rows: number, w: readonly Float64Array[]): { y: Float64Array; mean: Float64Array; variance: Float64Array } {
  const positions = c.input.length === 1 ? 1 : c.input[0];
  const inputs = c.input[c.input.length - 1];
  const u = c.units;
  const scale = c.bn.scale !== false;
  const center = c.bn.center !== false;
  let k = 0;
  const [k1, b1] = [w[k++], w[k++]];
  const gamma = scale ? w[k++] : null;
  const beta = center ? w[k++] : null;
  const [k2, b2] = [w[k++], w[k++]];
  const h = new Float64Array(rows * positions * u);
  for (let r = 0; r < rows * positions; r++) {
    for (let j = 0; j < u; j++) {
      let s = b1[j];
      for (let i = 0; i < inputs; i++) s += x[r * inputs + i] * k1[i * u + j];
      h[r * u + j] = Math.tanh(s);
    }
  }
  const featureOf = (p: number, j: number) => (c.bn.axis === 1 ? p : j);
  const features = c.bn.axis === 1 ? positions : u;
  const count = h.length / features;
  const mean = new Float64Array(features);
  const variance = new Float64Array(features);
  h.forEach((v, i) => (mean[featureOf(Math.floor(i / u) % positions, i % u)] += v / count));
  h.forEach((v, i) => {
    const f = featureOf(Math.floor(i / u) % positions, i % u);
    variance[f] += (v - mean[f]) ** 2 / count;
  });
  const eps = c.bn.epsilon ?? 1e-3;
  const n = h.map((v, i) => {
    const f = featureOf(Math.floor(i / u) % positions, i % u);
    return ((v - mean[f]) / Math.sqrt(variance[f] + eps)) * (gamma?.[f] ?? 1) + (beta?.[f] ?? 0);
  });
  const width = positions * u;
  const y = new Float64Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < 2; j++) {
      let s = b2[j];
      for (let i = 0; i < width; i++) s += n[r * width + i] * k2[i * 2 + j];
      y[r * 2 + j] = s;
    }
  }
  return { y, mean, variance };
}

function bnModel(c: BnCase, seed: number): weft.Model {
  const x = weft.input({ shape: c.input });
  let h = L.dense({ units: c.units, activation: 'tanh' }).apply(x);
  h = L.batchNormalization(c.bn).apply(h);
  if (c.input.length > 1) h = L.flatten().apply(h);
  return weft.model({ inputs: x, outputs: L.dense({ units: 2 }).apply(h), seed });
}

describe('BatchNormalization: one SGD step against float64, where tfjs-layers cannot train', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s: gradient of every trainable weight, and both moving statistics', async (_name, c) => {
    const rows = 6;
    const model = bnModel(c, 4);
    const xv = values(rows * c.input.reduce((a, b) => a * b, 1), 1);
    const y = values(rows * 2, 2);
    const before = flat(model);
    const lr = 0.1;
    model.compile({ optimizer: weft.optimizers.sgd({ learningRate: lr }), loss: 'meanSquaredError' });
    await model.fit(tf.tensor(xv, [rows, ...c.input]), tf.tensor2d(y, [rows, 2]), { epochs: 1, batchSize: rows, shuffle: false, workers: 1, verbose: 0 });
    const after = flat(model);
    const x64 = Float64Array.from(xv);
    const loss = (w: readonly Float64Array[]) => forward64(c, x64, rows, w).y.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / y.length;
    const trainable = model.trainableWeights.length;
    const w64 = before.map((w) => w.slice());
    for (let k = 0; k < trainable; k++) {
      const numeric = Array.from(w64[k], (keep, j) => {
        w64[k][j] = keep + 1e-6;
        const up = loss(w64);
        w64[k][j] = keep - 1e-6;
        const down = loss(w64);
        w64[k][j] = keep;
        return (up - down) / 2e-6;
      });
      const scale = Math.max(...numeric.map(Math.abs), 1e-6);
      // Entries under 1% of the largest are float32 rounding of the weight, not of the step.
      numeric.forEach((g, j) => {
        const ours = (before[k][j] - after[k][j]) / lr;
        expect(Math.abs(ours - g) / Math.max(Math.abs(g), 1e-2 * scale), `${model.trainableWeights[k].name}[${j}]: ${ours} vs ${g}`).toBeLessThanOrEqual(2e-3);
      });
    }
    // Keras 3: moving = moving·momentum + batch·(1 − momentum), the batch variance biased.
    const { mean, variance } = forward64(c, x64, rows, before);
    const m = c.bn.momentum ?? 0.99;
    const [mm, mv] = [before.length - 2, before.length - 1];
    mean.forEach((v, f) => expect(after[mm][f]).toBeCloseTo(before[mm][f] * m + v * (1 - m), 6));
    variance.forEach((v, f) => expect(after[mv][f]).toBeCloseTo(before[mv][f] * m + v * (1 - m), 6));
    await model.dispose();
  });
});

/** 784-style BN MLP in miniature: biases off before each BatchNorm (their true gradient is 0). */
function bnMlp(seed: number): weft.Model {
  const x = weft.input({ shape: [12] });
  let h = L.dense({ units: 16, useBias: false }).apply(x);
  h = L.activation({ activation: 'relu' }).apply(L.batchNormalization({ momentum: 0.9 }).apply(h));
  h = L.dropout({ rate: 0.2 }).apply(h);
  h = L.dense({ units: 8, useBias: false }).apply(h);
  h = L.activation({ activation: 'relu' }).apply(L.batchNormalization({ momentum: 0.9 }).apply(h));
  return weft.model({ inputs: x, outputs: L.dense({ units: 3, activation: 'softmax' }).apply(h), seed });
}

function classes(rows: number): { x: weft.tf.Tensor; y: weft.tf.Tensor } {
  const xv = values(rows * 12, 3).map((v, i) => v * 2 + (i % 12) * 0.3);
  const y = Array.from({ length: rows * 3 }, (_, i) => (Math.floor(i / 3) % 3 === i % 3 ? 1 : 0));
  return { x: tf.tensor2d(xv, [rows, 12]), y: tf.tensor2d(y, [rows, 3]) };
}

describe('BatchNormalization across workers', () => {
  it('1, 2, 3 and 4 workers train the same model over two epochs: weights, moving statistics and losses', async () => {
    const { x, y } = classes(96);
    const runs: { weights: Float64Array[]; loss: number[] }[] = [];
    for (const workers of [1, 2, 3, 4]) {
      const model = bnMlp(7);
      model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
      const h = await model.fit(x, y, { epochs: 2, batchSize: 32, seed: 5, workers, verbose: 0 });
      runs.push({ weights: flat(model), loss: h.history.loss as number[] });
      await model.dispose();
    }
    const moving = runs[0].weights.slice(-4).flatMap((w) => Array.from(w));
    expect(moving.some((v) => v !== 0 && v !== 1), 'the moving statistics moved').toBe(true);
    for (const run of runs.slice(1)) {
      run.loss.forEach((l, i) => expect(l).toBeCloseTo(runs[0].loss[i], 5));
      run.weights.forEach((w, k) => w.forEach((v, j) => {
        const ref = runs[0].weights[k][j];
        expect(Math.abs(v - ref) / Math.max(Math.abs(ref), 1e-3), `weight ${k}[${j}]`).toBeLessThanOrEqual(1e-4);
      }));
    }
  }, 120_000);

  it.each(['throw', 'exit'] as const)('a rank that %ss inside the exchange ends fit with its error, the weights of the last whole step, no hang', async (kind) => {
    const { x, y } = classes(96);
    const model = bnMlp(3);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const seen: Float32Array[] = [];
    const snapshot = { onBatchEnd: () => { seen.push(model.params.slice()); } };
    injectFault({ step: 2, rank: 1, kind, phase: 'exchange' });
    // The hang guard: a step that never ends fails the test here instead of timing it out.
    const hung = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('fit hung')), 60_000).unref());
    const error = await Promise.race([model.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false, seed: 1, workers: 2, verbose: 0, callbacks: [snapshot] }).then(() => null, (e: unknown) => e), hung]);
    expect(error).toBeInstanceOf(WorkerError);
    expect((error as Error).message).toMatch(/rank 1 failed at step 2/);
    if (kind === 'throw') expect((error as Error).message).toMatch(/injected fault at step 2 on rank 1 \(exchange\)/);
    expect(seen).toHaveLength(2);
    expect(Buffer.from(model.params.buffer, model.params.byteOffset, model.params.byteLength).equals(Buffer.from(seen[1].buffer))).toBe(true);
    // Nothing is left waiting: the model trains again.
    const h = await model.fit(x, y, { epochs: 1, batchSize: 32, seed: 1, workers: 2, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    await model.dispose();
  }, 120_000);

  it('dispose() while steps run — a rank most likely inside an exchange — ends fit with the StateError, never a hang', async () => {
    const { x, y } = classes(96);
    const model = bnMlp(4);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    for (let i = 0; i < 3; i++) {
      let steps = 0;
      const running = model.fit(x, y, { epochs: 50, batchSize: 16, workers: 2, verbose: 0, callbacks: { onBatchEnd: () => { steps++; } } });
      while (steps < 2 + i) await new Promise((r) => setTimeout(r, 1));
      const disposed = model.dispose();
      const hung = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('fit hung')), 60_000).unref());
      const error = await Promise.race([running.then(() => null, (e: unknown) => e), hung]);
      await disposed;
      expect(error).toBeInstanceOf(weft.StateError);
    }
  }, 120_000);
});

describe('frozen layers', () => {
  function frozenBase(): { model: weft.Model; base: weft.Layer[] } {
    const x = weft.input({ shape: [12] });
    const dense = L.dense({ units: 8, name: 'base_dense' });
    const bn = L.batchNormalization({ name: 'base_bn', movingMeanInitializer: 'randomNormal' });
    const h = bn.apply(dense.apply(x));
    const model = weft.model({ inputs: x, outputs: L.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(h), seed: 9 });
    dense.trainable = false;
    bn.trainable = false;
    return { model, base: [dense, bn] };
  }

  it('stay bitwise unchanged through fit on 2 workers while the head trains; summary and weight lists count them', async () => {
    const { model, base } = frozenBase();
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const lines: string[] = [];
    model.summary(undefined, undefined, (l) => lines.push(l));
    expect(lines).toContain('Trainable params: 27');
    expect(lines).toContain('Non-trainable params: 136');
    expect(model.trainableWeights.map((w) => w.name)).toEqual(['head/kernel', 'head/bias']);
    expect(model.nonTrainableWeights.map((w) => w.name)).toEqual(['base_dense/kernel', 'base_dense/bias', 'base_bn/gamma', 'base_bn/beta', 'base_bn/moving_mean', 'base_bn/moving_variance']);
    const frozenBefore = base.flatMap((l) => l.getWeights().map((t) => t.dataSync().slice()));
    const headBefore = model.getLayer('head').getWeights()[0].dataSync().slice();
    const { x, y } = classes(64);
    await model.fit(x, y, { epochs: 2, batchSize: 16, seed: 2, workers: 2, verbose: 0 });
    const frozenAfter = base.flatMap((l) => l.getWeights().map((t) => t.dataSync().slice()));
    frozenAfter.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(frozenBefore[i].buffer)), `frozen weight ${i}`).toBe(true));
    expect(Array.from(model.getLayer('head').getWeights()[0].dataSync())).not.toEqual(Array.from(headBefore));
    await model.dispose();
  });

  it('a frozen BatchNorm normalizes by its moving statistics in training too (Keras), so fit at lr 0 scores as evaluate does', async () => {
    const { x, y } = classes(32);
    const losses = async (freeze: boolean) => {
      const { model, base } = frozenBase();
      base[0].trainable = true;
      base[1].trainable = !freeze;
      model.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0 }), loss: 'categoricalCrossentropy' });
      const moving = base[1].getWeights()[2].dataSync().slice();
      const h = await model.fit(x, y, { epochs: 1, batchSize: 32, workers: 1, verbose: 0 });
      const evaluated = (await model.evaluate(x, y, { batchSize: 32 })) as weft.tf.Scalar;
      const movedMean = Array.from(base[1].getWeights()[2].dataSync()).some((v, i) => v !== moving[i]);
      await model.dispose();
      return { fit: h.history.loss[0] as number, evaluate: evaluated.dataSync()[0], movedMean };
    };
    const frozen = await losses(true);
    expect(frozen.fit).toBeCloseTo(frozen.evaluate, 5);
    expect(frozen.movedMean).toBe(false);
    const training = await losses(false);
    expect(Math.abs(training.fit - training.evaluate)).toBeGreaterThan(1e-3);
    expect(training.movedMean).toBe(true);
  });

  it('a change after compile takes effect at the next compile; model.trainable = false freezes every weight', async () => {
    const { model, base } = frozenBase();
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    base[0].trainable = true; // after compile: not yet
    const { x, y } = classes(32);
    const kernel = () => model.getLayer('base_dense').getWeights()[0].dataSync().slice();
    const k0 = kernel();
    await model.fit(x, y, { epochs: 1, batchSize: 16, workers: 1, verbose: 0 });
    expect(Array.from(kernel())).toEqual(Array.from(k0));
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    await model.fit(x, y, { epochs: 1, batchSize: 16, workers: 1, verbose: 0 });
    expect(Array.from(kernel())).not.toEqual(Array.from(k0));
    model.trainable = false;
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    expect(model.trainableWeights).toHaveLength(0);
    const all = model.params.slice();
    await model.fit(x, y, { epochs: 1, batchSize: 16, workers: 2, verbose: 0 });
    expect(Buffer.from(model.params.slice().buffer).equals(Buffer.from(all.buffer))).toBe(true);
    await model.dispose();
  });

  it('save and load keep the flags and tfjs-layers\' weight order; the loaded model trains frozen', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { model } = frozenBase();
    const dir = mkdtempSync(join(tmpdir(), 'weft-frozen-'));
    await model.save(`file://${dir}`);
    const { readFileSync } = await import('node:fs');
    const mj = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    const byName = Object.fromEntries(mj.modelTopology.config.layers.map((l: { name: string; config: { trainable: boolean } }) => [l.name, l.config.trainable]));
    expect(byName).toMatchObject({ base_dense: false, base_bn: false, head: true });
    expect(mj.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual([
      'head/kernel', 'head/bias', 'base_dense/kernel', 'base_dense/bias', 'base_bn/gamma', 'base_bn/beta', 'base_bn/moving_mean', 'base_bn/moving_variance',
    ]);
    const loaded = await weft.loadModel(`file://${dir}`);
    expect(loaded.getLayer('base_bn').trainable).toBe(false);
    expect(loaded.trainableWeights.map((w) => w.name)).toEqual(['head/kernel', 'head/bias']);
    expect(flat(loaded)).toEqual(flat(model));
    await model.dispose();
    await loaded.dispose();
  });

  it('fine-tuning: a new head on a loaded model\'s inner layer, its base frozen, trains on 2 workers and leaves the base as loaded', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { model: pretrained } = frozenBase();
    pretrained.getLayer('base_dense').trainable = true;
    pretrained.getLayer('base_bn').trainable = true;
    pretrained.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const { x, y } = classes(64);
    await pretrained.fit(x, y, { epochs: 2, batchSize: 16, workers: 2, verbose: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'weft-finetune-'));
    await pretrained.save(`file://${dir}`);
    await pretrained.dispose();
    const loaded = await weft.loadModel(`file://${dir}`);
    const base = [loaded.getLayer('base_dense'), loaded.getLayer('base_bn')];
    for (const l of base) l.trainable = false;
    const values = base.flatMap((l) => l.getWeights().map((t) => t.dataSync().slice()));
    const head = L.dense({ units: 3, activation: 'softmax', name: 'new_head' }).apply(loaded.getLayer('base_bn').output);
    const model = weft.model({ inputs: loaded.inputs as weft.SymbolicTensor[], outputs: head, seed: 4 });
    // The base brought its trained weights along: they are not drawn afresh.
    base.flatMap((l) => l.getWeights().map((t) => t.dataSync())).forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(values[i])));
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const h = await model.fit(x, y, { epochs: 3, batchSize: 16, workers: 2, verbose: 0 });
    expect(h.history.loss[2]).toBeLessThan(h.history.loss[0] as number);
    base.flatMap((l) => l.getWeights().map((t) => t.dataSync())).forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(values[i].buffer))).toBe(true));
    await model.dispose();
    await loaded.dispose();
  });

  it('a nested model frozen as one layer keeps every inner weight, BatchNorm statistics included, through fit on 2 workers', async () => {
    const ix = weft.input({ shape: [12] });
    const inner = weft.model({ inputs: ix, outputs: L.batchNormalization().apply(L.dense({ units: 6, useBias: false }).apply(ix)), name: 'frozen_inner', seed: 1 });
    const x = weft.input({ shape: [12] });
    const outer = weft.model({ inputs: x, outputs: L.dense({ units: 3, activation: 'softmax' }).apply(inner.apply(x)), seed: 2 });
    const { x: xs, y } = classes(64);
    // Trained once with the inner model trainable: its moving statistics move.
    outer.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    await outer.fit(xs, y, { epochs: 1, batchSize: 16, workers: 2, verbose: 0 });
    const innerValues = () => inner.getWeights().map((t) => Array.from(t.dataSync()));
    const trained = innerValues();
    expect(trained[trained.length - 2].some((v) => v !== 0)).toBe(true);
    outer.getLayer('frozen_inner').trainable = false;
    outer.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    expect(outer.trainableWeights.map((w) => w.name.split('/')[1])).toEqual(['kernel', 'bias']);
    await outer.fit(xs, y, { epochs: 2, batchSize: 16, workers: 2, verbose: 0 });
    expect(innerValues()).toEqual(trained);
    await outer.dispose();
  });

  it('a Keras 3 BatchNormalization config (synchronized, DTypePolicy, a one-element axis list) loads and predicts as saved; renorm is refused by name', async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const x = weft.input({ shape: [5] });
    const bn = L.batchNormalization({ name: 'bn', movingMeanInitializer: 'randomNormal', gammaInitializer: 'randomUniform' });
    const model = weft.model({ inputs: x, outputs: L.dense({ units: 2 }).apply(bn.apply(L.dense({ units: 4 }).apply(x))), seed: 3 });
    const dir = mkdtempSync(join(tmpdir(), 'weft-k3-bn-'));
    await model.save(`file://${dir}`);
    const path = join(dir, 'model.json');
    const mj = JSON.parse(readFileSync(path, 'utf8'));
    const layer = mj.modelTopology.config.layers.find((l: { name: string }) => l.name === 'bn');
    Object.assign(layer.config, {
      axis: [-1], synchronized: false, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
    });
    writeFileSync(path, JSON.stringify(mj));
    const loaded = await weft.loadModel(`file://${dir}`);
    const xs = tf.tensor2d(values(15, 4), [3, 5]);
    const [a, b] = await Promise.all([model.predict(xs), loaded.predict(xs)]) as weft.tf.Tensor[];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    layer.config.renorm = true;
    writeFileSync(path, JSON.stringify(mj));
    await expect(weft.loadModel(`file://${dir}`)).rejects.toThrow(/renorm/);
    await model.dispose();
    await loaded.dispose();
  });

  it('weft.trainer trains a model with a frozen layer and BatchNorm as model.fit does, bitwise, the flags set before it starts', async () => {
    const { x, y } = classes(64);
    const make = () => {
      const m = bnMlp(12);
      m.layers[1].trainable = false; // the first Dense
      return m;
    };
    const ref = make();
    ref.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const args = { epochs: 2, batchSize: 16, seed: 3, workers: 2, verbose: 0 } as const;
    await ref.fit(x, y, args);
    const model = make();
    const frozen = model.layers[1].getWeights()[0].dataSync().slice();
    const t = await trainer(model, { optimizer: 'adam', loss: 'categoricalCrossentropy' });
    try {
      await t.fit(x, y, args);
    } finally {
      await t.dispose();
    }
    expect(Buffer.from(model.params.slice().buffer).equals(Buffer.from(ref.params.slice().buffer))).toBe(true);
    expect(Array.from(model.layers[1].getWeights()[0].dataSync())).toEqual(Array.from(frozen));
    await ref.dispose();
    await model.dispose();
  }, 60_000);
});
