/**
 * User code in the workers: weft.registerLayer / registerLoss / registerMetric. The fixture
 * modules (test/fixtures/custom/*.mjs) are plain JavaScript importing weft from the source, as
 * the tsx-run workers do, so their classes extend the same weft.Layer in every thread.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { registerLayer, registerLoss, registerMetric } from '../../src/graph/custom/register.js';
import { tfjsGradientsRegistered } from '../../src/graph/custom/tfjs-gradients.js';
import type { Layer } from '../../src/graph/layer.js';
import { classification, maxRelativeDiff } from '../parallel/helpers.js';

const { tf } = weft;
const fixture = (name: string): URL => new URL(`../fixtures/custom/${name}`, import.meta.url);

type LayerCtor = new (config: Record<string, unknown>) => Layer;
let ScaledDense: LayerCtor;
let AutoDense: LayerCtor;
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'weft-custom-'));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  ScaledDense = (await registerLayer('ScaledDense', fixture('scaled-dense.mjs'))) as unknown as LayerCtor;
  // An absolute path works as well as a file:// URL; the class is the module's default export.
  AutoDense = (await registerLayer('AutoDense', fileURLToPath(fixture('auto-dense.mjs')))) as unknown as LayerCtor;
  await registerLoss('customMse', fixture('objectives.mjs'));
  await registerMetric('customMae', fixture('objectives.mjs'));
  await registerLoss('scalarLoss', fixture('objectives.mjs'));
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** 20 features → ScaledDense(8) → AutoDense(6) → Dense(5, softmax). */
function customModel(seed: number): weft.Model {
  const inputs = weft.input({ shape: [20] });
  let h = new ScaledDense({ units: 8, scale: 0.5 }).apply(inputs);
  h = new AutoDense({ units: 6 }).apply(h);
  const outputs = weft.layers.dense({ units: 5, activation: 'softmax' }).apply(h);
  const model = weft.model({ inputs, outputs, seed });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/**
 * Input(20) → Dense(8, relu) → middle(6) → Dense(3): the middle layer's input gradient reaches
 * the first Dense, so both its weight and input gradients count.
 */
function sandwich(middle: Layer, seed: number): weft.Model {
  const inputs = weft.input({ shape: [20] });
  let h = weft.layers.dense({ units: 8, activation: 'relu' }).apply(inputs);
  h = middle.apply(h);
  const outputs = weft.layers.dense({ units: 3 }).apply(h);
  return weft.model({ inputs, outputs, seed });
}

/**
 * The batch-mean gradient, read from one plain SGD step over the whole dataset on one worker.
 * The large learning rate keeps float32 cancellation in (before − after) out of the comparison.
 */
async function meanGradient(model: weft.Model, loss: string, x: weft.tf.Tensor, y: weft.tf.Tensor, rows: number): Promise<{ grad: Float32Array; loss: number }> {
  const lr = 1000;
  model.compile({ optimizer: weft.optimizers.sgd({ learningRate: lr }), loss });
  const before = model.params.slice();
  const h = await model.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false, workers: 1, seed: 1, verbose: 0 });
  return { grad: before.map((b, i) => (b - model.params[i]) / lr), loss: h.history.loss[0] };
}

