import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import type { ModelJSON, WeightSpec } from '../../src/train/save.js';
import { floatRows, rng } from '../support/random-data.js';
import { onCpu } from '../support/cpu.js';

// weft.loadModel of a tfjs-layers model saved with includeOptimizer: tfjs-layers trains on
// tfjs-core's cpu backend (its reference setting), saves as tfjs-node's file handler does, and
// weft loads the files on wasm, compiled, with the optimizer's slots and step count where they
// mean what weft's mean, and a one-line notice where they do not.

const ROWS = 8;
const x = floatRows(ROWS, 6, 71);
const y = (() => {
  const r = rng(72);
  return Array.from({ length: ROWS }, () => [0, 0, 0].map((_, c, row) => (c === Math.floor(r() * row.length) ? 1 : 0)));
})();

let root: string;
let dirCount = 0;
const freshDir = (): string => join(root, `case-${dirCount++}`);
const warnings: string[] = [];
const models: weft.Model[] = [];

beforeAll(async () => {
  expect(tf.getBackend()).toBe('wasm');
  root = await mkdtemp(join(tmpdir(), 'weft-tfjs-optimizer-'));
});

afterEach(async () => {
  vi.restoreAllMocks();
  warnings.length = 0;
  await Promise.all(models.splice(0).map((m) => m.dispose()));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Input(6) -> Dense(5, tanh) -> Dense(3, softmax), layers named after `prefix`, seeded kernels. */
function tflModel(prefix: string): tfl.LayersModel {
  const kernel = (seed: number) => tfl.initializers.glorotUniform({ seed });
  const inputs = tfl.input({ shape: [6], name: `${prefix}_in` });
  const hidden = tfl.layers.dense({ units: 5, activation: 'tanh', name: `${prefix}_hidden`, kernelInitializer: kernel(1) }).apply(inputs) as tfl.SymbolicTensor;
  const outputs = tfl.layers.dense({ units: 3, activation: 'softmax', name: `${prefix}_out`, kernelInitializer: kernel(2) }).apply(hidden) as tfl.SymbolicTensor;
  return tfl.model({ inputs, outputs, name: prefix });
}

/** `steps` full-batch steps of tfjs-layers' fit, on cpu. */
async function tflSteps(model: tfl.LayersModel, steps: number): Promise<void> {
  await onCpu(async () => {
    const [xs, ys] = [tf.tensor2d(x), tf.tensor2d(y)];
    await model.fit(xs, ys, { epochs: steps, batchSize: ROWS, shuffle: false, verbose: 0 });
    tf.dispose([xs, ys]);
  });
}

/** Saves as tfjs-node's file:// handler does: model.json (with trainingConfig) and one weights.bin. */
async function tflSave(model: tfl.LayersModel, dir: string): Promise<ModelJSON> {
  await mkdir(dir, { recursive: true });
  let written: ModelJSON | null = null;
  await model.save(tf.io.withSaveHandler(async (a) => {
    const data = a.weightData;
    const bytes = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer));
    await writeFile(join(dir, 'weights.bin'), bytes);
    written = {
      modelTopology: a.modelTopology as object, format: a.format as 'layers-model', generatedBy: a.generatedBy as string, convertedBy: null,
      weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs as WeightSpec[] }],
      ...(a.trainingConfig === undefined ? {} : { trainingConfig: a.trainingConfig as unknown as ModelJSON['trainingConfig'] }),
    };
    await writeFile(join(dir, 'model.json'), JSON.stringify(written));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }), { includeOptimizer: true });
  return written as unknown as ModelJSON;
}

/** tfjs's optimizer weights by name: 'iter' and '<variable name>/<slot>'. */
async function tflOptimizerWeights(model: tfl.LayersModel): Promise<Map<string, Float32Array | Int32Array>> {
  const named = await model.optimizer.getWeights();
  return new Map(named.map((w) => [w.name, w.tensor.dataSync() as Float32Array | Int32Array]));
}

