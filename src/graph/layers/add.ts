import type * as tf from '@tensorflow/tfjs-core';
import { ElementwiseMerge, sumOf } from './merge.js';

/** The elementwise sum of its inputs (Keras's Add): the residual connection. */
export class Add extends ElementwiseMerge {
  static override readonly className = 'Add';

  protected merge(xs: readonly tf.Tensor[]): tf.Tensor {
    return sumOf(xs);
  }

  /** Every input gets dy itself: no kernel runs unless an input was broadcast. */
  protected inputGrads(dy: tf.Tensor, xs: readonly tf.Tensor[]): tf.Tensor[] {
    return xs.map(() => dy);
  }
}
