import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType, unknownName } from '../errors.js';
import { isObject, type Json, type KerasConfigReader } from './keras-config.js';

/**
 * A function applied to a tensor and its local derivative, side by side. `backward` gets the
 * pre-activation `z` and the output `a` and returns dL/dz from dL/da, choosing whichever is
 * cheaper to use. Dense applies these to its pre-activation; the activation layers
 * (layers/activation.ts, relu.ts, ...) to their input: one implementation for both.
 */
export interface ActivationFn {
  /** Computes a = f(z). */
  forward(z: tf.Tensor): tf.Tensor;
  backward(dy: tf.Tensor, z: tf.Tensor, a: tf.Tensor): tf.Tensor;
  /** True when backward reads only `a`, so the forward pass may fuse f into the matMul. */
  readonly needsOnlyOutput: boolean;
}

/** A named activation: what `activation: 'relu'` means in Dense and in the Activation layer. */
export interface Activation extends ActivationFn {
  readonly name: ActivationName;
}

/**
 * Keras 3's activation names, plus `hardSigmoid`: tfjs-layers' (and Keras 2's) hard sigmoid,
 * clip(0.2z + 0.5, 0, 1), which Keras 3 replaced by relu6(z + 3) / 6 under the same name
 * `hard_sigmoid`. weft's `hard_sigmoid` is Keras 3's; a file written by Keras 2 or tfjs-layers
 * that says `hard_sigmoid` is read as `hardSigmoid` (activationFromKeras).
 */
export type ActivationName =
  | 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'gelu' | 'elu' | 'softplus' | 'swish'
  | 'selu' | 'softsign' | 'hard_sigmoid' | 'hardSigmoid' | 'relu6' | 'exponential' | 'leaky_relu'
  | 'mish' | 'log_softmax';

/** Keras 3's ReLU arguments (keras/src/activations/activations.py, ReLU.static_call). */
export interface ReluParams {
  readonly maxValue?: number | null;
  readonly negativeSlope?: number;
  readonly threshold?: number;
}

/**
 * Keras 3's relu(z, negative_slope, max_value, threshold): min(z, max) where z > threshold,
 * negative_slope·(z − threshold) elsewhere. The common cases get one wasm kernel forward and one
 * or two backward (relu, relu6, leaky relu); the general one is written out.
 */
export function reluFn({ maxValue = null, negativeSlope = 0, threshold = 0 }: ReluParams = {}): ActivationFn {
  if (threshold === 0 && negativeSlope === 0) {
    // step(a) is 1 where a > 0: one cheap kernel, where greater+cast+mul costs ten times more on wasm.
    if (maxValue === null) return { needsOnlyOutput: true, forward: (z) => tf.relu(z), backward: (dy, _z, a) => tf.mul(dy, tf.step(a)) };
    // The derivative is 1 where 0 < a < max: a equals max exactly where the clip holds it.
    return {
      needsOnlyOutput: true,
      forward: (z) => tf.clipByValue(z, 0, maxValue),
      backward: (dy, _z, a) => tf.mul(dy, tf.mul(tf.step(a), tf.step(tf.sub(maxValue, a)))),
    };
  }
  if (threshold === 0 && maxValue === null) {
    // With a positive slope, a > 0 exactly where z > 0; step(a, slope) is the derivative.
    return {
      needsOnlyOutput: true,
      forward: (z) => tf.leakyRelu(z, negativeSlope),
      backward: (dy, _z, a) => tf.mul(dy, tf.step(a, negativeSlope)),
    };
  }
  const shifted = (z: tf.Tensor): tf.Tensor => (threshold === 0 ? z : tf.sub(z, threshold));
  // Above the threshold the slope is 1 until the clip at max(max, threshold) takes over.
  const clipAt = maxValue === null ? null : Math.max(maxValue, threshold);
  return {
    needsOnlyOutput: false,
    forward: (z) => {
      let pos = threshold === 0 ? tf.relu(z) : tf.mul(z, tf.step(shifted(z)));
      if (maxValue !== null) pos = tf.minimum(pos, maxValue);
      return negativeSlope === 0 ? pos : tf.add(pos, tf.mul(tf.minimum(shifted(z), 0), negativeSlope));
    },
    backward: (dy, z) => {
      const above = tf.step(shifted(z), negativeSlope);
      return tf.mul(dy, clipAt === null ? above : tf.sub(above, tf.step(tf.sub(z, clipAt))));
    },
  };
}

