import * as tf from '@tensorflow/tfjs-core';
import { invalidType, unknownName } from '../errors.js';

export type LossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'binaryCrossentropy' | 'meanSquaredError';

/** The per-example losses and the gradient of their sum with respect to the model's output. */
export interface LossResult {
  /** Shape [batch]. */
  readonly perExample: tf.Tensor1D;
  /** dL/d output, or dL/d logits when `gradIsLogits` (the fused softmax/sigmoid form). */
  readonly grad: tf.Tensor;
  readonly gradIsLogits: boolean;
}

/** What the loss sees of the model's head: its output, and its logits when it has them. */
export interface Head {
  readonly output: tf.Tensor;
  readonly logits: tf.Tensor | null;
  readonly activation: string;
}

// Keras's backend.epsilon(): probabilities are clipped to [EPS, 1 - EPS] before a log.
const EPS = 1e-7;

/**
 * Softmax + crossentropy (and sigmoid + binary crossentropy) are differentiated together from
 * the logits, as Keras does through `_keras_logits`: dL/dz = p·Σy − y is exact and stable where
 * the chained form divides by a probability that underflowed.
 */
function categorical(head: Head, y: tf.Tensor): LossResult {
  const { output: p, logits: z } = head;
  if (head.activation === 'softmax' && z !== null) {
    const perExample = tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(z)), -1)) as tf.Tensor1D;
    return { perExample, grad: tf.sub(tf.mul(p, tf.sum(y, -1, true)), y), gradIsLogits: true };
  }
  // Keras's probability form: renormalise, clip, -Σ y log q; the clip blocks the gradient.
  const s = tf.sum(p, -1, true);
  const q = tf.div(p, s);
  const c = tf.clipByValue(q, EPS, 1 - EPS);
  const perExample = tf.neg(tf.sum(tf.mul(y, tf.log(c)), -1)) as tf.Tensor1D;
  const inside = tf.logicalAnd(tf.greater(q, EPS), tf.less(q, 1 - EPS));
  const gq = tf.where(inside, tf.neg(tf.div(y, c)), tf.zerosLike(q));
  const grad = tf.div(tf.sub(gq, tf.sum(tf.mul(gq, q), -1, true)), s);
  return { perExample, grad, gradIsLogits: false };
}

function binary(head: Head, y: tf.Tensor): LossResult {
  const { output: p, logits: z } = head;
  const d = p.shape[p.rank - 1] as number;
  if (head.activation === 'sigmoid' && z !== null) {
    // max(z, 0) − z·y + log(1 + exp(−|z|)): the stable form of sigmoid crossentropy.
    const terms = tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
    return { perExample: tf.mean(terms, -1) as tf.Tensor1D, grad: tf.div(tf.sub(p, y), d), gradIsLogits: true };
  }
  const c = tf.clipByValue(p, EPS, 1 - EPS);
  const terms = tf.add(tf.mul(y, tf.log(c)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, c))));
  const inside = tf.logicalAnd(tf.greater(p, EPS), tf.less(p, 1 - EPS));
  const dc = tf.div(tf.sub(tf.div(tf.sub(1, y), tf.sub(1, c)), tf.div(y, c)), d);
  return { perExample: tf.neg(tf.mean(terms, -1)) as tf.Tensor1D, grad: tf.where(inside, dc, tf.zerosLike(p)), gradIsLogits: false };
}

function meanSquared(head: Head, y: tf.Tensor): LossResult {
  const diff = tf.sub(head.output, y);
  const d = diff.shape[diff.rank - 1] as number;
  return { perExample: tf.mean(tf.square(diff), -1) as tf.Tensor1D, grad: tf.mul(diff, 2 / d), gradIsLogits: false };
}

export interface Loss {
  readonly name: LossName;
  /** True when targets are class indices (shape [batch] or [batch, 1]) rather than rows like the output. */
  readonly sparseTargets: boolean;
  compute(head: Head, yTrue: tf.Tensor): LossResult;
}

const LOSSES: Record<LossName, Loss> = {
  categoricalCrossentropy: { name: 'categoricalCrossentropy', sparseTargets: false, compute: categorical },
  sparseCategoricalCrossentropy: {
    name: 'sparseCategoricalCrossentropy', sparseTargets: true,
    compute: (head, labels) => categorical(head, tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), head.output.shape[1] as number)),
  },
  binaryCrossentropy: { name: 'binaryCrossentropy', sparseTargets: false, compute: binary },
  meanSquaredError: { name: 'meanSquaredError', sparseTargets: false, compute: meanSquared },
};

const ALIASES: Record<string, LossName> = {
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  mean_squared_error: 'meanSquaredError', mse: 'meanSquaredError', MSE: 'meanSquaredError',
};

export const LOSS_NAMES = Object.keys(LOSSES) as LossName[];

/** Accepts tfjs's camelCase and Keras's snake_case spellings. */
export function getLoss(name: unknown): Loss {
  if (typeof name !== 'string') throw invalidType('loss', `one of ${LOSS_NAMES.join(', ')}`, name);
  const loss = LOSSES[(ALIASES[name] ?? name) as LossName];
  if (loss === undefined) throw unknownName('loss', name, [...LOSS_NAMES, ...Object.keys(ALIASES)]);
  return loss;
}
