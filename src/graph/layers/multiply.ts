import * as tf from '@tensorflow/tfjs-core';
import { ElementwiseMerge } from './merge.js';

/** The elementwise product of its inputs (Keras's Multiply): gates, attention weights. */
export class Multiply extends ElementwiseMerge {
  static override readonly className = 'Multiply';

  protected merge(xs: readonly tf.Tensor[]): tf.Tensor {
    return xs.reduce((a, b) => tf.mul(a, b));
  }

  /**
   * dL/dx_i = dy · Π_{j≠i} x_j, from prefix and suffix products rather than dy·y/x_i, which a
   * zero in x_i would break. Two inputs take two multiplications: dy·x1 and dy·x0.
   */
  protected inputGrads(dy: tf.Tensor, xs: readonly tf.Tensor[], _out: tf.Tensor, need: readonly boolean[]): (tf.Tensor | null)[] {
    const n = xs.length;
    const after: (tf.Tensor | null)[] = new Array(n).fill(null); // Π_{j>i} x_j
    for (let i = n - 2; i >= 0; i--) after[i] = after[i + 1] === null ? xs[i + 1] : tf.mul(xs[i + 1], after[i + 1] as tf.Tensor);
    let before: tf.Tensor | null = null; // Π_{j<i} x_j
    return xs.map((x, i) => {
      const rest = after[i];
      const others = before === null ? rest : rest === null ? before : tf.mul(before, rest);
      if (i < n - 1) before = before === null ? x : tf.mul(before, x);
      if (!need[i]) return null;
      return others === null ? dy : tf.mul(dy, others);
    });
  }
}
