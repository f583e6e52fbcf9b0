import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, invalidArgument, invalidType } from '../../errors.js';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { formatShape, sizeOf, type Shape } from '../shape.js';
import { isObject, type Json, type KerasConfigReader } from '../keras-config.js';

// ---- what the dropout family shares (Dropout, SpatialDropout1D, GaussianDropout, AlphaDropout, GaussianNoise) ----

const RATE = 'a float value between 0 and 1';

/**
 * Keras's check of a dropout `rate`: "Expected a float value between 0 and 1". `below1` refuses
 * 1 too, saying why, for the layers whose formula divides by 1 - rate (Keras accepts rate=1
 * there and trains to NaN).
 */
export function checkRate(value: unknown, below1?: string): number {
  if (typeof value !== 'number') throw invalidType('rate', RATE, value);
  if (!(value >= 0 && value <= 1)) throw invalidArgument('rate', RATE, value);
  if (below1 !== undefined && value === 1) throw invalidArgument('rate', `${RATE}, below 1 (${below1})`, value);
  return value;
}

/** A layer's optional own `seed`: its draws then ignore the run's seed (Keras's `seed`). */
export function checkSeed(value: unknown): number | undefined {
  if (value !== undefined) checkInteger('seed', value, 0);
  return value as number | undefined;
}

/** Keras's noise_shape against the input shape: the batch axis null, every other axis 1 or the input's. */
export function checkNoiseShape(ns: readonly (number | null)[] | null, shape: Shape): void {
  if (ns === null) return;
  const ok = Array.isArray(ns) && ns.length === shape.length &&
    ns.every((d, i) => i === 0 ? d === null || d === undefined : d === null || d === 1 || d === shape[i]);
  if (!ok) throw invalidArgument('noiseShape', `null or a shape broadcastable to ${formatShape(shape)} with the batch axis null`, ns);
}

/** The per-example noise shape: the input's, with noise_shape's 1s kept as 1 (shared along that axis). */
export function noiseRowShape(x: tf.Tensor, ns: readonly (number | null)[] | null): number[] {
  return x.shape.slice(1).map((d, i) => (ns?.[i + 1] === 1 ? 1 : d));
}

/**
 * A file's `dtype` for a noise layer: 'float32' (Keras 2, tfjs-layers) or a Keras 3 DTypePolicy
 * naming it; weft computes in float32, so any other is refused by name, not run in float32.
 * (The merge layers make the same check: one reader method in keras-config.ts could serve both.)
 */
export function checkKerasFloat32(r: KerasConfigReader): void {
  const d = r.get('dtype');
  const name = isObject(d) && isObject(d.config) ? d.config.name : d;
  if (name !== undefined && name !== null && name !== 'float32') {
    throw invalidArgument(r.where('dtype'), "'float32' or null (weft computes in float32)", name);
  }
}

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
    this.rate = checkRate(config.rate);
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

  forward([x]: readonly tf.Tensor[], _w: readonly tf.Tensor[], ctx: CallContext): { output: tf.Tensor; cache: tf.Tensor | null } {
    if (!ctx.training || this.rate === 0) return { output: x, cache: null };
    if (this.rate === 1) return { output: tf.zerosLike(x), cache: tf.zerosLike(x) };
    const perExample = noiseRowShape(x, this.noiseShape);
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
