/**
 * sampleWeight, classWeight and weightedMetrics (issue 11.3), Keras 3's semantics: an example's
 * loss is multiplied by its weight and the batch's loss is Σ w·loss / batch size (the
 * sum_over_batch_size reduction), so the stats stay sums over examples and shards add up
 * exactly; classWeight is the sample weight of each example's class (1 for an unlisted class);
 * weighted metrics are Σ w·m / Σ w. tfjs-layers has none of it: the references are hand sums.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { floatRows, indexRows, rng } from '../support/random-data.js';
import { maxRelativeDiff } from '../parallel/helpers.js';

const models: weft.Model[] = [];
afterEach(async () => {
  await Promise.all(models.splice(0).map((m) => m.dispose()));
});

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);

/** Input(5) → Dense(6, relu) → Dense(3, softmax), compiled with SGD. */
function classifier(lr = 0.1, compile: Partial<weft.CompileArgs> = {}, seed = 2): weft.Model {
  const inputs = weft.input({ shape: [5] });
  const h = weft.layers.dense({ units: 6, activation: 'relu' }).apply(inputs);
  const m = weft.model({ inputs, outputs: weft.layers.dense({ units: 3, activation: 'softmax' }).apply(h), seed });
  m.compile({ optimizer: weft.optimizers.sgd({ learningRate: lr }), loss: 'categoricalCrossentropy', ...compile });
  models.push(m);
  return m;
}

function data(rows: number, seed = 1): { x: number[][]; labels: number[]; y: number[][] } {
  const labels = indexRows(rows, 1, 3, seed + 1).map((r) => r[0]);
  return { x: floatRows(rows, 5, seed), labels, y: labels.map((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0))) };
}

const quiet = { verbose: 0 as const, workers: 1, shuffle: false };

