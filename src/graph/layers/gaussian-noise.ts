/**
 * GaussianNoise, Keras 3's: in training, add N(0, stddev²) noise to every value (a corruption
 * for real-valued inputs, a form of data augmentation); inference is the identity. The noise is
 * the step's per-example standard normal, keyed like Dropout's masks, so it does not depend on
 * the worker count. The gradient passes through unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType } from '../../errors.js';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { exampleSize, type Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkKerasFloat32, checkSeed } from './dropout.js';

export interface GaussianNoiseConfig {
  /** The noise's standard deviation, >= 0. */
  stddev: number;
  seed?: number;
  name?: string;
}

/**
 * Keras 3 bounds stddev to [0, 1] (its rate check, copied); Keras 2 and tfjs-layers take any
 * stddev, and their files may hold one above 1, which is meaningful for unscaled inputs. weft
 * takes any finite stddev >= 0.
 */
function checkStddev(value: unknown): number {
  const expected = 'a non-negative float value';
  if (typeof value !== 'number') throw invalidType('stddev', expected, value);
  if (!(value >= 0 && Number.isFinite(value))) throw invalidArgument('stddev', expected, value);
  return value;
}

export class GaussianNoise extends Layer {
  static override readonly className = 'GaussianNoise';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasFloat32(r);
    return { name: r.name, stddev: r.get('stddev'), seed: r.value('seed', null) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { stddev: c.stddev, seed: c.seed ?? null, name: c.name, trainable: true };
  }
  readonly stddev: number;
  readonly seed: number | undefined;

  constructor(config: GaussianNoiseConfig) {
    super(checkLayerConfig<GaussianNoiseConfig>('GaussianNoise', config, ['stddev', 'seed', 'name']).name, 'gaussian_noise');
    this.stddev = checkStddev(config.stddev);
    this.seed = checkSeed(config.seed);
  }

  protected build(): ParamSpec[] {
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape;
  }

  forward([x]: readonly tf.Tensor[], _w: readonly tf.Tensor[], ctx: CallContext): { output: tf.Tensor } {
    if (!ctx.training || this.stddev === 0) return { output: x };
    const z = ctx.normal(exampleSize(x.shape), x.shape[0], this.seed);
    // Scaled in place (the context's array is this call's), then copied into the tensor.
    for (let i = 0; i < z.length; i++) z[i] *= this.stddev;
    return { output: tf.add(x, tf.tensor(z, x.shape)) };
  }

  /** Additive noise: the noise factor of dy is 1. */
  backward(dy: tf.Tensor, _saved: Saved, [needInput]: readonly boolean[]): Gradients {
    return { inputs: [needInput ? dy : null], weights: [] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, stddev: this.stddev, seed: this.seed ?? null };
  }
}
