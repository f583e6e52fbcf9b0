/**
 * The activation family beyond the layer table (test/graph/layer-table/activation.rows.ts): every
 * activation function's derivative at points on each side of its kinks, against float64 central
 * differences; the layers' config errors, summary rows and Keras JSON mapping; how hard_sigmoid
 * is read per keras_version; and the softmax + crossentropy gradient fused after an Activation
 * layer as after Dense.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as weft from '../../src/index.js';
import { ACTIVATION_NAMES, activationFromKeras, activationToKeras, eluFn, getActivation, isKeras3, logSoftmaxFn, reluFn, softmaxFn, type ActivationFn } from '../../src/graph/activations.js';
import { KerasConfigReader, type Json } from '../../src/graph/keras-config.js';
import { layerClass } from '../../src/graph/layers/index.js';
import { fromLayersTopology } from '../../src/graph/tfjs-format.js';
import type { ModelJSON } from '../../src/train/save.js';
import { activate } from './reference64.js';
import { floatRows } from '../support/random-data.js';

const { tf } = weft;
const L = weft.layers;

// ---- functions and derivatives ----

/** Points on both sides of every kink the activations have (0, ±2.5, ±3, 6, and the layers' thresholds), none on one. */
const POINTS = [-7.1, -4.2, -3.05, -2.95, -2.6, -2.4, -1.3, -0.61, -0.29, -0.04, 0.03, 0.14, 0.16, 0.31, 0.47, 0.58, 0.63, 0.77, 1.4, 2.45, 2.55, 2.97, 3.02, 5.9, 6.1, 8.3];