describe('sampleWeight', () => {
  it("weights of 0 remove examples exactly, up to Keras 3's batch-size denominator (Σ w·loss / B)", async () => {
    const rows = 12;
    const { x, y } = data(rows);
    const w = Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const kept = w.flatMap((v, i) => (v === 1 ? [i] : []));
    const weighted = classifier(0.1);
    const hw = await weighted.fit(x, y, { ...quiet, epochs: 1, batchSize: rows, sampleWeight: w });
    // Without the zero-weight rows the mean runs over |S| = 8, not B = 12: the gradient is 12/8
    // times larger, so the same step needs the learning rate times 8/12.
    const subset = classifier(0.1 * kept.length / rows);
    const hs = await subset.fit(kept.map((i) => x[i]), kept.map((i) => y[i]), { ...quiet, epochs: 1, batchSize: kept.length });
    expect(maxRelativeDiff(weighted.params, subset.params)).toBeLessThan(1e-5);
    expect(rel(hw.history.loss[0], hs.history.loss[0] * kept.length / rows)).toBeLessThan(1e-5);
  });

  it('a weight w scales its example: integer weights train as the example repeated (one step, SGD)', async () => {
    const { x, y } = data(6, 4);
    const w = [1, 2, 1, 3, 1, 1];
    const a = classifier(0.1);
    await a.fit(x, y, { ...quiet, epochs: 1, batchSize: 6, sampleWeight: tf.tensor1d(w) });
    const rep = w.flatMap((n, i) => new Array<number>(n).fill(i));
    const b = classifier(0.1 * rep.length / 6);
    await b.fit(rep.map((i) => x[i]), rep.map((i) => y[i]), { ...quiet, epochs: 1, batchSize: rep.length });
    expect(maxRelativeDiff(a.params, b.params)).toBeLessThan(1e-5);
  });

  it('N workers train what 1 worker trains with sample weights (1e-5), shuffled, with validation weights', async () => {
    const rows = 50;
    const { x, y } = data(rows, 6);
    const r = rng(3);
    const w = Array.from({ length: rows }, () => r() * 2);
    const v = data(10, 9);
    const run = async (workers: number) => {
      const m = classifier(0.05, { metrics: ['accuracy'], weightedMetrics: ['accuracy'] });
      const h = await m.fit(x, y, { epochs: 2, batchSize: 16, workers, seed: 5, verbose: 0, sampleWeight: w, validationData: [v.x, v.y, v.labels.map((l) => l + 1)] });
      return { params: m.params.slice(), history: h.history };
    };
    const one = await run(1);
    expect(Object.keys(one.history)).toEqual(['loss', 'accuracy', 'weighted_accuracy', 'val_loss', 'val_accuracy', 'val_weighted_accuracy']);
    for (const n of [2, 3]) {
      const other = await run(n);
      expect(maxRelativeDiff(other.params, one.params)).toBeLessThan(1e-5);
      for (const [k, vals] of Object.entries(one.history)) vals.forEach((a, i) => expect(rel(other.history[k][i], a)).toBeLessThan(1e-5));
    }
  });

  it('evaluate: Σ w·loss / N for the loss, Σ w·m / Σ w for a weighted metric, plain means for the rest', async () => {
    const rows = 9;
    const { x, y, labels } = data(rows, 2);
    const w = [0.5, 2, 0, 1, 1, 3, 0.25, 1, 2];
    const m = classifier(0.1, { metrics: ['accuracy'], weightedMetrics: ['accuracy'] });
    const [loss, acc, wacc] = ((await m.evaluate(x, y, { sampleWeight: w, batchSize: 4 })) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    const p = (await m.predict(x)) as tf.Tensor;
    const probs = p.arraySync() as number[][];
    const ce = probs.map((row, i) => -Math.log(Math.min(1 - 1e-7, Math.max(1e-7, row[labels[i]]))));
    const hit: number[] = probs.map((row, i) => (row.indexOf(Math.max(...row)) === labels[i] ? 1 : 0));
    const sw = w.reduce((a, b) => a + b, 0);
    expect(rel(loss, ce.reduce((s, l, i) => s + w[i] * l, 0) / rows)).toBeLessThan(1e-5);
    expect(acc).toBeCloseTo(hit.reduce((a, b) => a + b, 0) / rows, 6);
    expect(wacc).toBeCloseTo(hit.reduce((s, h, i) => s + w[i] * h, 0) / sw, 6);
  });

  it('several outputs: one weight array for all of them, or per output by name (an output left out is unweighted)', async () => {
    const inputs = weft.input({ shape: [5] });
    const h = weft.layers.dense({ units: 4, activation: 'tanh' }).apply(inputs);
    const a = weft.layers.dense({ units: 3, activation: 'softmax', name: 'a' }).apply(h);
    const b = weft.layers.dense({ units: 1, name: 'b' }).apply(h);
    const m = weft.model({ inputs, outputs: [a, b], seed: 1 });
    models.push(m);
    m.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'mse'] });
    const rows = 8;
    const { x, y } = data(rows, 3);
    const yb = floatRows(rows, 1, 4);
    const w = [1, 0, 2, 1, 0.5, 1, 1, 3];
    const plain = ((await m.evaluate(x, [y, yb])) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    const perA = ((await m.evaluate(x, [y, yb], { sampleWeight: { a: w } })) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    const both = ((await m.evaluate(x, [y, yb], { sampleWeight: w })) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    const [pa, pb] = (await m.predict(x)) as tf.Tensor[];
    const probs = pa.arraySync() as number[][];
    const ce = probs.map((row, i) => -Math.log(row[y[i].indexOf(1)]));
    const se = (pb.arraySync() as number[][]).map((row, i) => (row[0] - yb[i][0]) ** 2);
    const wsum = (v: number[]) => v.reduce((s, l, i) => s + w[i] * l, 0) / rows;
    expect(rel(perA[1], wsum(ce))).toBeLessThan(1e-5);
    expect(rel(perA[2], plain[2])).toBeLessThan(1e-6);
    expect(rel(both[2], wsum(se))).toBeLessThan(1e-5);
    expect(rel(both[0], wsum(ce) + wsum(se))).toBeLessThan(1e-5);
    await expect(m.evaluate(x, [y, yb], { sampleWeight: { c: w } })).rejects.toThrow(/output names \('a', 'b'\)/);
    await expect(m.fit(x, [y, yb], { ...quiet, classWeight: { 0: 2 } })).rejects.toThrow(/only supported for Models with a single output/);
  });

  it('refuses weights of the wrong length or negative ones, naming the argument', async () => {
    const { x, y } = data(4);
    const m = classifier();
    await expect(m.fit(x, y, { ...quiet, sampleWeight: [1, 2, 3] })).rejects.toThrow(/`sampleWeight`: expected 4 weights \(one per example\), received 3/);
    await expect(m.fit(x, y, { ...quiet, sampleWeight: [1, -2, 3, 1] })).rejects.toThrow(/Invalid value received for argument `sampleWeight`. Expected finite weights >= 0/);
  });
});

describe('classWeight', () => {
  it('equals the equivalent sampleWeight (one-hot argmax and sparse labels alike), unlisted classes weighing 1', async () => {
    const rows = 20;
    const { x, y, labels } = data(rows, 8);
    const classWeight = { 0: 0.5, 2: 3 };
    const w = labels.map((l) => (l === 0 ? 0.5 : l === 2 ? 3 : 1));
    const a = classifier();
    const ha = await a.fit(x, y, { ...quiet, epochs: 2, batchSize: 8, classWeight });
    const b = classifier();
    const hb = await b.fit(x, y, { ...quiet, epochs: 2, batchSize: 8, sampleWeight: w });
    expect(b.params).toEqual(a.params);
    expect(hb.history.loss).toEqual(ha.history.loss);
    const c = classifier(0.1, { loss: 'sparseCategoricalCrossentropy' });
    await c.fit(x, labels, { ...quiet, epochs: 2, batchSize: 8, classWeight });
    expect(maxRelativeDiff(c.params, a.params)).toBeLessThan(1e-5);
  });

  it("refuses classWeight with sampleWeight (Keras's message) and keys that are not class indices", async () => {
    const { x, y } = data(4);
    const m = classifier();
    await expect(m.fit(x, y, { ...quiet, classWeight: { 0: 1 }, sampleWeight: [1, 1, 1, 1] })).rejects.toThrow('You cannot `class_weight` and `sample_weight` at the same time.');
    await expect(m.fit(x, y, { ...quiet, classWeight: { a: 1 } as never })).rejects.toThrow(/integer keys representing class indices/);
  });
});

describe('fitDataset', () => {
  it('classWeight and batches carrying sampleWeight train as fit does on the same batches', async () => {
    const rows = 24;
    const { x, y } = data(rows, 10);
    const r = rng(8);
    const w = Array.from({ length: rows }, () => r() * 2);
    const classWeight = { 1: 4 };
    const batches = (withWeights: boolean) => [0, 8, 16].map((s) => ({
      xs: x.slice(s, s + 8), ys: y.slice(s, s + 8), ...(withWeights ? { sampleWeight: w.slice(s, s + 8) } : {}),
    }));
    const byFit = classifier();
    await byFit.fit(x, y, { ...quiet, epochs: 2, batchSize: 8, classWeight });
    const byStream = classifier();
    await byStream.fitDataset(batches(false), { epochs: 2, workers: 1, verbose: 0, classWeight });
    expect(maxRelativeDiff(byStream.params, byFit.params)).toBeLessThan(1e-6);
    const fitW = classifier();
    await fitW.fit(x, y, { ...quiet, epochs: 2, batchSize: 8, sampleWeight: w });
    const streamW = classifier();
    const h = await streamW.fitDataset(batches(true), { epochs: 2, workers: 2, verbose: 0 });
    expect(maxRelativeDiff(streamW.params, fitW.params)).toBeLessThan(1e-5);
    expect(h.history.loss).toHaveLength(2);
  });

  it('a batch without the weights the first batch had is refused, and classWeight with batch weights', async () => {
    const { x, y } = data(8, 2);
    const m = classifier();
    const mixed = [{ xs: x.slice(0, 4), ys: y.slice(0, 4), sampleWeight: [1, 1, 2, 2] }, { xs: x.slice(4), ys: y.slice(4) }];
    await expect(m.fitDataset(mixed, { epochs: 1, workers: 1, verbose: 0 })).rejects.toThrow(/`dataset batch 1`.*every batch or none.*no sampleWeight/);
    await expect(m.fitDataset(mixed.slice(0, 1), { epochs: 1, workers: 1, verbose: 0, classWeight: { 0: 2 } })).rejects.toThrow('You cannot `class_weight` and `sample_weight` at the same time.');
  });
});

describe('weft.trainer', () => {
  it('sampleWeight (fit, validationData, evaluate) and classWeight cross to the trainer thread and train as model.fit', async () => {
    const { x, y } = data(16, 14);
    const w = Array.from({ length: 16 }, (_, i) => (i % 4) * 0.5);
    const v = data(6, 15);
    const args = { ...quiet, epochs: 1, batchSize: 8, validationData: [v.x, v.y, [1, 0, 2, 1, 1, 0]] as [unknown, unknown, unknown] };
    const compile = { optimizer: 'sgd', loss: 'categoricalCrossentropy', weightedMetrics: ['accuracy'] };
    const a = classifier(0.01, compile);
    const ha = await a.fit(x, y, { ...args, sampleWeight: w });
    const b = classifier(0.01, compile);
    const trainer = await weft.trainer(b, compile);
    try {
      const hb = await trainer.fit(x, y, { ...args, sampleWeight: tf.tensor1d(w) });
      expect(maxRelativeDiff(b.params, a.params)).toBeLessThan(1e-6);
      expect(Object.keys(hb.history)).toEqual(Object.keys(ha.history));
      const ea = ((await a.evaluate(x, y, { sampleWeight: w })) as tf.Scalar[]).map((t) => t.dataSync()[0]);
      const eb = ((await trainer.evaluate(x, y, { sampleWeight: w })) as tf.Scalar[]).map((t) => t.dataSync()[0]);
      eb.forEach((e, i) => expect(rel(e, ea[i])).toBeLessThan(1e-6));
      await a.fit(x, y, { ...quiet, epochs: 1, batchSize: 8, classWeight: { 2: 3 } });
      await trainer.fit(x, y, { ...quiet, epochs: 1, batchSize: 8, classWeight: { 2: 3 } });
      expect(maxRelativeDiff(b.params, a.params)).toBeLessThan(1e-6);
    } finally {
      await trainer.dispose();
    }
  });
});

describe('weightedMetrics', () => {
  it("without sample weights a weighted metric equals its plain one; Keras 3's keys", async () => {
    const { x, y } = data(12, 5);
    const m = classifier(0.1, { metrics: ['accuracy'], weightedMetrics: ['accuracy', 'mse'] });
    const h = await m.fit(x, y, { ...quiet, epochs: 1, batchSize: 4 });
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy', 'weighted_accuracy', 'mse']);
    expect(h.history.weighted_accuracy[0]).toBeCloseTo(h.history.accuracy[0], 6);
  });
});
