import * as tf from '@tensorflow/tfjs-core';
import { invalidType, unknownName } from '../errors.js';

/**
 * An activation and its local derivative side by side. `backward` gets the pre-activation `z`
 * and the output `a` and returns dL/dz from dL/da, choosing whichever is cheaper to use.
 */
export interface Activation {
  readonly name: ActivationName;
  /** Computes a = f(z). */
  forward(z: tf.Tensor): tf.Tensor;
  backward(dy: tf.Tensor, z: tf.Tensor, a: tf.Tensor): tf.Tensor;
  /** True when backward reads only `a`, so the forward pass may fuse f into the matMul. */
  readonly needsOnlyOutput: boolean;
}

export type ActivationName = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'gelu' | 'elu' | 'softplus' | 'swish';

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const ACTIVATIONS: Record<ActivationName, Activation> = {
  linear: { name: 'linear', needsOnlyOutput: true, forward: (z) => z, backward: (dy) => dy },
  // step(a) is 1 where a > 0: one cheap kernel, where greater+cast+mul costs ten times more on wasm.
  relu: { name: 'relu', needsOnlyOutput: true, forward: (z) => tf.relu(z), backward: (dy, _z, a) => tf.mul(dy, tf.step(a)) },
  sigmoid: {
    name: 'sigmoid', needsOnlyOutput: true, forward: (z) => tf.sigmoid(z),
    backward: (dy, _z, a) => tf.mul(dy, tf.mul(a, tf.sub(1, a))),
  },
  tanh: {
    name: 'tanh', needsOnlyOutput: true, forward: (z) => tf.tanh(z),
    backward: (dy, _z, a) => tf.mul(dy, tf.sub(1, tf.square(a))),
  },
  // Softmax over the last axis: dz = a * (dy - sum(dy * a)).
  softmax: {
    name: 'softmax', needsOnlyOutput: true, forward: (z) => tf.softmax(z),
    backward: (dy, _z, a) => tf.mul(a, tf.sub(dy, tf.sum(tf.mul(dy, a), -1, true))),
  },
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
  elu: {
    name: 'elu', needsOnlyOutput: true, forward: (z) => tf.elu(z),
    // For z <= 0, a = exp(z) - 1, so the derivative exp(z) is a + 1.
    backward: (dy, _z, a) => tf.mul(dy, tf.where(tf.greater(a, 0), tf.onesLike(a), tf.add(a, 1))),
  },
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
};

export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as ActivationName[];

export function getActivation(name: unknown): Activation {
  if (name === undefined || name === null) return ACTIVATIONS.linear;
  if (typeof name !== 'string') throw invalidType('activation', `one of ${ACTIVATION_NAMES.join(', ')}`, name);
  const found = ACTIVATIONS[name as ActivationName] ?? (name === 'silu' ? ACTIVATIONS.swish : undefined);
  if (found === undefined) throw unknownName('activation', name, ACTIVATION_NAMES);
  return found;
}
