import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { tflSeedModel, weftSeedModel } from '../support/seed-models.js';

// tfjs-layers names variables uniquely per session, so every model here gets its own prefix.
const seed2 = (prefix: string): weft.Model => weftSeedModel(2, { prefix, input: `${prefix}in` });

describe('model.getLayer(name | index)', () => {
  it('takes an index into model.layers, as tfjs-layers\' getLayer(name?, index?) and Keras\'s get_layer(index=) do', () => {
    const model = seed2('gi_');
    model.layers.forEach((layer, i) => {
      expect(model.getLayer(i)).toBe(layer);
      expect(model.getLayer(undefined, i)).toBe(layer);
    });
    expect(model.getLayer(1).name).toBe('gi_dense');
    expect(model.getLayer('gi_dense_3')).toBe(model.layers[7]);
  });

  it('an index outside [0, layers - 1] is a RangeError naming `index`, the range and the value', () => {
    const model = seed2('gr_');
    const expected = 'Expected an integer in [0, 7] (an index into model.layers, which has 8 layers)';
    for (const bad of [8, -1, 1.5, Number.NaN]) {
      expect(() => model.getLayer(bad)).toThrow(new RangeError(`Invalid value received for argument \`index\`. ${expected}. Received: index=${bad}`));
    }
    expect(() => model.getLayer(undefined, 100)).toThrow(/`index`.*\[0, 7\].*Received: index=100/);
    expect(() => model.getLayer(undefined, '2' as unknown as number)).toThrow(new TypeError(`Invalid type received for argument \`index\`. ${expected}. Received: index='2'`));
  });

  it('refuses a name and an index together, and a name that is neither a string nor a number', () => {
    const model = seed2('gb_');
    expect(() => (model.getLayer as (n: string, i: number) => weft.Layer)('gb_dense', 2)).toThrow(
      new RangeError("Invalid value received for argument `name`. Expected no name when `index` is given (pass one or the other). Received: name='gb_dense'"),
    );
    expect(() => model.getLayer(null as unknown as string)).toThrow(
      new TypeError('Invalid type received for argument `name`. Expected a layer name (string) or an index into model.layers (integer). Received: name=null'),
    );
    expect(() => model.getLayer('nope')).toThrow(/Unknown layer: 'nope'. Expected one of: 'gb_in', 'gb_dense'/);
  });
});

describe('model.weights, trainableWeights, nonTrainableWeights', () => {
  it('name, shape, dtype and trainable equal tfjs-layers\' for the same model', async () => {
    const model = seed2('wn_');
    expect(await tf.setBackend('cpu')).toBe(true);
    let reference: { name: string; shape: number[]; dtype: string; trainable: boolean }[][];
    try {
      const ref = tflSeedModel(2, { prefix: 'wn_', input: 'wn_in' });
      reference = [ref.weights, ref.trainableWeights, ref.nonTrainableWeights].map((list) =>
        list.map((w: tfl.LayerVariable) => ({ name: w.name, shape: w.shape as number[], dtype: w.dtype, trainable: w.trainable })));
    } finally {
      expect(await tf.setBackend('wasm')).toBe(true);
    }
    const ours = [model.weights, model.trainableWeights, model.nonTrainableWeights].map((list) =>
      list.map((w) => ({ name: w.name, shape: [...w.shape], dtype: w.dtype, trainable: w.trainable })));
    expect(ours).toEqual(reference);
    expect(ours[0].map((w) => w.name)).toEqual(['dense', 'dense_1', 'dense_2', 'dense_3'].flatMap((d) => [`wn_${d}/kernel`, `wn_${d}/bias`]));
    expect(ours[2]).toEqual([]);
    expect(model.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0)).toBe(model.countParams());
  });

  it('read() returns a tf tensor of the current value, in getWeights() order, and follows setWeights', () => {
    const model = seed2('wr_');
    const values = model.getWeights();
    model.weights.forEach((w, i) => {
      const t = w.read();
      expect(t).toBeInstanceOf(tf.Tensor);
      expect([t.shape, t.dtype]).toEqual([values[i].shape, 'float32']);
      expect(t.dataSync()).toEqual(values[i].dataSync());
      t.dispose();
    });
    const fresh = values.map((v, i) => tf.fill(v.shape, i - 3));
    model.setWeights(fresh);
    const kernel = model.weights[2];
    const after = kernel.read();
    expect(Array.from(new Set(after.dataSync()))).toEqual([-1]);
    // Each read() is the caller's own tensor: disposing it leaves the weight readable.
    after.dispose();
    expect(kernel.read().shape).toEqual([256, 128]);
    tf.dispose([...values, ...fresh]);
  });

  it('the summary counts trainable params from the trainable weights', () => {
    const model = seed2('ws_');
    const lines: string[] = [];
    model.summary(undefined, undefined, (l) => lines.push(l));
    const trainable = model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
    expect(trainable).toBe(94_218);
    expect(lines.filter((l) => / params: /.test(l))).toEqual(['Total params: 94,218', 'Trainable params: 94,218', 'Non-trainable params: 0']);
  });
});
