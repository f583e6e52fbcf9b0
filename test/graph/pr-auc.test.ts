/**
 * Precision, recall and AUC (Keras's epoch-level metrics): their counts are stats columns summed
 * over shards and batches, the value computed from the totals. Values against a float64
 * reference of Keras 3's formulas (and tfjs-layers' precision/recall on thresholded
 * predictions), 1 vs 2 workers, and evaluate's value over the whole data set, not a mean of
 * per-batch values.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { getLoss } from '../../src/graph/losses.js';
import { aucThresholds, getMetric, metrics, type Metric } from '../../src/graph/metrics.js';
import { statColumns } from '../../src/parallel/step-stats.js';
import { floatRows, rng } from '../support/random-data.js';

const models: weft.Model[] = [];
afterEach(async () => {
  await Promise.all(models.splice(0).map((m) => m.dispose()));
});

const bce = getLoss('binaryCrossentropy');
const u = rng(77);
const ROWS = 40;
const P: number[] = Array.from({ length: ROWS }, () => Math.fround(u()));
const Y: number[] = P.map((p) => (u() < 0.3 + 0.4 * p ? 1 : 0));

/** Keras's confusion counts at each threshold, in float64 (a float32 prediction > the float32 threshold is positive). */
function counts(p: readonly number[], y: readonly number[], thresholds: readonly number[]) {
  const c = thresholds.map((t) => {
    const th = Math.fround(t);
    let tp = 0, fp = 0, tn = 0, fn = 0;
    p.forEach((v, i) => {
      const pos = Math.fround(v) > th;
      if (y[i] !== 0) pos ? tp++ : fn++;
      else pos ? fp++ : tn++;
    });
    return { tp, fp, tn, fn };
  });
  return c;
}

const noNan = (a: number, b: number): number => (b === 0 ? 0 : a / b);

function refPrecision(p: readonly number[], y: readonly number[], t = 0.5): number {
  const [c] = counts(p, y, [t]);
  return noNan(c.tp, c.tp + c.fp);
}

function refRecall(p: readonly number[], y: readonly number[], t = 0.5): number {
  const [c] = counts(p, y, [t]);
  return noNan(c.tp, c.tp + c.fn);
}

/** Keras 3's AUC.result, written from its source: ROC by the trapezoid ('interpolation'), PR by interpolate_pr_auc. */
function refAuc(p: readonly number[], y: readonly number[], n = 200, curve: 'ROC' | 'PR' = 'ROC'): number {
  const eps = 1e-7;
  const th = [-eps, ...Array.from({ length: n - 2 }, (_, i) => (i + 1) / (n - 1)), 1 + eps];
  const c = counts(p, y, th);
  let s = 0;
  for (let i = 0; i < n - 1; i++) {
    const a = c[i], b = c[i + 1];
    if (curve === 'ROC') {
      const h = (noNan(a.tp, a.tp + a.fn) + noNan(b.tp, b.tp + b.fn)) / 2;
      s += (noNan(a.fp, a.fp + a.tn) - noNan(b.fp, b.fp + b.tn)) * h;
    } else {
      const dtp = a.tp - b.tp;
      const p0 = a.tp + a.fp, p1 = b.tp + b.fp;
      const slope = noNan(dtp, Math.max(p0 - p1, 0));
      const intercept = b.tp - slope * p1;
      const ratio = p0 > 0 && p1 > 0 ? noNan(p0, Math.max(p1, 0)) : 1;
      s += noNan(slope * (dtp + intercept * Math.log(ratio)), Math.max(b.tp + b.fn, 0));
    }
  }
  return s;
}

/** A metric's value on one batch, as the loop computes it: its sums, then its result. */
function value(metric: Metric, p: readonly number[], y: readonly number[], units = 1): number {
  const t = tf.tidy(() => metric.sum(tf.tensor2d([...p], [p.length / units, units]), tf.tensor2d([...y], [y.length / units, units])));
  const sums = Float64Array.from(t.dataSync());
  t.dispose();
  expect(sums.length).toBe(metric.width ?? 1);
  return (metric.result as NonNullable<Metric['result']>)(sums, p.length / units);
}

