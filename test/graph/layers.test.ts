import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { floatRows } from '../support/random-data.js';

// Keras's run_layer_test, in small: each case builds a model around one layer through the public
// API and checks its output shape, its weights, and that the JSON spec rebuilds the same model.

type Sym = weft.SymbolicTensor;

/** Deterministic values in [-1, 1) (mulberry32), so a failure reproduces. */
function values(n: number, seed: number): number[] {
  return floatRows(1, n, seed)[0];
}

function summaryText(model: weft.Model): string {
  const lines: string[] = [];
  model.summary(undefined, undefined, (l) => lines.push(l));
  return lines.join('\n');
}

async function predictArray(model: weft.Model, x: tf.Tensor | tf.Tensor[]): Promise<{ shape: number[]; data: Float32Array }> {
  const out = (await model.predict(x)) as tf.Tensor;
  const result = { shape: out.shape, data: Float32Array.from(out.dataSync()) };
  out.dispose();
  return result;
}

interface LayerCase {
  /** Builds inputs → layer → outputs and returns the layer under test. */
  build: () => { inputs: Sym | Sym[]; outputs: Sym; layer: weft.Layer };
  /** Concrete inputs for predict. */
  x: () => tf.Tensor | tf.Tensor[];
  outputShape: (number | null)[];
  weightShapes: number[][];
}

/** The shared harness: shapes, weights, and the toJSON → modelFromJSON round trip. */
async function runLayerTest(c: LayerCase): Promise<{ model: weft.Model; out: { shape: number[]; data: Float32Array } }> {
  const { inputs, outputs, layer } = c.build();
  expect(outputs.shape).toEqual(c.outputShape);
  const model = weft.model({ inputs, outputs, seed: 7 });
  expect(model.outputs[0].shape).toEqual(c.outputShape);

  const weights = layer.getWeights();
  expect(weights.length).toBe(c.weightShapes.length);
  expect(weights.map((w) => w.shape)).toEqual(c.weightShapes);
  const count = c.weightShapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
  expect(layer.countParams).toBe(count);
  expect(model.countParams()).toBe(count);
  tf.dispose(weights);

  const x = c.x();
  const out = await predictArray(model, x);
  const batch = (Array.isArray(x) ? x[0] : x).shape[0];
  expect(out.shape).toEqual([batch, ...(c.outputShape.slice(1) as number[])]);

  // The spec survives JSON text and rebuilds the same graph: same summary, same predictions.
  const spec = JSON.parse(JSON.stringify(model.toJSON())) as weft.ModelSpec;
  const rebuilt = weft.modelFromJSON(spec, 99);
  expect(summaryText(rebuilt)).toBe(summaryText(model));
  const w = model.getWeights();
  rebuilt.setWeights(w);
  tf.dispose(w);
  expect((await predictArray(rebuilt, x)).data).toEqual(out.data);
  tf.dispose(x);
  return { model, out };
}

