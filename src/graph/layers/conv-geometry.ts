/**
 * What the convolution and pooling layers share: their tuple arguments (kernelSize, strides,
 * dilationRate, poolSize) and Keras's output-length and 'same'-padding arithmetic, so each
 * layer's file holds only its own math.
 */
import { invalidArgument, invalidType, ShapeError } from '../../errors.js';
import { formatShape, type Shape } from '../shape.js';
import { checkChannelsLast, type Named } from './shape-args.js';

export type Padding = 'valid' | 'same';
/** A convolution's padding: Conv1D has 'causal' too (the input padded on the left; output lengths as 'same'). */
export type ConvPadding = Padding | 'causal';

/** An integer or a list of `rank` integers, each >= `min` (Keras's conv_utils.standardize_tuple). */
export function checkTuple(argument: string, value: unknown, rank: number, fallback?: number, min: 0 | 1 = 1): number[] {
  if (value === undefined && fallback !== undefined) return new Array<number>(rank).fill(fallback);
  const kind = min === 1 ? 'positive' : 'non-negative';
  const expected = `a ${kind} integer or an array of ${rank} ${kind} integers`;
  const list = typeof value === 'number' ? new Array<number>(rank).fill(value) : value;
  if (!Array.isArray(list) || list.length !== rank || !list.every((d) => typeof d === 'number')) throw invalidType(argument, expected, value);
  if (!list.every((d) => Number.isInteger(d) && (d as number) >= min)) throw invalidArgument(argument, expected, value);
  return [...(list as number[])];
}

export function checkPadding(value: unknown, causal?: false): Padding;
export function checkPadding(value: unknown, causal: boolean): ConvPadding;
export function checkPadding(value: unknown, causal = false): ConvPadding {
  if (value === undefined) return 'valid';
  if (value === 'valid' || value === 'same' || (causal && value === 'causal')) return value;
  throw invalidArgument('padding', causal ? "'valid', 'same' or 'causal'" : value === 'causal' ? "'valid' or 'same' (causal padding is Conv1D's)" : "'valid' or 'same'", value);
}

/** Keras's conv_output_length: the output length of one spatial axis, null when the input's is unknown. */
export function outputLength(length: number | null, kernel: number, padding: ConvPadding, stride: number, dilation = 1): number | null {
  if (length === null) return null;
  const extent = (kernel - 1) * dilation + 1;
  return padding === 'valid' ? Math.ceil((length - extent + 1) / stride) : Math.ceil(length / stride);
}

/** The padding before and after one axis, as TensorFlow's 'same' (the odd one after); 0 and 0 for 'valid'. */
export function paddingOf(length: number, kernel: number, padding: Padding, stride: number, dilation = 1): [number, number] {
  if (padding === 'valid') return [0, 0];
  const extent = (kernel - 1) * dilation + 1;
  const out = Math.ceil(length / stride);
  const total = Math.max((out - 1) * stride + extent - length, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** A convolution's window arguments, as its config gives them. */
export interface ConvWindowConfig {
  kernelSize?: unknown;
  strides?: unknown;
  padding?: unknown;
  dilationRate?: unknown;
  dataFormat?: unknown;
}

/**
 * kernelSize, strides, padding ('causal' only where `causal`) and dilationRate of a
 * convolution over `rank` spatial axes, channels-last, with Keras's rule that strides and
 * dilation > 1 do not go together.
 */
export function checkConvWindow(className: string, config: ConvWindowConfig, rank: number, causal: boolean): { kernelSize: number[]; strides: number[]; padding: ConvPadding; dilationRate: number[] } {
  const kernelSize = checkTuple('kernelSize', config.kernelSize, rank);
  const strides = checkTuple('strides', config.strides, rank, 1);
  const padding = checkPadding(config.padding, causal);
  checkChannelsLast(className, config.dataFormat);
  const dilationRate = checkTuple('dilationRate', config.dilationRate, rank, 1);
  if (strides.some((s) => s > 1) && dilationRate.some((d) => d > 1)) {
    throw invalidArgument('dilationRate', `1 when strides > 1 (strides ${JSON.stringify(strides)}: a convolution takes one or the other, as in Keras)`, config.dilationRate);
  }
  return { kernelSize, strides, padding, dilationRate };
}

/**
 * The spatial output shape of a channels-last input `shape` (batch, ...spatial, channels), with
 * Keras's error when an axis would shrink to zero or below.
 */
export function spatialOutput(layer: Named, shape: Shape, kernel: readonly number[], padding: ConvPadding, strides: readonly number[], dilations?: readonly number[]): (number | null)[] {
  const spatial = shape.slice(1, 1 + kernel.length);
  const out = spatial.map((l, i) => outputLength(l, kernel[i], padding, strides[i], dilations?.[i] ?? 1));
  if (out.some((l) => l !== null && l <= 0)) {
    const extents = kernel.map((k, i) => (k - 1) * (dilations?.[i] ?? 1) + 1);
    throw new ShapeError(
      `Layer '${layer.name}' (${layer.className}): one of the dimensions in the output is <= 0 due to downsampling. Consider increasing the input size. ` +
        `Received input shape ${formatShape(shape)} with a window of ${extents.join('×')} and ${padding} padding, which would produce output shape with a zero or negative value in a dimension (${formatShape([shape[0], ...out, shape[shape.length - 1]])})`,
    );
  }
  return out;
}
