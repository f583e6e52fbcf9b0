/**
 * SpatialDropout1D (Tompson et al. 2015), Keras 3's: Dropout that drops whole channels of a
 * (batch, steps, channels) input — one keep decision per example and channel, shared by every
 * step — for inputs whose neighbouring steps are so correlated that dropping single values would
 * not regularize. The keep mask comes from the step's counter-based generator, keyed like
 * Dropout's (layer, epoch, example), so it does not depend on the worker count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../../errors.js';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { formatShape, type Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkKerasFloat32, checkRate, checkSeed } from './dropout.js';

export interface SpatialDropout1DConfig {
  /** The fraction of channels dropped per example, in [0, 1]. */
  rate: number;
  seed?: number;
  name?: string;
}

export class SpatialDropout1D extends Layer {
  static override readonly className = 'SpatialDropout1D';

  /**
   * Keras 2 and tfjs-layers also write Dropout's `noise_shape`, which both ignore for this layer
   * (the noise shape is always (batch, 1, channels)), so it is read as having no effect.
   */
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasFloat32(r);
    return { name: r.name, rate: r.get('rate'), seed: r.value('seed', null) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { rate: c.rate, seed: c.seed ?? null, name: c.name, trainable: true };
  }
  readonly rate: number;
  readonly seed: number | undefined;

  constructor(config: SpatialDropout1DConfig) {
    super(checkLayerConfig<SpatialDropout1DConfig>('SpatialDropout1D', config, ['rate', 'seed', 'name']).name, 'spatial_dropout1d');
    this.rate = checkRate(config.rate);
    this.seed = checkSeed(config.seed);
  }

  /** Keras's InputSpec(ndim=3) message. */
  protected build([shape]: readonly Shape[]): ParamSpec[] {
    if (shape.length !== 3) {
      throw new ShapeError(
        `Input 0 of layer '${this.name}' (SpatialDropout1D) is incompatible with the layer: expected ndim=3, found ndim=${shape.length}. Full shape received: ${formatShape(shape)}`,
      );
    }
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape;
  }

  /** x · mask with the mask (rows, 1, channels) broadcast over the steps; the mask is the cache. */
  forward([x]: readonly tf.Tensor[], _w: readonly tf.Tensor[], ctx: CallContext): { output: tf.Tensor; cache: tf.Tensor | null } {
    if (!ctx.training || this.rate === 0) return { output: x, cache: null };
    const [rows, , channels] = x.shape as [number, number, number];
    if (this.rate === 1) {
      const zeros = tf.zeros([rows, 1, channels]);
      return { output: tf.zerosLike(x), cache: zeros };
    }
    const mask = tf.tensor(ctx.dropoutMask(this.rate, channels, rows, this.seed), [rows, 1, channels]);
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
