/**
 * weft.loadModel of tfjs-layers models compiled with Adagrad and Adadelta and saved with
 * includeOptimizer: their slots are weft's (see TFJS_OPTIMIZERS in src/train/save.ts), so the
 * model comes back compiled with tfjs's accumulators and step count. tfjs-layers trains on
 * tfjs-core's cpu backend, weft on wasm.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import type { ModelJSON, WeightSpec } from '../../src/train/save.js';
import { floatRows } from '../support/random-data.js';
import { onCpu } from '../support/cpu.js';

const ROWS = 8;
const x = floatRows(ROWS, 6, 11);
const y = floatRows(ROWS, 3, 12);

let root: string;
let count = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'weft-tfjs-adagrad-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Input(6) -> Dense(4, tanh) -> Dense(3), seeded, trained `steps` full batches with mse, saved with includeOptimizer. */
async function tfjsCheckpoint(optimizer: tf.Optimizer, steps: number): Promise<{ dir: string; tflm: tfl.LayersModel }> {
  const prefix = `m${count}`;
  const inputs = tfl.input({ shape: [6], name: `${prefix}_in` });
  const h = tfl.layers.dense({ units: 4, activation: 'tanh', name: `${prefix}_h`, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }).apply(inputs) as tfl.SymbolicTensor;
  const outputs = tfl.layers.dense({ units: 3, name: `${prefix}_out`, kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) }).apply(h) as tfl.SymbolicTensor;
  const tflm = tfl.model({ inputs, outputs });
  tflm.compile({ optimizer, loss: 'meanSquaredError' });
  const dir = join(root, `case-${count++}`);
  await mkdir(dir);
  await onCpu(async () => {
    if (steps > 0) await tflm.fit(tf.tensor2d(x), tf.tensor2d(y), { epochs: steps, batchSize: ROWS, shuffle: false, verbose: 0 });
    await tflm.save(tf.io.withSaveHandler(async (a) => {
      const data = a.weightData;
      await writeFile(join(dir, 'weights.bin'), new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer)));
      const mj = {
        modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: null,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs as WeightSpec[] }], trainingConfig: a.trainingConfig,
      };
      await writeFile(join(dir, 'model.json'), JSON.stringify(mj));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }), { includeOptimizer: true });
  });
  return { dir, tflm };
}

/** weft's checkpoint of `model`: its trainingConfig, step count and slots. */
async function weftState(model: weft.Model): Promise<{ mj: ModelJSON; slots: Float32Array[] }> {
  const dir = join(root, `weft-${count++}`);
  await model.save(dir, { includeOptimizer: true });
  const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
  const bin = await readFile(join(dir, mj.weightsManifest[1].paths[0]));
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const n = model.layout.size;
  return { mj, slots: mj.weightsManifest[1].weights.map((_, k) => all.slice(k * n, (k + 1) * n)) };
}

/** tfjs's slot `suffix` of every weight, in weft's layout order. */
async function tfjsSlot(tflm: tfl.LayersModel, model: weft.Model, suffix: string): Promise<Float32Array> {
  const named = new Map((await tflm.optimizer.getWeights()).map((w) => [w.name, w.tensor.dataSync() as Float32Array]));
  const out = new Float32Array(model.layout.size);
  for (const e of model.layout.entries) {
    const variable = tflm.trainableWeights.find((v) => v.originalName === e.name) as tfl.LayerVariable;
    out.set(named.get(`${variable.name}/${suffix}`) as Float32Array, e.offset);
  }
  return out;
}

function tfjsParams(tflm: tfl.LayersModel, model: weft.Model): Float32Array {
  const out = new Float32Array(model.layout.size);
  for (const e of model.layout.entries) out.set((tflm.weights.find((v) => v.originalName === e.name) as tfl.LayerVariable).read().dataSync() as Float32Array, e.offset);
  return out;
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

async function load(dir: string): Promise<weft.Model> {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  const model = await weft.loadModel(dir);
  expect(warn).not.toHaveBeenCalled();
  warn.mockRestore();
  return model;
}

describe("tfjs-layers' Adagrad and Adadelta state loads into weft's", () => {
  it('Adagrad: the accumulators and step count, and the next step is tfjs\'s', async () => {
    const { dir, tflm } = await tfjsCheckpoint(tf.train.adagrad(0.05, 0.2), 3);
    const model = await load(dir);
    const { mj, slots } = await weftState(model);
    expect(mj.trainingConfig?.optimizer_config).toEqual({ class_name: 'Adagrad', config: { learningRate: 0.05, initialAccumulatorValue: 0.2, epsilon: 1e-7 } });
    expect(mj.weftTrainingState?.iterations).toBe(3);
    expect(maxAbsDiff(slots[0], await tfjsSlot(tflm, model, 'accumulator'))).toBe(0);
    await model.fit(x, y, { epochs: 1, batchSize: ROWS, shuffle: false, workers: 1, verbose: 0 });
    await onCpu(() => tflm.fit(tf.tensor2d(x), tf.tensor2d(y), { epochs: 1, batchSize: ROWS, shuffle: false, verbose: 0 }));
    expect(maxAbsDiff(model.params.slice(), tfjsParams(tflm, model))).toBeLessThan(1e-5);
    await model.dispose();
  });

  it('an Adagrad compiled but never trained: the accumulators start at initialAccumulatorValue, not 0', async () => {
    const { dir } = await tfjsCheckpoint(tf.train.adagrad(0.05, 0.3), 0);
    const model = await load(dir);
    const { mj, slots } = await weftState(model);
    expect(mj.weftTrainingState?.iterations).toBe(0);
    expect(slots[0].every((v) => v === Math.fround(0.3))).toBe(true);
    await model.dispose();
  });

  it('Adadelta: accum_grad and accum_var are its two slots', async () => {
    const { dir, tflm } = await tfjsCheckpoint(tf.train.adadelta(1, 0.9, 1e-6), 2);
    const model = await load(dir);
    const { mj, slots } = await weftState(model);
    expect(mj.trainingConfig?.optimizer_config).toEqual({ class_name: 'Adadelta', config: { learningRate: 1, rho: 0.9, epsilon: 1e-6 } });
    expect(mj.weftTrainingState?.iterations).toBe(2);
    expect(maxAbsDiff(slots[0], await tfjsSlot(tflm, model, 'accum_grad'))).toBe(0);
    expect(maxAbsDiff(slots[1], await tfjsSlot(tflm, model, 'accum_var'))).toBe(0);
    expect(Math.min(...slots[1])).toBeGreaterThan(0);
    await model.dispose();
  });
});
