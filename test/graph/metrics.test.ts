/**
 * Metrics: each one's batch sum against tfjs-layers on cpu (its metrics, or its loss of the same
 * formula summed), or against a float64 reference of Keras 3's (top-k: TensorFlow's in_top_k);
 * name resolution and the logs key; configured metrics and their specs; the errors; and fit's
 * metric values on 2 workers against 1.
 */
import { describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { getLoss, losses } from '../../src/graph/losses.js';
import { getMetric, metrics, type Metric } from '../../src/graph/metrics.js';
import { disposeAfterEach } from '../support/dispose.js';
import { rng } from '../support/random-data.js';

type Rows = number[][];
type TflFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

const u = rng(2024);
const between = (lo: number, hi: number): number => Math.fround(lo + (hi - lo) * u());
const ROWS = 12;
const K = 5;
const P: Rows = Array.from({ length: ROWS }, () => Array.from({ length: K }, () => between(0.02, 1)));
const labels = P.map(() => Math.floor(u() * K));
const ONE_HOT: Rows = labels.map((l) => Array.from({ length: K }, (_, j) => (j === l ? 1 : 0)));
const SOFT: Rows = P.map(() => Array.from({ length: K }, () => between(0, 1)));
const REAL: Rows = P.map((r) => r.map((v) => Math.fround(v + between(-0.8, 0.8))));
const PM1: Rows = P.map((r) => r.map(() => (u() < 0.5 ? -1 : 1)));
const BITS: Rows = P.map((r) => r.map(() => (u() < 0.5 ? 0 : 1)));

const t2 = (rows: Rows): tf.Tensor2D => tf.tensor2d(Float32Array.from(rows.flat()), [rows.length, rows[0].length]);
const sum = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0);

/** Σ over the batch of weft's metric (wasm). */
function weftSum(metric: Metric, p: Rows, y: Rows | number[]): number {
  return tf.tidy(() => metric.sum(t2(p), Array.isArray(y[0]) ? t2(y as Rows) : tf.tensor1d(y as number[])).dataSync()[0]);
}

/** Σ over the batch of a tfjs-layers function's per-example values, on cpu. */
async function tflSum(fn: TflFn | string, p: Rows, y: Rows | number[]): Promise<number> {
  expect(await tf.setBackend('cpu')).toBe(true);
  try {
    let f: TflFn;
    let model: tfl.LayersModel | null = null;
    if (typeof fn === 'string') {
      // tfjs-layers exports few of its losses: compile resolves the rest by name.
      const inp = tfl.input({ shape: [K] });
      model = tfl.model({ inputs: inp, outputs: tfl.layers.dense({ units: K }).apply(inp) as tfl.SymbolicTensor });
      model.compile({ optimizer: 'sgd', loss: fn });
      f = (model as unknown as { lossFunctions: TflFn[] }).lossFunctions[0];
    } else f = fn;
    const v = tf.tidy(() => sum(f(Array.isArray(y[0]) ? t2(y as Rows) : tf.tensor1d(y as number[]), t2(p)).dataSync()));
    model?.dispose();
    return v;
  } finally {
    expect(await tf.setBackend('wasm')).toBe(true);
  }
}

const close = (a: number, b: number, what: string): void => {
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(1e-5 * Math.abs(b) + 1e-6);
};

const dense = getLoss('meanSquaredError');
const sparse = getLoss('sparseCategoricalCrossentropy');

describe('metric values against tfjs-layers (cpu)', () => {
  const cases: [string, TflFn | string, Rows, Rows | number[]][] = [
    ['categorical_accuracy', tfl.metrics.categoricalAccuracy, P, ONE_HOT],
    ['binary_accuracy', tfl.metrics.binaryAccuracy, P, BITS],
    ['mse', tfl.metrics.meanSquaredError, P, REAL],
    ['mae', tfl.metrics.meanAbsoluteError, P, REAL],
    ['mape', tfl.metrics.meanAbsolutePercentageError, P, REAL],
    ['msle', 'meanSquaredLogarithmicError', P, REAL],
    ['logcosh', 'logcosh', P, REAL],
    ['kl_divergence', 'kullbackLeiblerDivergence', P, SOFT],
    ['poisson', 'poisson', P, SOFT],
    ['hinge', 'hinge', P, PM1],
    ['squared_hinge', 'squaredHinge', P, PM1],
    ['categorical_hinge', 'categoricalHinge', P, ONE_HOT],
    ['cosine_proximity', tfl.metrics.cosineProximity, P, REAL],
    ['categorical_crossentropy', tfl.metrics.categoricalCrossentropy, P, SOFT],
    ['binary_crossentropy', tfl.metrics.binaryCrossentropy, P, BITS],
  ];
  for (const [name, fn, p, y] of cases) {
    it(`'${name}'`, async () => {
      close(weftSum(getMetric(name, dense, K), p, y), await tflSum(fn, p, y), name);
    });
  }

  it("'sparse_categorical_accuracy' and 'sparse_categorical_crossentropy' on class indices", async () => {
    close(weftSum(getMetric('sparse_categorical_accuracy', sparse, K), P, labels), await tflSum(tfl.metrics.sparseCategoricalAccuracy, P, labels), 'accuracy');
    close(weftSum(getMetric('sparse_categorical_crossentropy', sparse, K), P, labels), await tflSum('sparseCategoricalCrossentropy', P, labels), 'crossentropy');
  });
});

