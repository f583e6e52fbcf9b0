/**
 * AlphaDropout (Klambauer et al. 2017, "Self-Normalizing Neural Networks", §3), Keras 3's: in
 * training, set each dropped value to SELU's negative saturation α' = -λα and apply the affine
 * a·x + b that restores zero mean and unit variance:
 *   a = ((1 - rate)(1 + rate·α'²))^-1/2,  b = -a·α'·rate,
 *   y = a·(x·k + α'·(1 - k)) + b,  k = 1 where kept (probability 1 - rate).
 * Inference is the identity. The keep decisions are Dropout's keyed mask (layer, epoch,
 * example), so they do not depend on the worker count; noise_shape shares them along its 1-axes.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { sizeOf, type Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkKerasFloat32, checkNoiseShape, checkRate, checkSeed, noiseRowShape } from './dropout.js';

export interface AlphaDropoutConfig {
  /** The drop probability, in [0, 1). */
  rate: number;
  /** Keras's noise_shape: a dimension of 1 shares one keep decision along that axis. */
  noiseShape?: (number | null)[];
  seed?: number;
  name?: string;
}

/** -λ·α of SELU (Keras's alpha_p = -1.7580993408473766). */
const ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;

export class AlphaDropout extends Layer {
  static override readonly className = 'AlphaDropout';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasFloat32(r);
    return { name: r.name, rate: r.get('rate'), noiseShape: r.value('noise_shape', null), seed: r.value('seed', null) };
  }

  /** tfjs-layers 4.22 reads `rate` and `noise_shape` (and ignores `seed`); Keras reads all three. */
  static override toKeras(c: Record<string, unknown>): Json {
    return { rate: c.rate, noise_shape: c.noiseShape ?? null, seed: c.seed ?? null, name: c.name, trainable: true };
  }
  readonly rate: number;
  readonly noiseShape: (number | null)[] | null;
  readonly seed: number | undefined;

  constructor(config: AlphaDropoutConfig) {
    super(checkLayerConfig<AlphaDropoutConfig>('AlphaDropout', config, ['rate', 'noiseShape', 'seed', 'name']).name, 'alpha_dropout');
    // Keras 3 accepts rate=1 and trains to NaN (a is infinite); Keras 2 and tfjs-layers then
    // silently skip the layer. Refused instead.
    this.rate = checkRate(config.rate, 'the scale a = ((1 - rate)(1 + rate·alpha_p²))^-1/2 is infinite at rate=1');
    this.noiseShape = config.noiseShape ?? null;
    this.seed = checkSeed(config.seed);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    checkNoiseShape(this.noiseShape, shape);
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape;
  }

  /**
   * y = x·m + c with m = a·k and c = a·α'·(1 - k) + b, built in one pass over the keep mask
   * (its kept entries hold 1/(1-rate), its dropped ones 0). m, dy's factor, is the cache.
   */
  forward([x]: readonly tf.Tensor[], _w: readonly tf.Tensor[], ctx: CallContext): { output: tf.Tensor; cache: tf.Tensor | null } {
    if (!ctx.training || this.rate === 0) return { output: x, cache: null };
    const rows = x.shape[0];
    const perExample = noiseRowShape(x, this.noiseShape);
    const keep = ctx.dropoutMask(this.rate, sizeOf(perExample), rows, this.seed);
    const q = this.rate;
    const a = ((1 - q) * (1 + q * ALPHA_P * ALPHA_P)) ** -0.5;
    const b = -a * ALPHA_P * q;
    const m = new Float32Array(keep.length);
    const c = new Float32Array(keep.length);
    const dropped = a * ALPHA_P + b;
    for (let i = 0; i < keep.length; i++) {
      // k is exactly 0 or 1 (a kept entry is 1/(1-rate) >= 1), branch-free: keep/drop is a
      // coin flip, which a branch mispredicts.
      const k = Math.min(keep[i], 1);
      m[i] = a * k;
      c[i] = b * k + dropped * (1 - k);
    }
    const shape = [rows, ...perExample];
    const factor = tf.tensor(m, shape);
    return { output: tf.add(tf.mul(x, factor), tf.tensor(c, shape)), cache: factor };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const factor = saved.cache as tf.Tensor | null;
    if (!needInput) return { inputs: [null], weights: [] };
    return { inputs: [factor === null ? dy : tf.mul(dy, factor)], weights: [] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, rate: this.rate, noiseShape: this.noiseShape, seed: this.seed ?? null };
  }
}