/** Keras's elu(z, alpha): z where z > 0, alpha·(exp(z) − 1) elsewhere. */
export function eluFn(alpha: number): ActivationFn {
  return {
    needsOnlyOutput: alpha >= 0,
    // step(z, alpha) is 1 for z > 0 and alpha elsewhere: it scales the negative part of wasm's
    // Elu, which has alpha 1 only.
    forward: (z) => (alpha === 1 ? tf.elu(z) : tf.mul(tf.elu(z), tf.step(z, alpha))),
    // For z <= 0 the derivative alpha·exp(z) is a + alpha; with alpha >= 0, a > 0 exactly where
    // z > 0, so min(a, 0) + step(a, alpha) is 1 there and a + alpha elsewhere.
    backward: (dy, z, a) => tf.mul(dy, alpha >= 0
      ? tf.add(tf.minimum(a, 0), tf.step(a, alpha))
      : tf.mul(tf.step(z, alpha), tf.exp(tf.minimum(z, 0)))),
  };
}

/** hard sigmoid with this slope: clip(slope·z + 0.5, 0, 1), linear for |z| < 0.5/slope. */
function hardSigmoidFn(slope: number): ActivationFn {
  const edge = 0.5 / slope;
  return {
    needsOnlyOutput: false,
    forward: (z) => tf.clipByValue(tf.add(tf.mul(z, slope), 0.5), 0, 1),
    backward: (dy, z) => tf.mul(dy, tf.mul(tf.step(tf.sub(edge, tf.abs(z))), slope)),
  };
}

/** `axes` as non-negative axes of a rank-`rank` tensor; null means the last axis. */
function resolveAxes(axes: readonly number[] | null, rank: number): number[] {
  return axes === null ? [rank - 1] : axes.map((a) => (a < 0 ? rank + a : a));
}

const isLastAxis = (axes: readonly number[], rank: number): boolean => axes.length === 1 && axes[0] === rank - 1;

/**
 * Softmax over `axes` (null: the last axis, where wasm has one kernel for it):
 * a = exp(z − max z) / Σ exp(z − max z), and dz = a·(dy − Σ dy·a), the sums over `axes`.
 */
export function softmaxFn(axes: readonly number[] | null = null): ActivationFn {
  return {
    needsOnlyOutput: true,
    forward: (z) => {
      const ax = resolveAxes(axes, z.rank);
      if (isLastAxis(ax, z.rank)) return tf.softmax(z);
      const e = tf.exp(tf.sub(z, tf.max(z, ax, true)));
      return tf.div(e, tf.sum(e, ax, true));
    },
    backward: (dy, _z, a) => tf.mul(a, tf.sub(dy, tf.sum(tf.mul(dy, a), resolveAxes(axes, a.rank), true))),
  };
}

/** log softmax over `axes`: a = z − logsumexp(z), and dz = dy − exp(a)·Σ dy. */
export function logSoftmaxFn(axes: readonly number[] | null = null): ActivationFn {
  return {
    needsOnlyOutput: true,
    forward: (z) => {
      const ax = resolveAxes(axes, z.rank);
      const shifted = tf.sub(z, tf.max(z, ax, true));
      return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), ax, true)));
    },
    backward: (dy, _z, a) => tf.sub(dy, tf.mul(tf.exp(a), tf.sum(dy, resolveAxes(axes, a.rank), true))),
  };
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** Klambauer et al. 2017, as tf.selu uses them: selu(z) = SCALE·elu_ALPHA(z). */
const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_ALPHA = 1.6732632423543772848170429916717;

const named = (name: ActivationName, fn: ActivationFn): Activation => ({ ...fn, name });