describe('weft.registerLayer', () => {
  it('a custom layer with backward (and one without) trains on 1 and 2 workers to the same weights', async () => {
    const { x, y } = classification(48);
    const runs: { weights: Float32Array; loss: number[] }[] = [];
    for (const workers of [1, 2]) {
      const model = customModel(3);
      const h = await model.fit(x, y, { epochs: 3, batchSize: 16, seed: 7, workers, verbose: 0 });
      runs.push({ weights: model.params.slice(), loss: h.history.loss });
      await model.dispose();
    }
    expect(runs[0].loss.every(Number.isFinite)).toBe(true);
    expect(runs[0].loss[2]).toBeLessThan(runs[0].loss[0]);
    expect(maxRelativeDiff(runs[1].weights, runs[0].weights)).toBeLessThan(1e-5);
    expect(maxRelativeDiff(runs[1].loss, runs[0].loss)).toBeLessThan(1e-5);
  });

  it('differentiates a layer without backward by autodiff: its gradients equal the equivalent Dense(tanh)', async () => {
    expect(tfjsGradientsRegistered()).toBe(true);
    const rows = 12;
    const { x } = classification(rows);
    const y = tf.tensor2d(Float32Array.from({ length: rows * 3 }, (_, i) => Math.cos(i)), [rows, 3]);
    const auto = sandwich(new AutoDense({ units: 6 }), 5);
    const dense = sandwich(weft.layers.dense({ units: 6, activation: 'tanh' }), 5);
    dense.params.set(auto.params);
    const a = await meanGradient(auto, 'meanSquaredError', x, y, rows);
    const d = await meanGradient(dense, 'meanSquaredError', x, y, rows);
    expect(Math.abs(a.loss - d.loss) / d.loss).toBeLessThan(1e-6);
    expect(d.grad.some((g) => Math.abs(g) > 1e-4)).toBe(true);
    expect(maxRelativeDiff(a.grad, d.grad)).toBeLessThan(1e-5);
    await Promise.all([auto.dispose(), dense.dispose()]);
  });

  it('saves and loads a model of custom layers by their registered names', async () => {
    const model = customModel(2);
    const dir = tempDir();
    await model.save(`file://${dir}`);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } } };
    const saved = json.modelTopology.config.layers;
    expect(saved.map((l) => l.class_name)).toEqual(['InputLayer', 'ScaledDense', 'AutoDense', 'Dense']);
    expect(saved[1].config).toMatchObject({ units: 8, scale: 0.5 });
    const loaded = await weft.loadModel(`file://${dir}/model.json`);
    expect(loaded.layers.map((l) => l.className)).toEqual(['InputLayer', 'ScaledDense', 'AutoDense', 'Dense']);
    expect(loaded.layers[1]).toBeInstanceOf(ScaledDense);
    const { x } = classification(4);
    const [p, q] = [(await model.predict(x)) as weft.tf.Tensor, (await loaded.predict(x)) as weft.tf.Tensor];
    expect(maxRelativeDiff(await q.data(), await p.data())).toBeLessThan(1e-6);
    await Promise.all([model.dispose(), loaded.dispose()]);
  });

  it('a file naming an unregistered class fails with the class name and weft.registerLayer', async () => {
    const model = customModel(2);
    const dir = tempDir();
    await model.save(`file://${dir}`);
    const path = join(dir, 'model.json');
    writeFileSync(path, readFileSync(path, 'utf8').replaceAll('ScaledDense', 'NeverRegisteredLayer'));
    await expect(weft.loadModel(`file://${path}`)).rejects.toThrow(/Unknown layer class.*'NeverRegisteredLayer'.*weft\.registerLayer\('NeverRegisteredLayer', moduleUrl\)/s);
    await model.dispose();
  });

  it('a spec naming an unregistered class without a module says to register it', () => {
    const spec = customModel(1).toJSON();
    const broken = { ...spec, layers: spec.layers.map((l) => (l.className === 'AutoDense' ? { ...l, className: 'Nope', module: undefined } : l)) };
    expect(() => weft.modelFromJSON(broken)).toThrow(/'Nope'.*weft\.registerLayer/s);
  });

  it('specs carry the module URL of each custom layer, none for built-in layers', () => {
    const spec = customModel(1).toJSON();
    const modules = Object.fromEntries(spec.layers.map((l) => [l.className, l.module]));
    expect(modules).toEqual({ InputLayer: undefined, ScaledDense: fixture('scaled-dense.mjs').href, AutoDense: fixture('auto-dense.mjs').href, Dense: undefined });
  });

  it('refuses what is not a layer class, a missing export, a relative path and a mismatched className, saying why', async () => {
    await expect(registerLayer('NotALayer', fixture('not-a-layer.mjs'))).rejects.toThrow(/a class extending weft\.Layer/);
    await expect(registerLayer('Missing', fixture('scaled-dense.mjs'))).rejects.toThrow(/export 'Missing' \(or default\)/);
    await expect(registerLayer('ScaledDense', './scaled-dense.mjs')).rejects.toThrow(/moduleUrl.*file:\/\/ URL or an absolute path/);
    await expect(registerLayer('Other', fixture('auto-dense.mjs'))).rejects.toThrow(/static className.*Received: .*AutoDense/);
  });
});

