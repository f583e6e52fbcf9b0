/**
 * Models with several outputs (issue 11.3), Keras's semantics: a loss per output (one for all,
 * an array, an object by output name), lossWeights, metrics per output, Keras's log keys
 * ('loss', '<output>_loss', '<output>_<metric>', 'val_' forms), evaluate's order, one predict
 * tensor per output, targets as an array or an object. tfjs-layers' trainOnBatch on cpu is the
 * reference for one SGD step; it has no lossWeights, so for those its autodiff of the weighted
 * sum (and the float64 weighted sum of its per-output losses) is.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { floatRows, indexRows } from '../support/random-data.js';
import { maxRelativeDiff } from '../parallel/helpers.js';
import { onCpu } from '../support/cpu.js';

const models: weft.Model[] = [];
afterEach(async () => {
  await Promise.all(models.splice(0).map((m) => m.dispose()));
});

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);
const LAYERS = ['trunk', 'cls', 'reg'];

/** Input(6) → Dense(8, tanh, 'trunk') → a classification head Dense(3, softmax, 'cls') and a regression head Dense(2, 'reg'). */
function twoHeaded(seed = 3): weft.Model {
  const inputs = weft.input({ shape: [6] });
  const h = weft.layers.dense({ units: 8, activation: 'tanh', name: 'trunk' }).apply(inputs);
  const cls = weft.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(h);
  const reg = weft.layers.dense({ units: 2, name: 'reg' }).apply(h);
  const m = weft.model({ inputs, outputs: [cls, reg], seed });
  models.push(m);
  return m;
}

/** The same graph in tfjs-layers, with weft's weights. */
function tfjsTwin(ours: weft.Model): tfl.LayersModel {
  const i = tfl.input({ shape: [6] });
  const h = tfl.layers.dense({ units: 8, activation: 'tanh', name: 'trunk' }).apply(i) as tfl.SymbolicTensor;
  const cls = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(h) as tfl.SymbolicTensor;
  const reg = tfl.layers.dense({ units: 2, name: 'reg' }).apply(h) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: i, outputs: [cls, reg] });
  for (const name of LAYERS) {
    const values = ours.getLayer(name).getWeights().map((w) => ({ data: Array.from(w.dataSync()), shape: w.shape }));
    m.getLayer(name).setWeights(values.map((v) => tf.tensor(v.data, v.shape)));
  }
  return m;
}

function weightsByLayer(m: weft.Model): number[][] {
  return LAYERS.flatMap((n) => m.getLayer(n).getWeights().map((w) => Array.from(w.dataSync())));
}

function tfjsWeights(m: tfl.LayersModel): number[][] {
  return LAYERS.flatMap((n) => m.getLayer(n).getWeights().map((w) => Array.from(w.dataSync())));
}

function data(rows: number, seed = 1): { x: number[][]; yc: number[][]; yr: number[][] } {
  const labels = indexRows(rows, 1, 3, seed + 1).map((r) => r[0]);
  return { x: floatRows(rows, 6, seed), yc: labels.map((l) => [0, 1, 2].map((k) => (k === l ? 1 : 0))), yr: floatRows(rows, 2, seed + 2) };
}

/** Largest relative difference of the weight steps (after − before), floor 1e-6 on the reference. */
function stepDiff(before: number[][], ours: number[][], theirs: number[][]): number {
  const steps = (w: number[][]) => w.flatMap((v, i) => v.map((a, j) => a - before[i][j]));
  const a = steps(ours);
  const b = steps(theirs);
  return Math.max(...a.map((s, i) => rel(s, b[i])));
}