/** f's gradient of Σ dy·f(z) by central differences in float64, against `fn.backward` on wasm. */
function checkDerivative(label: string, fn: ActivationFn, f64: (z: Float64Array) => Float64Array, z: number[], shape = [z.length]): void {
  const dy = floatRows(1, z.length, 17)[0];
  const z32 = Float64Array.from(z, Math.fround);
  const { a, dz } = tf.tidy(() => {
    const zt = tf.tensor(z, shape);
    const at = fn.forward(zt);
    return { a: Array.from(at.dataSync()), dz: Array.from(fn.backward(tf.tensor(dy, shape), zt, at).dataSync()) };
  });
  const ref = f64(z32);
  a.forEach((v, i) => expect(Math.abs(v - ref[i]), `${label}: f(${z[i]}) = ${v}, float64 ${ref[i]}`).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(ref[i]))));
  const h = 1e-6;
  const loss = (zz: Float64Array) => f64(zz).reduce((s, v, i) => s + v * dy[i], 0);
  z32.forEach((v, i) => {
    const up = Float64Array.from(z32);
    const down = Float64Array.from(z32);
    up[i] = v + h;
    down[i] = v - h;
    const numeric = (loss(up) - loss(down)) / (2 * h);
    expect(Math.abs(dz[i] - numeric), `${label}: d/dz at ${z[i]}: ${dz[i]} vs ${numeric}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(numeric)));
  });
}

const elementwise = (f: (v: number) => number) => (z: Float64Array): Float64Array => z.map(f);
const relu64 = (max: number | null, slope: number, t: number) => (v: number): number => (v > t ? (max === null ? v : Math.min(v, max)) : slope * (v - t));

describe('activation functions: forward and derivative against float64 at points on each side of their kinks', () => {
  it.each(ACTIVATION_NAMES.filter((n) => n !== 'softmax' && n !== 'log_softmax'))('%s', (name) => {
    const z = name === 'exponential' ? POINTS.filter((v) => v < 3) : POINTS;
    checkDerivative(name, getActivation(name), (zz) => activate(name, zz, zz.length), z);
  });

  it.each(['softmax', 'log_softmax'])('%s over the last axis of (4, 6)', (name) => {
    const z = POINTS.slice(0, 24).map((v) => v / 3);
    checkDerivative(name, getActivation(name), (zz) => activate(name, zz, 6), z, [4, 6]);
  });

  it.each([
    [{}, relu64(null, 0, 0)],
    [{ maxValue: 6 }, relu64(6, 0, 0)],
    [{ maxValue: 0.5 }, relu64(0.5, 0, 0)],
    [{ negativeSlope: 0.2 }, relu64(null, 0.2, 0)],
    [{ negativeSlope: 0.1, maxValue: 0.6 }, relu64(0.6, 0.1, 0)],
    [{ threshold: 0.3 }, relu64(null, 0, 0.3)],
    [{ negativeSlope: 0.2, threshold: 0.15, maxValue: 0.7 }, relu64(0.7, 0.2, 0.15)],
    // A clip below the threshold: flat at max above it.
    [{ negativeSlope: 0.2, threshold: 0.5, maxValue: 0.3 }, relu64(0.3, 0.2, 0.5)],
  ] as const)("Keras 3's relu %j", (params, f) => {
    checkDerivative(`relu ${JSON.stringify(params)}`, reluFn(params), elementwise(f), POINTS);
  });

  it.each([1, 0.5, 0, -0.5, 2])('elu with alpha %d', (alpha) => {
    checkDerivative(`elu ${alpha}`, eluFn(alpha), elementwise((v) => (v > 0 ? v : alpha * Math.expm1(v))), POINTS);
  });

  /** Softmax or log softmax of a (2, 3, 4) tensor over `axes`, in float64. */
  function softmax64(z: Float64Array, axes: number[], log: boolean): Float64Array {
    const shape = [2, 3, 4];
    const groups = new Map<string, number[]>();
    for (let i = 0; i < z.length; i++) {
      const idx = [Math.floor(i / 12), Math.floor(i / 4) % 3, i % 4];
      const key = idx.filter((_, k) => !axes.includes(k)).join(',');
      groups.set(key, [...(groups.get(key) ?? []), i]);
    }
    expect(shape.reduce((a, b) => a * b)).toBe(z.length);
    const out = new Float64Array(z.length);
    for (const g of groups.values()) {
      const m = Math.max(...g.map((i) => z[i]));
      const s = g.reduce((acc, i) => acc + Math.exp(z[i] - m), 0);
      for (const i of g) out[i] = log ? z[i] - m - Math.log(s) : Math.exp(z[i] - m) / s;
    }
    return out;
  }

  it.each([[[1]], [[-2]], [[1, 2]], [[2]]])('softmax and log softmax of (2, 3, 4) over axes %j', (axes) => {
    const z = POINTS.slice(0, 24).map((v) => v / 2);
    const positive = axes.map((a) => (a < 0 ? 3 + a : a));
    checkDerivative(`softmax ${axes}`, softmaxFn(axes), (zz) => softmax64(zz, positive, false), z, [2, 3, 4]);
    checkDerivative(`log softmax ${axes}`, logSoftmaxFn(axes), (zz) => softmax64(zz, positive, true), z, [2, 3, 4]);
  });

  it('names: Keras spellings, silu and tfjs-layers camelCase logSoftmax; hardSigmoid is Keras 2 / tfjs-layers', () => {
    expect(getActivation('silu').name).toBe('swish');
    expect(getActivation('logSoftmax').name).toBe('log_softmax');
    expect(getActivation(undefined).name).toBe('linear');
    const at = (name: string, v: number) => tf.tidy(() => getActivation(name).forward(tf.scalar(v)).dataSync()[0]);
    expect(at('hard_sigmoid', 1.5)).toBeCloseTo(0.75, 6); // relu6(4.5) / 6
    expect(at('hardSigmoid', 1.5)).toBeCloseTo(0.8, 6); // 0.2·1.5 + 0.5
    expect(at('leaky_relu', -1)).toBeCloseTo(-0.2, 6);
    expect(() => getActivation('hard_swish')).toThrow(/^Unknown activation: 'hard_swish'\. Expected one of: 'linear', 'relu'.*'log_softmax'\.$/);
    expect(() => getActivation('constructor')).toThrow(RangeError);
    expect(() => getActivation(3)).toThrow(TypeError);
  });
});

// ---- configs ----

describe('activation layer configs: Keras-style messages naming argument, expected, received', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['Activation without an activation', () => L.activation({} as never), /^Invalid type received for argument `activation`\. Expected an activation name \(one of linear, relu.*\. Received: activation=undefined$/],
    ['Activation with an unknown name', () => L.activation({ activation: 'relu7' }), /^Unknown activation: 'relu7'\. Expected one of: 'linear'/],
    ['Activation typo', () => L.activation({ activaton: 'relu' } as never), /^Unrecognized keyword arguments passed to Activation: \{'activaton': 'relu'\}\. Expected only: activation, name$/],
    ['ReLU negative maxValue', () => L.reLU({ maxValue: -1 }), /^Invalid value received for argument `maxValue`\. Expected a number >= 0\. Received: maxValue=-1$/],
    ['ReLU negativeSlope not a number', () => L.reLU({ negativeSlope: '0.1' as never }), /^Invalid type received for argument `negativeSlope`\. Expected a number >= 0\. Received: negativeSlope='0\.1'$/],
    ['ReLU negative threshold', () => L.reLU({ threshold: -0.5 }), /`threshold`\. Expected a number >= 0\. Received: threshold=-0\.5$/],
    ['ReLU alpha (a LeakyReLU option)', () => L.reLU({ alpha: 0.1 } as never), /^Unrecognized keyword arguments passed to ReLU: \{'alpha': 0\.1\}\. Expected only: maxValue, negativeSlope, threshold, name$/],
    ['LeakyReLU negative alpha', () => L.leakyReLU({ alpha: -0.1 }), /`alpha`\. Expected a number >= 0\. Received: alpha=-0\.1$/],
    ['LeakyReLU NaN negativeSlope', () => L.leakyReLU({ negativeSlope: Number.NaN }), /`negativeSlope`\. Expected a number >= 0\. Received: negativeSlope=NaN$/],
    ['LeakyReLU alpha and negativeSlope disagree', () => L.leakyReLU({ alpha: 0.1, negativeSlope: 0.2 }), /`negativeSlope`\. Expected the same value as alpha \(0\.1\), or only one of them\. Received: negativeSlope=0\.2$/],
    ['ELU alpha not finite', () => L.elu({ alpha: Infinity }), /`alpha`\. Expected a finite number\. Received: alpha=Infinity$/],
    ['ELU alpha a string', () => L.elu({ alpha: 'one' as never }), /^Invalid type received for argument `alpha`/],
    ['ThresholdedReLU negative theta', () => L.thresholdedReLU({ theta: -1 }), /`theta`\. Expected a number >= 0\. Received: theta=-1$/],
    ['Softmax axis not an integer', () => L.softmax({ axis: 1.5 }), /^Invalid type received for argument `axis`\. Expected an integer or a non-empty array of integers\. Received: axis=1\.5$/],
    ['Softmax empty axis list', () => L.softmax({ axis: [] }), /`axis`.*Received: axis=\[\]$/],
    ['PReLU sharedAxes 0 (the batch axis)', () => L.prelu({ sharedAxes: [0] }), /`sharedAxes`\. Expected null, an integer >= 1 or an array of them \(axis 0 is the batch axis\)\. Received: sharedAxes=\[0\]$/],
    ['PReLU bad initializer', () => L.prelu({ alphaInitializer: 'zeroes' as never }), /initializer for `alphaInitializer`.*'zeroes'/],
  ];
  it.each(cases)('%s', (_label, call, message) => {
    expect(call).toThrow(message);
  });

  it('no-effect options and defaults are accepted: trainable: true, dtype float32, null regularizer, tfjs and Keras 3 slope names', () => {
    expect(L.reLU({ trainable: true, dtype: 'float32' } as never).getConfig()).toEqual({ name: expect.any(String), maxValue: null, negativeSlope: 0, threshold: 0 });
    expect(L.prelu({ alphaRegularizer: null, alphaConstraint: null } as never).getConfig().sharedAxes).toBeNull();
    expect(L.leakyReLU().alpha).toBe(0.3);
    expect(L.leakyReLU({ negativeSlope: 0.1 }).alpha).toBe(0.1);
    expect(L.leakyReLU({ alpha: 0.1, negativeSlope: 0.1 }).alpha).toBe(0.1);
    expect(L.thresholdedReLU().theta).toBe(1);
    expect(L.elu().alpha).toBe(1);
    expect(L.softmax().axis).toBe(-1);
    expect(L.prelu({ sharedAxes: 2 }).sharedAxes).toEqual([2]);
  });

  it("shape errors at apply are ShapeErrors naming the layer", () => {
    const x = weft.input({ shape: [3, 4] });
    const shape = (f: () => unknown, message: RegExp) => {
      expect(f).toThrow(weft.ShapeError);
      expect(f).toThrow(message);
    };
    shape(() => L.softmax({ axis: 0, name: 'sm0' }).apply(x), /^Layer 'sm0' \(Softmax\): axis 0 includes the batch axis of input shape \(None, 3, 4\)/);
    shape(() => L.softmax({ axis: -3, name: 'sm1' }).apply(x), /Layer 'sm1' \(Softmax\): axis -3 includes the batch axis/);
    shape(() => L.softmax({ axis: 3, name: 'sm2' }).apply(x), /^Layer 'sm2' \(Softmax\): axis 3 is out of range for input shape \(None, 3, 4\)$/);
    shape(() => L.softmax({ axis: [1, -2], name: 'sm3' }).apply(x), /^Layer 'sm3' \(Softmax\): axis \[1,-2\] names an axis twice/);
    shape(() => L.prelu({ sharedAxes: [3], name: 'pr' }).apply(x), /^Layer 'pr' \(PReLU\): shared axis 3 is out of range for input shape \(None, 3, 4\)$/);
    expect(() => L.activation({ activation: 'relu' }).apply([x, x])).toThrow(/expects 1 input\(s\), received 2/);
  });
});

// ---- summary ----

describe('summary rows', () => {
  it("Keras's class names, default names, output shapes and PReLU's alpha count", () => {
    const x = weft.input({ shape: [3, 4] });
    let h = L.dense({ units: 4 }).apply(x);
    const layers = [
      L.activation({ activation: 'selu', name: 'a' }), L.reLU({ maxValue: 6, name: 'r' }), L.leakyReLU({ name: 'k' }), L.prelu({ sharedAxes: [1], name: 'p1' }),
      L.prelu({ name: 'p2' }), L.elu({ name: 'e' }), L.thresholdedReLU({ name: 't' }), L.softmax({ axis: [1, 2], name: 's' }),
    ];
    for (const layer of layers) h = layer.apply(h);
    const model = weft.model({ inputs: x, outputs: L.dense({ units: 2 }).apply(L.flatten().apply(h)) });
    const lines: string[] = [];
    model.summary(undefined, undefined, (l) => lines.push(l));
    const text = lines.join('\n');
    const row = (name: string, cls: string, params: number) => new RegExp(`^ ${name} \\(${cls}\\)\\s+\\(None, 3, 4\\)\\s+${params}\\s*$`, 'm');
    const expected = [['a', 'Activation', 0], ['r', 'ReLU', 0], ['k', 'LeakyReLU', 0], ['p1', 'PReLU', 4], ['p2', 'PReLU', 12], ['e', 'ELU', 0], ['t', 'ThresholdedReLU', 0], ['s', 'Softmax', 0]] as const;
    for (const [name, cls, params] of expected) expect(text).toMatch(row(name, cls, params));
    // Keras's default names: the class name in snake case.
    const defaults = [L.activation({ activation: 'relu' }), L.reLU(), L.leakyReLU(), L.prelu(), L.elu(), L.thresholdedReLU(), L.softmax()];
    expect(defaults.map((l) => l.name.replace(/_\d+$/, ''))).toEqual(['activation', 're_lu', 'leaky_re_lu', 'p_re_lu', 'elu', 'thresholded_re_lu', 'softmax']);
    expect(text).toMatch(/Total params: 62\b/); // dense 20 + alphas 4 + 12 + dense 26
    expect(layers[3].getWeights().map((w) => w.shape)).toEqual([[1, 4]]);
  });
});

// ---- Keras JSON ----

/** One layer's Keras config through its class's fromKeras, then the constructor: its weft config. */
function fromKeras(className: string, config: Json, kerasVersion?: string): Record<string, unknown> {
  const reader = new KerasConfigReader(className, 'l', config);
  if (kerasVersion !== undefined) Object.assign(reader, { kerasVersion });
  const cls = layerClass(className);
  const c = cls.fromKeras(reader);
  return new cls(Object.fromEntries(Object.entries(c).filter(([, v]) => v !== null && v !== undefined)) as never).getConfig();
}

describe('Keras JSON mapping', () => {
  it('reads Keras 2 snake_case configs (trainable, dtype float32 accepted)', () => {
    const base = { name: 'l', trainable: true, dtype: 'float32' };
    expect(fromKeras('Activation', { ...base, activation: 'selu' })).toEqual({ name: 'l', activation: 'selu' });
    expect(fromKeras('ReLU', { ...base, max_value: 6, negative_slope: 0.1, threshold: 0.5 })).toEqual({ name: 'l', maxValue: 6, negativeSlope: 0.1, threshold: 0.5 });
    expect(fromKeras('ReLU', { ...base, max_value: null })).toEqual({ name: 'l', maxValue: null, negativeSlope: 0, threshold: 0 });
    expect(fromKeras('LeakyReLU', { ...base, alpha: 0.2 })).toEqual({ name: 'l', alpha: 0.2 });
    expect(fromKeras('LeakyReLU', { ...base, negative_slope: 0.25 })).toEqual({ name: 'l', alpha: 0.25 }); // Keras 3
    expect(fromKeras('ELU', { ...base, alpha: 0.7 })).toEqual({ name: 'l', alpha: 0.7 });
    expect(fromKeras('ThresholdedReLU', { ...base, theta: 0.4 })).toEqual({ name: 'l', theta: 0.4 });
    expect(fromKeras('Softmax', { ...base, axis: [1, 2] })).toEqual({ name: 'l', axis: [1, 2] });
    expect(fromKeras('Softmax', base)).toEqual({ name: 'l', axis: -1 });
    const prelu = { ...base, alpha_initializer: { class_name: 'Constant', config: { value: 1 } }, alpha_regularizer: null, alpha_constraint: null, shared_axes: [1, 2] };
    expect(fromKeras('PReLU', prelu)).toEqual({ name: 'l', alphaInitializer: { className: 'ones' }, sharedAxes: [1, 2] });
  });

  it('refuses by name what weft does not implement or cannot read', () => {
    expect(() => fromKeras('PReLU', { name: 'l', shared_axes: [0] })).toThrow(/`sharedAxes`\. Expected null, an integer >= 1/);
    expect(() => fromKeras('Activation', { name: 'l', activation: 'hard_swish' })).toThrow(/^Unknown activation in config\.activation of layer 'l' \(Activation\): 'hard_swish'/);
    expect(() => fromKeras('Activation', { name: 'l', activation: { class_name: 'ReLU', config: {} } })).toThrow(/`config\.activation of layer 'l' \(Activation\)`\. Expected an activation name, or Keras 3's \{class_name: 'function', config: name\}/);
    expect(() => fromKeras('LeakyReLU', { name: 'l', alpha: 0.1, negative_slope: 0.3 })).toThrow(/`negativeSlope`\. Expected the same value as alpha/);
    expect(() => fromKeras('ReLU', { name: 'l', max_value: -2 })).toThrow(/`maxValue`\. Expected a number >= 0/);
  });

  it('hard_sigmoid is read as its keras_version wrote it: Keras 3 relu6(z+3)/6, Keras 2 and tfjs-layers 0.2z + 0.5', () => {
    const c = { name: 'l', activation: 'hard_sigmoid' };
    expect(fromKeras('Activation', c, '3.4.1').activation).toBe('hard_sigmoid');
    expect(fromKeras('Activation', c, '2.12.0').activation).toBe('hardSigmoid');
    expect(fromKeras('Activation', c, 'tfjs-layers 4.22.0').activation).toBe('hardSigmoid');
    expect(fromKeras('Activation', c).activation).toBe('hardSigmoid'); // version unknown: as tfjs-layers reads it
    // Keras 3's own serialisation of the function is Keras 3's whatever the version field says.
    const fn = { module: 'keras.activations', class_name: 'function', config: 'hard_sigmoid', registered_name: 'hard_sigmoid' };
    expect(fromKeras('Activation', { name: 'l', activation: fn }, '2.12.0').activation).toBe('hard_sigmoid');
    expect([isKeras3('3.0.0'), isKeras3('10.1'), isKeras3('2.15.1'), isKeras3('tfjs-layers 4.22.0'), isKeras3(null)]).toEqual([true, true, false, false, false]);
    // Written for tfjs-layers: its hardSigmoid by its name; Keras 3's as the function object, which tfjs-layers refuses by name.
    expect(activationToKeras('hardSigmoid')).toBe('hard_sigmoid');
    expect(activationToKeras('hard_sigmoid')).toEqual(fn);
    expect(activationToKeras('log_softmax')).toBe('log_softmax');
    const reader = new KerasConfigReader('Dense', 'd', { activation: activationToKeras('hard_sigmoid') });
    expect(activationFromKeras(reader)).toBe('hard_sigmoid');
  });

  it("writes what tfjs-layers writes: ReLU's max_value alone at the defaults, LeakyReLU's alpha, the Softmax axis always", () => {
    const toKeras = (cls: string, layer: weft.Layer) => layerClass(cls).toKeras(layer.getConfig());
    expect(toKeras('ReLU', L.reLU({ name: 'r' }))).toEqual({ max_value: null, name: 'r', trainable: true });
    expect(toKeras('ReLU', L.reLU({ name: 'r', negativeSlope: 0.1, threshold: 0.2 }))).toEqual({ max_value: null, negative_slope: 0.1, threshold: 0.2, name: 'r', trainable: true });
    expect(toKeras('LeakyReLU', L.leakyReLU({ name: 'k', negativeSlope: 0.1 }))).toEqual({ alpha: 0.1, name: 'k', trainable: true });
    expect(toKeras('Softmax', L.softmax({ name: 's' }))).toEqual({ axis: -1, name: 's', trainable: true });
    expect(toKeras('Activation', L.activation({ name: 'a', activation: 'hardSigmoid' }))).toEqual({ activation: 'hard_sigmoid', name: 'a', trainable: true });
    expect(toKeras('PReLU', L.prelu({ name: 'p', sharedAxes: 1 }))).toEqual({
      alpha_initializer: { class_name: 'Zeros', config: {} }, alpha_regularizer: null, alpha_constraint: null, shared_axes: [1], name: 'p', trainable: true,
    });
  });

  it('a Keras 2 functional model.json (tensorflowjs_converter form) with every activation layer loads', () => {
    const layer = (name: string, cls: string, config: Json, from: string | null) => ({
      name, class_name: cls, config: { name, trainable: true, dtype: 'float32', ...config }, inbound_nodes: from === null ? [] : [[[from, 0, 0, {}]]],
    });
    const topology = {
      keras_version: '2.12.0', backend: 'tensorflow',
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'model',
          layers: [
            layer('x', 'InputLayer', { batch_input_shape: [null, 3, 4], sparse: false, ragged: false }, null),
            layer('act', 'Activation', { activation: 'hard_sigmoid' }, 'x'),
            layer('relu', 'ReLU', { max_value: 0.9, negative_slope: 0.1, threshold: 0.2 }, 'act'),
            layer('leaky', 'LeakyReLU', { alpha: 0.3 }, 'relu'),
            layer('prelu', 'PReLU', { alpha_initializer: { class_name: 'Zeros', config: {} }, alpha_regularizer: null, alpha_constraint: null, shared_axes: [1] }, 'leaky'),
            layer('elu', 'ELU', { alpha: 0.5 }, 'prelu'),
            layer('thr', 'ThresholdedReLU', { theta: 0.1 }, 'elu'),
            layer('sm', 'Softmax', { axis: 1 }, 'thr'),
          ],
          input_layers: [['x', 0, 0]],
          output_layers: [['sm', 0, 0]],
        },
      },
    };
    const spec = fromLayersTopology(topology);
    const model = weft.modelFromJSON(spec);
    expect(model.layers.map((l) => l.className)).toEqual(['InputLayer', 'Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'ThresholdedReLU', 'Softmax']);
    expect(model.getLayer('act').getConfig().activation).toBe('hardSigmoid');
    expect(model.getLayer('relu').getConfig()).toMatchObject({ maxValue: 0.9, negativeSlope: 0.1, threshold: 0.2 });
    expect(model.getLayer('prelu').getWeights()[0].shape).toEqual([1, 4]);
    expect(model.outputs[0].shape).toEqual([null, 3, 4]);
  });
});

// ---- files ----

async function predict(model: weft.Model, x: number[][][]): Promise<number[]> {
  const out = (await model.predict(tf.tensor3d(x))) as weft.tf.Tensor;
  return Array.from(out.dataSync());
}

describe('files', () => {
  const x = [floatRows(3, 4, 5), floatRows(3, 4, 6)];

  it("Keras-3-only settings save and load back in weft as written; tfjs-layers refuses Keras 3's hard_sigmoid by name", async () => {
    const input = weft.input({ shape: [3, 4] });
    let h = L.dense({ units: 4, kernelInitializer: { className: 'randomUniform', config: { minval: -4, maxval: 4 } } }).apply(input);
    for (const layer of [L.activation({ activation: 'hard_sigmoid' }), L.reLU({ negativeSlope: 0.3, threshold: 0.4, maxValue: 0.8 }), L.elu({ alpha: 0.5 }), L.activation({ activation: 'exponential' }), L.softmax({ axis: 1 })]) {
      h = layer.apply(h);
    }
    const model = weft.model({ inputs: input, outputs: h, seed: 2 });
    const ours = await predict(model, x);
    const dir = await mkdtemp(join(tmpdir(), 'weft-activations-'));
    try {
      await model.save(`file://${dir}`);
      const back = await weft.loadModel(`file://${dir}`);
      expect(await predict(back, x)).toEqual(ours);
      expect(back.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
      await back.dispose();
      const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
      const data = await readFile(join(dir, 'weights.bin'));
      const weightSpecs = mj.weightsManifest.flatMap((g) => g.weights) as weft.tf.io.WeightsManifestEntry[];
      const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
      expect(await tf.setBackend('cpu')).toBe(true);
      try {
        await expect(tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs, weightData }))).rejects.toThrow(/Unknown activation: function/);
      } finally {
        expect(await tf.setBackend('wasm')).toBe(true);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await model.dispose();
    }
  });
});

