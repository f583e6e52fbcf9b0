/**
 * Global pooling over the steps of (batch, steps, features) inputs, channels-last, as Keras 3's
 * GlobalAveragePooling1D / GlobalMaxPooling1D: (batch, features), or (batch, 1, features) with
 * `keepdims`. The two share their config, JSON mapping and shapes here; each writes its math.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkBoolean, checkChannelsLast, expectRank } from './shape-args.js';

export interface GlobalPooling1DConfig {
  /** Only 'channelsLast' (batch, steps, features); 'channelsFirst' is refused. */
  dataFormat?: 'channelsLast';
  /** Keep the steps axis with length 1: (batch, 1, features). Default false. */
  keepdims?: boolean;
  name?: string;
}

abstract class GlobalPooling1D extends Layer {
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    r.mustBe('data_format', ['channels_last'], 'weft pools channels-last (batch, steps, features) inputs');
    return { name: r.name, keepdims: r.value('keepdims', false) };
  }

  /** tfjs-layers 4.22 reads neither field (it pools without keepdims); Keras reads both. */
  static override toKeras(c: Record<string, unknown>): Json {
    return { data_format: 'channels_last', keepdims: c.keepdims ?? false, name: c.name, trainable: true };
  }
  readonly keepdims: boolean;

  protected constructor(className: string, config: GlobalPooling1DConfig, defaultName: string) {
    super(checkLayerConfig<GlobalPooling1DConfig>(className, config, ['dataFormat', 'keepdims', 'name']).name, defaultName);
    checkChannelsLast(className, config.dataFormat);
    this.keepdims = checkBoolean('keepdims', config.keepdims, false);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    expectRank(this, shape, 3);
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return this.keepdims ? [shape[0], 1, shape[2]] : [shape[0], shape[2]];
  }

  /** A pooled (batch, features) or (batch, 1, features) tensor as (batch, 1, features), to broadcast over the steps. */
  protected oneStep(t: tf.Tensor): tf.Tensor3D {
    return tf.reshape(t, [t.shape[0], 1, t.shape[t.rank - 1]]);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, keepdims: this.keepdims };
  }
}

/** The mean over the steps. */
export class GlobalAveragePooling1D extends GlobalPooling1D {
  static override readonly className = 'GlobalAveragePooling1D';

  constructor(config: GlobalPooling1DConfig = {}) {
    super('GlobalAveragePooling1D', config, 'global_average_pooling1d');
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    return { output: tf.mean(x, 1, this.keepdims) };
  }

  /** Each step gets dy/steps, as a broadcast product (wasm's Tile kernel is ~150x slower). */
  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    if (!needInput) return { inputs: [null], weights: [] };
    const steps = saved.inputs[0].shape[1] as number;
    return { inputs: [tf.mul(this.oneStep(dy), tf.fill([1, steps, 1], 1 / steps))], weights: [] };
  }
}

/**
 * The max over the steps. The gradient goes to the step that holds the max; where several
 * steps tie, each gets the whole gradient, as tfjs's autodiff of tf.max does (TensorFlow and JAX
 * split it evenly among them; float inputs almost never tie).
 */
export class GlobalMaxPooling1D extends GlobalPooling1D {
  static override readonly className = 'GlobalMaxPooling1D';

  constructor(config: GlobalPooling1DConfig = {}) {
    super('GlobalMaxPooling1D', config, 'global_max_pooling1d');
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    return { output: tf.max(x, 1, this.keepdims) };
  }

  /**
   * The mask of maxima is 1 − step(max − x): max − x is 0 exactly where x is the max, positive
   * elsewhere. wasm's Equal and GreaterEqual with broadcasting take ~65 and ~120 ms for a
   * 256×50×64 input, these float ops ~1 ms together.
   */
  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    if (!needInput) return { inputs: [null], weights: [] };
    const atMax = tf.sub(1, tf.step(tf.sub(this.oneStep(saved.output), saved.inputs[0])));
    return { inputs: [tf.mul(atMax, this.oneStep(dy))], weights: [] };
  }
}
