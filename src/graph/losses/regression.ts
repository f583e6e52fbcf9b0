/**
 * Regression losses, Keras 3's formulas (keras/src/losses/losses.py), each with its derivative
 * written out beside it. Where Keras clips or takes a maximum, the gradient passes only where
 * the clip does not bind, as the autodiff of those ops does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EPS, elementwise, mask, rowwise, type LossDefinition } from './types.js';

export const meanSquaredError: LossDefinition = elementwise(
  { name: 'meanSquaredError', className: 'MeanSquaredError', kerasName: 'mean_squared_error', defaults: {} },
  (p, y) => tf.square(tf.sub(p, y)),
  (p, y) => tf.mul(tf.sub(p, y), 2),
);

/** |p − y|; the derivative sign(p − y) is 0 at the kink, as tfjs's abs gradient. */
export const meanAbsoluteError: LossDefinition = elementwise(
  { name: 'meanAbsoluteError', className: 'MeanAbsoluteError', kerasName: 'mean_absolute_error', defaults: {} },
  (p, y) => tf.abs(tf.sub(p, y)),
  (p, y) => tf.sign(tf.sub(p, y)),
);

/** 100·|y − p| / max(|y|, ε). */
export const meanAbsolutePercentageError: LossDefinition = elementwise(
  { name: 'meanAbsolutePercentageError', className: 'MeanAbsolutePercentageError', kerasName: 'mean_absolute_percentage_error', defaults: {} },
  (p, y) => tf.mul(tf.div(tf.abs(tf.sub(p, y)), tf.maximum(tf.abs(y), EPS)), 100),
  (p, y) => tf.mul(tf.div(tf.sign(tf.sub(p, y)), tf.maximum(tf.abs(y), EPS)), 100),
);

/** (log(max(p, ε) + 1) − log(max(y, ε) + 1))². */
export const meanSquaredLogarithmicError: LossDefinition = elementwise(
  { name: 'meanSquaredLogarithmicError', className: 'MeanSquaredLogarithmicError', kerasName: 'mean_squared_logarithmic_error', defaults: {} },
  (p, y) => tf.square(tf.sub(tf.log1p(tf.maximum(p, EPS)), tf.log1p(tf.maximum(y, EPS)))),
  (p, y) => {
    const a = tf.maximum(p, EPS);
    const diff = tf.sub(tf.log1p(a), tf.log1p(tf.maximum(y, EPS)));
    return tf.mul(tf.div(tf.mul(diff, 2), tf.add(a, 1)), mask(tf.greater(p, EPS)));
  },
);

/** ½e² where |e| ≤ δ, else δ|e| − ½δ² (e = p − y); the derivative e, or δ·sign(e). */
export const huber: LossDefinition = elementwise(
  { name: 'huber', className: 'Huber', kerasName: 'huber', defaults: { delta: 1 } },
  (p, y, c) => {
    const delta = c.delta as number;
    const e = tf.sub(p, y);
    const abs = tf.abs(e);
    return tf.where(tf.lessEqual(abs, delta), tf.mul(tf.square(e), 0.5), tf.sub(tf.mul(abs, delta), 0.5 * delta * delta));
  },
  (p, y, c) => {
    const delta = c.delta as number;
    const e = tf.sub(p, y);
    return tf.where(tf.lessEqual(tf.abs(e), delta), e, tf.mul(tf.sign(e), delta));
  },
);

/**
 * log cosh(x), x = p − y. Keras writes x + softplus(−2x) − log 2, finite for large |x| but, in
 * float32, all cancellation for small |x| (at x = 0.05 it keeps 3 digits). Below |x| = 1 weft
 * uses the same function as log1p(2·sinh²(x/2)), exact to float32 there. The derivative is tanh(x).
 */
export const logCosh: LossDefinition = elementwise(
  { name: 'logCosh', className: 'LogCosh', kerasName: 'log_cosh', defaults: {} },
  (p, y) => {
    const x = tf.sub(p, y);
    const a = tf.abs(x);
    const large = tf.sub(tf.add(a, tf.softplus(tf.mul(a, -2))), Math.LN2);
    const small = tf.log1p(tf.mul(tf.square(tf.sinh(tf.mul(tf.minimum(a, 1), 0.5))), 2));
    return tf.where(tf.less(a, 1), small, large);
  },
  (p, y) => tf.tanh(tf.sub(p, y)),
);

/**
 * −Σ ŷ·p̂ over the last axis, where x̂ = x·rsqrt(max(Σx², ε²)) (Keras's l2 normalize).
 * With r = rsqrt(Σp²) and c = ŷ·p̂: dL/dp = −r(ŷ − c·p̂); where Σp² ≤ ε², r is the constant
 * 1/ε and dL/dp = −ŷ/ε.
 */
function normalize(x: tf.Tensor): { unit: tf.Tensor; inv: tf.Tensor; clamped: tf.Tensor } {
  const squares = tf.sum(tf.square(x), -1, true);
  const inv = tf.rsqrt(tf.maximum(squares, EPS * EPS));
  return { unit: tf.mul(x, inv), inv, clamped: tf.lessEqual(squares, EPS * EPS) };
}

export const cosineSimilarity: LossDefinition = rowwise(
  { name: 'cosineSimilarity', className: 'CosineSimilarity', kerasName: 'cosine_similarity', defaults: {} },
  (p, y) => tf.neg(tf.sum(tf.mul(normalize(y).unit, normalize(p).unit), -1)) as tf.Tensor1D,
  (p, y) => {
    const yHat = normalize(y).unit;
    const { unit: pHat, inv, clamped } = normalize(p);
    const c = tf.sum(tf.mul(yHat, pHat), -1, true);
    const free = tf.neg(tf.mul(inv, tf.sub(yHat, tf.mul(c, pHat))));
    return tf.where(tf.broadcastTo(clamped, p.shape), tf.neg(tf.mul(yHat, inv)), free);
  },
);
