import type * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType } from '../../errors.js';
import type { ActivationFn } from '../activations.js';
import { Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';

/**
 * What the activation layers without weights share (Activation, ReLU, LeakyReLU, ELU,
 * ThresholdedReLU, Softmax): the output has the input's shape, and forward and backward are the
 * layer's function from src/graph/activations.ts, the code Dense's activations run.
 *
 * Each is also a logits layer (src/graph/executor.ts): Keras keeps a softmax's or sigmoid's
 * input as the logits of its output (`_keras_logits`), so a crossentropy after
 * Activation('softmax') takes the same exact, stable gradient as after Dense(activation:
 * 'softmax'). The loss fuses only when `activation.name` is 'softmax' or 'sigmoid'.
 */
export abstract class ElementwiseLayer extends Layer {
  /** The function this layer applies, built from its config in the constructor. */
  protected abstract readonly fn: ActivationFn;

  protected build(_shapes: readonly Shape[]): ParamSpec[] {
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape;
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    return { output: this.fn.forward(x) };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    return { inputs: [needInput ? this.fn.backward(dy, saved.inputs[0], saved.output) : null], weights: [] };
  }

  /** What the loss reads to decide whether it may fuse its gradient with this layer's function. */
  get activation(): { readonly name: string } {
    return { name: this.className };
  }

  logits(saved: Saved): tf.Tensor {
    return saved.inputs[0];
  }

  backwardFromLogits(dz: tf.Tensor, _saved: Saved, [needInput]: readonly boolean[]): Gradients {
    return { inputs: [needInput ? dz : null], weights: [] };
  }
}

/** A finite number >= 0 (Keras: "negative_slope of a ReLU layer cannot be None or a negative value"). */
export function checkNonNegative(argument: string, value: unknown): number {
  if (typeof value !== 'number') throw invalidType(argument, 'a number >= 0', value);
  if (!(value >= 0 && Number.isFinite(value))) throw invalidArgument(argument, 'a number >= 0', value);
  return value;
}
