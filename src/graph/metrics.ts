import * as tf from '@tensorflow/tfjs-core';
import { invalidType, unknownName } from '../errors.js';
import type { Loss } from './losses.js';

export type MetricName = 'categoricalAccuracy' | 'sparseCategoricalAccuracy' | 'binaryAccuracy' | 'meanSquaredError' | 'meanAbsoluteError';

/** A metric as a sum over the batch's examples; the loop divides by the number of examples. */
export interface Metric {
  readonly name: MetricName;
  /** The key in logs and History: the name the user wrote ('acc', 'accuracy', 'mse'). */
  readonly key: string;
  sum(yPred: tf.Tensor, yTrue: tf.Tensor): tf.Scalar;
}

const argMaxEquals = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.cast(tf.equal(a, b), 'float32'));

const SUMS: Record<MetricName, (p: tf.Tensor, y: tf.Tensor) => tf.Scalar> = {
  categoricalAccuracy: (p, y) => argMaxEquals(tf.argMax(p, -1), tf.argMax(y, -1)),
  sparseCategoricalAccuracy: (p, y) => argMaxEquals(tf.argMax(p, -1), tf.cast(tf.reshape(y, [-1]), 'int32')),
  binaryAccuracy: (p, y) => tf.sum(tf.mean(tf.cast(tf.equal(tf.greater(p, 0.5), tf.greater(y, 0.5)), 'float32'), -1)),
  meanSquaredError: (p, y) => tf.sum(tf.mean(tf.square(tf.sub(p, y)), -1)),
  meanAbsoluteError: (p, y) => tf.sum(tf.mean(tf.abs(tf.sub(p, y)), -1)),
};

const NAMES: Record<string, MetricName> = {
  categoricalAccuracy: 'categoricalAccuracy', categorical_accuracy: 'categoricalAccuracy',
  sparseCategoricalAccuracy: 'sparseCategoricalAccuracy', sparse_categorical_accuracy: 'sparseCategoricalAccuracy',
  binaryAccuracy: 'binaryAccuracy', binary_accuracy: 'binaryAccuracy',
  meanSquaredError: 'meanSquaredError', mean_squared_error: 'meanSquaredError', mse: 'meanSquaredError',
  meanAbsoluteError: 'meanAbsoluteError', mean_absolute_error: 'meanAbsoluteError', mae: 'meanAbsoluteError',
};

/**
 * 'accuracy' / 'acc' mean the accuracy that fits the loss, as Keras resolves them: class
 * indices → sparse categorical, one output unit or binary crossentropy → binary, else categorical.
 */
export function getMetric(name: unknown, loss: Loss, outputUnits: number): Metric {
  if (typeof name !== 'string') throw invalidType('metrics', `an array of metric names (${Object.keys(NAMES).join(', ')})`, name);
  let resolved: MetricName | undefined = NAMES[name];
  if (name === 'accuracy' || name === 'acc') {
    resolved = loss.sparseTargets ? 'sparseCategoricalAccuracy'
      : loss.name === 'binaryCrossentropy' || outputUnits === 1 ? 'binaryAccuracy' : 'categoricalAccuracy';
  }
  if (resolved === undefined) throw unknownName('metric', name, ['accuracy', 'acc', ...Object.keys(NAMES)]);
  return { name: resolved, key: name, sum: SUMS[resolved] };
}
