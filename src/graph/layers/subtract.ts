import * as tf from '@tensorflow/tfjs-core';
import { ElementwiseMerge } from './merge.js';

/** inputs[0] - inputs[1] (Keras's Subtract: exactly two inputs). tfjs-layers 4.22 has no Subtract. */
export class Subtract extends ElementwiseMerge {
  static override readonly className = 'Subtract';
  protected override readonly exactlyTwo = true;

  protected merge([a, b]: readonly tf.Tensor[]): tf.Tensor {
    return tf.sub(a, b);
  }

  protected inputGrads(dy: tf.Tensor, _xs: readonly tf.Tensor[], _out: tf.Tensor, [, needB]: readonly boolean[]): (tf.Tensor | null)[] {
    return [dy, needB ? tf.neg(dy) : null];
  }
}