/** tfjs's weights as one array in weft's layout order (the model's weights by their saved names). */
function tflParams(tflm: tfl.LayersModel, model: weft.Model): Float32Array {
  const out = new Float32Array(model.layout.size);
  for (const e of model.layout.entries) {
    const w = tflm.weights.find((v) => v.originalName === e.name) as tfl.LayerVariable;
    out.set(w.read().dataSync() as Float32Array, e.offset);
  }
  return out;
}

/** For each of weft's slots, tfjs's slot of suffix `suffixes[k]` laid out in weft's order, matched by the variable's name. */
function tflSlots(tflm: tfl.LayersModel, model: weft.Model, state: Map<string, Float32Array | Int32Array>, suffixes: string[]): Float32Array[] {
  return suffixes.map((suffix) => {
    const out = new Float32Array(model.layout.size);
    for (const e of model.layout.entries) {
      const variable = tflm.trainableWeights.find((v) => v.originalName === e.name) as tfl.LayerVariable;
      const values = state.get(`${variable.name}/${suffix}`);
      expect(values, `tfjs slot ${variable.name}/${suffix}`).toBeDefined();
      out.set(values as Float32Array, e.offset);
    }
    return out;
  });
}

/** weft's training state as its own checkpoint records it: the compile config, the slots and the step count. */
async function weftState(model: weft.Model): Promise<{ mj: ModelJSON; slots: Float32Array[] }> {
  const dir = freshDir();
  await model.save(dir, { includeOptimizer: true });
  const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
  const group = mj.weightsManifest[1];
  const bin = await readFile(join(dir, group.paths[0]));
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const n = model.layout.size;
  return { mj, slots: group.weights.map((_, k) => all.slice(k * n, (k + 1) * n)) };
}

async function load(dir: string): Promise<weft.Model> {
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => { warnings.push(args.map(String).join(' ')); });
  const model = await weft.loadModel(dir);
  models.push(model);
  return model;
}

