import * as tf from '@tensorflow/tfjs-core';
import { invalidType, ShapeError } from '../../errors.js';
import { constraintToKeras, readConstraint, resolveConstraint, type ConstraintIdentifier } from '../constraints.js';
import { readRegularizer, regularizerToKeras, resolveRegularizer, type RegularizerIdentifier } from '../regularizers.js';
import { resolveInitializer, type InitializerConfig, type InitializerSpec } from '../initializers.js';
import { checkLayerConfig, Layer, setFields, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { formatShape, sizeOf, type Shape } from '../shape.js';
import { initializerToKeras, type Json, type KerasConfigReader } from '../keras-config.js';

export interface PReLUConfig {
  /** How alpha starts (default 'zeros', as Keras and tfjs-layers). */
  alphaInitializer?: InitializerSpec;
  /** Axes (1-based, the batch axis is 0) along which one alpha is shared, e.g. [1, 2] for images. */
  sharedAxes?: number | number[] | null;
  alphaRegularizer?: RegularizerIdentifier | null;
  alphaConstraint?: ConstraintIdentifier | null;
  name?: string;
}

const PRELU_KEYS = ['alphaInitializer', 'sharedAxes', 'alphaRegularizer', 'alphaConstraint', 'name'];

function checkConfig(config: unknown): PReLUConfig {
  return checkLayerConfig<PReLUConfig>('PReLU', config, PRELU_KEYS);
}

/**
 * Parametric ReLU (He et al. 2015): x where x > 0, alpha·x elsewhere, with alpha a weight of the
 * input's per-example shape (1 along `sharedAxes`).
 */
export class PReLU extends Layer {
  static override readonly className = 'PReLU';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return {
      name: r.name, alphaInitializer: r.initializer('alpha_initializer', 'zeros'), sharedAxes: r.value('shared_axes', null),
      alphaRegularizer: readRegularizer(r, 'alpha_regularizer'), alphaConstraint: readConstraint(r, 'alpha_constraint'),
    };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    const shared = c.sharedAxes ?? null;
    return {
      alpha_initializer: initializerToKeras(c.alphaInitializer ?? 'zeros'), alpha_regularizer: regularizerToKeras(c.alphaRegularizer), alpha_constraint: constraintToKeras(c.alphaConstraint),
      shared_axes: typeof shared === 'number' ? [shared] : shared, name: c.name, trainable: true,
    };
  }

  readonly sharedAxes: number[] | null;
  private readonly init: InitializerConfig;
  private readonly regularizer: ReturnType<typeof resolveRegularizer>;
  private readonly constraint: ReturnType<typeof resolveConstraint>;
  /** Set by build: whether alpha spans the input's trailing axes, as wasm's Prelu kernel needs. */
  private trailingAlpha = false;

  constructor(config: PReLUConfig = {}) {
    super(checkConfig(config).name, 'p_re_lu');
    const shared = config.sharedAxes ?? null;
    const list = shared === null ? null : Array.isArray(shared) ? shared : [shared];
    if (list !== null && !list.every((a) => Number.isInteger(a) && a >= 1)) {
      throw invalidType('sharedAxes', 'null, an integer >= 1 or an array of them (axis 0 is the batch axis)', shared);
    }
    this.sharedAxes = list === null ? null : [...list];
    this.init = resolveInitializer('alphaInitializer', config.alphaInitializer ?? 'zeros');
    this.regularizer = resolveRegularizer('alphaRegularizer', config.alphaRegularizer);
    this.constraint = resolveConstraint('alphaConstraint', config.alphaConstraint);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    const bad = this.sharedAxes?.find((a) => a >= shape.length);
    if (bad !== undefined) {
      throw new ShapeError(`Layer '${this.name}' (PReLU): shared axis ${bad} is out of range for input shape ${formatShape(shape)}`);
    }
    const alphaShape = shape.slice(1).map((d, i) => (this.sharedAxes?.includes(i + 1) ? 1 : d));
    if (shape.length < 2 || alphaShape.some((d) => d == null)) {
      throw new ShapeError(`Input 0 of layer '${this.name}' (PReLU) needs every non-shared axis known (alpha has one value per position), received shape ${formatShape(shape)}`);
    }
    const dims = alphaShape as number[];
    const first = dims.findIndex((d) => d !== 1);
    this.trailingAlpha = first === -1 || dims.slice(first).every((d, i) => d === shape[first + 1 + i]);
    return [{ name: 'alpha', shape: dims, initializer: this.init, regularizer: this.regularizer, constraint: this.constraint }];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape;
  }

  /**
   * wasm's Prelu kernel reads alpha as one value per channel of the flattened trailing axes, so
   * it serves when alpha spans them (no sharing, or sharing leading axes); otherwise
   * relu(x) + alpha·min(x, 0) broadcasts alpha.
   */
  forward([x]: readonly tf.Tensor[], [alpha]: readonly tf.Tensor[], _ctx: CallContext): { output: tf.Tensor } {
    if (this.trailingAlpha) return { output: tf.prelu(x, tf.reshape(alpha, [alpha.size])) };
    return { output: tf.add(tf.relu(x), tf.mul(alpha, tf.minimum(x, 0))) };
  }

  /**
   * dx = dy where x > 0, alpha·dy elsewhere; dalpha = Σ dy·min(x, 0) over the batch and the shared
   * axes, the batch sum as a ones-row matMul (wasm's Sum over axis 0 is slow, see Dense).
   */
  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const [x] = saved.inputs;
    const [alpha] = saved.weights;
    let g = tf.mul(dy, tf.minimum(x, 0));
    if (this.sharedAxes !== null) g = tf.sum(g, this.sharedAxes, true);
    const rows = x.shape[0];
    const dAlpha = tf.reshape(tf.matMul(tf.ones([1, rows]), tf.reshape(g, [rows, sizeOf(alpha.shape)])), alpha.shape);
    const input = needInput ? tf.where(tf.greater(x, 0), dy, tf.mul(dy, alpha)) : null;
    return { inputs: [input], weights: [dAlpha] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, alphaInitializer: this.init, sharedAxes: this.sharedAxes, ...setFields({ alphaRegularizer: this.regularizer, alphaConstraint: this.constraint }) };
  }
}