describe('layers through the shared harness', () => {
  it('Dense on a rank-3 input applies over the last axis: (None, 5, 3) -> (None, 5, 4)', async () => {
    let dense!: weft.Layer;
    const xs = values(2 * 5 * 3, 1);
    const { model, out } = await runLayerTest({
      build: () => {
        const inputs = weft.input({ shape: [5, 3] });
        dense = weft.layers.dense({ units: 4, activation: 'tanh', biasInitializer: 'ones' });
        return { inputs, outputs: dense.apply(inputs), layer: dense };
      },
      x: () => tf.tensor3d(xs, [2, 5, 3]),
      outputShape: [null, 5, 4],
      weightShapes: [[3, 4], [4]],
    });
    const [k, b] = model.getWeights().map((t) => t.dataSync());
    for (let r = 0; r < 10; r++) {
      for (let u = 0; u < 4; u++) {
        let z = b[u];
        for (let i = 0; i < 3; i++) z += xs[r * 3 + i] * k[i * 4 + u];
        expect(out.data[r * 4 + u]).toBeCloseTo(Math.tanh(z), 5);
      }
    }
  });

  it('Dense without bias declares only a kernel', async () => {
    await runLayerTest({
      build: () => {
        const inputs = weft.input({ shape: [6] });
        const layer = weft.layers.dense({ units: 2, useBias: false });
        return { inputs, outputs: layer.apply(inputs), layer };
      },
      x: () => tf.tensor2d(values(12, 2), [2, 6]),
      outputShape: [null, 2],
      weightShapes: [[6, 2]],
    });
  });

  it('Concatenate joins 3 inputs on the last axis, and on axis 1', async () => {
    const parts = [[2, 3], [2, 4], [2, 5]].map((s, i) => values(3 * s[0] * s[1], 10 + i));
    const last = await runLayerTest({
      build: () => {
        const ins = [3, 4, 5].map((d) => weft.input({ shape: [2, d] }));
        const layer = weft.layers.concatenate();
        return { inputs: ins, outputs: layer.apply(ins), layer };
      },
      x: () => parts.map((p, i) => tf.tensor3d(p, [3, 2, 3 + i])),
      outputShape: [null, 2, 12],
      weightShapes: [],
    });
    const expected = tf.concat(parts.map((p, i) => tf.tensor3d(p, [3, 2, 3 + i])), -1);
    expect(last.out.data).toEqual(Float32Array.from(expected.dataSync()));

    const rows = [[3, 2], [4, 2], [1, 2]].map((s, i) => values(3 * s[0] * s[1], 20 + i));
    const axis1 = await runLayerTest({
      build: () => {
        const ins = [3, 4, 1].map((n) => weft.input({ shape: [n, 2] }));
        const layer = weft.layers.concatenate({ axis: 1 });
        return { inputs: ins, outputs: layer.apply(ins), layer };
      },
      x: () => rows.map((p, i) => tf.tensor3d(p, [3, [3, 4, 1][i], 2])),
      outputShape: [null, 8, 2],
      weightShapes: [],
    });
    const expected1 = tf.concat(rows.map((p, i) => tf.tensor3d(p, [3, [3, 4, 1][i], 2])), 1);
    expect(axis1.out.data).toEqual(Float32Array.from(expected1.dataSync()));
    tf.dispose([expected, expected1]);
  });

  it('Flatten folds every non-batch axis: (None, 3, 4, 2) -> (None, 24), values in row-major order', async () => {
    const xs = values(2 * 24, 3);
    const { out } = await runLayerTest({
      build: () => {
        const inputs = weft.input({ shape: [3, 4, 2] });
        const layer = weft.layers.flatten();
        return { inputs, outputs: layer.apply(inputs), layer };
      },
      x: () => tf.tensor4d(xs, [2, 3, 4, 2]),
      outputShape: [null, 24],
      weightShapes: [],
    });
    expect(out.data).toEqual(Float32Array.from(xs));
  });

  it('Embedding looks up one table row per index: (None, 5) int32 -> (None, 5, 3)', async () => {
    const idx = [0, 9, 3, 3, 7, 1, 2, 8, 5, 0];
    const { model, out } = await runLayerTest({
      build: () => {
        const inputs = weft.input({ shape: [5], dtype: 'int32' });
        const layer = weft.layers.embedding({ inputDim: 10, outputDim: 3 });
        return { inputs, outputs: layer.apply(inputs), layer };
      },
      x: () => tf.tensor2d(idx, [2, 5], 'int32'),
      outputShape: [null, 5, 3],
      weightShapes: [[10, 3]],
    });
    const table = model.getWeights()[0].dataSync();
    // Keras's default: uniform in [-0.05, 0.05].
    expect(Array.from(table).every((v) => v >= -0.05 && v <= 0.05)).toBe(true);
    idx.forEach((i, r) => expect(Array.from(out.data.subarray(r * 3, r * 3 + 3))).toEqual(Array.from(table.subarray(i * 3, i * 3 + 3))));
  });

  it('a layer applied twice shares its weights: countParams counts them once', async () => {
    let shared!: weft.Layer;
    const { model, out } = await runLayerTest({
      build: () => {
        const a = weft.input({ shape: [3], name: 'shared_a' });
        const b = weft.input({ shape: [3], name: 'shared_b' });
        shared = weft.layers.dense({ units: 4, biasInitializer: 'ones', name: 'shared_dense' });
        return { inputs: [a, b], outputs: weft.layers.concatenate([shared.apply(a), shared.apply(b)]), layer: shared };
      },
      x: () => [tf.tensor2d(values(6, 4), [2, 3]), tf.tensor2d(values(6, 5), [2, 3])],
      outputShape: [null, 8],
      weightShapes: [[3, 4], [4]],
    });
    expect(model.countParams()).toBe(16);
    expect(model.layers.filter((l) => l === shared)).toHaveLength(1);
    expect(model.getWeights()).toHaveLength(2);
    const [k, bias] = model.getWeights().map((t) => t.dataSync());
    const xa = values(6, 4);
    const xb = values(6, 5);
    for (let r = 0; r < 2; r++) {
      for (let u = 0; u < 4; u++) {
        const dot = (x: number[]) => bias[u] + [0, 1, 2].reduce((s, i) => s + x[r * 3 + i] * k[i * 4 + u], 0);
        expect(out.data[r * 8 + u]).toBeCloseTo(dot(xa), 5);
        expect(out.data[r * 8 + 4 + u]).toBeCloseTo(dot(xb), 5);
      }
    }
  });
});