/** One more full-batch step in weft, as tflSteps takes in tfjs-layers. */
async function weftStep(model: weft.Model): Promise<void> {
  await model.fit(x, y, { epochs: 1, batchSize: ROWS, shuffle: false, workers: 1, verbose: 0, seed: 1 });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('tfjs-layers optimizer state whose slots mean what weft\'s mean comes back with the model', () => {
  it('Adam: compiled, m and v matched to the weights by name, the step count, and the next step is tfjs\'s', async () => {
    // A model of the same names made first: the trained one's variables are '<name>_1', and so
    // are the names of its optimizer weights, while its saved weights keep the plain names.
    tflModel('adam').dispose();
    const tflm = tflModel('adam');
    // epsilon 1e-12: where each adds epsilon (weft before bias correction, as Keras, tfjs after)
    // then matters only for a second moment below ~1e-22, so the next steps can be compared.
    tflm.compile({ optimizer: tf.train.adam(0.01, 0.9, 0.999, 1e-12), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    await tflSteps(tflm, 3);
    const dir = freshDir();
    const saved = await tflSave(tflm, dir);
    const specs = saved.weightsManifest[0].weights;
    expect(specs.filter((w) => w.group === 'optimizer').map((w) => [w.name, w.dtype])).toContainEqual(['iter', 'int32']);
    expect(specs.some((w) => /^adam_hidden\/kernel_\d+\/m$/.test(w.name))).toBe(true);
    expect(saved.trainingConfig?.optimizer_config.class_name).toBe('Adam');

    const model = await load(dir);
    expect(warnings).toEqual([]);
    expect(maxAbsDiff(model.params.slice(), tflParams(tflm, model))).toBe(0);
    expect(model.resumeFrom).toBeNull(); // tfjs records no epoch or seed

    const { mj, slots } = await weftState(model);
    expect(mj.trainingConfig).toEqual({
      loss: 'categorical_crossentropy', metrics: ['accuracy'],
      optimizer_config: { class_name: 'Adam', config: { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-12 } },
    });
    expect(mj.weftTrainingState?.iterations).toBe(3);
    const [m, v] = tflSlots(tflm, model, await tflOptimizerWeights(tflm), ['m', 'v']);
    expect(slots).toHaveLength(2);
    expect(maxAbsDiff(slots[0], m)).toBe(0);
    expect(maxAbsDiff(slots[1], v)).toBe(0);
    expect(Math.min(...Array.from(v))).toBeGreaterThan(0); // a trained state, not zeros

    // The fourth step from the restored state is tfjs's fourth step, up to float rounding.
    await weftStep(model);
    await tflSteps(tflm, 1);
    expect(maxAbsDiff(model.params.slice(), tflParams(tflm, model))).toBeLessThan(1e-5);
    // Not vacuous: a fresh Adam takes a visibly different step from the same weights.
    const fresh = await load(dir);
    fresh.compile({ optimizer: weft.optimizers.adam({ learningRate: 0.01, epsilon: 1e-12 }), loss: 'categoricalCrossentropy' });
    await weftStep(fresh);
    expect(maxAbsDiff(fresh.params.slice(), tflParams(tflm, model))).toBeGreaterThan(1e-3);
    tflm.dispose();
  });

  it('the slots are matched by name: the optimizer weights listed in another order load the same', async () => {
    const tflm = tflModel('order');
    tflm.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    await tflSteps(tflm, 2);
    const dir = freshDir();
    await tflSave(tflm, dir);
    const reference = await weftState(await load(dir));

    // The same files with the optimizer weights reversed (the model weights stay first).
    const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
    const bin = await readFile(join(dir, 'weights.bin'));
    let at = 0;
    const pieces = mj.weightsManifest[0].weights.map((w) => {
      const size = 4 * w.shape.reduce((a, b) => a * b, 1);
      at += size;
      return { w, bytes: bin.subarray(at - size, at) };
    });
    const reordered = [...pieces.filter((p) => p.w.group !== 'optimizer'), ...pieces.filter((p) => p.w.group === 'optimizer').reverse()];
    expect(reordered.map((p) => p.w.name)).not.toEqual(pieces.map((p) => p.w.name));
    const other = freshDir();
    await mkdir(other);
    await writeFile(join(other, 'weights.bin'), Buffer.concat(reordered.map((p) => p.bytes)));
    await writeFile(join(other, 'model.json'), JSON.stringify({ ...mj, weightsManifest: [{ paths: ['weights.bin'], weights: reordered.map((p) => p.w) }] }));
    const { slots, mj: state } = await weftState(await load(other));
    expect(warnings).toEqual([]);
    expect(state.weftTrainingState?.iterations).toBe(2);
    expect(slots.map((s, k) => maxAbsDiff(s, reference.slots[k]))).toEqual([0, 0]);
    tflm.dispose();
  });

  it.each([
    { title: 'RMSProp with momentum: rms -> velocity, momentum -> momentum', optimizer: () => tf.train.rmsprop(0.01, 0.9, 0.5), suffixes: ['rms', 'momentum'], sameStep: true,
      config: { learningRate: 0.01, rho: 0.9, momentum: 0.5, epsilon: 1e-7, centered: false } },
    // tfjs's centered RMSProp subtracts epsilon under the root (weft, as Keras, adds it): a
    // tiny epsilon keeps tfjs's root real where a gradient is small.
    { title: 'centered RMSProp without momentum: rms and mg (tfjs\'s momentum slot carries nothing at momentum 0)', optimizer: () => tf.train.rmsprop(0.01, 0.8, 0, 1e-12, true), suffixes: ['rms', 'mg'], sameStep: false,
      config: { learningRate: 0.01, rho: 0.8, momentum: 0, epsilon: 1e-12, centered: true } },
    { title: 'SGD: no slots, the step count', optimizer: () => 'sgd' as const, suffixes: [], sameStep: true,
      config: { learningRate: 0.01, momentum: 0, nesterov: false } },
  ])('$title', async ({ optimizer, suffixes, sameStep, config }) => {
    const tflm = tflModel(`case${dirCount}`);
    tflm.compile({ optimizer: optimizer(), loss: 'categoricalCrossentropy' });
    await tflSteps(tflm, 3);
    const dir = freshDir();
    await tflSave(tflm, dir);
    const model = await load(dir);
    expect(warnings).toEqual([]);
    const { mj, slots } = await weftState(model);
    expect(mj.trainingConfig?.optimizer_config).toEqual({ class_name: suffixes.length === 0 ? 'SGD' : 'RMSprop', config });
    expect(mj.weftTrainingState?.iterations).toBe(3);
    const expected = tflSlots(tflm, model, await tflOptimizerWeights(tflm), suffixes);
    expect(slots.map((s, k) => maxAbsDiff(s, expected[k]))).toEqual(suffixes.map(() => 0));
    if (sameStep) {
      await weftStep(model);
      await tflSteps(tflm, 1);
      expect(maxAbsDiff(model.params.slice(), tflParams(tflm, model))).toBeLessThan(1e-5);
    }
    tflm.dispose();
  });

  it('an Adam compiled but never trained (no slots yet) loads compiled with zero slots', async () => {
    const tflm = tflModel('untrained');
    tflm.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const dir = freshDir();
    await tflSave(tflm, dir);
    const model = await load(dir);
    expect(warnings).toEqual([]);
    const { mj, slots } = await weftState(model);
    expect(mj.trainingConfig?.loss).toBe('mean_squared_error');
    expect(mj.weftTrainingState?.iterations).toBe(0);
    expect(slots.every((s) => s.every((v) => v === 0))).toBe(true);
    tflm.dispose();
  });
});

describe('tfjs-layers optimizer state weft cannot use is skipped with a one-line notice; the weights load', () => {
  it('Momentum: its accumulations are not weft\'s SGD velocity, so SGD with momentum starts fresh', async () => {
    const tflm = tflModel('momentum');
    tflm.compile({ optimizer: tf.train.momentum(0.05, 0.9, true), loss: 'categoricalCrossentropy' });
    await tflSteps(tflm, 2);
    const dir = freshDir();
    await tflSave(tflm, dir);
    const model = await load(dir);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^weft\.loadModel: '.*model\.json': skipped its optimizer weights \(tfjs's Momentum accumulates the raw gradients where weft's SGD keeps a velocity of -learningRate times that\); the model is compiled with a fresh SGD optimizer$/);
    expect(warnings[0]).not.toContain('\n');
    expect(maxAbsDiff(model.params.slice(), tflParams(tflm, model))).toBe(0);
    const { mj, slots } = await weftState(model);
    expect(mj.trainingConfig?.optimizer_config).toEqual({ class_name: 'SGD', config: { learningRate: 0.05, momentum: 0.9, nesterov: true } });
    expect(mj.weftTrainingState?.iterations).toBe(0);
    expect(slots).toHaveLength(1);
    expect(slots[0].every((v) => v === 0)).toBe(true);
    await weftStep(model); // compiled: fit runs
    tflm.dispose();
  });

  it.each([
    // tfjs-layers names a function metric outside its metricsMap by the function's name.
    { title: 'a metric weft lacks (r2Score)', compile: { optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: [tfl.metrics.r2Score] }, notice: /Unknown metric: 'r2_score'/ },
  ])('$title: loaded uncompiled', async ({ compile, notice }) => {
    const tflm = tflModel(`skip${dirCount}`);
    tflm.compile(compile as tfl.ModelCompileArgs);
    await tflSteps(tflm, 1);
    const dir = freshDir();
    await tflSave(tflm, dir);
    const model = await load(dir);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^weft\.loadModel: '.*' is loaded uncompiled, its training config and optimizer weights skipped: /);
    expect(warnings[0]).toMatch(notice);
    expect(maxAbsDiff(model.params.slice(), tflParams(tflm, model))).toBe(0);
    await expect(weftStep(model)).rejects.toThrow(weft.StateError);
    const out = (await model.predict(x)) as tf.Tensor;
    expect(out.shape).toEqual([ROWS, 3]);
    out.dispose();
    tflm.dispose();
  });
});
