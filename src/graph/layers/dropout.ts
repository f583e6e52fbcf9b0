import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, invalidArgument, invalidType } from '../../errors.js';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { formatShape, sizeOf, type Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';

export interface DropoutConfig {
  rate: number;
  /** Keras's noise_shape: a dimension of 1 shares one mask value along that axis. */
  noiseShape?: (number | null)[];
  seed?: number;
  name?: string;
}

/**
 * Inverted dropout (Srivastava et al. 2014): in training, zero each value with probability
 * `rate` and scale the rest by 1/(1-rate), so E[y] = x and inference is the identity. The mask
 * comes from the step's counter-based generator, never from a stateful per-layer RNG.
 */
export class Dropout extends Layer {
  static override readonly className = 'Dropout';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, rate: r.get('rate'), noiseShape: r.value('noise_shape', null), seed: r.value('seed', null) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { rate: c.rate, noise_shape: c.noiseShape ?? null, seed: c.seed ?? null, name: c.name, trainable: true };
  }
  readonly rate: number;
  readonly noiseShape: (number | null)[] | null;
  readonly seed: number | undefined;

  constructor(config: DropoutConfig) {
    super(checkLayerConfig<DropoutConfig>('Dropout', config, ['rate', 'noiseShape', 'seed', 'name']).name, 'dropout');
    if (typeof config.rate !== 'number') throw invalidType('rate', 'a float value between 0 and 1', config.rate);
    if (!(config.rate >= 0 && config.rate <= 1)) throw invalidArgument('rate', 'a float value between 0 and 1', config.rate);
    this.rate = config.rate;
    this.noiseShape = config.noiseShape ?? null;
    if (config.seed !== undefined) checkInteger('seed', config.seed, 0);
    this.seed = config.seed;
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    const ns = this.noiseShape;
    if (ns !== null) {
      const ok = Array.isArray(ns) && ns.length === shape.length &&
        ns.every((d, i) => i === 0 ? d === null || d === undefined : d === null || d === 1 || d === shape[i]);
      if (!ok) throw invalidArgument('noiseShape', `null or a shape broadcastable to ${formatShape(shape)} with the batch axis null`, ns);
    }
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape;
  }

  /** Per-example mask shape: the input's, with noiseShape's 1s kept as 1. */
  private maskShape(x: tf.Tensor): number[] {
    return x.shape.slice(1).map((d, i) => (this.noiseShape?.[i + 1] === 1 ? 1 : d));
  }

  forward([x]: readonly tf.Tensor[], _w: readonly tf.Tensor[], ctx: CallContext): { output: tf.Tensor; cache: tf.Tensor | null } {
    if (!ctx.training || this.rate === 0) return { output: x, cache: null };
    if (this.rate === 1) return { output: tf.zerosLike(x), cache: tf.zerosLike(x) };
    const perExample = this.maskShape(x);
    const rowSize = sizeOf(perExample);
    const mask = tf.tensor(ctx.dropoutMask(this.rate, rowSize, x.shape[0], this.seed), [x.shape[0], ...perExample]);
    return { output: tf.mul(x, mask), cache: mask };
  }

  backward(dy: tf.Tensor, saved: Saved): Gradients {
    const mask = saved.cache as tf.Tensor | null;
    return { inputs: [mask === null ? dy : tf.mul(dy, mask)], weights: [] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, rate: this.rate, noiseShape: this.noiseShape, seed: this.seed ?? null };
  }
}
