import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { disposeAfterEach } from '../support/dispose.js';
import { floatRows } from '../support/random-data.js';

const track = disposeAfterEach();
const X = floatRows(30, 3, 4).map((r, i) => [r[0] * 10 + 5, r[1] * 0.1 - 2, i % 2 === 0 ? 7 : 7]);

/** Per-feature mean and biased variance, in float64. */
function stats(rows: number[][]): { mean: number[]; variance: number[] } {
  const n = rows.length;
  const mean = rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / n);
  const variance = rows[0].map((_, j) => rows.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / n);
  return { mean, variance };
}

function normalizer(norm: weft.Layer, seed = 1): weft.Model {
  const inputs = weft.input({ shape: [3] });
  return track(weft.model({ inputs, outputs: weft.layers.dense({ units: 2 }).apply(norm.apply(inputs)), seed }));
}

const values = async (t: weft.tf.Tensor | weft.tf.Tensor[]) => Array.from(await (t as weft.tf.Tensor).data());

describe('Normalization', () => {
  it('adapt before the layer is applied: the weights are the data\'s mean and variance, and the output is (x − μ)/max(σ, 1e-7)', async () => {
    const norm = weft.layers.normalization() as weft.Layer & { adapt(d: unknown): Promise<void> };
    await norm.adapt(X);
    const inputs = weft.input({ shape: [3] });
    const model = track(weft.model({ inputs, outputs: norm.apply(inputs) }));
    const { mean, variance } = stats(X);
    const [m, v, c] = norm.getWeights().map((w) => Array.from(w.dataSync()));
    m.forEach((x, j) => expect(x).toBeCloseTo(mean[j], 4));
    v.forEach((x, j) => expect(x).toBeCloseTo(variance[j], 3));
    expect(c).toEqual([30]);
    const y = await values(await model.predict(X.slice(0, 2)));
    const expected = X.slice(0, 2).flatMap((r) => r.map((x, j) => (x - m[j]) / Math.max(Math.sqrt(v[j]), 1e-7)));
    y.forEach((x, i) => expect(x).toBeCloseTo(expected[i], 4));
    // The constant third feature has variance 0: divided by 1e-7, so (7 − 7) stays 0, not NaN.
    expect(y[2]).toBe(0);
    expect(model.trainableWeights).toHaveLength(0);
  });

  it('adapt keeps the variance of a column whose mean dwarfs its spread', async () => {
    const norm = weft.layers.normalization() as weft.Layer & { adapt(d: unknown): Promise<void> };
    await norm.adapt([[10000.1], [10000.2], [10000.3]]);
    const inputs = weft.input({ shape: [1] });
    track(weft.model({ inputs, outputs: norm.apply(inputs) }));
    const [mean, variance] = norm.getWeights().map((w) => w.dataSync()[0]);
    expect(mean).toBeCloseTo(10000.2, 2);
    expect(variance).toBeCloseTo(0.00667, 4);
  });

  it('adapt after the model is built writes the model\'s weights; a dataset is read batch by batch', async () => {
    const norm = weft.layers.normalization() as weft.Layer & { adapt(d: unknown): Promise<void> };
    const model = normalizer(norm);
    const batches = [{ xs: weft.tf.tensor2d(X.slice(0, 13)), ys: null }, { xs: weft.tf.tensor2d(X.slice(13)), ys: null }];
    await norm.adapt(batches);
    const { mean } = stats(X);
    Array.from(model.getLayer(1).getWeights()[0].dataSync()).forEach((x, j) => expect(x).toBeCloseTo(mean[j], 4));
  });

  it('fit leaves the statistics alone, trains on 1 and 2 workers alike, and they are saved with the model', async () => {
    const run = async (workers: number) => {
      const norm = weft.layers.normalization() as weft.Layer & { adapt(d: unknown): Promise<void> };
      await norm.adapt(X);
      const model = normalizer(norm, 3);
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const before = norm.getWeights().map((w) => Array.from(w.dataSync()));
      await model.fit(X, X.map((r) => [r[0] / 10, r[1]]), { epochs: 2, batchSize: 10, workers, seed: 2, verbose: 0 });
      expect(norm.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(before);
      return model;
    };
    const [one, two] = [await run(1), await run(2)];
    // Two shards sum their gradients in another order: equal to float32 rounding, not bitwise.
    Array.from(two.params).forEach((v, i) => expect(v).toBeCloseTo(one.params[i], 5));
    const dir = mkdtempSync(join(tmpdir(), 'weft-norm-'));
    await one.save(dir);
    const loaded = track(await weft.loadModel(join(dir, 'model.json')));
    expect(await values(await loaded.predict(X))).toEqual(await values(await one.predict(X)));
    expect(loaded.layers[1].className).toBe('Normalization');
  });

  it('mean and variance from the config; invert undoes it; bad configs are refused by name', async () => {
    const inputs = weft.input({ shape: [3] });
    const fixed = weft.layers.normalization({ mean: [1, 2, 3], variance: 4 });
    const back = weft.layers.normalization({ mean: [1, 2, 3], variance: 4, invert: true });
    const model = track(weft.model({ inputs, outputs: back.apply(fixed.apply(inputs)) }));
    const y = await values(await model.predict([[5, 6, 7]]));
    y.forEach((v, j) => expect(v).toBeCloseTo([5, 6, 7][j], 5));
    const only = track(weft.model({ inputs, outputs: weft.layers.normalization({ mean: [1, 2, 3], variance: 4 }).apply(inputs) }));
    expect(await values(await only.predict([[5, 6, 7]]))).toEqual([2, 2, 2]);
    expect(() => weft.layers.normalization({ mean: [1] })).toThrow(/mean.*both mean and variance/);
    expect(() => weft.layers.normalization({ mean: 0, variance: -1 })).toThrow(/variance.*>= 0/);
    expect(() => weft.layers.normalization({ mean: 'a' as never, variance: 1 })).toThrow(/mean.*finite number/);
    expect(() => weft.layers.normalization({ mean: [1, 2], variance: 1 }).apply(weft.input({ shape: [3] }))).toThrow(/mean.*3.*2 values/);
    const norm = weft.layers.normalization() as weft.Layer & { adapt(d: unknown): Promise<void> };
    await expect(norm.adapt([[1, Number.NaN]])).rejects.toThrow(/adapt\(data\).*finite/);
    await expect(norm.adapt('x')).rejects.toThrow(/adapt\(data\).*tensor/);
  });
});
