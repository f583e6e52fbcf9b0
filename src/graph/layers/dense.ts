import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, ShapeError } from '../../errors.js';
import type { Activation } from '../activations.js';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { formatShape, type Shape } from '../shape.js';
import { reshaped, transpose2d } from '../tensor-io.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { KERNEL_BIAS_KEYS, KernelBias, type KernelBiasConfig } from './kernel-bias.js';

export interface DenseConfig extends KernelBiasConfig {
  units: number;
  name?: string;
}

const DENSE_KEYS = ['units', ...KERNEL_BIAS_KEYS, 'name'];

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
    return { name: r.name, units: r.get('units'), ...KernelBias.fromKeras(r) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { units: c.units, ...KernelBias.toKeras(c), name: c.name, trainable: true };
  }
  readonly units: number;
  private readonly kb: KernelBias;

  constructor(config: DenseConfig) {
    super(checkLayerConfig<DenseConfig>('Dense', config, DENSE_KEYS).name, 'dense');
    this.units = checkInteger('units', config.units, 1);
    this.kb = new KernelBias(config);
  }

  get activation(): Activation {
    return this.kb.activation;
  }

  get useBias(): boolean {
    return this.kb.useBias;
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    const inDim = shape[shape.length - 1];
    if (shape.length < 2 || inDim == null) {
      throw new ShapeError(`Input 0 of layer '${this.name}' (Dense) is incompatible with the layer: expected a rank >= 2 input with a known last axis, received shape ${formatShape(shape)}`);
    }
    return this.kb.params([[inDim, this.units]], this.units);
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return [...shape.slice(0, -1), this.units];
  }

  forward([x]: readonly tf.Tensor[], [kernel, bias]: readonly tf.Tensor[], _ctx: CallContext): { output: tf.Tensor; cache: DenseCache } {
    const x2 = reshaped(x, [-1, kernel.shape[0]]) as tf.Tensor2D;
    const act = this.activation;
    // relu and linear fuse into wasm's matMul; others need z kept for their derivative.
    const fused = this.kb.fused;
    // bench/dense-forms.ts: computing zᵀ = Wᵀ·xᵀ instead, with W transposed in JS, saves the
    // kernel's packing but not its weight-sized transpose, and wins by under 10% below 32 rows
    // only; this form stays.
    const z = tf.fused.matMul({ a: x2, b: kernel as tf.Tensor2D, bias, activation: fused ?? 'linear' });
    const a = fused === null ? act.forward(z) : z;
    return { output: reshaped(a, [...x.shape.slice(0, -1), this.units]), cache: { x2, z: fused === null ? z : null } };
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
    return { name: this.name, units: this.units, ...this.kb.config() };
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
