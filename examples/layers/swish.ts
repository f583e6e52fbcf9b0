// A user's layer without backward: y = x · sigmoid(β ⊙ x), Swish with a trainable β per feature
// (Ramachandran et al. 2017). weft differentiates its forward with tfjs-core's autodiff, the slow
// path (the forward runs twice, and autodiff's matMuls are wasm's slow transposed ones): fine for
// cheap elementwise layers like this, worth a hand-written backward for anything heavy.
import * as weft from '../../src/index.js';
import type { ParamSpec } from '../../src/graph/layer.js';
import type { Shape } from '../../src/graph/shape.js';

const { tf } = weft;

export default class Swish extends weft.Layer {
  static override readonly className = 'Swish';
  /** No backward: weft.registerLayer gives the class one by autodiff. (`declare` emits nothing.) */
  declare backward: weft.Layer['backward'];

  constructor(config: { name?: string } = {}) {
    super(config.name, 'swish');
  }

  protected build(inputShapes: readonly Shape[]): ParamSpec[] {
    return [{ name: 'beta', shape: [inputShapes[0][inputShapes[0].length - 1] as number], initializer: 'ones' }];
  }

  computeOutputShape(inputShapes: readonly Shape[]): Shape {
    return inputShapes[0];
  }

  forward([x]: readonly weft.tf.Tensor[], [beta]: readonly weft.tf.Tensor[]): { output: weft.tf.Tensor } {
    return { output: tf.mul(x, tf.sigmoid(tf.mul(x, beta))) };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}