describe('metric values against Keras 3 formulas (float64) where tfjs-layers lacks them', () => {
  /** TensorFlow's in_top_k: fewer than k classes score strictly higher than the target. */
  const inTopK = (p: number[], label: number, k: number): boolean => p.filter((v) => v > p[label]).length < k;

  it('top-k accuracy, k = 1..5, one-hot and sparse targets', () => {
    for (let k = 1; k <= K; k++) {
      const expected = sum(P.map((p, r) => (inTopK(p, labels[r], k) ? 1 : 0)));
      expect(weftSum(metrics.topKCategoricalAccuracy({ k }), P, ONE_HOT), `k=${k}`).toBe(expected);
      expect(weftSum(metrics.sparseTopKCategoricalAccuracy({ k }), P, labels), `sparse k=${k}`).toBe(expected);
    }
    expect(weftSum(metrics.topKCategoricalAccuracy(), P, ONE_HOT)).toBe(ROWS); // k = 5 of 5 classes
  });

  it("top-k: Keras's docstring examples, and ties at the boundary count as in (in_top_k)", () => {
    const p = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]];
    expect(weftSum(metrics.topKCategoricalAccuracy({ k: 1 }), p, [[0, 0, 1], [0, 1, 0]]) / 2).toBe(0.5);
    expect(weftSum(metrics.sparseTopKCategoricalAccuracy({ k: 1 }), p, [2, 1]) / 2).toBe(0.5);
    expect(weftSum(metrics.sparseTopKCategoricalAccuracy({ k: 1 }), [[0.5, 0.5, 0.1]], [1])).toBe(1);
    expect(weftSum(metrics.sparseTopKCategoricalAccuracy({ k: 1 }), [[0.5, 0.6, 0.6]], [0])).toBe(0);
    expect(weftSum(metrics.sparseTopKCategoricalAccuracy({ k: 2 }), [[0.5, 0.6, 0.6]], [0])).toBe(0);
    expect(weftSum(metrics.sparseTopKCategoricalAccuracy({ k: 3 }), [[0.5, 0.6, 0.6]], [0])).toBe(1);
  });

  it("'cosine_similarity' is +cos (Keras's metric), the loss of that name −cos", () => {
    const cos = (p: number[], y: number[]) => sum(p.map((v, j) => v * y[j])) / Math.sqrt(sum(p.map((v) => v * v)) * sum(y.map((v) => v * v)));
    const expected = sum(P.map((p, r) => cos(p, REAL[r])));
    close(weftSum(getMetric('cosine_similarity', dense, K), P, REAL), expected, 'metric');
    close(weftSum(getMetric('cosineSimilarity', dense, K), P, REAL), expected, 'camelCase');
    close(tf.tidy(() => tf.sum(getLoss('cosine_similarity').perExample(t2(P), t2(REAL))).dataSync()[0]), -expected, 'loss');
  });

  it("'huber' (delta 1, and configured) and hinge metrics on 0/1 labels (converted as the loss does)", () => {
    const huber = (delta: number) => sum(P.map((p, r) => p.reduce((s, v, j) => {
      const e = Math.abs(v - REAL[r][j]);
      return s + (e <= delta ? 0.5 * e * e : delta * e - 0.5 * delta * delta);
    }, 0) / K));
    close(weftSum(getMetric('huber', dense, K), P, REAL), huber(1), 'delta 1');
    close(weftSum(metrics.huber({ delta: 0.2 }), P, REAL), huber(0.2), 'delta 0.2');
    const hinge = sum(P.map((p, r) => p.reduce((s, v, j) => s + Math.max(1 - (2 * BITS[r][j] - 1) * v, 0), 0) / K));
    close(weftSum(getMetric('hinge', dense, K), P, BITS), hinge, 'hinge');
  });

  it('a crossentropy metric takes fromLogits and labelSmoothing as the loss does', () => {
    const m = metrics.categoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 });
    const loss = losses.categoricalCrossentropy({ fromLogits: true, labelSmoothing: 0.1 });
    close(weftSum(m, REAL, SOFT), tf.tidy(() => tf.sum(loss.perExample(t2(REAL), t2(SOFT))).dataSync()[0]), 'metric = loss');
  });

  it('every sum splits over shards: the batch sum is the sum of its halves', () => {
    for (const name of ['hinge', 'top_k_categorical_accuracy', 'kl_divergence', 'cosine_similarity', 'mape', 'categorical_hinge']) {
      const m = getMetric(name, dense, K);
      const y = name === 'hinge' ? BITS : ONE_HOT;
      close(weftSum(m, P.slice(0, 5), y.slice(0, 5)) + weftSum(m, P.slice(5), y.slice(5)), weftSum(m, P, y), name);
    }
  });
});

