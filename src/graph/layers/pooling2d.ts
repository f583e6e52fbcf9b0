/**
 * MaxPooling2D and AveragePooling2D, channels-last, as Keras: windows of `poolSize` every
 * `strides` (default: the pool size), 'valid' or 'same' padding (an average over a padded window
 * counts only the pixels inside, as TensorFlow's). Forward and backward on wasm's registered
 * MaxPool/AvgPool kernels and their gradients.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkPadding, checkTuple, spatialOutput, type Padding } from './conv-geometry.js';
import { checkChannelsLast, expectRank } from './shape-args.js';

export interface Pooling2DConfig {
  /** The window: an integer or [height, width]; default 2. */
  poolSize?: number | [number, number];
  /** Default: the pool size. */
  strides?: number | [number, number] | null;
  padding?: Padding;
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
  name?: string;
}

abstract class Pooling2D extends Layer {
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    r.mustBe('data_format', ['channels_last', 'channelsLast'], 'weft pools channels-last inputs');
    return { name: r.name, poolSize: r.value('pool_size', 2), strides: r.value('strides', null), padding: r.value('padding', 'valid') };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    const pair = (v: unknown) => (Array.isArray(v) ? v : [v, v]);
    const poolSize = pair(c.poolSize ?? 2);
    return { pool_size: poolSize, strides: c.strides == null ? poolSize : pair(c.strides), padding: c.padding ?? 'valid', data_format: 'channels_last', name: c.name, trainable: true };
  }

  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  protected constructor(className: string, config: Pooling2DConfig, defaultName: string) {
    super(checkLayerConfig<Pooling2DConfig>(className, config, ['poolSize', 'strides', 'padding', 'dataFormat', 'name']).name, defaultName);
    this.poolSize = checkTuple('poolSize', config.poolSize, 2, 2) as [number, number];
    this.strides = config.strides === null || config.strides === undefined ? this.poolSize : (checkTuple('strides', config.strides, 2) as [number, number]);
    this.padding = checkPadding(config.padding);
    checkChannelsLast(className, config.dataFormat);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    expectRank(this, shape, 4);
    spatialOutput(this, shape, this.poolSize, this.padding, this.strides);
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return [shape[0], ...spatialOutput(this, shape, this.poolSize, this.padding, this.strides), shape[3]];
  }

  /** The attributes wasm's pooling gradient kernels take. */
  protected get attrs(): { filterSize: [number, number]; strides: [number, number]; pad: Padding } {
    return { filterSize: this.poolSize, strides: this.strides, pad: this.padding };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

/**
 * The max of each window. The gradient goes to the window's first maximum (TensorFlow's
 * MaxPoolGrad); float inputs almost never tie.
 */
export class MaxPooling2D extends Pooling2D {
  static override readonly className = 'MaxPooling2D';

  constructor(config: Pooling2DConfig = {}) {
    super('MaxPooling2D', config, 'max_pooling2d');
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    return { output: tf.maxPool(x as tf.Tensor4D, this.poolSize, this.strides, this.padding) };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    if (!needInput) return { inputs: [null], weights: [] };
    const dx = tf.engine().runKernel('MaxPoolGrad', { dy, input: saved.inputs[0], output: saved.output }, { ...this.attrs }) as tf.Tensor;
    return { inputs: [dx], weights: [] };
  }
}

/** The mean of each window. */
export class AveragePooling2D extends Pooling2D {
  static override readonly className = 'AveragePooling2D';

  constructor(config: Pooling2DConfig = {}) {
    super('AveragePooling2D', config, 'average_pooling2d');
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    return { output: tf.avgPool(x as tf.Tensor4D, this.poolSize, this.strides, this.padding) };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    if (!needInput) return { inputs: [null], weights: [] };
    const dx = tf.engine().runKernel('AvgPoolGrad', { dy, input: saved.inputs[0] }, { ...this.attrs }) as tf.Tensor;
    return { inputs: [dx], weights: [] };
  }
}
