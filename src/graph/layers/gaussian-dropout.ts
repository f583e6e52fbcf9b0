/**
 * GaussianDropout (Srivastava et al. 2014, §10), Keras 3's: in training, multiply every value
 * by noise drawn from N(1, rate / (1 - rate)) — the variance inverted dropout of that rate has —
 * so E[y] = x; inference is the identity. The noise is the step's per-example standard normal,
 * keyed like Dropout's masks, so it does not depend on the worker count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { exampleSize, type Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkKerasFloat32, checkRate, checkSeed } from './dropout.js';

export interface GaussianDropoutConfig {
  /** As Dropout's rate, in [0, 1): the noise has standard deviation sqrt(rate / (1 - rate)). */
  rate: number;
  seed?: number;
  name?: string;
}

export class GaussianDropout extends Layer {
  static override readonly className = 'GaussianDropout';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasFloat32(r);
    return { name: r.name, rate: r.get('rate'), seed: r.value('seed', null) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { rate: c.rate, seed: c.seed ?? null, name: c.name, trainable: true };
  }
  readonly rate: number;
  readonly seed: number | undefined;

  constructor(config: GaussianDropoutConfig) {
    super(checkLayerConfig<GaussianDropoutConfig>('GaussianDropout', config, ['rate', 'seed', 'name']).name, 'gaussian_dropout');
    // Keras 3 accepts rate=1 and trains to NaN (infinite noise); Keras 2 and tfjs-layers then
    // silently skip the layer. Neither is a model anyone means: refused.
    this.rate = checkRate(config.rate, 'the noise standard deviation sqrt(rate / (1 - rate)) is infinite at rate=1');
    this.seed = checkSeed(config.seed);
  }

  protected build(): ParamSpec[] {
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape;
  }

  /** x · (1 + stddev · z) with z standard normal; the factor is the cache (it is also dy's). */
  forward([x]: readonly tf.Tensor[], _w: readonly tf.Tensor[], ctx: CallContext): { output: tf.Tensor; cache: tf.Tensor | null } {
    if (!ctx.training || this.rate === 0) return { output: x, cache: null };
    const rows = x.shape[0];
    const z = ctx.normal(exampleSize(x.shape), rows, this.seed);
    const stddev = Math.sqrt(this.rate / (1 - this.rate));
    // The context's array is this call's to use: turned into the factor in place, then copied
    // into the tensor (one JS pass instead of two kernels).
    for (let i = 0; i < z.length; i++) z[i] = 1 + stddev * z[i];
    const factor = tf.tensor(z, x.shape);
    return { output: tf.mul(x, factor), cache: factor };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const factor = saved.cache as tf.Tensor | null;
    if (!needInput) return { inputs: [null], weights: [] };
    return { inputs: [factor === null ? dy : tf.mul(dy, factor)], weights: [] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, rate: this.rate, seed: this.seed ?? null };
  }
}
