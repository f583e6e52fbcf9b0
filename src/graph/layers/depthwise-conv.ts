/**
 * DepthwiseConv2D, channels-last, as Keras: each input channel convolved with its own
 * `depthMultiplier` filters, kernel (kh, kw, inChannels, depthMultiplier), output channel
 * c·M + m. Forward on wasm's depthwise conv2d (bias and relu fused); the backward passes on it
 * too (depthwise-ops.ts): wasm 4.22 registers no DepthwiseConv2dNativeBackpropFilter/Input.
 */
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument } from '../../errors.js';
import type { Activation } from '../activations.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import { checkConvWindow, checkTuple, spatialOutput, type Padding } from './conv-geometry.js';
import { biasGradient, padsOf, type Pads, type Window } from './conv-ops.js';
import { depthwiseInputGradient, depthwiseKernelGradient } from './depthwise-ops.js';
import { kernelBiasKeys, KernelBias, type KernelBiasConfig, type KernelPrefix } from './kernel-bias.js';
import type { InitializerSpec } from '../initializers.js';
import type { RegularizerIdentifier } from '../regularizers.js';
import type { ConstraintIdentifier } from '../constraints.js';
import { checkKerasChannelsLast, expectRank } from './shape-args.js';

export interface DepthwiseConv2DConfig extends Omit<KernelBiasConfig, 'kernelInitializer' | 'kernelRegularizer' | 'kernelConstraint'> {
  kernelSize: number | [number, number];
  /** Filters per input channel (default 1): the output has inChannels · depthMultiplier channels. */
  depthMultiplier?: number;
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  dilationRate?: number | [number, number];
  dataFormat?: 'channelsLast';
  depthwiseInitializer?: InitializerSpec;
  depthwiseRegularizer?: RegularizerIdentifier | null;
  depthwiseConstraint?: ConstraintIdentifier | null;
  name?: string;
}

interface DepthwiseCache {
  z: tf.Tensor | null;
}

const DEPTHWISE = { className: 'DepthwiseConv2D', defaultName: 'depthwise_conv2d', keys: [], kernels: ['depthwise'] as KernelPrefix[] };

export class DepthwiseConv2D extends Layer {
  static override readonly className: string = 'DepthwiseConv2D';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasChannelsLast(r, 'convolves channels-last inputs');
    return {
      name: r.name, kernelSize: r.get('kernel_size'), depthMultiplier: r.value('depth_multiplier', 1), strides: r.value('strides', 1),
      padding: r.value('padding', 'valid'), dilationRate: r.value('dilation_rate', 1), ...KernelBias.fromKeras(r, 'depthwise'),
    };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return {
      kernel_size: c.kernelSize, strides: c.strides, padding: c.padding ?? 'valid', data_format: 'channels_last', dilation_rate: c.dilationRate,
      depth_multiplier: c.depthMultiplier ?? 1, ...KernelBias.toKeras(c, 'depthwise'), name: c.name, trainable: true,
    };
  }

  readonly kernelSize: number[];
  readonly depthMultiplier: number;
  readonly strides: number[];
  readonly padding: Padding;
  readonly dilationRate: number[];
  protected readonly kb: KernelBias;

  /** `as`: a subclass's class name, default name, extra config keys and kernels (SeparableConv2D). */
  constructor(config: DepthwiseConv2DConfig, as: { className: string; defaultName: string; keys: string[]; kernels: KernelPrefix[] } = DEPTHWISE) {
    const keys = ['kernelSize', 'depthMultiplier', 'strides', 'padding', 'dataFormat', 'dilationRate', ...as.keys, ...kernelBiasKeys(...as.kernels), 'name'];
    super(checkLayerConfig<DepthwiseConv2DConfig>(as.className, config, keys).name, as.defaultName);
    ({ kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dilationRate: this.dilationRate } = checkConvWindow(as.className, config, 2, false) as { kernelSize: number[]; strides: number[]; padding: Padding; dilationRate: number[] });
    [this.depthMultiplier] = checkTuple('depthMultiplier', config.depthMultiplier, 1, 1);
    this.kb = new KernelBias(config, ...as.kernels);
  }

  get activation(): Activation {
    return this.kb.activation;
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    expectRank(this, shape, 4);
    const channels = shape[3];
    if (channels === null) throw invalidArgument(`the channels axis of the input of layer '${this.name}' (${this.className})`, 'a known size', shape);
    spatialOutput(this, shape, this.kernelSize, this.padding, this.strides, this.dilationRate);
    return this.kb.params(this.kernelShapes(channels), this.outputChannels(channels));
  }

  /** The kernels' shapes for `channels` input channels. */
  protected kernelShapes(channels: number): number[][] {
    return [[...this.kernelSize, channels, this.depthMultiplier]];
  }

  protected outputChannels(channels: number): number {
    return channels * this.depthMultiplier;
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    const channels = shape[3];
    return [shape[0], ...spatialOutput(this, shape, this.kernelSize, this.padding, this.strides, this.dilationRate), channels === null ? null : this.outputChannels(channels)];
  }

  protected get window(): Window {
    const two = (t: readonly number[]) => [t[0], t[1]] as [number, number];
    return { kernel: two(this.kernelSize), strides: two(this.strides), dilations: two(this.dilationRate) };
  }

  /** TensorFlow's 'same' padding of an (h, w) input, or none. */
  protected pads(h: number, w: number): Pads {
    return padsOf(this.window, this.padding, h, w);
  }

  forward([x]: readonly tf.Tensor[], [kernel, bias]: readonly tf.Tensor[], _ctx: CallContext): { output: tf.Tensor; cache: DepthwiseCache } {
    const x4 = x as tf.Tensor4D;
    const act = this.activation;
    const fused = this.kb.fused;
    const { strides, dilations } = this.window;
    const z = tf.fused.depthwiseConv2d({
      x: x4, filter: kernel as tf.Tensor4D, strides, pad: this.padding, dilations, bias, activation: fused ?? 'linear',
    });
    return { output: fused === null ? act.forward(z) : z, cache: { z: fused === null ? z : null } };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const { z } = saved.cache as DepthwiseCache;
    const dz = this.activation.backward(dy, z ?? saved.output, saved.output) as tf.Tensor4D;
    const x = saved.inputs[0] as tf.Tensor4D;
    const [, h, w] = x.shape;
    const [, [top], [left]] = this.pads(h, w);
    const weights: tf.Tensor[] = [depthwiseKernelGradient(x, dz, this.window, top, left, this.depthMultiplier)];
    if (this.kb.useBias) weights.push(biasGradient(dz));
    const input = needInput ? depthwiseInputGradient(dz, saved.weights[0] as tf.Tensor4D, this.window, top, left, h, w) : null;
    return { inputs: [input], weights };
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, kernelSize: this.kernelSize, depthMultiplier: this.depthMultiplier, strides: this.strides, padding: this.padding,
      dilationRate: this.dilationRate, ...this.kb.config(),
    };
  }
}
