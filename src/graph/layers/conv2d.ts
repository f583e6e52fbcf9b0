/**
 * Conv2D, channels-last, as Keras: y = activation(conv(x, kernel) + bias), kernel
 * (kh, kw, inChannels, filters). Forward on wasm's conv2d (XNNPACK, bias and relu fused). The
 * backward passes run on registered wasm kernels too — tfjs-backend-wasm 4.22 has no
 * Conv2DBackpropFilter, which is why tfjs-layers cannot train a convnet there:
 *   - the kernel gradient is itself a convolution, of the input with batch and channels swapped
 *     (x as (in, h, w, batch)) by dL/dz as the filter ((oh, ow, batch, filters)), the forward's
 *     strides becoming dilations and its dilations strides;
 *   - the input gradient is Conv2DBackpropInput (conv2dTranspose), or for a dilated kernel the
 *     full correlation of dL/dz with the flipped kernel.
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
import { checkPadding, checkTuple, paddingOf, spatialOutput, type Padding } from './conv-geometry.js';
import { checkChannelsLast, expectRank } from './shape-args.js';

export interface Conv2DConfig {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  /** Only 'channelsLast' (batch, height, width, channels). */
  dataFormat?: 'channelsLast';
  dilationRate?: number | [number, number];
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

const KEYS = [
  'filters', 'kernelSize', 'strides', 'padding', 'dataFormat', 'dilationRate', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer',
  'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint', 'name',
];

interface ConvCache {
  /** The pre-activation, kept only when the activation's derivative needs it. */
  z: tf.Tensor4D | null;
}

