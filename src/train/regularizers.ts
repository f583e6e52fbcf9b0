/**
 * The math of weight regularizers (Keras 3, keras/src/regularizers/regularizers.py): the
 * penalty l1·Σ|w| + l2·Σw² joins the loss once per step, and its gradient l1·sign(w) + 2·l2·w
 * joins the mean gradient once per step — in the update, where the mean gradient is formed, so
 * neither depends on how many workers computed the data gradient. Both are elementwise: an
 * update over a range of the flat parameters adds exactly that range's share.
 */
import type { WeightPenalty } from '../graph/regularizers.js';

export type { WeightPenalty } from '../graph/regularizers.js';
export { weightPenalties } from '../graph/regularizers.js';

/** Σ over the regularized weights of l1·Σ|w| + l2·Σw², summed in float64 (the value Keras adds to the loss). */
export function penaltyValue(penalties: readonly WeightPenalty[], params: Float32Array): number {
  let total = 0;
  for (const { offset, size, l1, l2 } of penalties) {
    let abs = 0;
    let sq = 0;
    for (let i = offset, end = offset + size; i < end; i++) {
      const w = params[i];
      abs += Math.abs(w);
      sq += w * w;
    }
    total += l1 * abs + l2 * sq;
  }
  return total;
}

/**
 * Adds the penalty's gradient to `gradSum` over [start, end), in place. `gradSum` holds sums
 * over the batch that the update scales by `gradScale` (1/batchSize), so the penalty's gradient
 * goes in divided by it: the update's g·scale is then mean data gradient + penalty gradient.
 * sign(0) = 0, as TensorFlow's (tfjs's abs gradient takes −1 at 0: they differ only there).
 */
export function addPenaltyGradient(
  penalties: readonly WeightPenalty[],
  params: Float32Array,
  gradSum: Float32Array,
  gradScale: number,
  start = 0,
  end = params.length,
): void {
  const perExample = 1 / gradScale;
  for (const { offset, size, l1, l2 } of penalties) {
    const lo = Math.max(start, offset);
    const hi = Math.min(end, offset + size);
    const a = l1 * perExample;
    const b = 2 * l2 * perExample;
    for (let i = lo; i < hi; i++) {
      const w = params[i];
      gradSum[i] += a * Math.sign(w) + b * w;
    }
  }
}
