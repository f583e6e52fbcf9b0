// Rows of the layer table for the activations: every Dense activation Keras 3 names, and the
// activation layers (Activation, ReLU, LeakyReLU, PReLU, ELU, ThresholdedReLU, Softmax). Each
// layer sits after a Dense, so the SGD check runs through its backward pass into the kernel
// below it. Where tfjs-layers 4.22 lacks the function (exponential, leaky_relu, Keras 3's
// hard_sigmoid, ReLU's negativeSlope and threshold, ELU's alpha, a softmax off the last axis)
// the reference is Keras 3's formula in float64.
import * as tfl from '@tensorflow/tfjs-layers';
import * as weft from '../../../src/index.js';
import { dense64, type LayerRow } from '../../support/layer-harness.js';
import { activate } from '../reference64.js';

const L = weft.layers;
const T = tfl.layers;
type S = tfl.SymbolicTensor;
type F64 = Float64Array;

/** A kernel wide enough that the pre-activations reach the clipped parts of hard sigmoids and relu6. */
const WIDE = { className: 'randomUniform', config: { minval: -6, maxval: 6 } } as const;

/**
 * The head's bias starts at 1 so the outputs stay away from 0: the table's checks are relative,
 * and an output near 0 by cancellation shows only float32 summation noise.
 */
const HEAD = { units: 2, biasInitializer: 'ones' } as const;
const T_HEAD = { units: 2 };

const map64 = (x: F64, f: (v: number) => number): F64 => x.map(f);

/** Keras 3's relu(v, negative_slope, max_value, threshold). */
const relu64 = (max: number | null, slope: number, t: number) => (v: number): number =>
  v > t ? (max === null ? v : Math.min(v, max)) : slope * (v - t);

const elu64 = (alpha: number) => (v: number): number => (v > 0 ? v : alpha * Math.expm1(v));

/** Softmax of a batch-major tensor of example shape `shape` over `axes` (axes of the full shape, batch = 0). */
function softmax64(x: F64, rows: number, shape: readonly number[], axes: readonly number[]): F64 {
  const full = [rows, ...shape];
  const groups = new Map<string, number[]>();
  for (let i = 0; i < x.length; i++) {
    let rest = i;
    const key: number[] = [];
    for (let k = full.length - 1; k >= 0; k--) {
      if (!axes.includes(k)) key.push(rest % full[k]);
      rest = Math.floor(rest / full[k]);
    }
    const id = key.join(',');
    groups.set(id, [...(groups.get(id) ?? []), i]);
  }
  const out = new Float64Array(x.length);
  for (const idx of groups.values()) {
    const m = Math.max(...idx.map((i) => x[i]));
    const s = idx.reduce((acc, i) => acc + Math.exp(x[i] - m), 0);
    for (const i of idx) out[i] = Math.exp(x[i] - m) / s;
  }
  return out;
}

/** Dense(3, act) → Dense(2); through tfjs-layers where it has the activation (`tfjsName`), else Keras 3's formula. */
function denseRow(act: string, tfjsName: string | null, wide = false): LayerRow {
  const kernel = wide ? { kernelInitializer: WIDE } : {};
  const row: LayerRow = {
    name: `Dense(3, ${act}) → Dense(2)${tfjsName === null ? ' (Keras 3)' : ''}`,
    inputs: [{ shape: [4] }],
    weft: ([x]) => L.dense(HEAD).apply(L.dense({ units: 3, activation: act, ...kernel }).apply(x)),
  };
  if (tfjsName === null) {
    return { ...row, reference: ([x], [k1, b1, k2, b2], rows) => dense64(activate(act, dense64(x, rows, k1, b1, 3), 3), rows, k2, b2, 2) };
  }
  const tfjsAct = tfjsName as never;
  return { ...row, tfjs: ([x]) => T.dense(T_HEAD).apply(T.dense({ units: 3, activation: tfjsAct }).apply(x)) as S };
}

/** How a row's Dense below the layer is built: `useBias: false` where the layer cancels a bias (a softmax across its axis). */
interface Below {
  readonly useBias?: boolean;
}

