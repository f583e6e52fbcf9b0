import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType, ShapeError } from '../errors.js';

/**
 * Checks a setWeights() argument against the expected weights and reads every value out before
 * anything is written, so a bad call (wrong count, a non-tensor, a disposed tensor, a wrong
 * shape) throws and leaves the weights as they were.
 */
export function readWeightValues(
  argument: string,
  weights: unknown,
  expected: readonly { readonly name: string; readonly shape: readonly number[] }[],
): Float32Array[] {
  if (!Array.isArray(weights)) throw invalidType(argument, `an array of ${expected.length} tensors`, weights);
  if (weights.length !== expected.length) {
    throw invalidArgument(argument, `an array of ${expected.length} tensors`, `${weights.length} tensors`);
  }
  return weights.map((w: unknown, i) => {
    const { name, shape } = expected[i];
    if (!(w instanceof tf.Tensor)) throw invalidType(`${argument}[${i}] ('${name}')`, 'a tf.Tensor', w);
    if (w.isDisposed) throw invalidArgument(`${argument}[${i}] ('${name}')`, 'a live tensor', 'a disposed tensor');
    if (w.shape.length !== shape.length || w.shape.some((d: number, j: number) => d !== shape[j])) {
      throw new ShapeError(`${argument}[${i}] ('${name}'): expected shape [${shape}], received shape [${w.shape}]`);
    }
    return Float32Array.from(w.dataSync());
  });
}