const ACTIVATIONS: Record<ActivationName, Activation> = {
  linear: { name: 'linear', needsOnlyOutput: true, forward: (z) => z, backward: (dy) => dy },
  relu: named('relu', reluFn()),
  sigmoid: {
    name: 'sigmoid', needsOnlyOutput: true, forward: (z) => tf.sigmoid(z),
    backward: (dy, _z, a) => tf.mul(dy, tf.mul(a, tf.sub(1, a))),
  },
  tanh: {
    name: 'tanh', needsOnlyOutput: true, forward: (z) => tf.tanh(z),
    backward: (dy, _z, a) => tf.mul(dy, tf.sub(1, tf.square(a))),
  },
  softmax: named('softmax', softmaxFn()),
  // Keras's default gelu is the exact one (approximate=False): z * Phi(z).
  gelu: {
    name: 'gelu', needsOnlyOutput: false,
    forward: (z) => tf.mul(tf.mul(z, 0.5), tf.add(1, tf.erf(tf.mul(z, SQRT1_2)))),
    backward: (dy, z) => {
      const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(z, SQRT1_2))));
      const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(tf.square(z), -0.5)));
      return tf.mul(dy, tf.add(cdf, tf.mul(z, pdf)));
    },
  },
  elu: named('elu', eluFn(1)),
  softplus: {
    name: 'softplus', needsOnlyOutput: false, forward: (z) => tf.softplus(z),
    backward: (dy, z) => tf.mul(dy, tf.sigmoid(z)),
  },
  swish: {
    name: 'swish', needsOnlyOutput: false, forward: (z) => tf.mul(z, tf.sigmoid(z)),
    backward: (dy, z) => {
      const s = tf.sigmoid(z);
      return tf.mul(dy, tf.add(s, tf.mul(z, tf.mul(s, tf.sub(1, s)))));
    },
  },
  // Forward as SCALE·elu(z)·step(z, ALPHA): wasm's Selu kernel loses precision near 0 (2.6e-6
  // relative, its exp(z) − 1 cancels), wasm's Elu does not (1e-7, as tfjs's cpu backend).
  // The derivative is SCALE for z > 0 and a + SCALE·ALPHA elsewhere: min(a, 0) + SCALE·step(a, ALPHA).
  selu: {
    name: 'selu', needsOnlyOutput: true, forward: (z) => tf.mul(tf.mul(tf.elu(z), tf.step(z, SELU_ALPHA)), SELU_SCALE),
    backward: (dy, _z, a) => tf.mul(dy, tf.add(tf.minimum(a, 0), tf.mul(tf.step(a, SELU_ALPHA), SELU_SCALE))),
  },
  // z / (1 + |z|); its derivative 1 / (1 + |z|)² is (1 − |a|)².
  softsign: {
    name: 'softsign', needsOnlyOutput: true, forward: (z) => tf.div(z, tf.add(tf.abs(z), 1)),
    backward: (dy, _z, a) => tf.mul(dy, tf.square(tf.sub(1, tf.abs(a)))),
  },
  // Keras 3: relu6(z + 3) / 6. Keras 2 and tfjs-layers: clip(0.2z + 0.5, 0, 1), here 'hardSigmoid'.
  hard_sigmoid: named('hard_sigmoid', hardSigmoidFn(1 / 6)),
  hardSigmoid: named('hardSigmoid', hardSigmoidFn(0.2)),
  relu6: named('relu6', reluFn({ maxValue: 6 })),
  exponential: { name: 'exponential', needsOnlyOutput: true, forward: (z) => tf.exp(z), backward: (dy, _z, a) => tf.mul(dy, a) },
  // Keras 3's activation default; the LeakyReLU layer's default is 0.3.
  leaky_relu: named('leaky_relu', reluFn({ negativeSlope: 0.2 })),
  // z·tanh(softplus(z)) (Misra 2019); d/dz = t + z·(1 − t²)·sigmoid(z) with t = tanh(softplus(z)).
  mish: {
    name: 'mish', needsOnlyOutput: false, forward: (z) => tf.mul(z, tf.tanh(tf.softplus(z))),
    backward: (dy, z) => {
      const t = tf.tanh(tf.softplus(z));
      return tf.mul(dy, tf.add(t, tf.mul(tf.mul(z, tf.sub(1, tf.square(t))), tf.sigmoid(z))));
    },
  },
  log_softmax: named('log_softmax', logSoftmaxFn()),
};

