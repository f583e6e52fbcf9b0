/**
 * Activity regularizers (issue 11.4), Keras 3 semantics (keras/src/layers/layer.py): any layer's
 * `activityRegularizer` adds regularizer(output) / batch size to the loss; and held-out data is
 * scored with the model's penalties in the loss, as Keras 3's test step adds them (tfjs-layers
 * leaves them out of evaluate). The reference for one step is tfjs-core's autodiff of that loss
 * on the cpu backend, written out here from the formula.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { ensureTfjsGradients } from '../../src/graph/custom/tfjs-gradients.js';
import { l1, l1l2, l2, weightPenalties } from '../../src/graph/regularizers.js';
import { penaltyValue } from '../../src/train/regularizers.js';
import type { ModelJSON } from '../../src/train/save.js';
import { onCpu } from '../support/cpu.js';
import { floatRows } from '../support/random-data.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);
const flat = (ts: tf.Tensor[]): number[][] => ts.map((t) => Array.from(t.dataSync()));
const L = weft.layers;

/** Dense(5, tanh, activity l1l2) → Dense(3, activity l2) (an output's own layer), on 6 features. */
function model(seed = 1, activity = true): weft.Model {
  const i = weft.input({ shape: [6] });
  const h = L.dense({ units: 5, activation: 'tanh', ...(activity ? { activityRegularizer: l1l2({ l1: 0.05, l2: 0.1 }) } : {}) }).apply(i);
  return weft.model({ inputs: i, outputs: L.dense({ units: 3, ...(activity ? { activityRegularizer: l2({ l2: 0.2 }) } : {}) }).apply(h), seed });
}

/** The loss Keras 3 minimises: mean MSE + Σ over regularized outputs of regularizer(y) / batch. */
function referenceLoss(w: tf.Tensor[], x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  const rows = x.shape[0];
  const h = tf.tanh(tf.add(tf.matMul(x, w[0]), w[1]));
  const out = tf.add(tf.matMul(h, w[2]), w[3]);
  const mse = tf.mean(tf.square(tf.sub(out, y)));
  const hPenalty = tf.add(tf.mul(tf.sum(tf.abs(h)), 0.05), tf.mul(tf.sum(tf.square(h)), 0.1));
  const outPenalty = tf.mul(tf.sum(tf.square(out)), 0.2);
  return tf.add(mse, tf.div(tf.add(hPenalty, outPenalty), rows)) as tf.Scalar;
}