describe('metric names, keys and specs', () => {
  it('the key is the name as the user wrote it; a configured metric is keyed by Keras\'s name or its `name`', () => {
    expect(getMetric('kld', dense, K)).toMatchObject({ name: 'kullbackLeiblerDivergence', key: 'kld' });
    expect(getMetric('top_k_categorical_accuracy', dense, K).spec).toEqual({ name: 'topKCategoricalAccuracy', key: 'top_k_categorical_accuracy', config: { k: 5 } });
    expect(metrics.topKCategoricalAccuracy({ k: 3 }).key).toBe('top_k_categorical_accuracy');
    expect(metrics.topKCategoricalAccuracy({ k: 3, name: 'top3' }).spec).toEqual({ name: 'topKCategoricalAccuracy', key: 'top3', config: { k: 3 } });
    expect(metrics.kullbackLeiblerDivergence().key).toBe('kl_divergence');
    expect(metrics.logCosh().key).toBe('logcosh');
    for (const [alias, name] of [['mape', 'meanAbsolutePercentageError'], ['msle', 'meanSquaredLogarithmicError'], ['logcosh', 'logCosh'], ['log_cosh_error', 'logCosh'], ['squared_hinge', 'squaredHinge'], ['categorical_hinge', 'categoricalHinge'], ['poisson', 'poisson'], ['huber', 'huber'], ['bce', 'binaryCrossentropy'], ['sparse_top_k_categorical_accuracy', 'sparseTopKCategoricalAccuracy']]) {
      const loss = name.startsWith('sparse') ? sparse : dense;
      expect(getMetric(alias, loss, K).name, alias).toBe(name);
    }
  });

  it('a spec (what a worker receives) rebuilds the same metric; JSON.stringify writes the spec', () => {
    const m = metrics.sparseTopKCategoricalAccuracy({ k: 2, name: 'top2' });
    const wire = JSON.parse(JSON.stringify(m)) as unknown;
    expect(wire).toEqual(m.spec);
    const rebuilt = getMetric(wire, sparse, K);
    expect(rebuilt.spec).toEqual(m.spec);
    expect(getMetric(m, sparse, K).spec).toEqual(m.spec);
    expect(weftSum(rebuilt, P, labels)).toBe(weftSum(m, P, labels));
    expect(getMetric({ name: 'top_k_categorical_accuracy', config: { k: 2 } }, dense, K).key).toBe('top_k_categorical_accuracy');
  });

  it("'accuracy' still resolves by the loss", () => {
    expect(getMetric('accuracy', sparse, K).name).toBe('sparseCategoricalAccuracy');
    expect(getMetric('acc', getLoss('binaryCrossentropy'), K).name).toBe('binaryAccuracy');
    expect(getMetric('accuracy', getLoss('hinge'), 1).name).toBe('binaryAccuracy');
    expect(getMetric('accuracy', getLoss('categoricalHinge'), K).name).toBe('categoricalAccuracy');
  });
});