/** Dense(4) → `layer` → Dense(2), in weft and, when given, tfjs-layers; else Keras 3's elementwise `reference`. */
function afterDense(name: string, weftLayer: () => weft.Layer, tfjsLayer: (() => tfl.layers.Layer) | null, reference?: (v: number) => number): LayerRow {
  const row: LayerRow = {
    name,
    inputs: [{ shape: [5] }],
    weft: ([x]) => L.dense(HEAD).apply(weftLayer().apply(L.dense({ units: 4 }).apply(x))),
  };
  if (tfjsLayer !== null) {
    return { ...row, tfjs: ([x]) => T.dense(T_HEAD).apply(tfjsLayer().apply(T.dense({ units: 4 }).apply(x))) as S };
  }
  const f = reference as (v: number) => number;
  return { ...row, reference: ([x], [k1, b1, k2, b2], rows) => dense64(map64(dense64(x, rows, k1, b1, 4), f), rows, k2, b2, 2) };
}

/** (None, 3, 4) → Dense(4) → `layer` → Flatten → Dense(2): a rank-3 activation. */
function rank3(name: string, weftLayer: () => weft.Layer, tfjsLayer: (() => tfl.layers.Layer) | null, reference?: (h: F64, rows: number) => F64, below: Below = {}): LayerRow {
  const useBias = below.useBias ?? true;
  const row: LayerRow = {
    name,
    inputs: [{ shape: [3, 4] }],
    weft: ([x]) => L.dense(HEAD).apply(L.flatten().apply(weftLayer().apply(L.dense({ units: 4, useBias }).apply(x)))),
  };
  if (tfjsLayer !== null) {
    return { ...row, tfjs: ([x]) => T.dense(T_HEAD).apply(T.flatten().apply(tfjsLayer().apply(T.dense({ units: 4, useBias }).apply(x)))) as S };
  }
  const f = reference as (h: F64, rows: number) => F64;
  return {
    ...row,
    reference: (xs, w, rows) => {
      const [k1, b1, k2, b2] = useBias ? w : [w[0], null, w[1], w[2]];
      return dense64(f(dense64(xs[0], rows * 3, k1, b1, 4), rows), rows, k2, b2, 2);
    },
  };
}

/** Alpha away from zero, so PReLU's negative side shows. */
const ALPHA_INIT = { className: 'randomUniform', config: { minval: 0.1, maxval: 0.6 } } as const;

