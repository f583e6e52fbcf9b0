/**
 * Conv1D and Conv2D, channels-last, as Keras: y = activation(conv(x, kernel) + bias), kernel
 * (kh, kw, inChannels, filters) or (k, inChannels, filters). A 1-D convolution runs as a 2-D one
 * of height 1 (so Conv1D's 'causal' padding is explicit padding on the left). Forward on wasm's
 * conv2d (XNNPACK, bias and relu fused); the backward passes on wasm's conv2d too (conv-ops.ts)
 * — tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, which is why tfjs-layers cannot train a
 * convnet there. `Convolution` is also Conv2DTranspose's base (conv-transpose.ts): the settings,
 * kernel and bias are the same.
 */
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType } from '../../errors.js';
import type { Activation } from '../activations.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import { reshaped } from '../tensor-io.js';
import { checkConvWindow, spatialOutput, type ConvPadding, type Padding } from './conv-geometry.js';
import { inputGradient, padsOf, weightGradients, type Pads, type Window } from './conv-ops.js';
import { KERNEL_BIAS_KEYS, KernelBias, type KernelBiasConfig } from './kernel-bias.js';
import { checkKerasChannelsLast, expectRank } from './shape-args.js';

interface ConvConfig extends KernelBiasConfig {
  filters: number;
  /** Only 'channelsLast': (batch, steps, channels) or (batch, height, width, channels). */
  dataFormat?: 'channelsLast';
  name?: string;
}

export interface Conv2DConfig extends ConvConfig {
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  dilationRate?: number | [number, number];
}

export interface Conv1DConfig extends ConvConfig {
  kernelSize: number | [number];
  strides?: number | [number];
  /** 'causal': the output at step t sees steps ≤ t only (the input padded on the left). */
  padding?: 'valid' | 'same' | 'causal';
  dilationRate?: number | [number];
}

const KEYS = ['filters', 'kernelSize', 'strides', 'padding', 'dataFormat', 'dilationRate', ...KERNEL_BIAS_KEYS, 'name'];

export interface ConvCache {
  /** The pre-activation, kept only when the activation's derivative needs it. */
  z: tf.Tensor | null;
}

