/**
 * SpatialDropout1D and SpatialDropout2D (Tompson et al. 2015), Keras 3's: Dropout that drops
 * whole feature maps — one keep decision per example and channel, shared by every step of a
 * (batch, steps, channels) input or every pixel of a (batch, height, width, channels) one — for
 * inputs whose neighbouring positions are so correlated that dropping single values would not
 * regularize. The keep mask comes from the step's counter-based generator, keyed like Dropout's
 * (layer, epoch, example), so it does not depend on the worker count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkKerasFloat32, checkRate, checkSeed } from './dropout.js';
import { checkChannelsLast, checkKerasChannelsLast, expectRank } from './shape-args.js';

export interface SpatialDropout1DConfig {
  /** The fraction of channels dropped per example, in [0, 1]. */
  rate: number;
  seed?: number;
  name?: string;
}

export interface SpatialDropout2DConfig extends SpatialDropout1DConfig {
  /** Only 'channelsLast': (batch, height, width, channels). */
  dataFormat?: 'channelsLast';
}

abstract class SpatialDropout extends Layer {
  /**
   * Keras 2 and tfjs-layers also write Dropout's `noise_shape`, which both ignore for these
   * layers (the noise shape is always one value per example and channel), so it is read as
   * having no effect.
   */
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasFloat32(r);
    checkKerasChannelsLast(r, 'drops channels-last feature maps');
    return { name: r.name, rate: r.get('rate'), seed: r.value('seed', null) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { rate: c.rate, seed: c.seed ?? null, name: c.name, trainable: true };
  }
  readonly rate: number;
  readonly seed: number | undefined;

  protected constructor(className: string, config: SpatialDropout2DConfig, defaultName: string, private readonly spatialAxes: 1 | 2) {
    const keys = spatialAxes === 2 ? ['rate', 'seed', 'dataFormat', 'name'] : ['rate', 'seed', 'name'];
    super(checkLayerConfig<SpatialDropout2DConfig>(className, config, keys).name, defaultName);
    if (spatialAxes === 2) checkChannelsLast(className, config.dataFormat);
    this.rate = checkRate(config.rate);
    this.seed = checkSeed(config.seed);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    expectRank(this, shape, this.spatialAxes + 2);
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape;
  }

  /** x · mask with the mask (rows, 1, [1,] channels) broadcast over the positions; the mask is the cache. */
  forward([x]: readonly tf.Tensor[], _w: readonly tf.Tensor[], ctx: CallContext): { output: tf.Tensor; cache: tf.Tensor | null } {
    if (!ctx.training || this.rate === 0) return { output: x, cache: null };
    const rows = x.shape[0];
    const channels = x.shape[x.rank - 1];
    const maskShape = [rows, ...new Array<number>(this.spatialAxes).fill(1), channels];
    if (this.rate === 1) return { output: tf.zerosLike(x), cache: tf.zeros(maskShape) };
    const mask = tf.tensor(ctx.dropoutMask(this.rate, channels, rows, this.seed), maskShape);
    return { output: tf.mul(x, mask), cache: mask };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const mask = saved.cache as tf.Tensor | null;
    if (!needInput) return { inputs: [null], weights: [] };
    return { inputs: [mask === null ? dy : tf.mul(dy, mask)], weights: [] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, rate: this.rate, seed: this.seed ?? null };
  }
}

export class SpatialDropout1D extends SpatialDropout {
  static override readonly className = 'SpatialDropout1D';

  constructor(config: SpatialDropout1DConfig) {
    super('SpatialDropout1D', config, 'spatial_dropout1d', 1);
  }
}

export class SpatialDropout2D extends SpatialDropout {
  static override readonly className = 'SpatialDropout2D';

  constructor(config: SpatialDropout2DConfig) {
    super('SpatialDropout2D', config, 'spatial_dropout2d', 2);
  }
}
