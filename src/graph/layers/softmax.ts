import { invalidType, ShapeError } from '../../errors.js';
import { softmaxFn, type ActivationFn } from '../activations.js';
import { checkLayerConfig, type ParamSpec } from '../layer.js';
import { formatShape, type Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { ElementwiseLayer } from './elementwise.js';

export interface SoftmaxConfig {
  /** The axis, or axes, normalised over (default -1, as Keras; tfjs-layers' default is 1). */
  axis?: number | number[];
  name?: string;
}

/**
 * exp(x − max x) / Σ exp(x − max x) over `axis`. The batch axis is refused: a softmax across
 * examples would depend on how the batch is split across workers.
 */
export class Softmax extends ElementwiseLayer {
  static override readonly className = 'Softmax';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, axis: r.value('axis', -1) };
  }

  /** The axis is always written: tfjs-layers' default (1) is not Keras's (-1). */
  static override toKeras(c: Record<string, unknown>): Json {
    return { axis: c.axis ?? -1, name: c.name, trainable: true };
  }

  readonly axis: number | number[];
  private readonly axes: readonly number[];
  protected readonly fn: ActivationFn;
  /** Whether the axes are just the last axis, known once built: then the loss may fuse with it. */
  private lastAxisOnly = false;

  constructor(config: SoftmaxConfig = {}) {
    super(checkLayerConfig<SoftmaxConfig>('Softmax', config, ['axis', 'name']).name, 'softmax');
    const axis = config.axis ?? -1;
    const axes = Array.isArray(axis) ? axis : [axis];
    if (axes.length === 0 || !axes.every((a) => Number.isInteger(a))) throw invalidType('axis', 'an integer or a non-empty array of integers', axis);
    this.axis = Array.isArray(axis) ? [...axis] : axis;
    this.axes = axes;
    this.fn = softmaxFn(axes);
  }

  protected override build([shape]: readonly Shape[]): ParamSpec[] {
    const rank = shape.length;
    const resolved = this.axes.map((a) => (a < 0 ? rank + a : a));
    const bad = this.axes.find((a, i) => resolved[i] < 0 || resolved[i] >= rank);
    if (bad !== undefined) {
      throw new ShapeError(`Layer '${this.name}' (Softmax): axis ${bad} is out of range for input shape ${formatShape(shape)}`);
    }
    if (resolved.includes(0)) {
      throw new ShapeError(`Layer '${this.name}' (Softmax): axis ${JSON.stringify(this.axis)} includes the batch axis of input shape ${formatShape(shape)}; weft normalises within each example (a softmax across the batch would depend on how it is split across workers)`);
    }
    if (new Set(resolved).size !== resolved.length) {
      throw new ShapeError(`Layer '${this.name}' (Softmax): axis ${JSON.stringify(this.axis)} names an axis twice for input shape ${formatShape(shape)}`);
    }
    this.lastAxisOnly = resolved.length === 1 && resolved[0] === rank - 1;
    return [];
  }

  override get activation(): { readonly name: string } {
    return { name: this.lastAxisOnly ? 'softmax' : 'Softmax' };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, axis: this.axis };
  }
}
