import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from '../../errors.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkIntegers, expectRank, inversePermutation } from './shape-args.js';

export interface PermuteConfig {
  /** A permutation of the non-batch axes, numbered from 1 as in Keras: [2, 1] swaps them. */
  dims: number[];
  name?: string;
}

/** Reorders the non-batch axes: dims [2, 1] makes (None, 10, 64) into (None, 64, 10). */
export class Permute extends Layer {
  static override readonly className = 'Permute';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, dims: r.get('dims') };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { dims: c.dims, name: c.name, trainable: true };
  }
  readonly dims: readonly number[];
  /** The transpose of the whole batch-major tensor, and the one that undoes it. */
  private readonly perm: number[];
  private readonly inverse: number[];

  constructor(config: PermuteConfig) {
    super(checkLayerConfig<PermuteConfig>('Permute', config, ['dims', 'name']).name, 'permute');
    const expected = 'a permutation of 1..n, the non-batch axes numbered from 1 (consecutive integers starting from 1)';
    this.dims = checkIntegers('dims', config.dims, expected, (d) => d >= 1);
    const sorted = [...this.dims].sort((a, b) => a - b);
    if (!sorted.every((d, i) => d === i + 1)) throw invalidArgument('dims', expected, config.dims);
    this.perm = [0, ...this.dims];
    this.inverse = inversePermutation(this.perm);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    expectRank(this, shape, this.dims.length + 1);
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return this.perm.map((axis) => shape[axis]);
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    return { output: tf.transpose(x, this.perm) };
  }

  backward(dy: tf.Tensor, _saved: Saved, [needInput]: readonly boolean[]): Gradients {
    return { inputs: [needInput ? tf.transpose(dy, this.inverse) : null], weights: [] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, dims: [...this.dims] };
  }
}