export const activationRows: LayerRow[] = [
  // Dense's activations. tfjs-layers spells hard sigmoid 'hardSigmoid' and means Keras 2's.
  denseRow('selu', 'selu'),
  denseRow('softsign', 'softsign'),
  denseRow('relu6', 'relu6', true),
  denseRow('mish', 'mish'),
  denseRow('log_softmax', 'logSoftmax'),
  denseRow('hardSigmoid', 'hardSigmoid', true),
  denseRow('hard_sigmoid', null, true),
  denseRow('exponential', null),
  denseRow('leaky_relu', null),
  {
    name: 'Dense chain of gelu, elu, softplus, swish, softmax',
    inputs: [{ shape: [4] }],
    weft: ([x]) => ['gelu', 'elu', 'softplus', 'swish', 'softmax'].reduce((h, activation) => L.dense({ units: 3, activation }).apply(h), x),
    tfjs: ([x]) => (['gelu', 'elu', 'softplus', 'swish', 'softmax'] as const).reduce((h, activation) => T.dense({ units: 3, activation }).apply(h) as S, x),
  },

  // Activation
  rank3("Activation('swish') on (None, 3, 4)", () => L.activation({ activation: 'swish' }), () => T.activation({ activation: 'swish' })),
  rank3("Activation('softmax') on (None, 3, 4)", () => L.activation({ activation: 'softmax' }), () => T.activation({ activation: 'softmax' })),
  afterDense("Activation('hard_sigmoid') (Keras 3)", () => L.activation({ activation: 'hard_sigmoid' }), null, (v) => Math.min(Math.max(v + 3, 0), 6) / 6),

  // ReLU: tfjs-layers has maxValue only.
  afterDense('ReLU()', () => L.reLU(), () => T.reLU()),
  afterDense('ReLU({maxValue: 0.5})', () => L.reLU({ maxValue: 0.5 }), () => T.reLU({ maxValue: 0.5 })),
  afterDense('ReLU({negativeSlope: 0.1, maxValue: 0.6}) (Keras 3)', () => L.reLU({ negativeSlope: 0.1, maxValue: 0.6 }), null, relu64(0.6, 0.1, 0)),
  afterDense('ReLU({negativeSlope: 0.2, threshold: 0.15, maxValue: 0.7}) (Keras 3)', () => L.reLU({ negativeSlope: 0.2, threshold: 0.15, maxValue: 0.7 }), null, relu64(0.7, 0.2, 0.15)),
  afterDense('ReLU({threshold: 0.1}) (Keras 3)', () => L.reLU({ threshold: 0.1 }), null, relu64(null, 0, 0.1)),

  // LeakyReLU, ELU, ThresholdedReLU
  rank3('LeakyReLU({alpha: 0.2}) on (None, 3, 4)', () => L.leakyReLU({ alpha: 0.2 }), () => T.leakyReLU({ alpha: 0.2 })),
  afterDense('LeakyReLU() (alpha 0.3)', () => L.leakyReLU(), () => T.leakyReLU()),
  afterDense('ELU()', () => L.elu(), () => T.elu()),
  afterDense('ELU({alpha: 0.5}) (Keras 3)', () => L.elu({ alpha: 0.5 }), null, elu64(0.5)),
  // tfjs-layers' ThresholdedReLU has no gradient (tfjs registers none for Greater): on the model
  // input it needs none; its backward is checked against Keras 3's ReLU(threshold=theta).
  {
    name: 'ThresholdedReLU({theta: 0.2}) on the input of Dense(2)',
    inputs: [{ shape: [5] }],
    weft: ([x]) => L.dense(HEAD).apply(L.thresholdedReLU({ theta: 0.2 }).apply(x)),
    tfjs: ([x]) => T.dense(T_HEAD).apply(T.thresholdedReLU({ theta: 0.2 }).apply(x)) as S,
  },
  afterDense('ThresholdedReLU({theta: 0.3}) after Dense(4)', () => L.thresholdedReLU({ theta: 0.3 }), null, relu64(null, 0, 0.3)),

  // PReLU: alpha a weight, per position or shared along axes.
  afterDense('PReLU() on (None, 4)', () => L.prelu({ alphaInitializer: ALPHA_INIT }), () => T.prelu()),
  rank3('PReLU({sharedAxes: [1]}) on (None, 3, 4): alpha (1, 4)', () => L.prelu({ alphaInitializer: ALPHA_INIT, sharedAxes: [1] }), () => T.prelu({ sharedAxes: [1] })),
  rank3('PReLU({sharedAxes: 2}) on (None, 3, 4): alpha (3, 1)', () => L.prelu({ alphaInitializer: ALPHA_INIT, sharedAxes: 2 }), () => T.prelu({ sharedAxes: 2 })),
  rank3('PReLU() on (None, 3, 4): alpha (3, 4)', () => L.prelu({ alphaInitializer: ALPHA_INIT }), () => T.prelu()),

  // Softmax: tfjs-core normalises over the last axis only.
  rank3('Softmax() on (None, 3, 4)', () => L.softmax(), () => T.softmax({ axis: -1 })),
  // A bias below a softmax over axis 1 shifts all of that axis alike and cancels: none there.
  rank3('Softmax({axis: 1}) on (None, 3, 4) (Keras 3)', () => L.softmax({ axis: 1 }), null, (h, rows) => softmax64(h, rows, [3, 4], [1]), { useBias: false }),
  rank3('Softmax({axis: [1, 2]}) on (None, 3, 4) (Keras 3)', () => L.softmax({ axis: [1, 2] }), null, (h, rows) => softmax64(h, rows, [3, 4], [1, 2])),
];