describe('one SGD step against tfjs-layers', () => {
  it('loss and metrics by output name: per-output losses, total, metrics and the weight step equal trainOnBatch', async () => {
    const ours = twoHeaded();
    const rows = 8;
    const { x, yc, yr } = data(rows);
    const before = weightsByLayer(ours);
    ours.compile({
      optimizer: weft.optimizers.sgd({ learningRate: 0.1 }),
      loss: { cls: 'categoricalCrossentropy', reg: 'meanSquaredError' }, metrics: { cls: ['accuracy'], reg: ['mae'] },
    });
    const h = await ours.fit(x, { cls: yc, reg: yr }, { epochs: 1, batchSize: rows, shuffle: false, workers: 1, verbose: 0 });
    expect(Object.keys(h.history)).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'reg_mae']);
    expect(h.params?.metrics).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'reg_mae']);
    const ref = await onCpu(async () => {
      const m = tfjsTwin(ours);
      // weft's weights are those before the step: the twin was made from them only now, so rebuild it from `before`.
      LAYERS.forEach((n, k) => m.getLayer(n).setWeights(m.getLayer(n).getWeights().map((w, j) => tf.tensor(before[2 * k + j], w.shape))));
      m.compile({ optimizer: tf.train.sgd(0.1), loss: ['categoricalCrossentropy', 'meanSquaredError'], metrics: { cls: 'accuracy', reg: 'mae' } });
      const out = (await m.trainOnBatch(tf.tensor2d(x), [tf.tensor2d(yc), tf.tensor2d(yr)])) as number[];
      return { out, weights: tfjsWeights(m) };
    });
    // tfjs-layers: [total, cls_loss, reg_loss, cls_acc, reg_mae], the order weft's logs and evaluate take.
    const logged = ['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'reg_mae'].map((k) => h.history[k][0]);
    logged.forEach((v, i) => expect(rel(v, ref.out[i])).toBeLessThan(1e-5));
    expect(stepDiff(before, weightsByLayer(ours), ref.weights)).toBeLessThan(2e-4);
  });

  it('lossWeights: total = Σ w_i·loss_i (float64 over tfjs-layers’ per-output losses), the step of the weighted sum', async () => {
    const ours = twoHeaded(4);
    const rows = 10;
    const { x, yc, yr } = data(rows, 7);
    const before = weightsByLayer(ours);
    const lw = [0.3, 2];
    ours.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0.05 }), loss: ['categoricalCrossentropy', 'meanSquaredError'], lossWeights: { cls: lw[0], reg: lw[1] } });
    const h = await ours.fit(x, [yc, yr], { epochs: 1, batchSize: rows, shuffle: false, workers: 1, verbose: 0 });
    const ref = await onCpu(async () => {
      const m = tfjsTwin(ours);
      LAYERS.forEach((n, k) => m.getLayer(n).setWeights(m.getLayer(n).getWeights().map((w, j) => tf.tensor(before[2 * k + j], w.shape))));
      const [xt, yct, yrt] = [tf.tensor2d(x), tf.tensor2d(yc), tf.tensor2d(yr)];
      const losses = () => {
        const [pc, pr] = m.apply(xt, { training: true }) as tf.Tensor[];
        return [tf.mean(tfl.metrics.categoricalCrossentropy(yct, pc)), tf.losses.meanSquaredError(yrt, pr)] as tf.Scalar[];
      };
      const parts = losses().map((l) => l.dataSync()[0]);
      // The step of the weighted sum, by tfjs's autodiff.
      tf.train.sgd(0.05).minimize(() => {
        const [a, b] = losses();
        return tf.add(tf.mul(a, lw[0]), tf.mul(b, lw[1])) as tf.Scalar;
      }, false, m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val));
      return { parts, weights: tfjsWeights(m) };
    });
    expect(rel(h.history.cls_loss[0], ref.parts[0])).toBeLessThan(1e-5);
    expect(rel(h.history.reg_loss[0], ref.parts[1])).toBeLessThan(1e-5);
    // Keras records each output's loss unweighted, and the total weighted.
    expect(rel(h.history.loss[0], lw[0] * ref.parts[0] + lw[1] * ref.parts[1])).toBeLessThan(1e-5);
    expect(stepDiff(before, weightsByLayer(ours), ref.weights)).toBeLessThan(2e-4);
  });
});

describe('training across workers', () => {
  it('N = 1, 2, 3 workers train the same two-headed model (1e-5) with the same per-output logs', async () => {
    const { x, yc, yr } = data(45, 11);
    const run = async (workers: number) => {
      const m = twoHeaded(5);
      m.compile({ optimizer: 'adam', loss: ['categoricalCrossentropy', 'mse'], lossWeights: [1, 0.5], metrics: [['accuracy'], ['mae']] });
      const h = await m.fit(x, { reg: yr, cls: yc }, { epochs: 2, batchSize: 16, workers, seed: 9, verbose: 0, validationSplit: 0.2 });
      return { params: m.params.slice(), history: h.history };
    };
    const one = await run(1);
    for (const n of [2, 3]) {
      const other = await run(n);
      expect(maxRelativeDiff(other.params, one.params)).toBeLessThan(1e-5);
      for (const [k, v] of Object.entries(one.history)) v.forEach((a, i) => expect(rel(other.history[k][i], a)).toBeLessThan(1e-5));
    }
    expect(Object.keys(one.history).sort()).toEqual([
      'cls_accuracy', 'cls_loss', 'loss', 'reg_loss', 'reg_mae',
      'val_cls_accuracy', 'val_cls_loss', 'val_loss', 'val_reg_loss', 'val_reg_mae',
    ]);
  });
});

