import * as weft from '../src/index.js';

const { tf } = weft;

/** The seed examples train on random data: features in [0, 1) and one-hot labels of 10 classes. */
export function randomClassification(rows: number, features: number, intMax?: number): { x: weft.tf.Tensor; y: weft.tf.Tensor } {
  const x = intMax === undefined
    ? tf.randomUniform([rows, features], 0, 1, 'float32', 7)
    : tf.randomUniform([rows, features], 0, intMax, 'int32', 7);
  const y = tf.oneHot(tf.randomUniform([rows], 0, 10, 'int32', 8) as weft.tf.Tensor1D, 10);
  return { x, y };
}
