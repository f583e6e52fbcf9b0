import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, ShapeError } from '../../errors.js';
import { resolveInitializer, type InitializerSpec } from '../initializers.js';
import { constraintToKeras, readConstraint, resolveConstraint, type ConstraintIdentifier } from '../constraints.js';
import { checkLayerConfig, Layer, setFields, type CallContext, type Gradients, type ParamSpec, type Saved, type SparseGrad } from '../layer.js';
import { readRegularizer, regularizerToKeras, resolveRegularizer, type RegularizerIdentifier } from '../regularizers.js';
import { formatShape, type Shape } from '../shape.js';
import { SymbolicTensor } from '../symbolic.js';
import { InputLayer } from './input.js';
import { gatherRowsTensor, readTensor } from '../tensor-io.js';
import { initializerToKeras, type Json, type KerasConfigReader } from '../keras-config.js';

export interface EmbeddingConfig {
  inputDim: number;
  outputDim: number;
  embeddingsInitializer?: InitializerSpec;
  embeddingsRegularizer?: RegularizerIdentifier | null;
  embeddingsConstraint?: ConstraintIdentifier | null;
  name?: string;
}

/** Looks up a row of `embeddings` for each integer index; indices must lie in [0, inputDim). */
export class Embedding extends Layer {
  static override readonly className = 'Embedding';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    r.mustBe('mask_zero', [false], 'weft has no masking');
    return {
      name: r.name, inputDim: r.get('input_dim'), outputDim: r.get('output_dim'),
      embeddingsInitializer: r.initializer('embeddings_initializer', 'randomUniform'),
      embeddingsRegularizer: readRegularizer(r, 'embeddings_regularizer'), embeddingsConstraint: readConstraint(r, 'embeddings_constraint'),
    };
  }

  /** tfjs-layers writes every field, the unset ones as null, and the batch_input_shape it derives when input_length is unset. */
  static override toKeras(c: Record<string, unknown>): Json {
    return {
      input_dim: c.inputDim, output_dim: c.outputDim,
      embeddings_initializer: initializerToKeras(c.embeddingsInitializer ?? 'randomUniform'),
      embeddings_regularizer: regularizerToKeras(c.embeddingsRegularizer), activity_regularizer: null, embeddings_constraint: constraintToKeras(c.embeddingsConstraint),
      mask_zero: null, input_length: null, name: c.name, trainable: true, batch_input_shape: [null, null],
    };
  }

  /** Indices must lie in [0, inputDim): the data loader checks them before training. */
  override integerInputBound(): number {
    return this.inputDim;
  }
  readonly inputDim: number;
  readonly outputDim: number;
  private readonly init: ReturnType<typeof resolveInitializer>;
  private readonly regularizer: ReturnType<typeof resolveRegularizer>;
  private readonly constraint: ReturnType<typeof resolveConstraint>;

  constructor(config: EmbeddingConfig) {
    const keys = ['inputDim', 'outputDim', 'embeddingsInitializer', 'embeddingsRegularizer', 'embeddingsConstraint', 'name'];
    super(checkLayerConfig<EmbeddingConfig>('Embedding', config, keys).name, 'embedding');
    this.inputDim = checkInteger('inputDim', config.inputDim, 1);
    this.outputDim = checkInteger('outputDim', config.outputDim, 1);
    this.init = resolveInitializer('embeddingsInitializer', config.embeddingsInitializer ?? 'randomUniform');
    this.regularizer = resolveRegularizer('embeddingsRegularizer', config.embeddingsRegularizer);
    this.constraint = resolveConstraint('embeddingsConstraint', config.embeddingsConstraint);
  }

  /** Indices must be integers: an int32 tensor, or a float32 model input whose data is checked when it comes in. */
  override apply(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor {
    const input = Array.isArray(x) ? (x as SymbolicTensor[])[0] : (x as SymbolicTensor);
    if (input instanceof SymbolicTensor && input.dtype !== 'int32' && !(input.node.layer instanceof InputLayer)) {
      throw new ShapeError(
        `Layer '${this.name}' (Embedding) needs integer indices: its input must be an int32 tensor or a model input; received the ${input.dtype} output of layer '${input.name}'`,
      );
    }
    return super.apply(x);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    if (shape.length < 1) throw new ShapeError(`Input 0 of layer '${this.name}' (Embedding) must have a batch axis, received shape ${formatShape(shape)}`);
    return [{ name: 'embeddings', shape: [this.inputDim, this.outputDim], initializer: this.init, regularizer: this.regularizer, constraint: this.constraint }];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return [...shape, this.outputDim];
  }

  forward([x]: readonly tf.Tensor[], [table]: readonly tf.Tensor[], _ctx: CallContext): { output: tf.Tensor; cache: null } {
    return { output: gatherRowsTensor(table, x), cache: null };
  }

  /**
   * wasm has no kernel for gather's gradient (UnsortedSegmentSum), and a dense one-hot product
   * would cost inputDim times more: scatter-add each output row into the touched table rows.
   */
  backward(dy: tf.Tensor, saved: Saved): Gradients {
    const indices = readTensor(saved.inputs[0]);
    const grad = readTensor(dy) as Float32Array;
    const d = this.outputDim;
    const inputDim = this.inputDim;
    const sparse: SparseGrad = {
      addInto(view: Float32Array): void {
        for (let r = 0; r < indices.length; r++) {
          const row = indices[r];
          if (!(row >= 0 && row < inputDim)) throw new RangeError(`Embedding index ${row} is outside [0, ${inputDim})`);
          const dst = row * d;
          const src = r * d;
          for (let j = 0; j < d; j++) view[dst + j] += grad[src + j];
        }
      },
    };
    return { inputs: [null], weights: [sparse] };
  }

  protected override outputDtype(): 'float32' {
    return 'float32';
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, inputDim: this.inputDim, outputDim: this.outputDim, embeddingsInitializer: this.init,
      ...setFields({ embeddingsRegularizer: this.regularizer, embeddingsConstraint: this.constraint }),
    };
  }
}
