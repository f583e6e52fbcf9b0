/**
 * Hinge losses, Kullback-Leibler divergence and Poisson, Keras 3's formulas
 * (keras/src/losses/losses.py), each with its derivative beside it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EPS, elementwise, mask, rowwise, type LossDefinition } from './types.js';

/**
 * Keras's convert_binary_labels_to_hinge: labels that are all 0 or 1 become −1/1 (2y − 1), any
 * other labels are used as they are. Keras decides once for the whole batch; weft decides per
 * example (per row of the target), so the loss of an example never depends on which other
 * examples share its batch or its worker's shard — the N-worker run stays the 1-worker run.
 * The two agree whenever every row of a batch is in {0, 1}, or the labels are −1/1 (a −1/1 row
 * of ones is "binary" but 2·1 − 1 = 1): they differ only for batches mixing the two forms.
 */
function hingeLabels(y: tf.Tensor): tf.Tensor {
  const binaryEntry = tf.logicalOr(tf.equal(y, 0), tf.equal(y, 1));
  const binaryRow = tf.greater(tf.min(tf.cast(binaryEntry, 'float32'), -1, true), 0.5);
  return tf.where(tf.broadcastTo(binaryRow, y.shape), tf.sub(tf.mul(y, 2), 1), y);
}

/** max(1 − y·p, 0); the derivative −y where the margin is violated. */
export const hinge: LossDefinition = elementwise(
  { name: 'hinge', className: 'Hinge', kerasName: 'hinge', defaults: {} },
  (p, y) => tf.relu(tf.sub(1, tf.mul(hingeLabels(y), p))),
  (p, y) => {
    const yc = hingeLabels(y);
    return tf.mul(tf.neg(yc), mask(tf.greater(tf.sub(1, tf.mul(yc, p)), 0)));
  },
);

/** max(1 − y·p, 0)²; the derivative −2y·max(1 − y·p, 0). */
export const squaredHinge: LossDefinition = elementwise(
  { name: 'squaredHinge', className: 'SquaredHinge', kerasName: 'squared_hinge', defaults: {} },
  (p, y) => tf.square(tf.relu(tf.sub(1, tf.mul(hingeLabels(y), p)))),
  (p, y) => {
    const yc = hingeLabels(y);
    return tf.mul(tf.mul(yc, -2), tf.relu(tf.sub(1, tf.mul(yc, p))));
  },
);

/**
 * max(neg − pos + 1, 0) with pos = Σ y·p and neg = max((1 − y)·p) (labels used as given).
 * Where it is positive, dL/dp = (1 − y)·[j = argmax (1 − y)·p] − y; the first maximum takes
 * the gradient on a tie, as tf.argMax picks it.
 */
function categoricalHingeParts(p: tf.Tensor, y: tf.Tensor): { margin: tf.Tensor; others: tf.Tensor } {
  const others = tf.mul(tf.sub(1, y), p);
  const margin = tf.add(tf.sub(tf.max(others, -1), tf.sum(tf.mul(y, p), -1)), 1);
  return { margin, others };
}

export const categoricalHinge: LossDefinition = rowwise(
  { name: 'categoricalHinge', className: 'CategoricalHinge', kerasName: 'categorical_hinge', defaults: {} },
  (p, y) => tf.relu(categoricalHingeParts(p, y).margin) as tf.Tensor1D,
  (p, y) => {
    const { margin, others } = categoricalHingeParts(p, y);
    const top = tf.oneHot(tf.argMax(others, -1), p.shape[p.rank - 1] as number);
    const g = tf.sub(tf.mul(tf.sub(1, y), top), y);
    return tf.mul(g, tf.expandDims(mask(tf.greater(margin, 0)), -1));
  },
);

/**
 * Σ y·log(y / p) over the last axis, y and p clipped to [ε, 1]; the derivative −y/p where p is
 * inside the clip (its bounds included, as TensorFlow's clip gradient), 0 outside.
 */
export const kullbackLeiblerDivergence: LossDefinition = rowwise(
  { name: 'kullbackLeiblerDivergence', className: 'KLDivergence', kerasName: 'kl_divergence', defaults: {} },
  (p, y) => {
    const yc = tf.clipByValue(y, EPS, 1);
    return tf.sum(tf.mul(yc, tf.log(tf.div(yc, tf.clipByValue(p, EPS, 1)))), -1) as tf.Tensor1D;
  },
  (p, y) => {
    const inside = tf.logicalAnd(tf.greaterEqual(p, EPS), tf.lessEqual(p, 1));
    return tf.mul(tf.neg(tf.div(tf.clipByValue(y, EPS, 1), tf.clipByValue(p, EPS, 1))), mask(inside));
  },
);

/** p − y·log(p + ε); the derivative 1 − y/(p + ε). */
export const poisson: LossDefinition = elementwise(
  { name: 'poisson', className: 'Poisson', kerasName: 'poisson', defaults: {} },
  (p, y) => tf.sub(p, tf.mul(y, tf.log(tf.add(p, EPS)))),
  (p, y) => tf.sub(1, tf.div(y, tf.add(p, EPS))),
);