describe('callbacks read the per-output keys', () => {
  it("earlyStopping monitors 'val_cls_loss' and the progress line prints every key", async () => {
    const { x, yc, yr } = data(20, 13);
    const m = twoHeaded(11);
    m.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0 }), loss: ['categoricalCrossentropy', 'mse'], metrics: { cls: ['accuracy'] } });
    const warn = vi.spyOn(console, 'warn');
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      // A learning rate of 0: val_cls_loss never improves, so patience 1 stops after epoch 2.
      const h = await m.fit(x, [yc, yr], {
        epochs: 5, batchSize: 10, workers: 1, verbose: 2, validationSplit: 0.25, callbacks: [weft.callbacks.earlyStopping({ monitor: 'val_cls_loss', patience: 1 })],
      });
      expect(h.epoch).toEqual([0, 1]);
    } finally {
      write.mockRestore();
    }
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
    expect(lines.join('')).toMatch(/loss: [\d.]+ - cls_loss: [\d.]+ - reg_loss: [\d.]+ - cls_accuracy: [\d.]+ - val_loss: [\d.]+ - val_cls_loss/);
  });
});

describe('evaluate, predict, targets', () => {
  it("evaluate returns [total, each output's loss, each output's metrics]: tfjs-layers' metricsNames order, its values", async () => {
    const ours = twoHeaded(6);
    const { x, yc, yr } = data(20, 3);
    ours.compile({ optimizer: 'sgd', loss: { cls: 'categoricalCrossentropy', reg: 'meanSquaredError' }, metrics: ['mse', 'mse'] });
    const result = (await ours.evaluate(x, [yc, yr], { batchSize: 7 })) as tf.Scalar[];
    const values = result.map((s) => s.dataSync()[0]);
    expect(values).toHaveLength(5);
    const ref = await onCpu(async () => {
      const m = tfjsTwin(ours);
      // tfjs-layers (as Keras 2) applies a flat list to every output; Keras 3 and weft take one entry per output.
      m.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'meanSquaredError'], metrics: ['mse'] });
      // The values from the twin's predictions (tfjs-layers 4.22's evaluate of a two-output model
      // returns six numbers for these five names, the first one repeated).
      const [pc, pr] = m.predict(tf.tensor2d(x)) as tf.Tensor[];
      const [yct, yrt] = [tf.tensor2d(yc), tf.tensor2d(yr)];
      const ce = tf.mean(tfl.metrics.categoricalCrossentropy(yct, pc)).dataSync()[0];
      const mse = (a: tf.Tensor, b: tf.Tensor) => tf.mean(tf.square(tf.sub(a, b))).dataSync()[0];
      return { values: [ce + mse(yrt, pr), ce, mse(yrt, pr), mse(yct, pc), mse(yrt, pr)], names: m.metricsNames };
    });
    expect(ref.names).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_mse', 'reg_mse']);
    values.forEach((v, i) => expect(rel(v, ref.values[i])).toBeLessThan(1e-5));
    // The same model on a pool: the same numbers.
    const pooled = (await ours.evaluate(x, { cls: yc, reg: yr }, { workers: 2 })) as tf.Scalar[];
    pooled.forEach((s, i) => expect(rel(s.dataSync()[0], values[i])).toBeLessThan(1e-5));
  });

  it('predict returns one tensor per output, shaped like each', async () => {
    const ours = twoHeaded(7);
    const { x } = data(5);
    const out = (await ours.predict(x)) as tf.Tensor[];
    expect(out.map((t) => t.shape)).toEqual([[5, 3], [5, 2]]);
    const ref = await onCpu(() => (tfjsTwin(ours).predict(tf.tensor2d(x)) as tf.Tensor[]).map((t) => Array.from(t.dataSync())));
    out.forEach((t, i) => expect(maxRelativeDiff(t.dataSync(), ref[i])).toBeLessThan(1e-5));
  });

  it("targets as an array and as an object train identically; a metric list takes one entry per output (Keras 3)", async () => {
    const { x, yc, yr } = data(24, 5);
    const refused = twoHeaded(8);
    expect(() => refused.compile({ optimizer: 'adam', loss: ['categoricalCrossentropy', 'mse'], metrics: ['mae'] }))
      .toThrow(/Invalid value received for argument `metrics`. Expected for a model with 2 outputs \('cls', 'reg'\), a list with one entry per output .* as Keras 3 takes them/);
    await refused.dispose();
    const run = async (y: unknown) => {
      const m = twoHeaded(8);
      m.compile({ optimizer: 'adam', loss: ['categoricalCrossentropy', 'mse'], metrics: ['accuracy', 'mae'] });
      const h = await m.fit(x, y, { epochs: 1, batchSize: 8, workers: 1, seed: 2, verbose: 0 });
      return { params: m.params.slice(), keys: Object.keys(h.history) };
    };
    const a = await run([yc, yr]);
    const b = await run({ reg: tf.tensor2d(yr), cls: tf.tensor2d(yc) });
    expect(b.params).toEqual(a.params);
    expect(a.keys).toEqual(['loss', 'cls_loss', 'reg_loss', 'cls_accuracy', 'reg_mae']);
  });

  it('fitDataset with several ys (an array or an object per batch) trains as fit on the same batches', async () => {
    const { x, yc, yr } = data(24, 8);
    const make = () => {
      const m = twoHeaded(9);
      m.compile({ optimizer: 'sgd', loss: { cls: 'categoricalCrossentropy', reg: 'mse' } });
      return m;
    };
    const a = make();
    await a.fit(x, [yc, yr], { epochs: 2, batchSize: 8, shuffle: false, workers: 2, verbose: 0 });
    const batches = (keyed: boolean) => [0, 8, 16].map((s) => ({
      xs: x.slice(s, s + 8), ys: keyed ? { cls: yc.slice(s, s + 8), reg: yr.slice(s, s + 8) } : [yc.slice(s, s + 8), yr.slice(s, s + 8)],
    }));
    for (const keyed of [false, true]) {
      const b = make();
      const h = await b.fitDataset(batches(keyed), { epochs: 2, workers: 2, verbose: 0 });
      expect(Object.keys(h.history)).toEqual(['loss', 'cls_loss', 'reg_loss']);
      expect(maxRelativeDiff(b.params, a.params)).toBeLessThan(1e-6);
    }
  });

  it('weft.trainer takes targets by output name and trains as model.fit', async () => {
    const { x, yc, yr } = data(16, 12);
    const compile = { optimizer: 'sgd', loss: { cls: 'categoricalCrossentropy', reg: 'mse' }, metrics: { reg: ['mae'] } };
    const a = twoHeaded(10);
    a.compile(compile);
    const ha = await a.fit(x, [yc, yr], { epochs: 1, batchSize: 8, workers: 1, seed: 1, verbose: 0 });
    const b = twoHeaded(10);
    const trainer = await weft.trainer(b, compile);
    try {
      const hb = await trainer.fit(x, { cls: yc, reg: tf.tensor2d(yr) }, { epochs: 1, batchSize: 8, workers: 1, seed: 1, verbose: 0 });
      expect(Object.keys(hb.history)).toEqual(['loss', 'cls_loss', 'reg_loss', 'reg_mae']);
      expect(maxRelativeDiff(b.params, a.params)).toBeLessThan(1e-6);
      expect(rel(hb.history.loss[0], ha.history.loss[0])).toBeLessThan(1e-6);
      const ev = (await trainer.evaluate(x, [yc, yr])) as tf.Scalar[];
      expect(ev).toHaveLength(4);
    } finally {
      await trainer.dispose();
    }
  });
});

