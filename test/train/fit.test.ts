import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { getLoss } from '../../src/graph/losses.js';
import { keyFromSeed } from '../../src/parallel/random.js';
import { StepRunner } from '../../src/parallel/step.js';
import { disposeAfterEach } from '../support/dispose.js';

const track = disposeAfterEach();

// fit starts a worker pool per model: close them all after each test.

const num = (t: tf.Tensor | tf.Tensor[]): number => (t as tf.Tensor).dataSync()[0];
const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** Deterministic rows in [-1, 1). */
function rows(n: number, d: number, seed: number): number[][] {
  return Array.from({ length: n }, (_, r) => Array.from({ length: d }, (_, j) => Math.sin((r * d + j + 1) * 12.9898 + seed * 78.233)));
}

/** Seed example 1's architecture on `features` inputs: Dense 128 relu → Dropout 0.5 → Dense 10 softmax. */
function seed1(features: number, seed: number, metrics: string[] = ['accuracy']): weft.Model {
  const inputs = weft.input({ shape: [features] });
  let x = weft.layers.dense({ units: 128, activation: 'relu' }).apply(inputs);
  x = weft.layers.dropout({ rate: 0.5 }).apply(x);
  const m = track(weft.model({ inputs, outputs: weft.layers.dense({ units: 10, activation: 'softmax' }).apply(x), seed }));
  m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics });
  return m;
}

/** A classification set the seed-1 net can learn: 10 classes from the signs of 8 features. */
function toyData(n: number) {
  const x = rows(n, 8, 1);
  const labels = x.map((r) => ((r[0] > 0 ? 1 : 0) + (r[1] > 0 ? 2 : 0) + (r[2] > 0 ? 4 : 0)) % 10);
  return { x, labels, y: labels.map((l) => Array.from({ length: 10 }, (_, c) => (c === l ? 1 : 0))) };
}

