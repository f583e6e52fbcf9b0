import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType, ShapeError } from '../../errors.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { formatShape, type Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';

/** Joins its inputs along `axis` (default -1); every other axis must match. */
export class Concatenate extends Layer {
  static override readonly className = 'Concatenate';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, axis: r.value('axis', -1) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { axis: c.axis ?? -1, name: c.name, trainable: true };
  }
  readonly axis: number;
  protected override readonly minInputs = 2;
  protected override readonly maxInputs = Infinity;

  constructor(config: { axis?: number; name?: string } = {}) {
    super(checkLayerConfig<{ name?: string }>('Concatenate', config, ['axis', 'name']).name, 'concatenate');
    if (config.axis !== undefined && typeof config.axis !== 'number') throw invalidType('axis', 'an integer', config.axis);
    if (config.axis !== undefined && !Number.isInteger(config.axis)) throw invalidArgument('axis', 'an integer', config.axis);
    this.axis = config.axis ?? -1;
  }

  private resolveAxis(rank: number): number {
    const axis = this.axis < 0 ? rank + this.axis : this.axis;
    if (axis < 1 || axis >= rank) {
      throw new ShapeError(`Layer '${this.name}' (Concatenate): axis ${this.axis} is out of range for inputs of rank ${rank} (the batch axis 0 cannot be joined)`);
    }
    return axis;
  }

  protected build(shapes: readonly Shape[]): ParamSpec[] {
    const rank = shapes[0].length;
    const axis = this.resolveAxis(rank);
    for (const s of shapes) {
      const ok = s.length === rank && s.every((d, i) => i === axis || i === 0 || d === shapes[0][i]);
      if (!ok) {
        throw new ShapeError(`A \`Concatenate\` layer '${this.name}' requires inputs with matching shapes except for the concatenation axis ${this.axis}. Received: input_shape=[${shapes.map(formatShape).join(', ')}]`);
      }
    }
    return [];
  }

  computeOutputShape(shapes: readonly Shape[]): Shape {
    const axis = this.resolveAxis(shapes[0].length);
    const out = [...shapes[0]];
    out[axis] = shapes.reduce((n, s) => (n === null || s[axis] == null ? null : n + (s[axis] as number)), 0 as number | null);
    return out;
  }

  forward(inputs: readonly tf.Tensor[]): { output: tf.Tensor } {
    return { output: tf.concat(inputs as tf.Tensor[], this.resolveAxis(inputs[0].rank)) };
  }

  backward(dy: tf.Tensor, saved: Saved, needInputGrads: readonly boolean[]): Gradients {
    const axis = this.resolveAxis(dy.rank);
    const parts = tf.split(dy, saved.inputs.map((t) => t.shape[axis]), axis);
    return { inputs: parts.map((p, i) => (needInputGrads[i] ? p : null)), weights: [] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, axis: this.axis };
  }
}
