import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { bitwiseEqual } from '../parallel/helpers.js';
import { disposeAfterEach } from '../support/dispose.js';

const track = disposeAfterEach();
const { tf } = weft;
const quiet = { epochs: 2, batchSize: 8, shuffle: false, seed: 3, workers: 2, verbose: 0 } as const;

/** A one-unit regression/classification head on 3 features. */
function oneUnit(activation: string, loss: string): weft.Model {
  const inputs = weft.input({ shape: [3] });
  const h = weft.layers.dense({ units: 6, activation: 'tanh' }).apply(inputs);
  const model = track(weft.model({ inputs, outputs: weft.layers.dense({ units: 1, activation }).apply(h), seed: 7 }));
  model.compile({ optimizer: 'adam', loss, metrics: loss === 'binaryCrossentropy' ? ['accuracy'] : ['mae'] });
  return model;
}
const X = Array.from({ length: 24 }, (_, r) => [Math.sin(r), Math.cos(r), r / 24]);
const Y1 = X.map((r) => (r[0] + r[1] > 0 ? 1 : 0));

// Issue 10, item 7: tfjs-layers trains a (N,) target for a one-unit output; weft refused it.
describe('a 1-D y for a one-unit output', () => {
  for (const [activation, loss] of [['sigmoid', 'binaryCrossentropy'], ['linear', 'meanSquaredError']]) {
    it(`${loss}: fit, evaluate and fitDataset take (N,) exactly as (N, 1)`, async () => {
      const a = oneUnit(activation, loss);
      const b = oneUnit(activation, loss);
      const ha = await a.fit(tf.tensor2d(X), tf.tensor1d(Y1), quiet);
      const hb = await b.fit(tf.tensor2d(X), tf.tensor2d(Y1, [24, 1]), quiet);
      expect(ha.history).toEqual(hb.history);
      expect(bitwiseEqual(a.params, b.params)).toBe(true);
      const ea = (await a.evaluate(X, Y1)) as weft.tf.Scalar[];
      const eb = (await b.evaluate(X, Y1.map((v) => [v]))) as weft.tf.Scalar[];
      expect(ea.map((s) => s.dataSync()[0])).toEqual(eb.map((s) => s.dataSync()[0]));
      const streamed = await a.fitDataset([{ xs: tf.tensor2d(X), ys: tf.tensor1d(Y1) }], { epochs: 1, workers: 1, verbose: 0 });
      expect(Number.isFinite(streamed.history.loss[0])).toBe(true);
      // validationData as well
      const hv = await a.fit(X, Y1, { ...quiet, validationData: [X, Y1] });
      expect(hv.history.val_loss).toHaveLength(2);
    });
  }

  it('a 1-D y for a several-unit output is still a shape error naming y', async () => {
    const inputs = weft.input({ shape: [3] });
    const model = track(weft.model({ inputs, outputs: weft.layers.dense({ units: 2 }).apply(inputs) }));
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    await expect(model.fit(X, Y1, quiet)).rejects.toThrow(/`y`: expected shape \(None, 2\), received shape \(24,\)/);
  });
});

/** Two named inputs, concatenated. */
function twoInputs(): weft.Model {
  const a = weft.input({ shape: [2], name: 'left' });
  const b = weft.input({ shape: [3], name: 'right' });
  const merged = weft.layers.concatenate([weft.layers.dense({ units: 4 }).apply(a), b]);
  const model = track(weft.model({ inputs: [a, b], outputs: weft.layers.dense({ units: 2, activation: 'softmax' }).apply(merged), seed: 2 }));
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
const XL = X.map((r) => r.slice(0, 2));
const XR = X.map((r) => [r[2], r[0] * r[1], 1]);

// Issue 10, item 8: several inputs as an object keyed by input name, as Keras takes a dict.
describe('inputs keyed by name', () => {
  it('fit, evaluate, predict and fitDataset read {name: value} in the model input order', async () => {
    const a = twoInputs();
    const b = twoInputs();
    // Keys in the other order than the inputs: order comes from the model, not the object.
    const ha = await a.fit({ right: XR, left: XL }, Y1, quiet);
    const hb = await b.fit([XL, XR], Y1, quiet);
    expect(ha.history).toEqual(hb.history);
    expect(bitwiseEqual(a.params, b.params)).toBe(true);
    const pa = (await a.predict({ left: tf.tensor2d(XL), right: tf.tensor2d(XR) })) as weft.tf.Tensor;
    const pb = (await b.predict([XL, XR])) as weft.tf.Tensor;
    expect(Array.from(pa.dataSync())).toEqual(Array.from(pb.dataSync()));
    const ea = (await a.evaluate({ left: XL, right: XR }, Y1)) as weft.tf.Scalar[];
    const eb = (await b.evaluate([XL, XR], Y1)) as weft.tf.Scalar[];
    expect(ea.map((s) => s.dataSync()[0])).toEqual(eb.map((s) => s.dataSync()[0]));
    const hs = await a.fitDataset([{ xs: { left: XL, right: XR }, ys: Y1 }], { epochs: 1, workers: 1, verbose: 0 });
    expect(hs.epoch).toEqual([0]);
  });

  it('an unknown or a missing name is an error naming x and the input names', async () => {
    const m = twoInputs();
    await expect(m.fit({ left: XL, rigth: XR }, Y1, quiet)).rejects.toThrow(/`x`.*input names \('left', 'right'\).*x='rigth'/);
    await expect(m.predict({ left: XL })).rejects.toThrow(/`x`.*a value for every model input.*no 'right'/);
    await expect(m.fit({ left: XL, right: [[1, 2]] }, Y1, quiet)).rejects.toThrow(/`x\['right'\]`/);
  });
});
