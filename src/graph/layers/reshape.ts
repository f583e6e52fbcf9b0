import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, ShapeError } from '../../errors.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { formatShape, type Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkIntegers } from './shape-args.js';

export interface ReshapeConfig {
  /** The shape of one example after the layer (no batch axis); one entry may be -1, inferred from the size. */
  targetShape: number[];
  name?: string;
}

/** Gives each example a new shape of the same size: (None, 12) with targetShape [3, -1] becomes (None, 3, 4). */
export class Reshape extends Layer {
  static override readonly className = 'Reshape';

  /** tfjs-layers writes an inferred dimension as null, Keras as -1. */
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    const target = r.get('target_shape');
    return { name: r.name, targetShape: Array.isArray(target) ? target.map((d) => (d === null ? -1 : d)) : target };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { target_shape: c.targetShape, name: c.name, trainable: true };
  }
  readonly targetShape: readonly number[];

  constructor(config: ReshapeConfig) {
    super(checkLayerConfig<ReshapeConfig>('Reshape', config, ['targetShape', 'name']).name, 'reshape');
    const expected = 'a non-empty array of positive integers, one of which may be -1 (inferred from the size)';
    this.targetShape = checkIntegers('targetShape', config.targetShape, expected, (d) => d >= 1 || d === -1);
    if (this.targetShape.filter((d) => d === -1).length > 1) {
      throw invalidArgument('targetShape', `${expected}: there must be at most one unknown dimension (-1)`, config.targetShape);
    }
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    this.computeOutputShape([shape]); // checks the size
    return [];
  }

  /** Keras's compute_reshape_output_shape: the -1 resolved from the example size, which must be unchanged. */
  computeOutputShape([shape]: readonly Shape[]): Shape {
    const dims = shape.slice(1);
    if (dims.some((d) => d == null)) return [shape[0], ...this.targetShape.map((d) => (d === -1 ? null : d))];
    const size = (dims as number[]).reduce((a, b) => a * b, 1);
    const known = this.targetShape.reduce((a, d) => (d === -1 ? a : a * d), 1);
    const inferred = this.targetShape.includes(-1);
    if (inferred ? size % known !== 0 : size !== known) {
      throw new ShapeError(
        `Layer '${this.name}' (Reshape): the total size of the tensor must be unchanged${inferred ? ', but the input size cannot be divided by the specified dimensions' : ''}. Received: input_shape=${formatShape(dims)}, target_shape=${formatShape(this.targetShape)}`,
      );
    }
    return [shape[0], ...this.targetShape.map((d) => (d === -1 ? size / known : d))];
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    return { output: tf.reshape(x, [x.shape[0], ...this.targetShape]) };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    return { inputs: [needInput ? tf.reshape(dy, saved.inputs[0].shape) : null], weights: [] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, targetShape: [...this.targetShape] };
  }
}
