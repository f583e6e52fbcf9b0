import * as tf from '@tensorflow/tfjs-core';

/** The per-example losses and the gradient of their sum with respect to the model's output. */
export interface LossResult {
  /** Shape [batch]. */
  readonly perExample: tf.Tensor1D;
  /** dL/d output, or dL/d logits when `gradIsLogits` (the fused softmax/sigmoid form). */
  readonly grad: tf.Tensor;
  readonly gradIsLogits: boolean;
}

/** What the loss sees of the model's head: its output, and its logits when it has them. */
export interface Head {
  readonly output: tf.Tensor;
  readonly logits: tf.Tensor | null;
  readonly activation: string;
}

/** A loss's or metric's options, resolved: every field set, JSON-safe. */
export type OptionValues = Readonly<Record<string, number | boolean>>;

/**
 * One loss function: its forward per example, and the forward with the gradient of the batch
 * sum. Both are sums over examples, so the shards of a batch add up to the batch.
 */
export interface LossDefinition {
  /** weft's (tfjs's camelCase) name. */
  readonly name: string;
  /** Keras's class, for messages ("Unrecognized keyword arguments passed to Huber"). */
  readonly className: string;
  /** Keras's snake_case function name: a configured metric's default key. */
  readonly kerasName: string;
  /** Every option with its Keras default; the keys are the options it takes. */
  readonly defaults: OptionValues;
  /** True when targets are class indices ([batch] or [batch, 1]) rather than rows like the output. */
  readonly sparseTargets: boolean;
  /** Per-example loss from the output alone (what a metric reports): forward only. */
  value(yPred: tf.Tensor, yTrue: tf.Tensor, config: OptionValues): tf.Tensor1D;
  compute(head: Head, yTrue: tf.Tensor, config: OptionValues): LossResult;
}

/** Keras's backend.epsilon(). */
export const EPS = 1e-7;

export const lastDim = (t: tf.Tensor): number => t.shape[t.rank - 1] as number;

/**
 * A loss that is the mean over the last axis of an elementwise term: `term(p, y)` and its
 * derivative `dterm(p, y)` with respect to p. The gradient of the row mean is dterm / d.
 */
export function elementwise(
  spec: Omit<LossDefinition, 'value' | 'compute' | 'sparseTargets'>,
  term: (p: tf.Tensor, y: tf.Tensor, config: OptionValues) => tf.Tensor,
  dterm: (p: tf.Tensor, y: tf.Tensor, config: OptionValues) => tf.Tensor,
): LossDefinition {
  return {
    ...spec,
    sparseTargets: false,
    value: (p, y, config) => tf.mean(term(p, y, config), -1) as tf.Tensor1D,
    compute: (head, y, config) => {
      const p = head.output;
      return {
        perExample: tf.mean(term(p, y, config), -1) as tf.Tensor1D,
        grad: tf.div(dterm(p, y, config), lastDim(p)),
        gradIsLogits: false,
      };
    },
  };
}

/** A loss whose gradient is with respect to the output: compute = value plus `grad`. */
export function rowwise(
  spec: Omit<LossDefinition, 'value' | 'compute' | 'sparseTargets'>,
  value: (p: tf.Tensor, y: tf.Tensor, config: OptionValues) => tf.Tensor1D,
  grad: (p: tf.Tensor, y: tf.Tensor, config: OptionValues) => tf.Tensor,
): LossDefinition {
  return {
    ...spec,
    sparseTargets: false,
    value,
    compute: (head, y, config) => ({ perExample: value(head.output, y, config), grad: grad(head.output, y, config), gradIsLogits: false }),
  };
}

/** 1 where `cond`, else 0, as float32: the mask of an op whose gradient passes only there. */
export const mask = (cond: tf.Tensor): tf.Tensor => tf.cast(cond, 'float32');