/** Seed example 2's shape with explicit names: a branch, a merge, two dense heads. */
function branchy(prefix: string): weft.Model {
  const inputs = weft.input({ shape: [6], name: `${prefix}in` });
  const x = weft.layers.dense({ units: 5, activation: 'relu', name: `${prefix}d0` }).apply(inputs);
  const b1 = weft.layers.dense({ units: 3, name: `${prefix}d1` }).apply(weft.layers.dropout({ rate: 0.3, name: `${prefix}drop` }).apply(x));
  const b2 = weft.layers.dense({ units: 2, name: `${prefix}d2` }).apply(x);
  const merged = weft.layers.concatenate([b1, b2], { name: `${prefix}cat` });
  const outputs = weft.layers.dense({ units: 4, activation: 'softmax', name: `${prefix}out` }).apply(merged);
  return weft.model({ inputs, outputs, seed: 3 });
}

describe('model layers and weights', () => {
  it('model.layers is in Keras order and getLayer finds each by name', () => {
    const model = branchy('o_');
    const names = ['o_in', 'o_d0', 'o_drop', 'o_d1', 'o_d2', 'o_cat', 'o_out'];
    expect(model.layers.map((l) => l.name)).toEqual(names);
    for (const name of names) expect(model.getLayer(name)).toBe(model.layers[names.indexOf(name)]);
    expect(model.getLayer('o_cat').className).toBe('Concatenate');
    expect(() => model.getLayer('nope')).toThrow(/Unknown layer: 'nope'. Expected one of: 'o_in', 'o_d0'/);
  });

  it('model.getWeights is layers in model order, kernel before bias, matching each layer.getWeights', () => {
    const model = branchy('w_');
    const weights = model.getWeights();
    expect(weights.map((w) => w.shape)).toEqual([[6, 5], [5], [5, 3], [3], [5, 2], [2], [5, 4], [4]]);
    const perLayer = ['w_d0', 'w_d1', 'w_d2', 'w_out'].flatMap((n) => model.getLayer(n).getWeights());
    perLayer.forEach((w, i) => expect(w.dataSync()).toEqual(weights[i].dataSync()));
    expect(model.getLayer('w_drop').getWeights()).toEqual([]);
    tf.dispose([...weights, ...perLayer]);
  });

  it('setWeights on the model is seen by its layers, and on a layer by the model', () => {
    const model = branchy('s_');
    const fresh = model.getWeights().map((w, i) => tf.fill(w.shape, i + 0.5));
    model.setWeights(fresh);
    expect(Array.from(model.getLayer('s_d1').getWeights()[1].dataSync())).toEqual([3.5, 3.5, 3.5]);
    model.getLayer('s_d2').setWeights([tf.fill([5, 2], -1), tf.tensor1d([7, 8])]);
    const after = model.getWeights();
    expect(Array.from(after[5].dataSync())).toEqual([7, 8]);
    expect(after[4].dataSync().every((v) => v === -1)).toBe(true);
    expect(after[0].dataSync().every((v) => v === 0.5)).toBe(true);
  });

  it('a bad setWeights (wrong count or shape) throws and changes nothing', () => {
    const model = branchy('b_');
    const before = Float32Array.from(model.params);
    const good = model.getWeights().map((w) => tf.onesLike(w));
    expect(() => model.setWeights(good.slice(0, 7))).toThrow(/Expected an array of 8 tensors. Received: weights='7 tensors'/);
    const swapped = [...good];
    swapped[7] = tf.ones([5]); // the first seven are valid: none of them may be written
    expect(() => model.setWeights(swapped)).toThrow(/weights\[7\] \('b_out\/bias'\).*shape \[4\].*shape \[5\]/);
    expect(model.params).toEqual(before);

    const layer = model.getLayer('b_d0');
    expect(() => layer.setWeights([tf.ones([6, 5])])).toThrow(/weights of layer 'b_d0'.*2 tensors/);
    expect(() => layer.setWeights([tf.ones([6, 5]), tf.ones([6])])).toThrow(/weights of layer 'b_d0'\[1\] \('bias'\): expected shape \[5\], received shape \[6\]/);
    const disposed = tf.ones([4]);
    disposed.dispose();
    expect(() => model.setWeights([...good.slice(0, 7), disposed])).toThrow(/weights\[7\].*a live tensor.*disposed/);
    expect(() => model.setWeights([...good.slice(0, 7), [1, 2, 3, 4] as unknown as weft.tf.Tensor])).toThrow(TypeError);
    expect(() => layer.setWeights([tf.ones([5, 6]), tf.ones([5])])).toThrow(weft.ShapeError);
    expect(model.params).toEqual(before);
    model.setWeights(good);
    expect(model.params.every((v) => v === 1)).toBe(true);
  });

  it('a layer outside any model has no weights to get', () => {
    const layer = weft.layers.dense({ units: 2, name: 'loose' });
    layer.apply(weft.input({ shape: [3] }));
    expect(() => layer.getWeights()).toThrow(weft.StateError);
  });
});
