/**
 * ZeroPadding1D and ZeroPadding2D, channels-last, as Keras: zeros added before and after the
 * steps of (batch, steps, channels) or the rows and columns of (batch, height, width, channels).
 * The forward is one tf.pad; the gradient is the window of dy the input landed in.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkChannelsLast, checkKerasChannelsLast, expectRank } from './shape-args.js';
import { checkPair, checkPairs2D, spatialPaddings, spatialWindow, type Pair, type Pairs2D } from './spatial-args.js';

export interface ZeroPadding1DConfig {
  /** Zeros before and after the steps: an integer (both ends) or [left, right]; default 1. */
  padding?: number | Pair;
  /** Only 'channelsLast' (Keras 3's ZeroPadding1D takes data_format too). */
  dataFormat?: 'channelsLast';
  name?: string;
}

export interface ZeroPadding2DConfig {
  /** An integer (all four sides), [height, width] (each symmetric) or [[top, bottom], [left, right]]; default 1. */
  padding?: Pairs2D;
  /** Only 'channelsLast'. */
  dataFormat?: 'channelsLast';
  name?: string;
}

abstract class ZeroPadding extends Layer {
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasChannelsLast(r, 'pads channels-last inputs');
    return { name: r.name, padding: r.value('padding', 1) };
  }

  /** [before, after] for each spatial axis. */
  readonly padding: Pair[];

  protected constructor(className: string, config: ZeroPadding1DConfig | ZeroPadding2DConfig, defaultName: string, rank: 1 | 2) {
    super(checkLayerConfig<ZeroPadding2DConfig>(className, config, ['padding', 'dataFormat', 'name']).name, defaultName);
    this.padding = rank === 1 ? [checkPair('padding', config.padding, [1, 1], ['left', 'right'])] : checkPairs2D('padding', config.padding, [[1, 1], [1, 1]]);
    checkChannelsLast(className, config.dataFormat);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    expectRank(this, shape, this.padding.length + 2);
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape.map((d, i) => {
      const pad = this.padding[i - 1];
      return pad === undefined || d === null ? d : d + pad[0] + pad[1];
    });
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    return { output: tf.pad(x, spatialPaddings(this.padding)) };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    if (!needInput) return { inputs: [null], weights: [] };
    const spatial = saved.inputs[0].shape.slice(1, -1);
    return { inputs: [spatialWindow(dy, this.padding.map((p) => p[0]), spatial)], weights: [] };
  }
}

/** Zeros before and after the steps: (None, 10, 4) with padding [1, 2] becomes (None, 13, 4). */
export class ZeroPadding1D extends ZeroPadding {
  static override readonly className = 'ZeroPadding1D';

  /** Without data_format: Keras 2 and the first Keras 3 releases refuse it on ZeroPadding1D. */
  static override toKeras(c: Record<string, unknown>): Json {
    return { padding: c.padding, name: c.name, trainable: true };
  }

  constructor(config: ZeroPadding1DConfig = {}) {
    super('ZeroPadding1D', config, 'zero_padding1d', 1);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, padding: [...this.padding[0]] };
  }
}

/** Zeros around the image: (None, 5, 5, 3) with padding [[1, 0], [2, 2]] becomes (None, 6, 9, 3). */
export class ZeroPadding2D extends ZeroPadding {
  static override readonly className = 'ZeroPadding2D';

  static override toKeras(c: Record<string, unknown>): Json {
    return { padding: c.padding, data_format: 'channels_last', name: c.name, trainable: true };
  }

  constructor(config: ZeroPadding2DConfig = {}) {
    super('ZeroPadding2D', config, 'zero_padding2d', 2);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, padding: this.padding.map((p) => [...p]) };
  }
}
