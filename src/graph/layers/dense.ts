import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, invalidType, ShapeError } from '../../errors.js';
import { activationFromKeras, activationToKeras, getActivation, type Activation } from '../activations.js';
import { resolveInitializer, type InitializerSpec } from '../initializers.js';
import { constraintToKeras, readConstraint, resolveConstraint, type ConstraintIdentifier } from '../constraints.js';
import { checkLayerConfig, Layer, setFields, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { readRegularizer, regularizerToKeras, resolveRegularizer, type RegularizerIdentifier } from '../regularizers.js';
import { formatShape, type Shape } from '../shape.js';
import { reshaped, transpose2d } from '../tensor-io.js';
import { initializerToKeras, type Json, type KerasConfigReader } from '../keras-config.js';

export interface DenseConfig {
  units: number;
  activation?: string;
  useBias?: boolean;
  kernelInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  kernelRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  kernelConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
  name?: string;
}

const DENSE_KEYS = ['units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint', 'name'];

interface DenseCache {
  /** The input flattened to rank 2. */
  x2: tf.Tensor2D;
  /** The pre-activation, kept only when the activation's derivative needs it. */
  z: tf.Tensor | null;
}

/** y = activation(x · kernel + bias), applied over the last axis. */
export class Dense extends Layer {
  static override readonly className = 'Dense';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return {
      name: r.name, units: r.get('units'), activation: activationFromKeras(r), useBias: r.value('use_bias', true),
      kernelInitializer: r.initializer('kernel_initializer', 'glorotUniform'),
      biasInitializer: r.initializer('bias_initializer', 'zeros'),
      kernelRegularizer: readRegularizer(r, 'kernel_regularizer'), biasRegularizer: readRegularizer(r, 'bias_regularizer'),
      kernelConstraint: readConstraint(r, 'kernel_constraint'), biasConstraint: readConstraint(r, 'bias_constraint'),
    };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return {
      units: c.units, activation: activationToKeras(c.activation ?? 'linear'), use_bias: c.useBias ?? true,
      kernel_initializer: initializerToKeras(c.kernelInitializer ?? 'glorotUniform'),
      bias_initializer: initializerToKeras(c.biasInitializer ?? 'zeros'),
      kernel_regularizer: regularizerToKeras(c.kernelRegularizer), bias_regularizer: regularizerToKeras(c.biasRegularizer), activity_regularizer: null,
      kernel_constraint: constraintToKeras(c.kernelConstraint), bias_constraint: constraintToKeras(c.biasConstraint),
      name: c.name, trainable: true,
    };
  }
  readonly units: number;
  readonly activation: Activation;
  readonly useBias: boolean;
  private readonly kernelInit: ReturnType<typeof resolveInitializer>;
  private readonly biasInit: ReturnType<typeof resolveInitializer>;
  private readonly kernelRegularizer: ReturnType<typeof resolveRegularizer>;
  private readonly biasRegularizer: ReturnType<typeof resolveRegularizer>;
  private readonly kernelConstraint: ReturnType<typeof resolveConstraint>;
  private readonly biasConstraint: ReturnType<typeof resolveConstraint>;

  constructor(config: DenseConfig) {
    super(checkLayerConfig<DenseConfig>('Dense', config, DENSE_KEYS).name, 'dense');
    this.units = checkInteger('units', config.units, 1);
    this.activation = getActivation(config.activation);
    if (config.useBias !== undefined && typeof config.useBias !== 'boolean') throw invalidType('useBias', 'a boolean', config.useBias);
    this.useBias = config.useBias ?? true;
    this.kernelInit = resolveInitializer('kernelInitializer', config.kernelInitializer ?? 'glorotUniform');
    this.biasInit = resolveInitializer('biasInitializer', config.biasInitializer ?? 'zeros');
    this.kernelRegularizer = resolveRegularizer('kernelRegularizer', config.kernelRegularizer);
    this.biasRegularizer = resolveRegularizer('biasRegularizer', config.biasRegularizer);
    this.kernelConstraint = resolveConstraint('kernelConstraint', config.kernelConstraint);
    this.biasConstraint = resolveConstraint('biasConstraint', config.biasConstraint);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    const inDim = shape[shape.length - 1];
    if (shape.length < 2 || inDim == null) {
      throw new ShapeError(`Input 0 of layer '${this.name}' (Dense) is incompatible with the layer: expected a rank >= 2 input with a known last axis, received shape ${formatShape(shape)}`);
    }
    const params: ParamSpec[] = [{ name: 'kernel', shape: [inDim, this.units], initializer: this.kernelInit, regularizer: this.kernelRegularizer, constraint: this.kernelConstraint }];
    if (this.useBias) params.push({ name: 'bias', shape: [this.units], initializer: this.biasInit, regularizer: this.biasRegularizer, constraint: this.biasConstraint });
    return params;
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return [...shape.slice(0, -1), this.units];
  }

  forward([x]: readonly tf.Tensor[], [kernel, bias]: readonly tf.Tensor[], _ctx: CallContext): { output: tf.Tensor; cache: DenseCache } {
    const x2 = reshaped(x, [-1, kernel.shape[0]]) as tf.Tensor2D;
    const act = this.activation;
    // relu and linear fuse into wasm's matMul; others need z kept for their derivative.
    const fusable = act.name === 'linear' || act.name === 'relu';
    // bench/dense-forms.ts: computing zᵀ = Wᵀ·xᵀ instead, with W transposed in JS, saves the
    // kernel's packing but not its weight-sized transpose, and wins by under 10% below 32 rows
    // only; this form stays.
    const z = tf.fused.matMul({ a: x2, b: kernel as tf.Tensor2D, bias, activation: fusable ? act.name as 'relu' | 'linear' : 'linear' });
    const a = fusable ? z : act.forward(z);
    return { output: reshaped(a, [...x.shape.slice(0, -1), this.units]), cache: { x2, z: fusable ? null : z } };
  }

  /** The pre-activation, for a loss that fuses its gradient with softmax or sigmoid. */
  logits(saved: Saved): tf.Tensor | null {
    const { z } = saved.cache as DenseCache;
    return z === null ? null : reshaped(z, saved.output.shape);
  }

  backward(dy: tf.Tensor, saved: Saved, needInputGrads: readonly boolean[]): Gradients {
    const { z } = saved.cache as DenseCache;
    const dy2 = reshaped(dy, [-1, this.units]);
    const a2 = reshaped(saved.output, [-1, this.units]);
    const dz = this.activation.backward(dy2, z ?? a2, a2) as tf.Tensor2D;
    return this.backwardFromLogits(dz, saved, needInputGrads);
  }

  /**
   * Gradients from dL/dz. Written with explicit transposes and plain matMuls: wasm's transposed
   * matMul runs ~20x slower than transpose + matMul (DESIGN.md), the transposes run in JS (4x
   * faster than wasm's), and the bias gradient is a ones-row matMul because wasm's Sum over
   * axis 0 is slower still.
   */
  backwardFromLogits(dzAnyRank: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const { x2 } = saved.cache as DenseCache;
    const dz = reshaped(dzAnyRank, [-1, this.units]) as tf.Tensor2D;
    const [kernel] = saved.weights;
    const weights: tf.Tensor[] = [tf.matMul(transpose2d(x2), dz)];
    if (this.useBias) weights.push(reshaped(tf.matMul(tf.ones([1, dz.shape[0]]), dz), [this.units]));
    const input = needInput ? reshaped(inputGradient(dz, kernel as tf.Tensor2D), saved.inputs[0].shape) : null;
    return { inputs: [input], weights };
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, units: this.units, activation: this.activation.name, useBias: this.useBias,
      kernelInitializer: this.kernelInit, biasInitializer: this.biasInit,
      ...setFields({ kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer, kernelConstraint: this.kernelConstraint, biasConstraint: this.biasConstraint }),
    };
  }
}

/**
 * Packing: wasm's matMul repacks its second operand into XNNPACK's layout whenever that tensor is
 * new (measured: +1.1 ms for a 784×512 operand, whatever the row count), and the weights are new
 * every step. Per element, packing costs about 2.7 JS transposes.
 */
const PACK_COST = 2.7;

/**
 * dL/dx = dz·Wᵀ. Computed as written it transposes and packs Wᵀ (fanIn×units); computed as
 * (W·dzᵀ)ᵀ it packs dzᵀ (units×rows) instead, at the price of transposing dz and the result.
 * Small shards of wide layers (data-parallel workers' usual case) favour the second; the cost
 * model picks whichever moves fewer elements.
 */
function inputGradient(dz: tf.Tensor2D, kernel: tf.Tensor2D): tf.Tensor2D {
  const rows = dz.shape[0];
  const [fanIn, units] = kernel.shape;
  const direct = (1 + PACK_COST) * fanIn * units;
  const swapped = rows * ((1 + PACK_COST) * units + fanIn);
  if (direct <= swapped) return tf.matMul(dz, transpose2d(kernel));
  return transpose2d(tf.matMul(kernel, transpose2d(dz)));
}