const close = (a: number, b: number, what = ''): void => {
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-9 + 1e-9 * Math.abs(b));
};

describe('precision, recall, AUC values', () => {
  it('match the float64 reference of Keras, by name and configured', () => {
    close(value(getMetric('precision', bce, 1), P, Y), refPrecision(P, Y), 'precision');
    close(value(getMetric('recall', bce, 1), P, Y), refRecall(P, Y), 'recall');
    close(value(metrics.precision({ thresholds: 0.3 }), P, Y), refPrecision(P, Y, 0.3), 'precision@0.3');
    close(value(metrics.recall({ thresholds: 0.7 }), P, Y), refRecall(P, Y, 0.7), 'recall@0.7');
    close(value(getMetric('auc', bce, 1), P, Y), refAuc(P, Y), 'auc');
    close(value(metrics.auc({ numThresholds: 17 }), P, Y), refAuc(P, Y, 17), 'auc 17');
    close(value(metrics.auc({ curve: 'PR' }), P, Y), refAuc(P, Y, 200, 'PR'), 'pr auc');
    close(value(metrics.auc({ curve: 'PR', numThresholds: 9 }), P, Y), refAuc(P, Y, 9, 'PR'), 'pr auc 9');
    // Several units: every element is one binary prediction (Keras flattens).
    close(value(getMetric('precision', bce, 4), P, Y, 4), refPrecision(P, Y), 'precision 4 units');
    close(value(getMetric('auc', bce, 4), P, Y, 4), refAuc(P, Y), 'auc 4 units');
    expect(aucThresholds(5)).toEqual([-1e-7, 0.25, 0.5, 0.75, 1 + 1e-7]);
  });

  it('precision and recall match tfjs-layers on the thresholded predictions (cpu)', async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
    let tp: number, tr: number;
    try {
      const yT = tf.tensor2d(Y, [ROWS, 1]);
      const yP = tf.tensor2d(P.map((p) => (p > 0.5 ? 1 : 0)), [ROWS, 1]);
      tp = tfl.metrics.precision(yT, yP).dataSync()[0];
      tr = tfl.metrics.recall(yT, yP).dataSync()[0];
      tf.dispose([yT, yP]);
    } finally {
      expect(await tf.setBackend('wasm')).toBe(true);
    }
    expect(Math.abs(value(getMetric('precision', bce, 1), P, Y) - tp)).toBeLessThan(1e-6);
    expect(Math.abs(value(getMetric('recall', bce, 1), P, Y) - tr)).toBeLessThan(1e-6);
  });

  it('take width columns in the stats row; the specs round-trip; bad options are refused', () => {
    const auc = metrics.auc({ numThresholds: 10, curve: 'PR', name: 'pr' });
    expect(auc.width).toBe(40);
    expect(auc.key).toBe('pr');
    const again = getMetric(JSON.parse(JSON.stringify(auc)), bce, 1);
    expect(again.width).toBe(40);
    close(value(again, P, Y), refAuc(P, Y, 10, 'PR'));
    const cols = statColumns([{ metrics: [getMetric('precision', bce, 1), getMetric('binary_accuracy', bce, 1)], weightedMetrics: [auc] }]);
    expect(cols.map((c) => c.kind)).toEqual(['total', 'metric', 'part', 'part', 'metric', 'weighted', ...new Array(39).fill('part'), 'weights']);
    expect((cols[5] as { over: number }).over).toBe(cols.length - 1);
    expect(() => metrics.auc({ curve: 'XY' as 'PR' })).toThrow(/curve/);
    expect(() => metrics.auc({ numThresholds: 1 })).toThrow(/numThresholds/);
    expect(() => metrics.precision({ thresholds: [0.2, 0.5] as unknown as number })).toThrow(/thresholds/);
  });
});