// ---- the fused softmax + crossentropy gradient ----

describe('Activation(softmax) and Softmax() as the output layer', () => {
  it('train exactly as Dense(softmax): the crossentropy takes its gradient from the logits', async () => {
    const rows = 8;
    const xs = floatRows(rows, 5, 3);
    // One-hot labels against saturated outputs: the probability path would clip at 1e-7 and lose the gradient.
    const y = Array.from({ length: rows }, (_, r) => [0, 1, 2, 3].map((k) => (k === r % 4 ? 1 : 0)));
    const build = (head: 'dense' | 'activation' | 'softmax') => {
      const input = weft.input({ shape: [5] });
      const dense = L.dense({ units: 4, activation: head === 'dense' ? 'softmax' : 'linear', kernelInitializer: { className: 'randomUniform', config: { minval: -9, maxval: 9 } } });
      const z = dense.apply(input);
      const out = head === 'dense' ? z : head === 'activation' ? L.activation({ activation: 'softmax' }).apply(z) : L.softmax().apply(z);
      return weft.model({ inputs: input, outputs: out, seed: 11 });
    };
    const trained: number[][] = [];
    for (const head of ['dense', 'activation', 'softmax'] as const) {
      const model = build(head);
      model.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0.5 }), loss: 'categoricalCrossentropy' });
      await model.fit(tf.tensor2d(xs), y, { epochs: 1, batchSize: rows, shuffle: false, workers: 1, verbose: 0 });
      trained.push(Array.from(model.params));
      await model.dispose();
    }
    const start = build('dense');
    const moved = trained[0].some((v, i) => Math.abs(v - start.params[i]) > 1e-3);
    await start.dispose();
    expect(moved).toBe(true);
    for (const other of trained.slice(1)) other.forEach((v, i) => expect(v).toBeCloseTo(trained[0][i], 6));
  });
});