export class Conv2D extends Layer {
  static override readonly className = 'Conv2D';

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
    const pair = (v: unknown, fallback: number) => (Array.isArray(v) ? v : [v ?? fallback, v ?? fallback]);
    return {
      filters: c.filters, kernel_size: pair(c.kernelSize, 1), strides: pair(c.strides, 1), padding: c.padding ?? 'valid', data_format: 'channels_last',
      dilation_rate: pair(c.dilationRate, 1), groups: 1, activation: activationToKeras(c.activation ?? 'linear'), use_bias: c.useBias ?? true,
      kernel_initializer: initializerToKeras(c.kernelInitializer ?? 'glorotUniform'), bias_initializer: initializerToKeras(c.biasInitializer ?? 'zeros'),
      kernel_regularizer: regularizerToKeras(c.kernelRegularizer), bias_regularizer: regularizerToKeras(c.biasRegularizer), activity_regularizer: null,
      kernel_constraint: constraintToKeras(c.kernelConstraint), bias_constraint: constraintToKeras(c.biasConstraint),
      name: c.name, trainable: true,
    };
  }

  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: Activation;
  readonly useBias: boolean;
  private readonly kernelInit: ReturnType<typeof resolveInitializer>;
  private readonly biasInit: ReturnType<typeof resolveInitializer>;
  private readonly kernelRegularizer: ReturnType<typeof resolveRegularizer>;
  private readonly biasRegularizer: ReturnType<typeof resolveRegularizer>;
  private readonly kernelConstraint: ReturnType<typeof resolveConstraint>;
  private readonly biasConstraint: ReturnType<typeof resolveConstraint>;

  constructor(config: Conv2DConfig) {
    super(checkLayerConfig<Conv2DConfig>('Conv2D', config, KEYS).name, 'conv2d');
    if (typeof config.filters !== 'number') throw invalidType('filters', 'a positive integer', config.filters);
    if (!(Number.isInteger(config.filters) && config.filters >= 1)) throw invalidArgument('filters', 'a positive integer', config.filters);
    this.filters = config.filters;
    this.kernelSize = checkTuple('kernelSize', config.kernelSize, 2) as [number, number];
    this.strides = checkTuple('strides', config.strides, 2, 1) as [number, number];
    this.padding = checkPadding(config.padding);
    checkChannelsLast('Conv2D', config.dataFormat);
    this.dilationRate = checkTuple('dilationRate', config.dilationRate, 2, 1) as [number, number];
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
    expectRank(this, shape, 4);
    const channels = shape[3];
    if (channels === null) throw invalidArgument(`the channels axis of the input of layer '${this.name}' (Conv2D)`, 'a known size', shape);
    spatialOutput(this, shape, this.kernelSize, this.padding, this.strides, this.dilationRate);
    const params: ParamSpec[] = [{
      name: 'kernel', shape: [...this.kernelSize, channels, this.filters], initializer: this.kernelInit, regularizer: this.kernelRegularizer, constraint: this.kernelConstraint,
    }];
    if (this.useBias) params.push({ name: 'bias', shape: [this.filters], initializer: this.biasInit, regularizer: this.biasRegularizer, constraint: this.biasConstraint });
    return params;
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return [shape[0], ...spatialOutput(this, shape, this.kernelSize, this.padding, this.strides, this.dilationRate), this.filters];
  }

  forward([x]: readonly tf.Tensor[], [kernel, bias]: readonly tf.Tensor[], _ctx: CallContext): { output: tf.Tensor; cache: ConvCache } {
    const act = this.activation;
    const fusable = act.name === 'linear' || act.name === 'relu';
    const z = tf.fused.conv2d({
      x: x as tf.Tensor4D, filter: kernel as tf.Tensor4D, strides: this.strides, pad: this.padding, dilations: this.dilationRate,
      bias, activation: fusable ? (act.name as 'relu' | 'linear') : 'linear',
    });
    return { output: fusable ? z : act.forward(z), cache: { z: fusable ? null : z } };
  }

  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const { z } = saved.cache as ConvCache;
    const dz = this.activation.backward(dy, z ?? saved.output, saved.output) as tf.Tensor4D;
    const x = saved.inputs[0] as tf.Tensor4D;
    const kernel = saved.weights[0] as tf.Tensor4D;
    const weights: tf.Tensor[] = [this.kernelGradient(x, dz)];
    // The bias gradient sums dz over batch and positions: a ones-row matMul, as Dense's.
    if (this.useBias) weights.push(reshaped(tf.matMul(tf.ones([1, dz.size / this.filters]), reshaped(dz, [-1, this.filters]) as tf.Tensor2D), [this.filters]));
    return { inputs: [needInput ? this.inputGradient(dz, kernel, x.shape) : null], weights };
  }

  /** dL/dkernel[a, b, c, f] = Σ over batch and output positions of x[n, o·s + a·d − pad, …, c] · dz[n, o, …, f]. */
  private kernelGradient(x: tf.Tensor4D, dz: tf.Tensor4D): tf.Tensor {
    const [n, h, w, c] = x.shape;
    const [, oh, ow] = dz.shape;
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.strides;
    const [dh, dw] = this.dilationRate;
    const [top] = paddingOf(h, kh, this.padding, sh, dh);
    const [left] = paddingOf(w, kw, this.padding, sw, dw);
    // What lies past the last window the forward read: padding to add, or rows it never read to cut.
    const bottom = (kh - 1) * dh + (oh - 1) * sh + 1 - h - top;
    const right = (kw - 1) * dw + (ow - 1) * sw + 1 - w - left;
    const read = bottom < 0 || right < 0 ? tf.slice(x, [0, 0, 0, 0], [n, h + Math.min(bottom, 0), w + Math.min(right, 0), c]) : x;
    const pad: [[0, 0], [number, number], [number, number], [0, 0]] = [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]];
    const g = tf.conv2d(tf.transpose(read, [3, 1, 2, 0]), tf.transpose(dz, [1, 2, 0, 3]), [dh, dw], pad, 'NHWC', [sh, sw]);
    return tf.transpose(g, [1, 2, 0, 3]);
  }

  /** dL/dx: Conv2DBackpropInput; for a dilated kernel (strides 1) the full correlation of dz with the flipped kernel. */
  private inputGradient(dz: tf.Tensor4D, kernel: tf.Tensor4D, shape: [number, number, number, number]): tf.Tensor {
    if (this.dilationRate.every((d) => d === 1)) return tf.conv2dTranspose(dz, kernel, shape, this.strides, this.padding);
    const [, h, w] = shape;
    const [, oh, ow] = dz.shape;
    const [kh, kw] = this.kernelSize;
    const [dh, dw] = this.dilationRate;
    const [top] = paddingOf(h, kh, this.padding, 1, dh);
    const [left] = paddingOf(w, kw, this.padding, 1, dw);
    const [eh, ew] = [(kh - 1) * dh + 1, (kw - 1) * dw + 1];
    const pad: [[0, 0], [number, number], [number, number], [0, 0]] = [[0, 0], [eh - 1 - top, h - oh + top], [ew - 1 - left, w - ow + left], [0, 0]];
    const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(dz, flipped, 1, pad, 'NHWC', this.dilationRate);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, filters: this.filters, kernelSize: this.kernelSize, strides: this.strides, padding: this.padding, dilationRate: this.dilationRate,
      activation: this.activation.name, useBias: this.useBias, kernelInitializer: this.kernelInit, biasInitializer: this.biasInit,
      ...setFields({ kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer, kernelConstraint: this.kernelConstraint, biasConstraint: this.biasConstraint }),
    };
  }
}