describe('metric errors name the argument, what was expected and what was received', () => {
  const cases: [string, () => unknown, ErrorConstructor, RegExp[]][] = [
    ['k below 1', () => metrics.topKCategoricalAccuracy({ k: 0 }), RangeError, [/`k`/, /an integer >= 1/, /k=0/]],
    ['k not an integer', () => metrics.sparseTopKCategoricalAccuracy({ k: 2.5 }), RangeError, [/`k`/, /k=2.5/]],
    ['k a string', () => metrics.topKCategoricalAccuracy({ k: '3' as never }), TypeError, [/`k`/, /k='3'/]],
    ['an unknown option', () => metrics.topKCategoricalAccuracy({ top: 3 } as never), RangeError, [/passed to TopKCategoricalAccuracy: \{'top': 3\}/, /Expected only: k, name/]],
    ['name empty', () => metrics.hinge({ name: '' }), TypeError, [/`name`/, /a non-empty string/]],
    ['a sparse metric with a dense loss', () => getMetric('sparse_top_k_categorical_accuracy', dense, K), RangeError, [/`metrics`/, /targets shaped like the output/, /meanSquaredError/, /metrics='sparse_top_k_categorical_accuracy'/]],
    ['a dense metric with a sparse loss', () => getMetric('mae', sparse, K), RangeError, [/`metrics`/, /class-index targets/, /sparseCategoricalCrossentropy/, /metrics='mae'/]],
    ['an unknown name', () => getMetric('f1_score', dense, K), RangeError, [/Unknown metric: 'f1_score'/, /'accuracy', 'acc'/, /'top_k_categorical_accuracy'/]],
    ['a spec with an unknown name', () => getMetric({ name: 'mean_iou' }, dense, K), RangeError, [/Unknown metric: 'mean_iou'/]],
    ['a number', () => getMetric(5, dense, K), TypeError, [/`metrics`/, /an array of metric names/, /metrics=5/]],
  ];
  for (const [title, call, type, messages] of cases) {
    it(title, () => {
      let caught: unknown;
      try {
        call();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(type);
      for (const m of messages) expect((caught as Error).message).toMatch(m);
    });
  }
});

describe('fit reports the new metrics identically on 2 workers and on 1', () => {
  const track = disposeAfterEach();
  const r = rng(5);
  const x = Array.from({ length: 40 }, () => Array.from({ length: 6 }, () => r() * 2 - 1));
  const cls = x.map((row) => (row[0] > 0 ? 1 : 0) + (row[1] > 0 ? 2 : 0));

  const run = async (workers: number, loss: string, metricNames: string[], y: unknown) => {
    const inputs = weft.input({ shape: [6] });
    const h = weft.layers.dense({ units: 8, activation: 'tanh' }).apply(inputs);
    const m = track(weft.model({ inputs, outputs: weft.layers.dense({ units: 4, activation: 'softmax' }).apply(h), seed: 3 }));
    m.compile({ optimizer: 'adam', loss, metrics: metricNames });
    return (await m.fit(x, y, { epochs: 2, batchSize: 16, seed: 8, verbose: 0, workers })).history;
  };

  it('one-hot targets: top-k, kl_divergence, categorical_hinge, cosine_similarity, poisson', async () => {
    const y = cls.map((c) => [0, 1, 2, 3].map((j) => (j === c ? 1 : 0)));
    const names = ['top_k_categorical_accuracy', 'kl_divergence', 'categorical_hinge', 'cosine_similarity', 'poisson'];
    const [one, two] = [await run(1, 'categoricalCrossentropy', names, y), await run(2, 'categoricalCrossentropy', names, y)];
    for (const k of ['loss', ...names]) {
      expect(one[k], k).toHaveLength(2);
      one[k].forEach((v, i) => close(two[k][i], v, `${k}[${i}]`));
    }
  });

  it('class indices: sparse_top_k_categorical_accuracy, sparse_categorical_crossentropy', async () => {
    const names = ['sparse_top_k_categorical_accuracy', 'sparse_categorical_crossentropy'];
    const [one, two] = [await run(1, 'sparse_categorical_crossentropy', names, cls), await run(2, 'sparse_categorical_crossentropy', names, cls)];
    expect(one.sparse_top_k_categorical_accuracy.every((v) => v === 1)).toBe(true); // 4 classes, k = 5
    for (const k of ['loss', ...names]) one[k].forEach((v, i) => close(two[k][i], v, `${k}[${i}]`));
    one.loss.forEach((v, i) => close(one.sparse_categorical_crossentropy[i], v, 'the metric is the loss (no dropout)'));
  });
});
