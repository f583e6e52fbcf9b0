// The merge layers beyond the layer table: their config checks and shape errors (Keras's
// messages), Keras 3's broadcasting, the tie rule of Maximum/Minimum's gradient against tfjs's
// autodiff, Dot's shapes and its normalization at a zero vector, summary rows, the Keras JSON
// mapping, and a residual MLP trained on two workers.
import { describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-layers'; // registers tfjs's gradients: tf.grads is the tie-rule reference
import '@tensorflow/tfjs-backend-cpu';
import * as weft from '../../src/index.js';
import { KerasConfigReader } from '../../src/graph/keras-config.js';
import type { CallContext, Layer } from '../../src/graph/layer.js';
import { layerClass } from '../../src/graph/layers/index.js';
import { fromLayersTopology } from '../../src/graph/tfjs-format.js';
import { floatRows } from '../support/random-data.js';

const L = weft.layers;
const { tf } = weft;
type Sym = weft.SymbolicTensor;

const input = (...shape: number[]) => weft.input({ shape });

function summaryLines(model: weft.Model): string[] {
  const lines: string[] = [];
  model.summary(undefined, undefined, (l) => lines.push(l));
  return lines;
}

/** A Keras JSON config read by the class's own mapping, as loadModel does. */
function fromKeras(className: string, config: Record<string, unknown>): Record<string, unknown> {
  return layerClass(className).fromKeras(new KerasConfigReader(className, 'l', config));
}

/** A built layer's forward then backward of dy = `dy` on concrete tensors: the input gradients. */
function inputGrads(layer: Layer, xs: weft.tf.Tensor[], dy: weft.tf.Tensor): number[][] {
  const ctx = { training: true } as CallContext; // merges draw no randomness
  const { output, cache } = layer.forward(xs, [], ctx);
  const g = layer.backward(dy, { inputs: xs, weights: [], output, cache, ctx }, xs.map(() => true));
  return g.inputs.map((t) => Array.from((t as weft.tf.Tensor).dataSync()));
}

describe('config checks, in Keras words', () => {
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ['Add with a typo', () => L.add({ nme: 'a' } as never), RangeError, /^Unrecognized keyword arguments passed to Add: \{'nme': 'a'\}\. Expected only: name$/],
    ['Multiply with an axis', () => L.multiply({ axis: 1 } as never), RangeError, /passed to Multiply: \{'axis': 1\}/],
    ['Average in float16', () => L.average({ dtype: 'float16' } as never), RangeError, /`dtype` of Average is not supported/],
    ['Dot without axes', () => L.dot({} as never), TypeError, /argument `axes`\. Expected an integer axis or a pair of them \[axis in input 0, axis in input 1\], other than the batch axis 0\. Received: axes=undefined/],
    ['Dot without a config', () => L.dot(), TypeError, /Received: axes=undefined/],
    ['Dot over the batch axis', () => L.dot({ axes: 0 }), RangeError, /`axes`.*Received: axes=0/],
    ['Dot with a fractional axis', () => L.dot({ axes: 1.5 }), RangeError, /Received: axes=1.5/],
    ['Dot with one axis in a list', () => L.dot({ axes: [1] as never }), RangeError, /Received: axes=\[1\]/],
    ['Dot with three axes', () => L.dot({ axes: [1, 2, 1] as never }), RangeError, /Received: axes=\[1, 2, 1\]/],
    ['Dot with a string axis', () => L.dot({ axes: '1' as never }), TypeError, /Received: axes='1'/],
    ['Dot with normalize a number', () => L.dot({ axes: 1, normalize: 1 as never }), TypeError, /argument `normalize`\. Expected a boolean\. Received: normalize=1/],
    ['Dot with a typo', () => L.dot({ axes: 1, normalise: true } as never), RangeError, /passed to Dot: \{'normalise': true\}\. Expected only: axes, normalize, name/],
  ];
  it.each(cases)('%s', (_what, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  it('options at their only value are accepted; names follow Keras (add, add_1, ...)', () => {
    expect(() => L.add({ trainable: true, dtype: 'float32' } as never)).not.toThrow();
    expect(L.subtract({ name: 'diff' }).name).toBe('diff');
    expect(L.minimum().name).toMatch(/^minimum(_\d+)?$/);
    expect(L.dot({ axes: 1 }).name).toMatch(/^dot(_\d+)?$/);
  });
});

describe('shapes: Keras 3 broadcasting at apply, a ShapeError naming the layer otherwise', () => {
  it('equal shapes, size-1 axes and lower ranks broadcast as in Keras 3', () => {
    expect(L.add([input(3), input(3), input(3)]).shape).toEqual([null, 3]);
    expect(L.multiply([input(3, 4), input(1, 4)]).shape).toEqual([null, 3, 4]);
    expect(L.maximum([input(3, 1), input(1, 4)]).shape).toEqual([null, 3, 4]);
    expect(L.average([input(3, 4), input(4)]).shape).toEqual([null, 3, 4]);
    expect(L.subtract([input(1), input(5)]).shape).toEqual([null, 5]);
    expect(L.add([input(2, 3, 4), input(3, 1)]).shape).toEqual([null, 2, 3, 4]);
  });

  it('a single input is allowed (Keras 3) and passes through', async () => {
    const x = input(3);
    const model = weft.model({ inputs: x, outputs: L.add([x]) });
    const out = (await model.predict(tf.tensor2d([[1, 2, 3]]))) as weft.tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([1, 2, 3]);
    await model.dispose();
  });

  it('incompatible shapes', () => {
    expect(() => L.add([input(3), input(4)], { name: 'a34' })).toThrow(weft.ShapeError);
    expect(() => L.add([input(3), input(4)], { name: 'a34b' })).toThrow(
      /^Inputs of layer 'a34b' \(Add\) have incompatible shapes: aligned on the last axis, each axis must be equal or 1\. Received shapes \(None, 3\) \(input 0\) and \(None, 4\) \(input 1\)$/,
    );
    expect(() => L.multiply([input(3, 4), input(3, 4), input(2, 4)], { name: 'm3' })).toThrow(
      /'m3' \(Multiply\).*Received shapes \(None, 3, 4\) \(inputs 0-1 broadcast\) and \(None, 2, 4\) \(input 2\)/,
    );
    expect(() => L.maximum([input(3, 4), input(3)], { name: 'mx' })).toThrow(/'mx' \(Maximum\).*\(None, 3, 4\).*\(None, 3\)/);
  });

  it('merges take a list of inputs, Subtract and Dot exactly two', () => {
    expect(() => L.add().apply(input(3))).toThrow(/^A merge layer should be called on a list of inputs\. Layer 'add(_\d+)?' \(Add\) received: inputs=\(None, 3\) \(one tensor, not a list\)$/);
    expect(() => L.add([])).toThrow(/at least 1 input.*received 0 inputs/);
    expect(() => L.subtract([input(3), input(3), input(3)], { name: 's3' })).toThrow(
      /^A `Subtract` layer should be called on exactly 2 inputs\. Layer 's3' received: input_shape=\[\(None, 3\), \(None, 3\), \(None, 3\)\]$/,
    );
    expect(() => L.subtract([input(3)])).toThrow(weft.ShapeError);
    expect(() => L.dot([input(3)], { axes: 1 })).toThrow(/A `Dot` layer should be called on exactly 2 inputs/);
    expect(() => L.add([input(3), 'x' as never])).toThrow(TypeError);
  });

  it('a shared merge layer must see the shapes it was built for', () => {
    const add = L.add();
    add.apply([input(3), input(3)]);
    expect(() => add.apply([input(4), input(4)])).toThrow(weft.ShapeError);
  });

  it("Dot's output: x's shape less its axis, then y's less the batch and its axis; (None, 1) for two vectors", () => {
    expect(L.dot([input(3), input(3)], { axes: 1 }).shape).toEqual([null, 1]);
    expect(L.dot([input(3, 4), input(5, 4)], { axes: 2 }).shape).toEqual([null, 3, 5]);
    expect(L.dot([input(4, 3), input(2, 4)], { axes: [1, 2] }).shape).toEqual([null, 3, 2]);
    expect(L.dot([input(3, 4), input(4)], { axes: [-1, -1] }).shape).toEqual([null, 3]);
    expect(L.dot([input(2, 3, 4), input(4, 5)], { axes: [3, 1] }).shape).toEqual([null, 2, 3, 5]);
  });

  it('Dot: the summed axes must match and exist', () => {
    expect(() => L.dot([input(3), input(4)], { axes: 1, name: 'd34' })).toThrow(
      /^Layer 'd34' \(Dot\) has incompatible input shapes: axis values 3 \(at axis 1\) != 4 \(at axis 1\)\. Full input shapes: \(None, 3\), \(None, 4\)$/,
    );
    expect(() => L.dot([input(3), input(3, 3)], { axes: 2, name: 'd2' })).toThrow(
      /^Layer 'd2' \(Dot\): axes=2 names axis 2 of input 0, out of range for its shape \(None, 3\) \(the batch axis 0 cannot be summed over\)$/,
    );
    expect(() => L.dot([input(3), input(3)], { axes: -2, name: 'dn' })).toThrow(/'dn' \(Dot\): axes=-2 names axis -2 of input 0/);
  });
});

describe('values and gradients', () => {
  const t = (v: number[]) => tf.tensor2d(v, [1, v.length]);

  it('each merge computes its formula, with broadcasting', async () => {
    const a = input(3);
    const b = input(1);
    const outs: Sym[] = [L.add([a, b]), L.subtract([a, b]), L.multiply([a, b]), L.average([a, b]), L.maximum([a, b]), L.minimum([a, b])];
    const model = weft.model({ inputs: [a, b], outputs: L.concatenate(outs) });
    const out = (await model.predict([t([1, -2, 4]), t([2])])) as weft.tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([3, 0, 6, -1, -4, 2, 2, -4, 8, 1.5, 0, 3, 2, 2, 4, 1, -2, 2]);
    await model.dispose();
  });

  it("Maximum and Minimum give each value's gradient to the first input that holds it, as tfjs's autodiff", async () => {
    const xs = [[1, 2, 3, 0], [1, 5, 3, 0], [0, 5, 3, 0]];
    const dy = [1, 2, 3, 4];
    const ours = (layer: Layer) => {
      layer.apply(xs.map(() => input(4)));
      return inputGrads(layer, xs.map(t), t(dy));
    };
    expect(ours(L.maximum())).toEqual([[1, 0, 3, 4], [0, 2, 0, 0], [0, 0, 0, 0]]);
    expect(ours(L.minimum())).toEqual([[0, 2, 3, 4], [0, 0, 0, 0], [1, 0, 0, 0]]);
    expect(await tf.setBackend('cpu')).toBe(true);
    try {
      for (const [op, layer] of [[tf.maximum, L.maximum()], [tf.minimum, L.minimum()]] as const) {
        const chain = (p: weft.tf.Tensor, q: weft.tf.Tensor, r: weft.tf.Tensor) => tf.mul(op(op(p, q), r), t(dy));
        const theirs = tf.grads(chain)(xs.map(t)).map((g) => Array.from(g.dataSync()));
        expect(ours(layer)).toEqual(theirs);
      }
    } finally {
      expect(await tf.setBackend('wasm')).toBe(true);
    }
  });

  it('a broadcast input gets the gradient summed over the axes it was broadcast along', () => {
    const mul = L.multiply();
    mul.apply([input(2, 3), input(1, 3), input(3)]);
    const [ga, gb, gc] = inputGrads(mul, [tf.ones([1, 2, 3]), tf.fill([1, 1, 3], 2), tf.tensor2d([[1, 2, 3]])], tf.ones([1, 2, 3]));
    expect(ga).toEqual([2, 4, 6, 2, 4, 6]);
    expect(gb).toEqual([2, 4, 6]);
    expect(gc).toEqual([4, 4, 4]);
  });

  it('Dot(normalize) is the cosine similarity, and a zero vector has a finite gradient (Keras 3 clamps the norm at 1e-7)', () => {
    const dot = L.dot({ axes: 1, normalize: true });
    dot.apply([input(2), input(2)]);
    const { output } = dot.forward([t([3, 4]), t([4, 3])]);
    expect(output.dataSync()[0]).toBeCloseTo(24 / 25, 6);
    const [gx, gy] = inputGrads(dot, [t([0, 0]), t([1, 0])], t([1]));
    expect(gx.every(Number.isFinite) && gy.every(Number.isFinite)).toBe(true);
    expect(Math.abs(gx[0] / 1e7 - 1)).toBeLessThan(1e-5); // r·g with r = 1/ε: the clamped norm is a constant
    expect(gy.map((v) => v + 0)).toEqual([0, 0]);
  });
});

describe('summary rows', () => {
  it('class name, output shape and no params, with the inputs in Connected to', () => {
    const a = weft.input({ shape: [4], name: 'in_a' });
    const b = weft.input({ shape: [4], name: 'in_b' });
    const parts = [
      L.add([a, b], { name: 'sum' }), L.subtract([a, b], { name: 'diff' }), L.multiply([a, b], { name: 'prod' }),
      L.average([a, b], { name: 'mean' }), L.maximum([a, b], { name: 'hi' }), L.minimum([a, b], { name: 'lo' }),
      L.dot([a, b], { axes: 1, name: 'cos', normalize: true }),
    ];
    const model = weft.model({ inputs: [a, b], outputs: L.concatenate(parts, { name: 'all' }) });
    const lines = summaryLines(model);
    const row = (name: string, cls: string, shape: string) =>
      expect(lines.some((l) => new RegExp(`^ ${name} \\(${cls}\\)\\s+${shape.replace(/[()]/g, '\\$&')}\\s+0\\s+\\['in_a\\[0\\]\\[0\\]',`).test(l)), `${name} row in\n${lines.join('\n')}`).toBe(true);
    row('sum', 'Add', '(None, 4)');
    row('diff', 'Subtract', '(None, 4)');
    row('prod', 'Multiply', '(None, 4)');
    row('mean', 'Average', '(None, 4)');
    row('hi', 'Maximum', '(None, 4)');
    row('lo', 'Minimum', '(None, 4)');
    row('cos', 'Dot', '(None, 1)');
    expect(lines).toContain('Total params: 0');
  });
});

describe('Keras JSON mapping', () => {
  const KERAS2 = { trainable: true, dtype: 'float32' };
  const MERGES = ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum'];

  it('reads Keras 2 and Keras 3 configs', () => {
    for (const cls of MERGES) expect(fromKeras(cls, { name: 'l', ...KERAS2 })).toEqual({ name: 'l' });
    expect(fromKeras('Add', { name: 'l', trainable: true, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null } })).toEqual({ name: 'l' });
    expect(fromKeras('Dot', { name: 'l', ...KERAS2, axes: [1, 2], normalize: true })).toEqual({ name: 'l', axes: [1, 2], normalize: true });
    expect(fromKeras('Dot', { name: 'l', ...KERAS2, axes: -1 })).toEqual({ name: 'l', axes: -1, normalize: false });
  });

  it('refuses by name what weft does not implement', () => {
    expect(() => fromKeras('Multiply', { dtype: 'float16' })).toThrow(/config\.dtype of layer 'l' \(Multiply\).*Expected 'float32' or null \(weft computes in float32\)\. Received: .*='float16'/);
    expect(() => fromKeras('Dot', { axes: 1, dtype: { class_name: 'DTypePolicy', config: { name: 'mixed_float16' } } })).toThrow(/config\.dtype of layer 'l' \(Dot\).*'mixed_float16'/);
  });

  it('writes what Keras and tfjs-layers read, and reads it back to the same config', () => {
    const layers = [...MERGES.map((c) => L[c.toLowerCase() as 'add']()), L.dot({ axes: [1, 2], normalize: true }), L.dot({ axes: -1 })];
    for (const layer of layers) {
      const cls = layerClass(layer.className);
      const json = cls.toKeras(layer.getConfig());
      expect(json.trainable).toBe(true);
      expect(cls.fromKeras(new KerasConfigReader(layer.className, layer.name, json))).toEqual(layer.getConfig());
    }
    expect(layerClass('Dot').toKeras(L.dot({ axes: [1, 2], name: 'd' }).getConfig())).toEqual({ axes: [1, 2], normalize: false, name: 'd', trainable: true });
  });

  it('a Keras 2 functional model.json (converter form) with every merge layer builds and predicts their formulas', async () => {
    const node = (...names: string[]) => [names.map((n) => [n, 0, 0, {}])];
    const layer = (class_name: string, name: string, config: Record<string, unknown>, inbound: unknown[]) => ({ class_name, name, config: { name, ...KERAS2, ...config }, inbound_nodes: inbound });
    const merges = MERGES.map((cls) => layer(cls, cls.toLowerCase(), {}, node('a', 'b')));
    const topology = {
      keras_version: '2.12.0', backend: 'tensorflow',
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'model',
          layers: [
            layer('InputLayer', 'a', { batch_input_shape: [null, 2], sparse: false, ragged: false }, []),
            layer('InputLayer', 'b', { batch_input_shape: [null, 2], sparse: false, ragged: false }, []),
            ...merges,
            layer('Dot', 'dot', { axes: 1, normalize: false }, node('a', 'b')),
            layer('Concatenate', 'concatenate', { axis: -1 }, node(...MERGES.map((c) => c.toLowerCase()), 'dot')),
          ],
          input_layers: [['a', 0, 0], ['b', 0, 0]],
          output_layers: [['concatenate', 0, 0]],
        },
      },
    };
    const model = weft.modelFromJSON(fromLayersTopology(topology));
    expect(model.outputs[0].shape).toEqual([null, 13]);
    const out = (await model.predict([tf.tensor2d([[1, -2]]), tf.tensor2d([[3, 4]])])) as weft.tf.Tensor;
    expect(Array.from(out.dataSync())).toEqual([4, 2, -2, -6, 3, -8, 2, 1, 3, 4, 1, -2, -5]);
    await model.dispose();
  });
});

describe('a residual MLP: x + Dense(Dense(x)) blocks', () => {
  it('trains on 2 workers with a falling loss', async () => {
    const rows = 256;
    const xs = floatRows(rows, 8, 31);
    const ys = xs.map((r) => [Math.sin(r[0] + r[1]) + r[2] * r[3]]);
    const x = input(8);
    let h = L.dense({ units: 16, activation: 'relu' }).apply(x);
    for (let i = 0; i < 2; i++) h = L.add([h, L.dense({ units: 16 }).apply(L.dense({ units: 16, activation: 'relu' }).apply(h))]);
    const model = weft.model({ inputs: x, outputs: L.dense({ units: 1 }).apply(h), seed: 3 });
    model.compile({ optimizer: weft.optimizers.adam({ learningRate: 0.01 }), loss: 'meanSquaredError' });
    const history = await model.fit(tf.tensor2d(xs), ys, { epochs: 8, batchSize: 32, workers: 2, seed: 4, verbose: 0 });
    const loss = history.history.loss as number[];
    expect(loss[loss.length - 1]).toBeLessThan(0.5 * loss[0]);
    await model.dispose();
  }, 120_000);
});