describe('fit', () => {
  it('trains seed 1 (input 64) on the digits to >= 90% held-out accuracy in a few epochs', async () => {
    const d = weft.loadDigits();
    const pick = (test: boolean) => {
      const idx = Array.from({ length: d.rows }, (_, r) => r).filter((r) => (r % 5 === 0) === test);
      const x = tf.tensor2d(Float32Array.from(idx.flatMap((r) => Array.from(d.x.subarray(r * 64, r * 64 + 64)))), [idx.length, 64]);
      return { x, y: tf.oneHot(tf.tensor1d(idx.map((r) => d.labels[r]), 'int32'), 10) };
    };
    const train = pick(false);
    const test = pick(true);
    const model = seed1(64, 42);
    const h = await model.fit(train.x, train.y, { epochs: 12, batchSize: 32, seed: 42, verbose: 0 });
    expect(h.history.loss[11]).toBeLessThan(h.history.loss[0]);
    const [, acc] = (await model.evaluate(test.x, test.y)) as tf.Scalar[];
    expect(num(acc)).toBeGreaterThanOrEqual(0.9);
  });

  it('returns a History: epoch indices, per-epoch loss, the metric under the user\'s spelling', async () => {
    const { x, y } = toyData(40);
    for (const key of ['acc', 'accuracy']) {
      const h = await seed1(8, 3, [key]).fit(x, y, { epochs: 3, batchSize: 16, seed: 1, verbose: 0, workers: 1 });
      expect(h).toBeInstanceOf(weft.History);
      expect(h.epoch).toEqual([0, 1, 2]);
      expect(Object.keys(h.history)).toEqual(['loss', key]);
      expect(h.history.loss).toHaveLength(3);
      expect(h.history[key].every((a) => a >= 0 && a <= 1)).toBe(true);
    }
  });

  it('trains the last partial batch, each step on its batch mean: 10 rows at batchSize 4 = 3 SGD steps', async () => {
    const x = rows(10, 3, 2);
    const y = rows(10, 2, 3);
    const linear = () => {
      const inputs = weft.input({ shape: [3] });
      return track(weft.model({ inputs, outputs: weft.layers.dense({ units: 2, biasInitializer: 'ones' }).apply(inputs), seed: 5 }));
    };
    const model = linear();
    const start = Float64Array.from(model.params);
    model.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const h = await model.fit(x, y, { epochs: 1, batchSize: 4, shuffle: false, seed: 1, verbose: 0, workers: 1 });

    // The reference, in float64: W is params[0..6) (3x2), b is params[6..8).
    const simulate = (batches: [number, number][]) => {
      const p = Float64Array.from(start);
      let lossSum = 0;
      for (const [s, e] of batches) {
        const g = new Float64Array(8);
        for (let r = s; r < e; r++) {
          for (let u = 0; u < 2; u++) {
            const diff = p[6 + u] + [0, 1, 2].reduce((acc, i) => acc + x[r][i] * p[i * 2 + u], 0) - y[r][u];
            lossSum += (diff * diff) / 2;
            const dz = (2 * diff) / 2 / (e - s); // d(mean over units)/dz, then the batch mean
            for (let i = 0; i < 3; i++) g[i * 2 + u] += x[r][i] * dz;
            g[6 + u] += dz;
          }
        }
        p.forEach((v, i) => (p[i] = v - 0.1 * g[i]));
      }
      return { p, loss: lossSum / batches.reduce((n, [s, e]) => n + e - s, 0) };
    };
    const ref = simulate([[0, 4], [4, 8], [8, 10]]);
    expect(maxDiff(model.params, ref.p)).toBeLessThan(1e-5);
    expect(Math.abs(h.history.loss[0] - ref.loss)).toBeLessThan(1e-5);
    expect(maxDiff(model.params, simulate([[0, 4], [4, 8]]).p)).toBeGreaterThan(1e-3); // not dropped

    // The same three steps by hand through the StepRunner and the optimizer: bit for bit.
    const twin = linear();
    expect(Float64Array.from(twin.params)).toEqual(start);
    const runner = new StepRunner(twin, getLoss('meanSquaredError'), []);
    const sgd = weft.optimizers.sgd({ learningRate: 0.1 });
    const grad = new Float32Array(8);
    [[0, 4], [4, 8], [8, 10]].forEach(([s, e], t) => {
      const batch = { xs: [Float32Array.from(x.slice(s, e).flat())], y: Float32Array.from(y.slice(s, e).flat()), rows: e - s, firstExample: s };
      runner.train(twin.params, batch, { runKey: keyFromSeed(1), epoch: 0 }, grad);
      sgd.applyInPlace(twin.params, grad, [], t + 1, 1 / (e - s));
    });
    expect(bits(model.params).equals(bits(twin.params))).toBe(true);
  });

  it('the same seed twice gives bitwise identical weights; another seed, different weights', async () => {
    const { x, y } = toyData(60);
    const base = seed1(8, 11);
    const initial = base.getWeights();
    const run = async (seed: number) => {
      const m = seed1(8, 99);
      m.setWeights(initial);
      await m.fit(x, y, { epochs: 2, batchSize: 16, seed, verbose: 0, workers: 2 });
      return Float32Array.from(m.params);
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(bits(a).equals(bits(b))).toBe(true);
    expect(maxDiff(a, c)).toBeGreaterThan(1e-4);
  });

  it('nested arrays and Tensors give identical fits and predictions', async () => {
    const { x, y } = toyData(50);
    const a = seed1(8, 21);
    const b = seed1(8, 22);
    b.setWeights(a.getWeights());
    const ha = await a.fit(x, y, { epochs: 2, batchSize: 8, seed: 3, verbose: 0, workers: 1 });
    const hb = await b.fit(tf.tensor2d(x), tf.tensor2d(y), { epochs: 2, batchSize: 8, seed: 3, verbose: 0, workers: 1 });
    expect(hb.history).toEqual(ha.history);
    expect(bits(b.params).equals(bits(a.params))).toBe(true);
    const pa = ((await a.predict(x)) as tf.Tensor).dataSync();
    expect(((await a.predict(tf.tensor2d(x))) as tf.Tensor).dataSync()).toEqual(pa);
  });

  it('trains a multi-input model (two inputs concatenated)', async () => {
    const xa = rows(200, 3, 4);
    const xb = rows(200, 2, 5);
    const y = xa.map((r, i) => (r[0] + xb[i][0] > 0 ? [0, 1] : [1, 0]));
    const a = weft.input({ shape: [3] });
    const b = weft.input({ shape: [2] });
    const h = weft.layers.dense({ units: 16, activation: 'relu' }).apply(weft.layers.concatenate([a, b]));
    const model = track(weft.model({ inputs: [a, b], outputs: weft.layers.dense({ units: 2, activation: 'softmax' }).apply(h), seed: 6 }));
    model.compile({ optimizer: weft.optimizers.adam({ learningRate: 0.02 }), loss: 'categorical_crossentropy', metrics: ['acc'] });
    const hist = await model.fit([xa, xb], y, { epochs: 25, batchSize: 20, seed: 1, verbose: 0 });
    expect(hist.history.loss[24]).toBeLessThan(0.5 * hist.history.loss[0]);
    const [, acc] = (await model.evaluate([tf.tensor2d(xa), tf.tensor2d(xb)], y)) as tf.Scalar[];
    expect(num(acc)).toBeGreaterThan(0.9);
  });

  it('sparse and categorical crossentropy on equivalent data give the same loss and the same training', async () => {
    const { x, y, labels } = toyData(30);
    const cat = seed1(8, 31);
    const sparse = seed1(8, 32);
    sparse.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['acc'] });
    sparse.setWeights(cat.getWeights());
    const [lc, ac] = ((await cat.evaluate(x, y)) as tf.Scalar[]).map(num);
    const [ls, as] = ((await sparse.evaluate(x, labels)) as tf.Scalar[]).map(num);
    expect(Math.abs(ls - lc)).toBeLessThan(1e-6);
    expect(as).toBe(ac);
    const hc = await cat.fit(x, y, { epochs: 2, batchSize: 8, seed: 4, verbose: 0, workers: 1 });
    const hs = await sparse.fit(x, tf.tensor1d(labels), { epochs: 2, batchSize: 8, seed: 4, verbose: 0, workers: 1 });
    expect(maxDiff(hs.history.loss, hc.history.loss)).toBeLessThan(1e-6);
    expect(maxDiff(hs.history.acc, hc.history.accuracy)).toBe(0);
    expect(maxDiff(sparse.params, cat.params)).toBeLessThan(1e-6);
  });
});

