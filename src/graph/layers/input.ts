import type * as tf from '@tensorflow/tfjs-core';
import { checkInteger, invalidArgument, invalidType, unknownName } from '../../errors.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec } from '../layer.js';
import { Node, type SymbolicTensor } from '../symbolic.js';
import type { DType, Shape } from '../shape.js';

export interface InputConfig {
  /** The shape of one example, without the batch axis. */
  shape: number[];
  dtype?: DType;
  name?: string;
}

/** The graph's entry point: holds the example shape and dtype; the step feeds it data. */
export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  readonly batchShape: Shape;
  readonly dtype: DType;
  readonly output: SymbolicTensor;

  constructor(config: InputConfig) {
    super(checkLayerConfig<InputConfig>('InputLayer', config, ['shape', 'dtype', 'name']).name, 'input', true);
    const expected = 'a non-empty array of positive integers (the shape of one example)';
    if (!Array.isArray(config.shape)) throw invalidType('shape', expected, config.shape);
    if (config.shape.length === 0) throw invalidArgument('shape', expected, config.shape);
    config.shape.forEach((d, i) => checkInteger(`shape[${i}]`, d, 1));
    const dtype = config.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'int32') throw unknownName('dtype', String(dtype), ['float32', 'int32']);
    this.dtype = dtype;
    this.batchShape = [null, ...config.shape];
    const node = new Node(this, [], this.batchShape, dtype);
    this.nodes.push(node);
    this.output = node.output;
  }

  protected build(): ParamSpec[] {
    return [];
  }

  computeOutputShape(): Shape {
    return this.batchShape;
  }

  forward([x]: readonly tf.Tensor[]): { output: tf.Tensor } {
    return { output: x };
  }

  backward(): Gradients {
    return { inputs: [], weights: [] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, shape: this.batchShape.slice(1), dtype: this.dtype };
  }
}
