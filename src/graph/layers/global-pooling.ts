/**
 * Global pooling over the positions of channels-last inputs, as Keras 3's
 * GlobalAveragePooling1D/2D and GlobalMaxPooling1D/2D: (batch, steps, features) or
 * (batch, height, width, channels) pool to (batch, channels), or keep their spatial axes with
 * length 1 (`keepdims`). A 2-D input is pooled as (batch, height·width, channels): the four
 * classes share their config, JSON mapping, shapes and math here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkBoolean, checkChannelsLast, checkKerasChannelsLast, expectRank } from './shape-args.js';

export interface GlobalPoolingConfig {
  /** Only 'channelsLast'; 'channelsFirst' is refused. */
  dataFormat?: 'channelsLast';
  /** Keep the spatial axes with length 1: (batch, 1, features) or (batch, 1, 1, channels). Default false. */
  keepdims?: boolean;
  name?: string;
}

/** The 1-D layers' config (the same fields). */
export type GlobalPooling1DConfig = GlobalPoolingConfig;

abstract class GlobalPooling extends Layer {
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasChannelsLast(r, 'pools channels-last inputs');
    return { name: r.name, keepdims: r.value('keepdims', false) };
  }

  /** tfjs-layers 4.22 reads neither field (it pools without keepdims); Keras reads both. */
  static override toKeras(c: Record<string, unknown>): Json {
    return { data_format: 'channels_last', keepdims: c.keepdims ?? false, name: c.name, trainable: true };
  }
  readonly keepdims: boolean;

  protected constructor(className: string, config: GlobalPoolingConfig, defaultName: string, private readonly spatialRank: 1 | 2) {
    super(checkLayerConfig<GlobalPoolingConfig>(className, config, ['dataFormat', 'keepdims', 'name']).name, defaultName);
    checkChannelsLast(className, config.dataFormat);
    this.keepdims = checkBoolean('keepdims', config.keepdims, false);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    expectRank(this, shape, this.spatialRank + 2);
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    const channels = shape[shape.length - 1];
    return this.keepdims ? [shape[0], ...new Array<number>(this.spatialRank).fill(1), channels] : [shape[0], channels];
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    const pooled = this.pool(this.asSteps(x));
    return { output: this.keepdims ? tf.reshape(pooled, this.computeOutputShape([x.shape]) as number[]) : tf.reshape(pooled, [x.shape[0], x.shape[x.rank - 1]]) };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    if (!needInput) return { inputs: [null], weights: [] };
    const x = saved.inputs[0];
    const dx = this.poolGradient(this.oneStep(dy), this.asSteps(x), this.oneStep(saved.output));
    return { inputs: [tf.reshape(dx, x.shape)], weights: [] };
  }

  /** The input as (batch, positions, channels). */
  private asSteps(x: tf.Tensor): tf.Tensor3D {
    return (x.rank === 3 ? x : tf.reshape(x, [x.shape[0], -1, x.shape[x.rank - 1]])) as tf.Tensor3D;
  }

  /** A pooled tensor as (batch, 1, channels), to broadcast over the positions. */
  private oneStep(t: tf.Tensor): tf.Tensor3D {
    return tf.reshape(t, [t.shape[0], 1, t.shape[t.rank - 1]]);
  }

  /** (batch, positions, channels) → (batch, 1, channels). */
  protected abstract pool(x: tf.Tensor3D): tf.Tensor;

  /** dL/dx as (batch, positions, channels), from dy and the pooled output as (batch, 1, channels). */
  protected abstract poolGradient(dy: tf.Tensor3D, x: tf.Tensor3D, pooled: tf.Tensor3D): tf.Tensor;

  getConfig(): Record<string, unknown> {
    return { name: this.name, keepdims: this.keepdims };
  }
}

/** The mean over the positions. */
abstract class GlobalAveragePooling extends GlobalPooling {
  protected pool(x: tf.Tensor3D): tf.Tensor {
    return tf.mean(x, 1, true);
  }

  /** Each position gets dy/positions, as a broadcast product (wasm's Tile kernel is ~150x slower). */
  protected poolGradient(dy: tf.Tensor3D, x: tf.Tensor3D): tf.Tensor {
    const steps = x.shape[1];
    return tf.mul(dy, tf.fill([1, steps, 1], 1 / steps));
  }
}

/**
 * The max over the positions. The gradient goes to the position that holds the max; where
 * several tie, each gets the whole gradient, as tfjs's autodiff of tf.max does (TensorFlow and
 * JAX split it evenly among them; float inputs almost never tie).
 */
abstract class GlobalMaxPooling extends GlobalPooling {
  protected pool(x: tf.Tensor3D): tf.Tensor {
    return tf.max(x, 1, true);
  }

  /**
   * The mask of maxima is 1 − step(max − x): max − x is 0 exactly where x is the max, positive
   * elsewhere. wasm's Equal and GreaterEqual with broadcasting take ~65 and ~120 ms for a
   * 256×50×64 input, these float ops ~1 ms together.
   */
  protected poolGradient(dy: tf.Tensor3D, x: tf.Tensor3D, pooled: tf.Tensor3D): tf.Tensor {
    return tf.mul(tf.sub(1, tf.step(tf.sub(pooled, x))), dy);
  }
}

export class GlobalAveragePooling1D extends GlobalAveragePooling {
  static override readonly className = 'GlobalAveragePooling1D';
  constructor(config: GlobalPoolingConfig = {}) {
    super('GlobalAveragePooling1D', config, 'global_average_pooling1d', 1);
  }
}

export class GlobalMaxPooling1D extends GlobalMaxPooling {
  static override readonly className = 'GlobalMaxPooling1D';
  constructor(config: GlobalPoolingConfig = {}) {
    super('GlobalMaxPooling1D', config, 'global_max_pooling1d', 1);
  }
}

export class GlobalAveragePooling2D extends GlobalAveragePooling {
  static override readonly className = 'GlobalAveragePooling2D';
  constructor(config: GlobalPoolingConfig = {}) {
    super('GlobalAveragePooling2D', config, 'global_average_pooling2d', 2);
  }
}

export class GlobalMaxPooling2D extends GlobalMaxPooling {
  static override readonly className = 'GlobalMaxPooling2D';
  constructor(config: GlobalPoolingConfig = {}) {
    super('GlobalMaxPooling2D', config, 'global_max_pooling2d', 2);
  }
}
