import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { floatRows, indexRows, rng } from '../support/random-data.js';
import { tflSeedModel, weftSeedModel, type SeedIndex } from '../support/seed-models.js';
import { onCpu } from '../support/cpu.js';

// The reference: the same architectures in @tensorflow/tfjs-layers, run on tfjs-core's cpu
// backend with weft's weights copied in. weft itself must run with wasm active (its step reads
// tensors off the wasm heap), so each reference computation switches to cpu and back, and only
// plain arrays (dataSync copies) cross between the two.

const BATCH = 16;
const CLASSES = 10;

function oneHotRows(rows: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: rows }, () => {
    const row = new Array<number>(CLASSES).fill(0);
    row[Math.floor(r() * CLASSES)] = 1;
    return row;
  });
}

interface Case {
  title: string;
  params: number;
  build: () => { weftModel: weft.Model; tflModel: tfl.LayersModel };
  x: number[][];
  dtype: 'float32' | 'int32';
}

/** Seed model k in both libraries, layers named m{k}_dense, m{k}_dropout, ... as Keras would. */
const pair = (k: SeedIndex): ReturnType<Case['build']> => {
  const names = { prefix: `m${k}_`, input: `m${k}_in` };
  return { weftModel: weftSeedModel(k, names), tflModel: tflSeedModel(k, names) };
};

const cases: Case[] = [
  {
    title: 'model 1: Input(100) -> Dense(128, relu) -> Dropout(0.5) -> Dense(10, softmax)',
    params: 14_218,
    x: floatRows(BATCH, 100, 11),
    dtype: 'float32',
    build: () => pair(1),
  },
  {
    title: 'model 2: Dense(256) -> [Dropout(0.3) -> Dense(128)] + [Dense(128)] -> concatenate -> Dropout(0.4) -> Dense(10)',
    params: 94_218,
    x: floatRows(BATCH, 100, 22),
    dtype: 'float32',
    build: () => pair(2),
  },
  {
    title: 'model 3: Input(50, int32) -> Embedding(1000, 64) -> Flatten -> Dense(256) -> Dropout(0.25) -> Dense(10)',
    params: 886_026,
    x: indexRows(BATCH, 50, 1000, 33),
    dtype: 'int32',
    build: () => pair(3),
  },
];

describe('forward of the seed models equals tfjs-layers on the cpu backend, on the same weights', () => {
  beforeAll(async () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  afterAll(async () => {
    await tf.setBackend('wasm');
  });

  it('tfjs-layers and weft share one @tensorflow/tfjs-core module', () => {
    const fromTest = createRequire(import.meta.url);
    const fromLayers = createRequire(fromTest.resolve('@tensorflow/tfjs-layers'));
    const fromSrc = createRequire(new URL('../../src/index.ts', import.meta.url));
    expect(fromLayers.resolve('@tensorflow/tfjs-core')).toBe(fromSrc.resolve('@tensorflow/tfjs-core'));
    // And at run time: a tensor made by weft's tf is a tfjs-layers-acceptable tensor of the same class.
    const t = tf.zeros([1]);
    expect(t instanceof (fromLayers('@tensorflow/tfjs-core') as typeof tf).Tensor).toBe(true);
    t.dispose();
  });

  for (const c of cases) {
    it(c.title, async () => {
      const { weftModel, tflModel } = await onCpu(() => c.build());
      expect(tf.getBackend()).toBe('wasm');

      // Parameter counts agree, with each other and with Keras's summary.
      expect(weftModel.countParams()).toBe(c.params);
      expect(tflModel.countParams()).toBe(c.params);

      // weft's getWeights order is tfjs-layers' order: same names (layers were given the same
      // names in both), same shapes, one by one.
      const weftWeights = weftModel.getWeights();
      const weftNames = weftModel.layout.entries.map((e) => e.name);
      const weftShapes = weftWeights.map((w) => w.shape);
      const weftValues = weftWeights.map((w) => Float32Array.from(w.dataSync()));
      weftWeights.forEach((w) => w.dispose());
      const tflWeights = tflModel.weights;
      expect(tflWeights.map((w) => w.originalName)).toEqual(weftNames);
      expect(tflModel.getWeights().map((w) => w.shape)).toEqual(weftShapes);

      const y = oneHotRows(BATCH, c.params);

      // The reference: weft's weights into tfjs-layers, predict and evaluate on the cpu backend.
      const ref = await onCpu(async () => {
        expect(tf.getBackend()).toBe('cpu');
        const ws = weftValues.map((v, i) => tf.tensor(v, weftShapes[i]));
        tflModel.setWeights(ws);
        ws.forEach((w) => w.dispose());
        // The copy landed: read the weights back.
        tflModel.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(weftValues[i])));
        const xs = tf.tensor2d(c.x, undefined, c.dtype);
        const ys = tf.tensor2d(y);
        const out = tflModel.predict(xs) as tf.Tensor;
        const probs = Float32Array.from(out.dataSync());
        tflModel.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
        const loss = tflModel.evaluate(xs, ys, { batchSize: 32 }) as tf.Scalar;
        const lossValue = loss.dataSync()[0];
        tf.dispose([xs, ys, out, loss]);
        return { probs, shape: out.shape, loss: lossValue };
      });
      expect(tf.getBackend()).toBe('wasm');
      expect(ref.shape).toEqual([BATCH, CLASSES]);

      // weft, on wasm.
      const pred = (await weftModel.predict(c.x)) as tf.Tensor;
      expect(pred.shape).toEqual([BATCH, CLASSES]);
      const got = Float32Array.from(pred.dataSync());
      pred.dispose();
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref.probs[i]));
      expect(worst, `max |weft - tfjs-layers| over predict outputs`).toBeLessThanOrEqual(1e-5);
      // Not vacuous: the outputs are distributions, and not all the same.
      expect(Math.abs(got.slice(0, CLASSES).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      expect(new Set(Array.from(got, (v) => v.toFixed(4))).size).toBeGreaterThan(CLASSES);

      weftModel.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
      const loss = (await weftModel.evaluate(c.x, y)) as tf.Scalar;
      const lossValue = loss.dataSync()[0];
      loss.dispose();
      expect(Number.isFinite(ref.loss) && ref.loss > 0).toBe(true);
      expect(Math.abs(lossValue - ref.loss) / Math.abs(ref.loss), `weft ${lossValue} vs tfjs-layers ${ref.loss}`).toBeLessThanOrEqual(1e-5);
    });
  }
});
