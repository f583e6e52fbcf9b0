/**
 * MaxPooling1D/2D and AveragePooling1D/2D, channels-last, as Keras: windows of `poolSize` every
 * `strides` (default: the pool size), 'valid' or 'same' padding (an average over a padded window
 * counts only the pixels inside, as TensorFlow's). Forward and backward on wasm's registered
 * MaxPool/AvgPool kernels and their gradients; a 1-D input is pooled as an image of height 1.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import { reshaped } from '../tensor-io.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkPadding, checkTuple, spatialOutput, type Padding } from './conv-geometry.js';
import { checkChannelsLast, checkKerasChannelsLast, expectRank } from './shape-args.js';

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

export interface Pooling1DConfig {
  /** The window, in steps; default 2. */
  poolSize?: number | [number];
  /** Default: the pool size. */
  strides?: number | [number] | null;
  padding?: Padding;
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
  name?: string;
}

abstract class Pooling extends Layer {
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasChannelsLast(r, 'pools channels-last inputs');
    return { name: r.name, poolSize: r.value('pool_size', 2), strides: r.value('strides', null), padding: r.value('padding', 'valid') };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    // getConfig writes the tuples whole: their length is the rank.
    const poolSize = c.poolSize as number[];
    const tuple = (v: unknown) => (Array.isArray(v) ? v : poolSize.map(() => v));
    return { pool_size: poolSize, strides: c.strides == null ? poolSize : tuple(c.strides), padding: c.padding ?? 'valid', data_format: 'channels_last', name: c.name, trainable: true };
  }

  readonly poolSize: number[];
  readonly strides: number[];
  readonly padding: Padding;

  protected constructor(className: string, config: Pooling1DConfig | Pooling2DConfig, defaultName: string, private readonly rank: 1 | 2) {
    super(checkLayerConfig<Pooling2DConfig>(className, config, ['poolSize', 'strides', 'padding', 'dataFormat', 'name']).name, defaultName);
    this.poolSize = checkTuple('poolSize', config.poolSize, rank, 2);
    this.strides = config.strides === null || config.strides === undefined ? this.poolSize : checkTuple('strides', config.strides, rank);
    this.padding = checkPadding(config.padding);
    checkChannelsLast(className, config.dataFormat);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    expectRank(this, shape, this.rank + 2);
    spatialOutput(this, shape, this.poolSize, this.padding, this.strides);
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return [shape[0], ...spatialOutput(this, shape, this.poolSize, this.padding, this.strides), shape[this.rank + 1]];
  }

  /** The window as wasm's 2-D pooling kernels take it (a 1-D window has height 1). */
  protected get attrs(): { filterSize: [number, number]; strides: [number, number]; pad: Padding } {
    const two = (t: readonly number[]) => (this.rank === 2 ? [t[0], t[1]] : [1, t[0]]) as [number, number];
    return { filterSize: two(this.poolSize), strides: two(this.strides), pad: this.padding };
  }

  /** A (batch, steps, channels) tensor as (batch, 1, steps, channels); a 4-D one as it is. */
  protected as4d(t: tf.Tensor): tf.Tensor4D {
    return (this.rank === 2 ? t : reshaped(t, [t.shape[0], 1, ...t.shape.slice(1)])) as tf.Tensor4D;
  }

  /** A 4-D result back in the layer's rank. */
  protected fromView(t: tf.Tensor, like: tf.Tensor): tf.Tensor {
    return this.rank === 2 ? t : reshaped(t, [like.shape[0], ...t.shape.slice(2)]);
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    const { filterSize, strides, pad } = this.attrs;
    return { output: this.fromView(this.pool(this.as4d(x), filterSize, strides, pad), x) };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    if (!needInput) return { inputs: [null], weights: [] };
    const x = saved.inputs[0];
    const dx = this.poolGradient(this.as4d(dy), this.as4d(x), this.as4d(saved.output));
    return { inputs: [reshaped(dx, x.shape)], weights: [] };
  }

  protected abstract pool(x: tf.Tensor4D, filterSize: [number, number], strides: [number, number], pad: Padding): tf.Tensor;

  protected abstract poolGradient(dy: tf.Tensor4D, x: tf.Tensor4D, output: tf.Tensor4D): tf.Tensor;

  getConfig(): Record<string, unknown> {
    return { name: this.name, poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }
}