/** Input(4) → Dense(1, sigmoid), binary crossentropy, the three metrics. */
function binary(): weft.Model {
  const inputs = weft.input({ shape: [4] });
  const m = weft.model({ inputs, outputs: weft.layers.dense({ units: 1, activation: 'sigmoid' }).apply(inputs), seed: 5 });
  m.compile({
    optimizer: weft.optimizers.sgd({ learningRate: 0.5 }), loss: 'binaryCrossentropy',
    metrics: ['precision', 'recall', 'auc', weft.metrics.auc({ curve: 'PR', name: 'pr_auc' }), 'binary_accuracy'],
  });
  models.push(m);
  return m;
}

const X = floatRows(ROWS, 4, 9);
const YB = X.map((r) => [r[0] + 0.5 * r[1] - r[2] > 0 ? 1 : 0]);

describe('precision, recall, AUC in fit and evaluate', () => {
  it('1 and 2 workers give the same History', async () => {
    const opts = { epochs: 2, batchSize: 10, shuffle: false, verbose: 0 as const, validationData: [X.slice(0, 12), YB.slice(0, 12)] as [number[][], number[][]] };
    const h1 = await binary().fit(X, YB, { ...opts, workers: 1 });
    const h2 = await binary().fit(X, YB, { ...opts, workers: 2 });
    expect(Object.keys(h1.history)).toEqual(expect.arrayContaining(['precision', 'recall', 'auc', 'pr_auc', 'val_auc', 'val_precision']));
    expect(Object.keys(h2.history)).toEqual(Object.keys(h1.history));
    // The counts are integers: the shards' sums add up to the same totals bitwise.
    for (const k of ['precision', 'recall', 'auc', 'pr_auc', 'binary_accuracy', 'val_precision', 'val_recall', 'val_auc', 'val_pr_auc']) expect(h2.history[k], k).toEqual(h1.history[k]);
    for (const k of ['loss', 'val_loss']) h1.history[k].forEach((v, i) => expect(Math.abs(h2.history[k][i] - v)).toBeLessThan(1e-6));
    for (const k of ['precision', 'recall', 'auc', 'pr_auc']) for (const v of h1.history[k]) expect(v >= 0 && v <= 1).toBe(true);
  });

  it("evaluate returns the value over all the data, not a mean of the batches' values; batch logs are running values", async () => {
    const m = binary();
    const batchLogs: Record<string, number>[] = [];
    const h = await m.fit(X, YB, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0, workers: 1, callbacks: { onBatchEnd: (_b: number, logs?: Record<string, number>) => { batchLogs.push({ ...logs }); } } });
    // Batch logs are the running value over the epoch so far: the last one is the epoch's.
    expect(batchLogs).toHaveLength(5);
    for (const k of ['precision', 'recall', 'auc', 'pr_auc']) expect(batchLogs[4][k], k).toBe(h.history[k][0]);
    const out = (await m.predict(X)) as tf.Tensor;
    const pred = Array.from(out.dataSync());
    out.dispose();
    const y = YB.map((r) => r[0]);
    const [, prec, rec, auc, pr] = ((await m.evaluate(X, YB, { batchSize: 7 })) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    const tol = (a: number, b: number) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThan(1e-6);
    tol(prec, refPrecision(pred, y));
    tol(rec, refRecall(pred, y));
    tol(auc, refAuc(pred, y));
    tol(pr, refAuc(pred, y, 200, 'PR'));
    // The mean of per-batch AUCs differs from the AUC of the whole set.
    const batches = Array.from({ length: Math.ceil(ROWS / 7) }, (_, b) => [b * 7, Math.min(ROWS, b * 7 + 7)]);
    const meanAuc = batches.reduce((s, [a, b]) => s + refAuc(pred.slice(a, b), y.slice(a, b)) * (b - a), 0) / ROWS;
    expect(Math.abs(meanAuc - auc)).toBeGreaterThan(1e-3);
    // And evaluate does not depend on the batch size.
    const whole = ((await m.evaluate(X, YB, { batchSize: ROWS })) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    tol(whole[3], auc);
  });
});
