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
import { activationFromKeras, activationToKeras, getActivation, type Activation } from '../activations.js';
import { constraintToKeras, readConstraint, resolveConstraint, type ConstraintIdentifier } from '../constraints.js';
import { resolveInitializer, type InitializerSpec } from '../initializers.js';
import { initializerToKeras, type Json, type KerasConfigReader } from '../keras-config.js';
import { checkLayerConfig, Layer, setFields, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { readRegularizer, regularizerToKeras, resolveRegularizer, type RegularizerIdentifier } from '../regularizers.js';
import type { Shape } from '../shape.js';
import { reshaped } from '../tensor-io.js';
import { checkPadding, checkTuple, paddingOf, spatialOutput, type ConvPadding } from './conv-geometry.js';
import { biasGradient, inputGradient, kernelGradient, type Pads, type Window } from './conv-ops.js';
import { checkChannelsLast, expectRank } from './shape-args.js';

interface ConvConfig {
  filters: number;
  /** Only 'channelsLast': (batch, steps, channels) or (batch, height, width, channels). */
  dataFormat?: 'channelsLast';
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

const KEYS = [
  'filters', 'kernelSize', 'strides', 'padding', 'dataFormat', 'dilationRate', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer',
  'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint', 'name',
];

export interface ConvCache {
  /** The pre-activation, kept only when the activation's derivative needs it. */
  z: tf.Tensor | null;
}

export abstract class Convolution extends Layer {
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    r.mustBe('data_format', ['channels_last', 'channelsLast'], 'weft convolves channels-last inputs');
    r.mustBe('groups', [1], 'weft has no grouped convolution');
    return {
      name: r.name, filters: r.get('filters'), kernelSize: r.get('kernel_size'), strides: r.value('strides', 1), padding: r.value('padding', 'valid'),
      dilationRate: r.value('dilation_rate', 1), activation: activationFromKeras(r), useBias: r.value('use_bias', true),
      kernelInitializer: r.initializer('kernel_initializer', 'glorotUniform'), biasInitializer: r.initializer('bias_initializer', 'zeros'),
      kernelRegularizer: readRegularizer(r, 'kernel_regularizer'), biasRegularizer: readRegularizer(r, 'bias_regularizer'),
      kernelConstraint: readConstraint(r, 'kernel_constraint'), biasConstraint: readConstraint(r, 'bias_constraint'),
    };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    // The tuples' length is the rank: getConfig writes them whole.
    const kernel = c.kernelSize as number[];
    const tuple = (v: unknown) => (Array.isArray(v) ? v : kernel.map(() => v ?? 1));
    return {
      filters: c.filters, kernel_size: tuple(kernel), strides: tuple(c.strides), padding: c.padding ?? 'valid', data_format: 'channels_last',
      dilation_rate: tuple(c.dilationRate), groups: 1, activation: activationToKeras(c.activation ?? 'linear'), use_bias: c.useBias ?? true,
      kernel_initializer: initializerToKeras(c.kernelInitializer ?? 'glorotUniform'), bias_initializer: initializerToKeras(c.biasInitializer ?? 'zeros'),
      kernel_regularizer: regularizerToKeras(c.kernelRegularizer), bias_regularizer: regularizerToKeras(c.biasRegularizer), activity_regularizer: null,
      kernel_constraint: constraintToKeras(c.kernelConstraint), bias_constraint: constraintToKeras(c.biasConstraint),
      name: c.name, trainable: true,
    };
  }

  readonly filters: number;
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: ConvPadding;
  readonly dilationRate: number[];
  readonly activation: Activation;
  readonly useBias: boolean;
  private readonly kernelInit: ReturnType<typeof resolveInitializer>;
  private readonly biasInit: ReturnType<typeof resolveInitializer>;
  private readonly kernelRegularizer: ReturnType<typeof resolveRegularizer>;
  private readonly biasRegularizer: ReturnType<typeof resolveRegularizer>;
  private readonly kernelConstraint: ReturnType<typeof resolveConstraint>;
  private readonly biasConstraint: ReturnType<typeof resolveConstraint>;

  protected constructor(className: string, config: Conv1DConfig | Conv2DConfig, defaultName: string, protected readonly rank: 1 | 2, extraKeys: readonly string[] = []) {
    super(checkLayerConfig<Conv2DConfig>(className, config, [...KEYS, ...extraKeys]).name, defaultName);
    if (typeof config.filters !== 'number') throw invalidType('filters', 'a positive integer', config.filters);
    if (!(Number.isInteger(config.filters) && config.filters >= 1)) throw invalidArgument('filters', 'a positive integer', config.filters);
    this.filters = config.filters;
    this.kernelSize = checkTuple('kernelSize', config.kernelSize, rank);
    this.strides = checkTuple('strides', config.strides, rank, 1);
    this.padding = checkPadding(config.padding, rank === 1 && className === 'Conv1D');
    checkChannelsLast(className, config.dataFormat);
    this.dilationRate = checkTuple('dilationRate', config.dilationRate, rank, 1);
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw invalidArgument('dilationRate', `1 when strides > 1 (strides ${JSON.stringify(this.strides)}: a convolution takes one or the other, as in Keras)`, config.dilationRate);
    }
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
    const params: ParamSpec[] = [{ name: 'kernel', shape: kernelShape, initializer: this.kernelInit, regularizer: this.kernelRegularizer, constraint: this.kernelConstraint }];
    if (this.useBias) params.push({ name: 'bias', shape: [this.filters], initializer: this.biasInit, regularizer: this.biasRegularizer, constraint: this.biasConstraint });
    return params;
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
    const { kernel: [kh, kw], strides: [sh, sw], dilations: [dh, dw] } = this.view;
    const causal = this.padding === 'causal';
    const top = causal ? [0, 0] : paddingOf(h, kh, this.padding as 'valid' | 'same', sh, dh);
    const left = causal ? [(kw - 1) * dw, 0] : paddingOf(w, kw, this.padding as 'valid' | 'same', sw, dw);
    return [[0, 0], top as [number, number], left as [number, number], [0, 0]];
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
    const weights: tf.Tensor[] = [reshaped(kernelGradient(x, dz, this.view, top, left), kernel.shape)];
    if (this.useBias) weights.push(biasGradient(dz, this.filters));
    const input = needInput ? reshaped(inputGradient(dz, this.kernel4d(kernel), this.view, top, left, x.shape[1], x.shape[2]), saved.inputs[0].shape) : null;
    return { inputs: [input], weights };
  }

  /** The activation when wasm's conv2d can fuse it (relu, linear), else null: it then runs after, on z. */
  protected get fusedActivation(): 'relu' | 'linear' | null {
    const { name } = this.activation;
    return name === 'linear' || name === 'relu' ? name : null;
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
    return {
      name: this.name, filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dilationRate: this.dilationRate,
      activation: this.activation.name, useBias: this.useBias, kernelInitializer: this.kernelInit, biasInitializer: this.biasInit,
      ...setFields({ kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer, kernelConstraint: this.kernelConstraint, biasConstraint: this.biasConstraint }),
    };
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