describe('predict and evaluate', () => {
  it('predict returns a Tensor of shape [n, units], the same whatever the batch size', async () => {
    const { x } = toyData(37);
    const model = seed1(8, 41);
    const out = (await model.predict(x)) as tf.Tensor;
    expect(out).toBeInstanceOf(tf.Tensor);
    expect(out.shape).toEqual([37, 10]);
    const sums = tf.sum(out, 1).dataSync();
    expect(Array.from(sums).every((s) => Math.abs(s - 1) < 1e-5)).toBe(true);
    const small = (await model.predict(x, { batchSize: 5 })) as tf.Tensor;
    expect(maxDiff(small.dataSync(), out.dataSync())).toBeLessThan(1e-6);
  });

  it('evaluate returns [loss, acc] scalars equal to the mean over examples, computed by hand', async () => {
    const { x, y } = toyData(23);
    const model = seed1(8, 51);
    await model.fit(x, y, { epochs: 2, batchSize: 8, seed: 1, verbose: 0, workers: 1 });
    const p = ((await model.predict(x)) as tf.Tensor).arraySync() as number[][];
    let loss = 0, hits = 0;
    p.forEach((row, r) => {
      loss -= Math.log(row[y[r].indexOf(1)]);
      hits += row.indexOf(Math.max(...row)) === y[r].indexOf(1) ? 1 : 0;
    });
    const result = (await model.evaluate(x, y)) as tf.Scalar[];
    expect(result).toHaveLength(2);
    result.forEach((s) => expect(s.shape).toEqual([]));
    expect(num(result[0])).toBeCloseTo(loss / 23, 5);
    expect(num(result[1])).toBeCloseTo(hits / 23, 6);
    // A mean over examples, not over batches: 23 rows in batches of 5 give the same numbers.
    const batched = ((await model.evaluate(x, y, { batchSize: 5 })) as tf.Scalar[]).map(num);
    expect(batched[0]).toBeCloseTo(loss / 23, 5);
    expect(batched[1]).toBeCloseTo(hits / 23, 6);
    // Without metrics, evaluate returns the loss alone as one Scalar.
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    const alone = await model.evaluate(x, y);
    expect(alone).toBeInstanceOf(tf.Tensor);
    expect(num(alone)).toBeCloseTo(loss / 23, 5);
  });
});
