import * as tf from '@tensorflow/tfjs-core';
import { checkInteger } from '../../errors.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { expectRank } from './shape-args.js';

export interface RepeatVectorConfig {
  /** How many times each example's vector is repeated. */
  n: number;
  name?: string;
}

/** Repeats each example's vector n times: (None, 32) becomes (None, n, 32). */
export class RepeatVector extends Layer {
  static override readonly className = 'RepeatVector';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, n: r.get('n') };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { n: c.n, name: c.name, trainable: true };
  }
  readonly n: number;

  constructor(config: RepeatVectorConfig) {
    super(checkLayerConfig<RepeatVectorConfig>('RepeatVector', config, ['n', 'name']).name, 'repeat_vector');
    this.n = checkInteger('n', config.n, 1);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    expectRank(this, shape, 2);
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return [shape[0], this.n, shape[1]];
  }

  /** A broadcast product with ones: wasm's Tile kernel runs ~150x slower (49 vs 0.3 ms for 256×50×64). */
  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    const [rows, features] = x.shape;
    return { output: tf.mul(tf.reshape(x, [rows, 1, features]), tf.ones([1, this.n, 1])) };
  }

  /** Each copy's gradient flows back to the one vector: the sum over the repeats. */
  backward(dy: tf.Tensor, _saved: Saved, [needInput]: readonly boolean[]): Gradients {
    return { inputs: [needInput ? tf.sum(dy, 1) : null], weights: [] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, n: this.n };
  }
}
