// A user's metric: the mean over the batch of the model's highest class probability (how sure it
// is), one value per example, `(yTrue, yPred) => tf.Tensor` as Keras's custom metrics.
import * as weft from '../../src/index.js';

export function meanMaxProbability(_yTrue: weft.tf.Tensor, yPred: weft.tf.Tensor): weft.tf.Tensor {
  return weft.tf.max(yPred, -1);
}
