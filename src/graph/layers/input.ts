import type * as tf from '@tensorflow/tfjs-core';
import { checkInteger, invalidArgument, invalidType, unknownName } from '../../errors.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec } from '../layer.js';
import { Node } from '../symbolic.js';
import type { DType, Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';

export interface InputConfig {
  /** The shape of one example, without the batch axis. */
  shape: number[];
  dtype?: DType;
  name?: string;
}

/** The graph's entry point: holds the example shape and dtype; the step feeds it data. */
export class InputLayer extends Layer {
  static override readonly className = 'InputLayer';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    const key = r.get('batch_input_shape') !== undefined ? 'batch_input_shape' : 'batch_shape';
    const shape = r.get(key);
    if (!Array.isArray(shape) || shape.length < 2) throw invalidType(r.where(key), 'a shape [batch, ...dims] of rank >= 2', shape);
    const dims = shape.slice(1);
    if (!dims.every((d) => Number.isInteger(d) && (d as number) >= 1)) {
      throw invalidArgument(r.where(key), 'known positive dimensions after the batch one (weft needs a fixed example shape)', shape);
    }
    r.mustBe('sparse', [false], 'weft has no sparse inputs');
    r.mustBe('ragged', [false], 'weft has no ragged inputs');
    return { name: r.name, shape: dims, dtype: r.value('dtype', 'float32') };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { batch_input_shape: [null, ...(c.shape as number[])], dtype: c.dtype ?? 'float32', sparse: false, name: c.name };
  }

  override get isInput(): boolean {
    return true;
  }
  readonly batchShape: Shape;
  readonly dtype: DType;

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