/**
 * The max of each window. Where a window holds its max more than once (common: a relu conv over
 * an image's blank background), windows that tile the input (strides = pool size, 'valid', the
 * default) give the gradient to the first in row-major order, as TensorFlow does; overlapping or
 * padded windows go through wasm's MaxPoolGrad, which gives it to the last.
 */
abstract class MaxPooling extends Pooling {
  protected pool(x: tf.Tensor4D, filterSize: [number, number], strides: [number, number], pad: Padding): tf.Tensor {
    return tf.maxPool(x, filterSize, strides, pad);
  }

  protected poolGradient(dy: tf.Tensor4D, input: tf.Tensor4D, output: tf.Tensor4D): tf.Tensor {
    const { filterSize: [p, q], strides: [s, t] } = this.attrs;
    if (p === s && q === t && this.padding === 'valid') return tiledMaxGradient(dy, input, output, p, q);
    return tf.engine().runKernel('MaxPoolGrad', { dy, input, output }, { ...this.attrs }) as tf.Tensor;
  }
}

/**
 * MaxPoolGrad for windows that tile the input (strides = pool size, 'valid': Keras's default),
 * from float ops on a (rows·oh, p, ow, q, channels) view: the window's maxima (1 − step(max − x))
 * are scored by their position, p·q for the first down to 1 for the last; a maxPool of the scores
 * finds each window's first maximum, and only there does dy pass. wasm's MaxPoolGrad is a scalar
 * loop: 36 ms for 64 × 26 × 26 × 32 against a few ms here (no slices: wasm slices rank-5 tensors
 * element by element in JS). Tested against TensorFlow's rule.
 */
function tiledMaxGradient(dy: tf.Tensor4D, input: tf.Tensor4D, output: tf.Tensor4D, p: number, q: number): tf.Tensor {
  const [n, h, w, c] = input.shape;
  const [, oh, ow] = output.shape;
  const covered = oh * p < h || ow * q < w ? tf.slice(input, [0, 0, 0, 0], [n, oh * p, ow * q, c]) : input;
  const perWindow = (t: tf.Tensor) => tf.reshape(t, [n * oh, 1, ow, 1, c]);
  const atMax = tf.sub(1, tf.step(tf.sub(perWindow(output), tf.reshape(covered, [n * oh, p, ow, q, c]))));
  const order = tf.tensor(Float32Array.from({ length: p * q }, (_, k) => p * q - k), [1, p, 1, q, 1]);
  const score = tf.mul(atMax, order);
  const best = tf.maxPool(tf.reshape(score, [n, oh * p, ow * q, c]) as tf.Tensor4D, [p, q], [p, q], 'valid');
  const first = tf.sub(1, tf.step(tf.sub(perWindow(best), score)));
  const dx = tf.reshape(tf.mul(first, perWindow(dy)), [n, oh * p, ow * q, c]);
  return dx.shape[1] === h && dx.shape[2] === w ? dx : tf.pad(dx, [[0, 0], [0, h - oh * p], [0, w - ow * q], [0, 0]]);
}

/** The mean of each window. */
abstract class AveragePooling extends Pooling {
  protected pool(x: tf.Tensor4D, filterSize: [number, number], strides: [number, number], pad: Padding): tf.Tensor {
    return tf.avgPool(x, filterSize, strides, pad);
  }

  protected poolGradient(dy: tf.Tensor4D, input: tf.Tensor4D): tf.Tensor {
    return tf.engine().runKernel('AvgPoolGrad', { dy, input }, { ...this.attrs }) as tf.Tensor;
  }
}

export class MaxPooling2D extends MaxPooling {
  static override readonly className = 'MaxPooling2D';
  constructor(config: Pooling2DConfig = {}) {
    super('MaxPooling2D', config, 'max_pooling2d', 2);
  }
}

export class AveragePooling2D extends AveragePooling {
  static override readonly className = 'AveragePooling2D';
  constructor(config: Pooling2DConfig = {}) {
    super('AveragePooling2D', config, 'average_pooling2d', 2);
  }
}

export class MaxPooling1D extends MaxPooling {
  static override readonly className = 'MaxPooling1D';
  constructor(config: Pooling1DConfig = {}) {
    super('MaxPooling1D', config, 'max_pooling1d', 1);
  }
}

export class AveragePooling1D extends AveragePooling {
  static override readonly className = 'AveragePooling1D';
  constructor(config: Pooling1DConfig = {}) {
    super('AveragePooling1D', config, 'average_pooling1d', 1);
  }
}
