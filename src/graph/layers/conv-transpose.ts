/**
 * Conv2DTranspose and Conv1DTranspose, channels-last, as Keras: the transpose of a convolution
 * (the input gradient of one whose output is this layer's input), kernel (kh, kw, filters,
 * inChannels). Its three passes are a convolution's three swapped around, on conv-ops.ts:
 * forward = the convolution's input gradient (bias and relu fused), input gradient = the
 * convolution itself, kernel gradient = the convolution's kernel gradient with dL/dy as its
 * input and x as its output gradient. Output lengths are Keras's deconv_output_length.
 */
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from '../../errors.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import type { CallContext, Gradients, ParamSpec, Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import { reshaped } from '../tensor-io.js';
import { checkTuple } from './conv-geometry.js';
import { biasGradient, convolve, extentOf, inputGradient, weightGradients } from './conv-ops.js';
import { Convolution, type Conv1DConfig, type Conv2DConfig, type ConvCache } from './conv.js';
import { expectRank } from './shape-args.js';

export interface Conv2DTransposeConfig extends Conv2DConfig {
  /** Extra rows and columns at the far edge of the output, each below its stride; null (default) gives Keras's lengths without it. */
  outputPadding?: number | [number, number] | null;
}

export interface Conv1DTransposeConfig extends Omit<Conv1DConfig, 'padding'> {
  padding?: 'valid' | 'same';
  outputPadding?: number | [number] | null;
}

/** Keras's deconv_output_length: one axis of the output. */
function deconvLength(length: number | null, kernel: number, padding: 'valid' | 'same', stride: number, dilation: number, outputPadding: number | null): number | null {
  if (length === null) return null;
  const extent = (kernel - 1) * dilation + 1;
  if (outputPadding === null) return padding === 'valid' ? length * stride + Math.max(extent - stride, 0) : length * stride;
  const pad = padding === 'same' ? Math.floor(extent / 2) : 0;
  return (length - 1) * stride + extent - 2 * pad + outputPadding;
}

abstract class ConvolutionTranspose extends Convolution {
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { ...super.fromKeras(r), outputPadding: r.value('output_padding', null) };
  }

  /** Keras's Conv2DTranspose takes no `groups`; `output_padding` instead. */
  static override toKeras(c: Record<string, unknown>): Json {
    const { groups: _groups, ...keras } = super.toKeras(c) as Record<string, Json>;
    return { ...keras, output_padding: (c.outputPadding as Json) ?? null };
  }

  readonly outputPadding: number[] | null;

  protected constructor(className: string, config: Conv2DTransposeConfig | Conv1DTransposeConfig, defaultName: string, rank: 1 | 2) {
    super(className, config as Conv2DConfig, defaultName, rank, ['outputPadding']);
    this.outputPadding = config.outputPadding == null ? null : checkTuple('outputPadding', config.outputPadding, rank, undefined, 0);
    if (this.outputPadding?.some((p, i) => p >= this.strides[i])) {
      throw invalidArgument('outputPadding', `each entry below its stride (strides ${JSON.stringify(this.strides)}), as in Keras`, config.outputPadding);
    }
  }

  /** The kernel is (…kernelSize, filters, inChannels): a convolution's from the output's channels to the input's. */
  protected override build([shape]: readonly Shape[]): ParamSpec[] {
    const channels = this.channelsOf(shape);
    return this.weightsOf([...this.kernelSize, this.filters, channels]);
  }

  override computeOutputShape([shape]: readonly Shape[]): Shape {
    expectRank(this, shape, this.rank + 2);
    const spatial = shape.slice(1, 1 + this.rank).map((l, i) =>
      deconvLength(l, this.kernelSize[i], this.padding as 'valid' | 'same', this.strides[i], this.dilationRate[i], this.outputPadding?.[i] ?? null));
    return [shape[0], ...spatial, this.filters];
  }

  /**
   * Where the first window of the convolution this layer transposes starts, on its (oh, ow)
   * input — our output — read from an (h, w) view of our input: TensorFlow's 'same' padding
   * before, for the lengths above; none for 'valid'.
   */
  private origin(h: number, w: number, oh: number, ow: number): [number, number] {
    if (this.padding === 'valid') return [0, 0];
    const { strides: [sh, sw] } = this.view;
    const [eh, ew] = extentOf(this.view);
    return [Math.floor(Math.max((h - 1) * sh + eh - oh, 0) / 2), Math.floor(Math.max((w - 1) * sw + ew - ow, 0) / 2)];
  }

  /** The output's (height, width) view for an input view of (h, w). */
  private outputSize(h: number, w: number): [number, number] {
    const out = this.computeOutputShape([this.rank === 2 ? [null, h, w, 0] : [null, w, 0]]) as number[];
    return this.rank === 2 ? [out[1], out[2]] : [1, out[1]];
  }

  override forward([x]: readonly tf.Tensor[], [kernel, bias]: readonly tf.Tensor[], _ctx: CallContext): { output: tf.Tensor; cache: ConvCache } {
    const x4 = this.as4d(x);
    const [, h, w] = x4.shape;
    const [oh, ow] = this.outputSize(h, w);
    const [top, left] = this.origin(h, w, oh, ow);
    return this.activated(inputGradient(x4, this.kernel4d(kernel), this.view, top, left, oh, ow, { bias, activation: this.fusedActivation ?? 'linear' }));
  }

  override backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const dz = this.preActivationGradient(dy, saved);
    const x = this.as4d(saved.inputs[0]);
    const kernel = saved.weights[0];
    const [, h, w] = x.shape;
    const [top, left] = this.origin(h, w, dz.shape[1], dz.shape[2]);
    const weights: tf.Tensor[] = [reshaped(weightGradients(dz, x, this.view, top, left, false).kernel, kernel.shape)];
    if (this.useBias) weights.push(biasGradient(dz));
    const input = needInput ? reshaped(convolve(dz, this.kernel4d(kernel), this.view, top, left, h, w), saved.inputs[0].shape) : null;
    return { inputs: [input], weights };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), outputPadding: this.outputPadding };
  }
}

export class Conv2DTranspose extends ConvolutionTranspose {
  static override readonly className = 'Conv2DTranspose';

  constructor(config: Conv2DTransposeConfig) {
    super('Conv2DTranspose', config, 'conv2d_transpose', 2);
  }
}

export class Conv1DTranspose extends ConvolutionTranspose {
  static override readonly className = 'Conv1DTranspose';

  constructor(config: Conv1DTransposeConfig) {
    super('Conv1DTranspose', config, 'conv1d_transpose', 1);
  }
}
