/**
 * SeparableConv2D, channels-last, as Keras: a DepthwiseConv2D (no bias) then a 1×1 convolution
 * to `filters` channels with the bias and the activation — weights depthwise_kernel (kh, kw, c,
 * M), pointwise_kernel (1, 1, c·M, filters), bias. Each half's passes are its own layer's math
 * (depthwise-ops.ts, conv-ops.ts), chained through the depthwise output the forward keeps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkInteger } from '../../errors.js';
import type { ConstraintIdentifier } from '../constraints.js';
import type { InitializerSpec } from '../initializers.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import type { CallContext, Gradients, Saved } from '../layer.js';
import type { RegularizerIdentifier } from '../regularizers.js';
import { reshaped } from '../tensor-io.js';
import { inputGradient, weightGradients, type Window } from './conv-ops.js';
import { DepthwiseConv2D, type DepthwiseConv2DConfig } from './depthwise-conv.js';
import { depthwiseInputGradient, depthwiseKernelGradient } from './depthwise-ops.js';
import { KernelBias } from './kernel-bias.js';

export interface SeparableConv2DConfig extends DepthwiseConv2DConfig {
  filters: number;
  pointwiseInitializer?: InitializerSpec;
  pointwiseRegularizer?: RegularizerIdentifier | null;
  pointwiseConstraint?: ConstraintIdentifier | null;
}

interface SeparableCache {
  /** The depthwise half's output: the pointwise half's input. */
  h: tf.Tensor4D;
  /** The pre-activation, kept only when the activation's derivative needs it. */
  z: tf.Tensor | null;
}

const POINTWISE: Window = { kernel: [1, 1], strides: [1, 1], dilations: [1, 1] };

export class SeparableConv2D extends DepthwiseConv2D {
  static override readonly className = 'SeparableConv2D';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { ...super.fromKeras(r), ...KernelBias.fromKeras(r, 'depthwise', 'pointwise'), filters: r.get('filters') };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { ...(super.toKeras(c) as Record<string, unknown>), ...(KernelBias.toKeras(c, 'depthwise', 'pointwise') as Record<string, unknown>), filters: c.filters };
  }

  readonly filters: number;

  constructor(config: SeparableConv2DConfig) {
    super(config, { className: 'SeparableConv2D', defaultName: 'separable_conv2d', keys: ['filters'], kernels: ['depthwise', 'pointwise'] });
    this.filters = checkInteger('filters', config.filters, 1);
  }

  protected override kernelShapes(channels: number): number[][] {
    return [[...this.kernelSize, channels, this.depthMultiplier], [1, 1, channels * this.depthMultiplier, this.filters]];
  }

  protected override outputChannels(): number {
    return this.filters;
  }

  override forward([x]: readonly tf.Tensor[], [depthwise, pointwise, bias]: readonly tf.Tensor[], _ctx: CallContext): { output: tf.Tensor; cache: SeparableCache } {
    const act = this.activation;
    const fused = this.kb.fused;
    const { strides, dilations } = this.window;
    const h = tf.depthwiseConv2d(x as tf.Tensor4D, depthwise as tf.Tensor4D, strides, this.padding, 'NHWC', dilations);
    const z = tf.fused.conv2d({ x: h, filter: pointwise as tf.Tensor4D, strides: 1, pad: 'valid', bias, activation: fused ?? 'linear' });
    return { output: fused === null ? act.forward(z) : z, cache: { h, z: fused === null ? z : null } };
  }

  override backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const { h, z } = saved.cache as SeparableCache;
    const dz = this.activation.backward(dy, z ?? saved.output, saved.output) as tf.Tensor4D;
    const [depthwise, pointwise] = saved.weights as tf.Tensor4D[];
    const x = saved.inputs[0] as tf.Tensor4D;
    const [, xh, xw] = x.shape;
    const [, oh, ow] = h.shape;
    const pw = weightGradients(h, dz, POINTWISE, 0, 0, this.kb.useBias);
    const dh = inputGradient(dz, pointwise, POINTWISE, 0, 0, oh, ow);
    const [, [top], [left]] = this.pads(xh, xw);
    const weights: tf.Tensor[] = [depthwiseKernelGradient(x, dh, this.window, top, left, this.depthMultiplier), reshaped(pw.kernel, pointwise.shape)];
    if (pw.bias !== null) weights.push(pw.bias);
    const input = needInput ? depthwiseInputGradient(dh, depthwise, this.window, top, left, xh, xw) : null;
    return { inputs: [input], weights };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), filters: this.filters };
  }
}