describe('errors name the output', () => {
  const compiled = () => {
    const m = twoHeaded();
    m.compile({ optimizer: 'sgd', loss: ['categoricalCrossentropy', 'mse'] });
    return m;
  };
  const { x, yc, yr } = data(6);

  it('a target shaped for another output', async () => {
    await expect(compiled().fit(x, [yc, yc], { verbose: 0, workers: 1 })).rejects.toThrow(/`y\[1\] \(output 'reg'\)`: expected shape \(None, 2\), received shape \(6, 3\)/);
    await expect(compiled().fit(x, { cls: yc, reg: yc }, { verbose: 0, workers: 1 })).rejects.toThrow(/`y\['reg'\]`: expected shape \(None, 2\)/);
    await expect(compiled().fit(x, { cls: yc, reg: yr.slice(1) }, { verbose: 0, workers: 1 })).rejects.toThrow(/6 in x and 5 in y\['reg'\]/);
  });

  it('an unknown output name, a missing one, a wrong count', async () => {
    await expect(compiled().fit(x, { cls: yc, regression: yr }, { verbose: 0, workers: 1 })).rejects.toThrow(/an object keyed by the model's output names \('cls', 'reg'\)\. .*regression/);
    await expect(compiled().fit(x, { cls: yc }, { verbose: 0, workers: 1 })).rejects.toThrow(/a value for every model output/);
    await expect(compiled().fit(x, [yc], { verbose: 0, workers: 1 })).rejects.toThrow(/an array of 2 values \(one per model output: 'cls', 'reg'\)/);
    const m = twoHeaded();
    expect(() => m.compile({ optimizer: 'sgd', loss: { cls: 'mse', out2: 'mse' } })).toThrow(/`loss`.*output names \('cls', 'reg'\).*out2/);
    expect(() => m.compile({ optimizer: 'sgd', loss: ['mse'] })).toThrow(/an array of 2 \(one per model output/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', metrics: { clss: ['mae'] } })).toThrow(/`metrics`.*clss/);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [1] })).toThrow(/`lossWeights`/);
    expect(() => m.compile({ optimizer: 'sgd', loss: ['sparseCategoricalCrossentropy', 'mse'], metrics: [['categorical_accuracy'], []] })).toThrow(/metric of class-index targets/);
  });
});
