/**
 * tfjs-core's autodiff, for what a user brings without a derivative: a custom layer that writes
 * no `backward`, and custom losses. weft's own layers never come here.
 *
 * It is the slow path on wasm: tfjs's gradient of a matMul uses the transposed forms, which run
 * ~10x slower than plain products there (DESIGN.md), and the layer's forward runs twice (once in
 * the forward pass, once under the tape here). Write `backward` for a layer on the hot path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { StateError } from '../errors.js';
import { tfjsGradientsRegistered } from './custom/tfjs-gradients.js';

function checkRegistered(what: string): void {
  if (!tfjsGradientsRegistered()) {
    throw new StateError(`${what} is differentiated by tfjs-core's autodiff, whose gradients are not registered in this thread: register it with weft.registerLayer / weft.registerLoss (they register the gradients)`);
  }
}

/**
 * The vector-Jacobian product of `f` at `xs` with `dy`: d(Σ dy·f(xs))/d xs, one per x (zeros
 * where f does not depend on an x). `f` may close over tensors that need no gradient.
 */
export function vjp(what: string, f: (...xs: tf.Tensor[]) => tf.Tensor, xs: readonly tf.Tensor[], dy: tf.Tensor): tf.Tensor[] {
  checkRegistered(what);
  if (xs.length === 0) return [];
  const { value, grads } = tf.engine().gradients(() => f(...xs), [...xs], dy, true);
  value.dispose();
  return grads.map((g, i) => g ?? tf.zerosLike(xs[i]));
}

/** The gradient of the scalar `f` at `x`. */
export function gradOf(what: string, f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor): tf.Tensor {
  checkRegistered(what);
  const { value, grads } = tf.engine().gradients(() => f(x), [x], undefined, true);
  value.dispose();
  return grads[0] ?? tf.zerosLike(x);
}
