import * as tf from '@tensorflow/tfjs-core';
import { ElementwiseMerge, sumOf } from './merge.js';

/** The elementwise mean of its inputs: their sum divided by their count, as Keras 3 computes it. */
export class Average extends ElementwiseMerge {
  static override readonly className = 'Average';

  protected merge(xs: readonly tf.Tensor[]): tf.Tensor {
    return tf.div(sumOf(xs), xs.length);
  }

  /** Every input gets dy / n: one kernel, shared. */
  protected inputGrads(dy: tf.Tensor, xs: readonly tf.Tensor[]): tf.Tensor[] {
    const g = tf.div(dy, xs.length);
    return xs.map(() => g);
  }
}