describe('weft.registerLoss and weft.registerMetric', () => {
  it('a custom MSE has the loss and gradient of meanSquaredError', async () => {
    const rows = 10;
    const { x } = classification(rows);
    const y = tf.tensor2d(Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i)), [rows, 3]);
    const a = sandwich(weft.layers.dense({ units: 6, activation: 'tanh' }), 9);
    const b = sandwich(weft.layers.dense({ units: 6, activation: 'tanh' }), 9);
    b.params.set(a.params);
    const custom = await meanGradient(a, 'customMse', x, y, rows);
    const builtin = await meanGradient(b, 'meanSquaredError', x, y, rows);
    expect(Math.abs(custom.loss - builtin.loss) / builtin.loss).toBeLessThan(1e-6);
    expect(maxRelativeDiff(custom.grad, builtin.grad)).toBeLessThan(1e-5);
    await Promise.all([a.dispose(), b.dispose()]);
  });

  it('a custom loss and metric give the same run on 1 and 2 workers, and the metric is logged under its name', async () => {
    const { x, y } = classification(40);
    const runs: { weights: Float32Array; history: Record<string, number[]> }[] = [];
    for (const workers of [1, 2]) {
      const inputs = weft.input({ shape: [20] });
      const h = weft.layers.dense({ units: 8, activation: 'relu' }).apply(inputs);
      const model = weft.model({ inputs, outputs: weft.layers.dense({ units: 5, activation: 'softmax' }).apply(h), seed: 4 });
      model.compile({ optimizer: 'adam', loss: 'customMse', metrics: ['customMae', 'mae'] });
      const history = await model.fit(x, y, { epochs: 2, batchSize: 16, seed: 3, workers, verbose: 0, validationSplit: 0.25 });
      runs.push({ weights: model.params.slice(), history: history.history as Record<string, number[]> });
      await model.dispose();
    }
    expect(Object.keys(runs[0].history).sort()).toEqual(['customMae', 'loss', 'mae', 'val_customMae', 'val_loss', 'val_mae']);
    // The custom MAE is the built-in one.
    expect(maxRelativeDiff(runs[0].history.customMae, runs[0].history.mae)).toBeLessThan(1e-6);
    expect(maxRelativeDiff(runs[1].weights, runs[0].weights)).toBeLessThan(1e-5);
    for (const key of ['loss', 'customMae', 'val_loss', 'val_customMae']) expect(maxRelativeDiff(runs[1].history[key], runs[0].history[key])).toBeLessThan(1e-5);
  });

  it('refuses a batch-mean loss, a built-in name and an unregistered name, saying why', async () => {
    const model = sandwich(weft.layers.dense({ units: 2 }), 1);
    model.compile({ optimizer: 'sgd', loss: 'scalarLoss' });
    const { x } = classification(4);
    await expect(model.fit(x, tf.zeros([4, 3]), { epochs: 1, workers: 1, verbose: 0 })).rejects.toThrow(/per-example values of shape \[batch\]/);
    await expect(registerLoss('mse', fixture('objectives.mjs'))).rejects.toThrow(/name.*no built-in loss/);
    await expect(registerMetric('accuracy', fixture('objectives.mjs'))).rejects.toThrow(/name.*no built-in metric/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'neverRegistered' })).toThrow(/weft\.registerLoss\('neverRegistered', moduleUrl\)/);
    expect(() => model.compile({ optimizer: 'sgd', loss: 'customMse', metrics: ['neverRegistered'] })).toThrow(/weft\.registerMetric\('neverRegistered', moduleUrl\)/);
    await model.dispose();
  });
});