describe('activity regularizers', () => {
  it('one SGD step follows the gradient of loss + regularizer(output) / batch, and the loss logged includes it', async () => {
    const ours = model();
    const rows = 8;
    const x = floatRows(rows, 6, 31);
    const y = floatRows(rows, 3, 32);
    const before = flat(ours.getWeights());
    ours.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const history = await ours.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false, workers: 1, verbose: 0 });
    const after = flat(ours.getWeights());
    await ensureTfjsGradients();
    const ref = await onCpu(() => {
      const w = before.map((v, i) => tf.variable(tf.tensor(v, ours.weights[i].shape as number[])));
      const { value, grads } = tf.variableGrads(() => referenceLoss(w, tf.tensor2d(x), tf.tensor2d(y)), w);
      const noPenalty = tf.mean(tf.square(tf.sub(tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(tf.tensor2d(x), w[0]), w[1])), w[2]), w[3]), tf.tensor2d(y)))).dataSync()[0];
      return { loss: value.dataSync()[0], noPenalty, steps: w.map((v) => Array.from(grads[v.name].dataSync()).map((g) => -0.1 * g)) };
    });
    const ourSteps = after.flatMap((v, i) => v.map((a, j) => a - before[i][j]));
    const theirSteps = ref.steps.flat();
    expect(Math.max(...ourSteps.map((s, i) => rel(s, theirSteps[i])))).toBeLessThanOrEqual(2e-4);
    expect(rel(history.history.loss[0] as number, ref.loss)).toBeLessThan(1e-5);
    expect(ref.loss - ref.noPenalty).toBeGreaterThan(0.01); // the penalty is a visible part of the loss
    await ours.dispose();
  });

  it('trains the same on 1 and 2 workers', async () => {
    const x = floatRows(48, 6, 5);
    const y = floatRows(48, 3, 6);
    const run = async (workers: number) => {
      const m = model(2);
      m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const h = await m.fit(x, y, { epochs: 2, batchSize: 16, workers, seed: 4, verbose: 0 });
      const out = { params: m.params.slice(), loss: h.history.loss as number[] };
      await m.dispose();
      return out;
    };
    const one = await run(1);
    const two = await run(2);
    two.params.forEach((p, i) => expect(rel(p, one.params[i])).toBeLessThan(1e-5));
    two.loss.forEach((l, i) => expect(rel(l, one.loss[i])).toBeLessThan(1e-5));
  });

  it('any layer takes one (Keras\'s base Layer option); it saves, loads and reads from Keras JSON', async () => {
    const i = weft.input({ shape: [4] });
    const act = L.activation({ activation: 'relu', activityRegularizer: 'l1' });
    const m = weft.model({ inputs: i, outputs: L.dense({ units: 2 }).apply(act.apply(i)), seed: 3 });
    expect(act.activityRegularizer).toEqual(l1());
    const dir = await mkdtemp(join(tmpdir(), 'weft-activity-'));
    try {
      await m.save(`file://${dir}`);
      const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
      const layers = (mj.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
      expect(layers[1].config.activity_regularizer).toEqual({ class_name: 'L1L2', config: { l1: 0.01, l2: 0 } });
      expect(layers[2].config.activity_regularizer).toBeNull();
      const back = await weft.loadModel(`file://${dir}`);
      expect(back.layers[1].activityRegularizer).toEqual(l1());
      expect(back.layers[2].activityRegularizer).toBeNull();
      await back.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
      await m.dispose();
    }
    expect(() => L.dense({ units: 2, activityRegularizer: 'l3' })).toThrow(/Unknown regularizer for `activityRegularizer`: 'l3'/);
  });

  it('is refused inside a nested model, by name', () => {
    const i = weft.input({ shape: [4] });
    const inner = weft.model({ inputs: i, outputs: L.dense({ units: 2, activityRegularizer: 'l2', name: 'penalized' }).apply(i) });
    expect(() => inner.apply(weft.input({ shape: [4] }))).toThrow(/Argument `activityRegularizer` of Layer 'penalized' inside the nested model .* is not supported/);
  });
});

describe('held-out data is scored with the penalties in the loss (Keras 3)', () => {
  it('evaluate and val_loss add the weight penalty and the activity penalty to the data loss', async () => {
    const i = weft.input({ shape: [6] });
    const h = L.dense({ units: 5, activation: 'tanh', kernelRegularizer: l2({ l2: 0.05 }), activityRegularizer: l1({ l1: 0.02 }) }).apply(i);
    const m = weft.model({ inputs: i, outputs: L.dense({ units: 3 }).apply(h), seed: 8 });
    m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const x = floatRows(20, 6, 1);
    const y = floatRows(20, 3, 2);
    const total = ((await m.evaluate(x, y, { batchSize: 7 })) as tf.Scalar).dataSync()[0];
    const w = m.getWeights();
    const hValue = tf.tanh(tf.add(tf.matMul(tf.tensor2d(x), w[0]), w[1]));
    const data = tf.mean(tf.square(tf.sub(tf.add(tf.matMul(hValue, w[2]), w[3]), tf.tensor2d(y)))).dataSync()[0];
    const activity = (0.02 * tf.sum(tf.abs(hValue)).dataSync()[0]) / 20;
    const weights = penaltyValue(weightPenalties(m.layout), m.params);
    expect(weights).toBeGreaterThan(0.01);
    expect(rel(total, data + activity + weights)).toBeLessThan(1e-5);
    // val_loss on the same rows after an epoch that did not move the weights (learning rate 0).
    m.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0 }), loss: 'meanSquaredError' });
    const history = await m.fit(x, y, { epochs: 1, batchSize: 20, validationData: [x, y], workers: 2, verbose: 0 });
    expect(rel(history.history.val_loss[0] as number, total)).toBeLessThan(1e-5);
    await m.dispose();
  });
});
