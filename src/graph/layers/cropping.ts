/**
 * Cropping1D and Cropping2D, channels-last, as Keras: steps cut from the start and end of
 * (batch, steps, channels), or rows and columns from the sides of (batch, height, width,
 * channels). The forward is a slice; the gradient is dy padded back with zeros where the cut
 * parts were. Cropping an axis to nothing is a ShapeError when the layer is applied.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeValue, ShapeError } from '../../errors.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { formatShape, type Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkChannelsLast, checkKerasChannelsLast, expectRank } from './shape-args.js';
import { checkPair, checkPairs2D, spatialPaddings, spatialWindow, type Pair, type Pairs2D } from './spatial-args.js';

export interface Cropping1DConfig {
  /** Steps cut from the start and the end: an integer (both ends) or [start, end]; default [1, 1]. */
  cropping?: number | Pair;
  name?: string;
}

export interface Cropping2DConfig {
  /** An integer (all four sides), [height, width] (each symmetric) or [[top, bottom], [left, right]]; default 0. */
  cropping?: Pairs2D;
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
  name?: string;
}

abstract class Cropping extends Layer {
  /** [before, after] for each spatial axis. */
  readonly cropping: Pair[];

  protected constructor(className: string, config: Cropping1DConfig | Cropping2DConfig, defaultName: string, rank: 1 | 2) {
    super(checkLayerConfig<Cropping2DConfig>(className, config, rank === 1 ? ['cropping', 'name'] : ['cropping', 'dataFormat', 'name']).name, defaultName);
    this.cropping = rank === 1 ? [checkPair('cropping', config.cropping, [1, 1], ['start', 'end'])] : checkPairs2D('cropping', config.cropping, [[0, 0], [0, 0]]);
    if (rank === 2) checkChannelsLast(className, (config as Cropping2DConfig).dataFormat);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    expectRank(this, shape, this.cropping.length + 2);
    this.computeOutputShape([shape]); // checks that something is left
    return [];
  }

  /** Keras's check: what is cut from an axis must be less than its length. */
  computeOutputShape([shape]: readonly Shape[]): Shape {
    const out = shape.map((d, i) => {
      const crop = this.cropping[i - 1];
      return crop === undefined || d === null ? d : d - crop[0] - crop[1];
    });
    if (out.some((d, i) => i >= 1 && i <= this.cropping.length && d !== null && d <= 0)) {
      throw new ShapeError(
        `Layer '${this.name}' (${this.className}): values in \`cropping\` argument should be smaller than the corresponding spatial dimension of the input ` +
          `(the output would be ${formatShape(out)}). Received: input_shape=${formatShape(shape)}, cropping=${describeValue(this.cropping.length === 1 ? this.cropping[0] : this.cropping)}`,
      );
    }
    return out;
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    const spatial = x.shape.slice(1, -1);
    return { output: spatialWindow(x, this.cropping.map((c) => c[0]), spatial.map((d, i) => d - this.cropping[i][0] - this.cropping[i][1])) };
  }

  backward(dy: tf.Tensor, _saved: Saved, [needInput]: readonly boolean[]): Gradients {
    return { inputs: [needInput ? tf.pad(dy, spatialPaddings(this.cropping)) : null], weights: [] };
  }
}

/** Steps cut from both ends: (None, 10, 4) with cropping [1, 2] becomes (None, 7, 4). */
export class Cropping1D extends Cropping {
  static override readonly className = 'Cropping1D';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, cropping: r.value('cropping', [1, 1]) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { cropping: c.cropping, name: c.name, trainable: true };
  }

  constructor(config: Cropping1DConfig = {}) {
    super('Cropping1D', config, 'cropping1d', 1);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, cropping: [...this.cropping[0]] };
  }
}

/** Rows and columns cut from the sides: (None, 8, 8, 3) with cropping [[1, 2], [0, 3]] becomes (None, 5, 5, 3). */
export class Cropping2D extends Cropping {
  static override readonly className = 'Cropping2D';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasChannelsLast(r, 'crops channels-last inputs');
    return { name: r.name, cropping: r.value('cropping', 0) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { cropping: c.cropping, data_format: 'channels_last', name: c.name, trainable: true };
  }

  constructor(config: Cropping2DConfig = {}) {
    super('Cropping2D', config, 'cropping2d', 2);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, cropping: this.cropping.map((c) => [...c]) };
  }
}