export abstract class Convolution extends Layer {
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasChannelsLast(r, 'convolves channels-last inputs');
    r.mustBe('groups', [1], 'weft has no grouped convolution');
    return {
      name: r.name, filters: r.get('filters'), kernelSize: r.get('kernel_size'), strides: r.value('strides', 1), padding: r.value('padding', 'valid'),
      dilationRate: r.value('dilation_rate', 1), ...KernelBias.fromKeras(r),
    };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    // The tuples' length is the rank: getConfig writes them whole.
    const kernel = c.kernelSize as number[];
    const tuple = (v: unknown) => (Array.isArray(v) ? v : kernel.map(() => v ?? 1));
    return {
      filters: c.filters, kernel_size: tuple(kernel), strides: tuple(c.strides), padding: c.padding ?? 'valid', data_format: 'channels_last',
      dilation_rate: tuple(c.dilationRate), groups: 1, ...KernelBias.toKeras(c), name: c.name, trainable: true,
    };
  }

  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: ConvPadding;
  readonly dilationRate: number[];
  private readonly kb: KernelBias;

  protected constructor(className: string, config: Conv1DConfig | Conv2DConfig, defaultName: string, protected readonly rank: 1 | 2, extraKeys: readonly string[] = []) {
    super(checkLayerConfig<Conv2DConfig>(className, config, [...KEYS, ...extraKeys]).name, defaultName);
    if (typeof config.filters !== 'number') throw invalidType('filters', 'a positive integer', config.filters);
    if (!(Number.isInteger(config.filters) && config.filters >= 1)) throw invalidArgument('filters', 'a positive integer', config.filters);
    this.filters = config.filters;
    ({ kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dilationRate: this.dilationRate } = checkConvWindow(className, config, rank, className === 'Conv1D'));
    this.kb = new KernelBias(config);
  }

  get activation(): Activation {
    return this.kb.activation;
  }

  get useBias(): boolean {
    return this.kb.useBias;
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    const channels = this.channelsOf(shape);
    spatialOutput(this, shape, this.kernelSize, this.padding, this.strides, this.dilationRate);
    return this.weightsOf([...this.kernelSize, channels, this.filters]);
  }

  /** The input's channel count, after checking its rank. */
  protected channelsOf(shape: Shape): number {
    expectRank(this, shape, this.rank + 2);
    const channels = shape[this.rank + 1];
    if (channels === null) throw invalidArgument(`the channels axis of the input of layer '${this.name}' (${this.className})`, 'a known size', shape);
    return channels;
  }

  /** The kernel of `kernelShape` and the bias, with their initializers, regularizers and constraints. */
  protected weightsOf(kernelShape: number[]): ParamSpec[] {
    return this.kb.params([kernelShape], this.filters);
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return [shape[0], ...spatialOutput(this, shape, this.kernelSize, this.padding, this.strides, this.dilationRate), this.filters];
  }

  /** The 2-D view of the window: a 1-D convolution is one of height 1. */
  protected get view(): Window {
    const two = (t: readonly number[]) => (this.rank === 2 ? [t[0], t[1]] : [1, t[0]]) as [number, number];
    return { kernel: two(this.kernelSize), strides: two(this.strides), dilations: two(this.dilationRate) };
  }

  /** An input or its gradient as (batch, height, width, channels): a 1-D one has height 1. */
  protected as4d(t: tf.Tensor): tf.Tensor4D {
    return (this.rank === 2 ? t : reshaped(t, [t.shape[0], 1, ...t.shape.slice(1)])) as tf.Tensor4D;
  }

  /** The kernel as (kh, kw, in, out): a 1-D one has height 1. */
  protected kernel4d(kernel: tf.Tensor): tf.Tensor4D {
    return (this.rank === 2 ? kernel : reshaped(kernel, [1, ...kernel.shape])) as tf.Tensor4D;
  }

  /** The forward's padding of a (batch, h, w, channels) view: TensorFlow's 'same', Keras's causal, or none. */
  private pads(h: number, w: number): Pads {
    const { kernel: [, kw], dilations: [, dw] } = this.view;
    const causal = this.padding === 'causal';
    return causal ? [[0, 0], [0, 0], [(kw - 1) * dw, 0], [0, 0]] : padsOf(this.view, this.padding as Padding, h, w);
  }

  forward([x]: readonly tf.Tensor[], [kernel, bias]: readonly tf.Tensor[], _ctx: CallContext): { output: tf.Tensor; cache: ConvCache } {
    const x4 = this.as4d(x);
    const { strides, dilations } = this.view;
    const z4 = tf.fused.conv2d({
      x: x4, filter: this.kernel4d(kernel), strides, pad: this.pads(x4.shape[1], x4.shape[2]), dilations, bias, activation: this.fusedActivation ?? 'linear',
    });
    return this.activated(z4);
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const dz = this.preActivationGradient(dy, saved);
    const x = this.as4d(saved.inputs[0]);
    const kernel = saved.weights[0];
    const [, [top], [left]] = this.pads(x.shape[1], x.shape[2]);
    const g = weightGradients(x, dz, this.view, top, left, this.useBias);
    const weights = g.bias === null ? [reshaped(g.kernel, kernel.shape)] : [reshaped(g.kernel, kernel.shape), g.bias];
    const input = needInput ? reshaped(inputGradient(dz, this.kernel4d(kernel), this.view, top, left, x.shape[1], x.shape[2]), saved.inputs[0].shape) : null;
    return { inputs: [input], weights };
  }

  /** The activation when wasm's conv2d can fuse it (relu, linear), else null: it then runs after, on z. */
  protected get fusedActivation(): 'relu' | 'linear' | null {
    return this.kb.fused;
  }

  /** The output from the (batch, h, w, filters) pre-activation view: the rank restored, the unfused activation applied. */
  protected activated(z4: tf.Tensor4D): { output: tf.Tensor; cache: ConvCache } {
    const z = this.rank === 2 ? z4 : reshaped(z4, [z4.shape[0], z4.shape[2], z4.shape[3]]);
    const fused = this.fusedActivation !== null;
    return { output: fused ? z : this.activation.forward(z), cache: { z: fused ? null : z } };
  }

  /** dL/dz, the gradient before the activation, as a (batch, h, w, filters) view. */
  protected preActivationGradient(dy: tf.Tensor, saved: Saved): tf.Tensor4D {
    const { z } = saved.cache as ConvCache;
    return this.as4d(this.activation.backward(dy, z ?? saved.output, saved.output));
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dilationRate: this.dilationRate, ...this.kb.config() };
  }
}

export class Conv2D extends Convolution {
  static override readonly className = 'Conv2D';

  constructor(config: Conv2DConfig) {
    super('Conv2D', config, 'conv2d', 2);
  }
}

export class Conv1D extends Convolution {
  static override readonly className = 'Conv1D';

  constructor(config: Conv1DConfig) {
    super('Conv1D', config, 'conv1d', 1);
  }
}
