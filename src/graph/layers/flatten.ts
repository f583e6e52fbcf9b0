import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../../errors.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { exampleSize, formatShape, type Shape } from '../shape.js';
import type { KerasConfigReader } from '../keras-config.js';
import { checkChannelsLast } from './shape-args.js';

/** Folds every axis but the batch one into one, for any rank: (None, 50, 64) becomes (None, 3200); (None, 8) stays. */
export class Flatten extends Layer {
  static override readonly className = 'Flatten';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    r.mustBe('data_format', ['channels_last'], 'weft flattens channels-last');
    return { name: r.name };
  }

  constructor(config: { dataFormat?: 'channelsLast'; name?: string } = {}) {
    super(checkLayerConfig<{ name?: string }>('Flatten', config, ['dataFormat', 'name']).name, 'flatten');
    checkChannelsLast('Flatten', config.dataFormat);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    if (shape.slice(1).some((d) => d == null)) {
      throw new ShapeError(`Input 0 of layer '${this.name}' (Flatten) needs every non-batch axis known, received shape ${formatShape(shape)}`);
    }
    return [];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return [shape[0], exampleSize(shape)];
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    return { output: tf.reshape(x, [x.shape[0], -1]) };
  }

  backward(dy: tf.Tensor, saved: Saved): Gradients {
    return { inputs: [tf.reshape(dy, saved.inputs[0].shape)], weights: [] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }
}
