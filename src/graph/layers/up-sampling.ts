/**
 * UpSampling1D and UpSampling2D, channels-last, as Keras with nearest-neighbour interpolation:
 * each step of (batch, steps, channels) repeated `size` times, each pixel of (batch, height,
 * width, channels) made a size[0] × size[1] block. The forward is a broadcast product with
 * ones (exact, and as fast as wasm's ResizeNearestNeighbor); the gradient sums dy over each
 * block, one spatial axis at a time as a rank-3 reduction (twice as fast on wasm as one sum
 * over two axes of the rank-6 view).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, invalidArgument, invalidType } from '../../errors.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { reshaped } from '../tensor-io.js';
import { checkTuple } from './conv-geometry.js';
import { checkChannelsLast, checkKerasChannelsLast, expectRank } from './shape-args.js';

export interface UpSampling1DConfig {
  /** How many times each step is repeated; default 2. */
  size?: number;
  name?: string;
}

export interface UpSampling2DConfig {
  /** The factors for rows and columns: an integer or [height, width]; default 2. */
  size?: number | [number, number];
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
  /** Only 'nearest' (the default); Keras's 'bilinear' and the others are refused. */
  interpolation?: 'nearest';
  name?: string;
}

/** Keras's `interpolation`, of which weft implements 'nearest'. */
function checkInterpolation(value: unknown): 'nearest' {
  if (value === undefined || value === 'nearest') return 'nearest';
  const expected = `'nearest': weft upsamples by repeating pixels only (Keras's 'bilinear', 'bicubic', 'lanczos3' and 'lanczos5' are not implemented)`;
  if (typeof value !== 'string') throw invalidType('interpolation', expected, value);
  throw invalidArgument('interpolation', expected, value);
}

abstract class UpSampling extends Layer {
  /** The factor of each spatial axis. */
  readonly factors: number[];

  protected constructor(className: string, config: UpSampling1DConfig | UpSampling2DConfig, defaultName: string, rank: 1 | 2) {
    super(checkLayerConfig<UpSampling2DConfig>(className, config, rank === 1 ? ['size', 'name'] : ['size', 'dataFormat', 'interpolation', 'name']).name, defaultName);
    // Keras's UpSampling1D takes one integer; UpSampling2D an integer or a pair.
    this.factors = rank === 1 ? [config.size === undefined ? 2 : checkInteger('size', config.size, 1)] : checkTuple('size', config.size, 2, 2);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    expectRank(this, shape, this.factors.length + 2);
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape.map((d, i) => {
      const s = this.factors[i - 1];
      return s === undefined || d === null ? d : d * s;
    });
  }

  /** x as (batch·d1, 1, d2, 1, …, channels) times ones of (1, s1, 1, s2, …, 1), read back as (batch, d1·s1, d2·s2, …, channels). */
  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    const [n, first, ...rest] = x.shape;
    const others = rest.slice(0, -1);
    const c = rest[rest.length - 1];
    const view = [n * first, 1, ...others.flatMap((d) => [d, 1]), c];
    const ones = tf.ones([1, this.factors[0], ...this.factors.slice(1).flatMap((s) => [1, s]), 1]);
    return { output: tf.reshape(tf.mul(reshaped(x, view), ones), this.computeOutputShape([x.shape]) as number[]) };
  }

  /**
   * dL/dx: dy summed over each block. From the last spatial axis to the first, dy is viewed as
   * (everything before the axis · its input length, its factor, everything after it, already
   * summed) and reduced over the middle axis.
   */
  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    if (!needInput) return { inputs: [null], weights: [] };
    const shape = saved.inputs[0].shape;
    const spatial = shape.slice(1, -1);
    let g = dy;
    let inner = shape[shape.length - 1];
    for (let k = spatial.length - 1; k >= 0; k--) {
      const outer = spatial.slice(0, k).reduce((a, d, i) => a * d * this.factors[i], shape[0]) * spatial[k];
      if (this.factors[k] > 1) g = tf.sum(reshaped(g, [outer, this.factors[k], inner]), 1);
      inner *= spatial[k];
    }
    return { inputs: [reshaped(g, shape)], weights: [] };
  }
}

/** Each step repeated: (None, 5, 3) with size 2 becomes (None, 10, 3), steps a a b b c c … */
export class UpSampling1D extends UpSampling {
  static override readonly className = 'UpSampling1D';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, size: r.value('size', 2) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { size: c.size, name: c.name, trainable: true };
  }

  constructor(config: UpSampling1DConfig = {}) {
    super('UpSampling1D', config, 'up_sampling1d', 1);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, size: this.factors[0] };
  }
}

/** Each pixel made a block: (None, 4, 5, 3) with size [2, 3] becomes (None, 8, 15, 3). */
export class UpSampling2D extends UpSampling {
  static override readonly className = 'UpSampling2D';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasChannelsLast(r, 'upsamples channels-last inputs');
    return { name: r.name, size: r.value('size', 2), interpolation: r.value('interpolation', 'nearest') };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { size: c.size, data_format: 'channels_last', interpolation: 'nearest', name: c.name, trainable: true };
  }

  readonly interpolation: 'nearest';

  constructor(config: UpSampling2DConfig = {}) {
    super('UpSampling2D', config, 'up_sampling2d', 2);
    checkChannelsLast('UpSampling2D', config.dataFormat);
    this.interpolation = checkInterpolation(config.interpolation);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, size: [...this.factors], interpolation: this.interpolation };
  }
}