export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as ActivationName[];

/** Other spellings: Keras 3's `silu`, tfjs-layers' camelCase `logSoftmax`. */
const ALIASES: Readonly<Record<string, ActivationName>> = { silu: 'swish', logSoftmax: 'log_softmax' };

export function getActivation(name: unknown): Activation {
  if (name === undefined || name === null) return ACTIVATIONS.linear;
  if (typeof name !== 'string') throw invalidType('activation', `one of ${ACTIVATION_NAMES.join(', ')}`, name);
  const canonical = Object.hasOwn(ALIASES, name) ? ALIASES[name] : name;
  if (!Object.hasOwn(ACTIVATIONS, canonical)) throw unknownName('activation', name, ACTIVATION_NAMES);
  return ACTIVATIONS[canonical as ActivationName];
}

// ---- the activation field of a Keras / tfjs-layers JSON config ----

/**
 * The `keras_version` of the file a reader reads, where the reader knows it (src/graph/tfjs-format.ts
 * passes it on); null when unknown.
 */
export function kerasVersionOf(reader: KerasConfigReader): string | null {
  const v = (reader as unknown as { readonly kerasVersion?: unknown }).kerasVersion;
  return typeof v === 'string' ? v : null;
}

/** Keras 3 or later wrote this file; tfjs-layers ('tfjs-layers 4.22.0'), Keras 2 and unknown versions did not. */
export function isKeras3(kerasVersion: string | null): boolean {
  const major = kerasVersion === null ? null : /^\s*(\d+)\./.exec(kerasVersion);
  return major !== null && Number(major[1]) >= 3;
}

/** Keras 3's serialised form of one of its activation functions (serialization_lib). */
const KERAS3_FUNCTION = (name: string): Json => ({ module: 'keras.activations', class_name: 'function', config: name, registered_name: name });

/**
 * An activation field of a Keras JSON config as a weft activation name, read as the file's
 * `keras_version` wrote it: `hard_sigmoid` is Keras 3's relu6(z + 3)/6 in a Keras 3 file and the
 * Keras 2 / tfjs-layers clip(0.2z + 0.5, 0, 1) (weft's `hardSigmoid`) in any other. Keras 3's
 * function objects `{class_name: 'function', config: name}` are read as Keras 3's whatever the
 * version: no earlier writer produces them.
 */
export function activationFromKeras(reader: KerasConfigReader, key = 'activation'): ActivationName {
  const v = reader.value(key, 'linear');
  let name: unknown = v;
  let keras3 = isKeras3(kerasVersionOf(reader));
  if (isObject(v)) {
    if (v.class_name !== 'function' || typeof v.config !== 'string') {
      throw invalidArgument(reader.where(key), "an activation name, or Keras 3's {class_name: 'function', config: name}", JSON.stringify(v));
    }
    [name, keras3] = [v.config, true];
  }
  if (typeof name !== 'string') throw invalidType(reader.where(key), 'an activation name', name);
  if (name === 'hard_sigmoid' && !keras3) return 'hardSigmoid';
  try {
    return getActivation(name).name;
  } catch {
    throw unknownName(`activation in ${reader.where(key)}`, name, ACTIVATION_NAMES);
  }
}

/**
 * A weft activation name as the activation field of the tfjs-layers JSON weft writes (its
 * keras_version is tfjs-layers'): `hardSigmoid` as tfjs-layers spells it, `hard_sigmoid`; Keras
 * 3's hard sigmoid, which a tfjs-layers file cannot name (tfjs-layers and weft would read
 * `hard_sigmoid` there as clip(0.2z + 0.5, 0, 1)), as Keras 3's function object: weft and Keras
 * 3 read it back as written, and tfjs-layers refuses it by name instead of computing another
 * function.
 */
export function activationToKeras(name: unknown): string | Json {
  const act = getActivation(name).name;
  if (act === 'hardSigmoid') return 'hard_sigmoid';
  if (act === 'hard_sigmoid') return KERAS3_FUNCTION(act);
  return act;
}
