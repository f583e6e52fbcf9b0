import * as tf from '@tensorflow/tfjs-core';
import { ElementwiseMerge } from './merge.js';

/** Maximum and Minimum: a chain of one binary op over the inputs. */
abstract class Extremum extends ElementwiseMerge {
  protected abstract pick(a: tf.Tensor, b: tf.Tensor): tf.Tensor;

  protected merge(xs: readonly tf.Tensor[]): tf.Tensor {
    return xs.reduce((a, b) => this.pick(a, b));
  }

  /**
   * Each output value's gradient goes to the first input that holds it. That is what TF's and
   * tfjs's autodiff of the chain max(max(x0, x1), x2) do (a tie goes to the left operand:
   * greaterEqual / lessEqual), so ties are never split. `rest` is the gradient no earlier input
   * took; the last input takes whatever is left.
   */
  protected inputGrads(dy: tf.Tensor, xs: readonly tf.Tensor[], output: tf.Tensor, need: readonly boolean[]): (tf.Tensor | null)[] {
    const lastNeeded = need.lastIndexOf(true);
    let rest = dy;
    return xs.map((x, i) => {
      if (i > lastNeeded) return null;
      if (i === xs.length - 1) return rest;
      const g = tf.mul(rest, tf.cast(tf.equal(x, output), 'float32'));
      if (i < lastNeeded) rest = tf.sub(rest, g);
      return need[i] ? g : null;
    });
  }
}

/** The elementwise maximum of its inputs. */
export class Maximum extends Extremum {
  static override readonly className = 'Maximum';

  protected pick(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.maximum(a, b);
  }
}

/** The elementwise minimum of its inputs. */
export class Minimum extends Extremum {
  static override readonly className = 'Minimum';

  protected pick(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return tf.minimum(a, b);
  }
}
