/**
 * The crossentropies, with Keras's `from_logits` and `label_smoothing`
 * (keras/src/losses/losses.py: categorical_crossentropy, sparse_categorical_crossentropy,
 * binary_crossentropy).
 */
import * as tf from '@tensorflow/tfjs-core';
import { EPS, lastDim, type Head, type LossDefinition, type LossResult, type OptionValues } from './types.js';

/** Keras: y·(1 − ls) + ls/K for K classes; binary: y·(1 − ls) + ls/2. */
function smooth(y: tf.Tensor, labelSmoothing: number, classes: number): tf.Tensor {
  return labelSmoothing > 0 ? tf.add(tf.mul(y, 1 - labelSmoothing), labelSmoothing / classes) : y;
}

/** −Σ y·log softmax(z) and its gradient p·Σy − y (exact and stable where p underflowed). */
function categoricalFromLogits(z: tf.Tensor, y: tf.Tensor, p: tf.Tensor | null, gradIsLogits: boolean): LossResult {
  const perExample = tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(z)), -1)) as tf.Tensor1D;
  return { perExample, grad: tf.sub(tf.mul(p ?? tf.softmax(z), tf.sum(y, -1, true)), y), gradIsLogits };
}

/** Keras's probability form: renormalise, clip to [ε, 1 − ε], −Σ y log q. */
function categoricalProbabilities(p: tf.Tensor, y: tf.Tensor): tf.Tensor1D {
  const q = tf.div(p, tf.sum(p, -1, true));
  return tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(q, EPS, 1 - EPS))), -1)) as tf.Tensor1D;
}

/**
 * Softmax + crossentropy (and sigmoid + binary crossentropy) are differentiated together from
 * the logits, as Keras does through `_keras_logits`: dL/dz = p·Σy − y. With fromLogits the
 * output is the logits, and the same gradient is the one with respect to the output.
 */
function categorical(head: Head, y: tf.Tensor, fromLogits: boolean): LossResult {
  const { output: p, logits: z } = head;
  if (fromLogits) return categoricalFromLogits(p, y, null, false);
  if (head.activation === 'softmax' && z !== null) return categoricalFromLogits(z, y, p, true);
  // The clip blocks the gradient outside (ε, 1 − ε).
  const s = tf.sum(p, -1, true);
  const q = tf.div(p, s);
  const c = tf.clipByValue(q, EPS, 1 - EPS);
  const perExample = tf.neg(tf.sum(tf.mul(y, tf.log(c)), -1)) as tf.Tensor1D;
  const inside = tf.logicalAnd(tf.greater(q, EPS), tf.less(q, 1 - EPS));
  const gq = tf.where(inside, tf.neg(tf.div(y, c)), tf.zerosLike(q));
  const grad = tf.div(tf.sub(gq, tf.sum(tf.mul(gq, q), -1, true)), s);
  return { perExample, grad, gradIsLogits: false };
}

/** max(z, 0) − z·y + log(1 + exp(−|z|)): the stable form of sigmoid crossentropy. */
const sigmoidTerms = (z: tf.Tensor, y: tf.Tensor): tf.Tensor =>
  tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));

function binaryProbabilityTerms(p: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const c = tf.clipByValue(p, EPS, 1 - EPS);
  return tf.neg(tf.add(tf.mul(y, tf.log(c)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, c)))));
}

function binary(head: Head, y: tf.Tensor, fromLogits: boolean): LossResult {
  const { output: p, logits: z } = head;
  const d = lastDim(p);
  if (fromLogits) {
    return { perExample: tf.mean(sigmoidTerms(p, y), -1) as tf.Tensor1D, grad: tf.div(tf.sub(tf.sigmoid(p), y), d), gradIsLogits: false };
  }
  if (head.activation === 'sigmoid' && z !== null) {
    return { perExample: tf.mean(sigmoidTerms(z, y), -1) as tf.Tensor1D, grad: tf.div(tf.sub(p, y), d), gradIsLogits: true };
  }
  const c = tf.clipByValue(p, EPS, 1 - EPS);
  const inside = tf.logicalAnd(tf.greater(p, EPS), tf.less(p, 1 - EPS));
  const dc = tf.div(tf.sub(tf.div(tf.sub(1, y), tf.sub(1, c)), tf.div(y, c)), d);
  return { perExample: tf.mean(binaryProbabilityTerms(p, y), -1) as tf.Tensor1D, grad: tf.where(inside, dc, tf.zerosLike(p)), gradIsLogits: false };
}

const oneHotLabels = (labels: tf.Tensor, classes: number): tf.Tensor =>
  tf.oneHot(tf.cast(tf.reshape(labels, [-1]), 'int32'), classes);

const flag = (config: OptionValues, key: string): boolean => config[key] as boolean;
const amount = (config: OptionValues, key: string): number => config[key] as number;

export const categoricalCrossentropy: LossDefinition = {
  name: 'categoricalCrossentropy', className: 'CategoricalCrossentropy', kerasName: 'categorical_crossentropy',
  defaults: { fromLogits: false, labelSmoothing: 0 }, sparseTargets: false,
  value: (p, y, c) => {
    const ys = smooth(y, amount(c, 'labelSmoothing'), lastDim(p));
    return flag(c, 'fromLogits') ? categoricalFromLogits(p, ys, null, false).perExample : categoricalProbabilities(p, ys);
  },
  compute: (head, y, c) => categorical(head, smooth(y, amount(c, 'labelSmoothing'), lastDim(head.output)), flag(c, 'fromLogits')),
};

/** Keras 3's SparseCategoricalCrossentropy has no label smoothing (getLoss refuses it by name). */
export const sparseCategoricalCrossentropy: LossDefinition = {
  name: 'sparseCategoricalCrossentropy', className: 'SparseCategoricalCrossentropy', kerasName: 'sparse_categorical_crossentropy',
  defaults: { fromLogits: false }, sparseTargets: true,
  value: (p, labels, c) => {
    const y = oneHotLabels(labels, lastDim(p));
    return flag(c, 'fromLogits') ? categoricalFromLogits(p, y, null, false).perExample : categoricalProbabilities(p, y);
  },
  compute: (head, labels, c) => categorical(head, oneHotLabels(labels, lastDim(head.output)), flag(c, 'fromLogits')),
};

export const binaryCrossentropy: LossDefinition = {
  name: 'binaryCrossentropy', className: 'BinaryCrossentropy', kerasName: 'binary_crossentropy',
  defaults: { fromLogits: false, labelSmoothing: 0 }, sparseTargets: false,
  value: (p, y, c) => {
    const ys = smooth(y, amount(c, 'labelSmoothing'), 2);
    return tf.mean(flag(c, 'fromLogits') ? sigmoidTerms(p, ys) : binaryProbabilityTerms(p, ys), -1) as tf.Tensor1D;
  },
  compute: (head, y, c) => binary(head, smooth(y, amount(c, 'labelSmoothing'), 2), flag(c, 'fromLogits')),
};
