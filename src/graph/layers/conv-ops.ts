/**
 * The tensor math that Conv and Conv2DTranspose share, on (batch, height, width, channels)
 * views: a 1-D layer is a 2-D one of height 1. Every pass runs on wasm's conv2d (XNNPACK) —
 * tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter, and its Conv2DBackpropInput is a
 * scalar loop ~8× slower than the flipped-kernel correlation below (conv 2 of the MNIST
 * convnet, 64 rows: 121 vs 15 ms).
 */
import * as tf from '@tensorflow/tfjs-core';
import { paddingOf, type Padding } from './conv-geometry.js';

/** A convolution's window: kernel size, strides and dilations of its two spatial axes. */
export interface Window {
  readonly kernel: [number, number];
  readonly strides: [number, number];
  readonly dilations: [number, number];
}

/** Explicit padding of a 4-D (batch, height, width, channels) view. */
export type Pads = [[0, 0], [number, number], [number, number], [0, 0]];

/** TensorFlow's padding of an (h, w) input for the window: 'same' (the odd pixel after) or none. */
export function padsOf({ kernel: [kh, kw], strides: [sh, sw], dilations: [dh, dw] }: Window, padding: Padding, h: number, w: number): Pads {
  return [[0, 0], paddingOf(h, kh, padding, sh, dh), paddingOf(w, kw, padding, sw, dw), [0, 0]];
}

/** The extent of the window on each axis: (k − 1)·d + 1. */
export const extentOf = ({ kernel, dilations }: Window): [number, number] => [(kernel[0] - 1) * dilations[0] + 1, (kernel[1] - 1) * dilations[1] + 1];

/**
 * x framed for a 'valid' pass of the window that gives exactly (oh, ow) outputs, the first
 * window starting at (−top, −left): the padding to add before and after, and x cut where the
 * last window stops short of its far edge (rows a strided window never reads).
 */
export function framed(x: tf.Tensor4D, window: Window, top: number, left: number, oh: number, ow: number): { read: tf.Tensor4D; pad: Pads } {
  const [n, h, w, c] = x.shape;
  const [eh, ew] = extentOf(window);
  const [sh, sw] = window.strides;
  const bottom = eh + (oh - 1) * sh - h - top;
  const right = ew + (ow - 1) * sw - w - left;
  const read = bottom < 0 || right < 0 ? tf.slice(x, [0, 0, 0, 0], [n, h + Math.min(bottom, 0), w + Math.min(right, 0), c]) : x;
  return { read, pad: [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]] };
}

/** The convolution y[n, o, f] = Σ x[n, o·s + a·d − top, c] · kernel[a, c, f] with (oh, ow) outputs. */
export function convolve(x: tf.Tensor4D, kernel: tf.Tensor4D, window: Window, top: number, left: number, oh: number, ow: number): tf.Tensor4D {
  const { read, pad } = framed(x, window, top, left, oh, ow);
  return tf.conv2d(read, kernel, window.strides, pad, 'NHWC', window.dilations);
}

/**
 * dL/dkernel (kh, kw, c, f) and, when asked, dL/dbias (f) of `convolve(x, kernel, window, top,
 * left)` + bias given dL/dy = dz. Two forms, measured on the MNIST convnet's shards (64 rows,
 * fresh tensors, as in a step: wasm repacks a new filter or matMul operand every call):
 *   - few taps (kh·kw·c + 1 ≤ f, e.g. a first layer on one-channel images): im2col. An identity
 *     convolution lays x's windows out as patches (n·oh·ow, kh·kw·c), with a column of ones from
 *     its bias for the bias gradient, and one matMul dzᵀ · patches gives both (3.4 ms against
 *     16.6 for the swapped convolution and a separate bias sum at 28×28×1 → 32);
 *   - otherwise a convolution of x with batch and channels swapped ((c, h, w, n)) by dz as the
 *     filter ((oh, ow, n, f)), the forward's strides becoming dilations and its dilations
 *     strides; the bias gradient a sum over positions.
 */
export function weightGradients(x: tf.Tensor4D, dz: tf.Tensor4D, window: Window, top: number, left: number, withBias: boolean): { kernel: tf.Tensor4D; bias: tf.Tensor | null } {
  const [n, oh, ow, f] = dz.shape;
  const c = x.shape[3];
  const [kh, kw] = window.kernel;
  const taps = kh * kw * c;
  const { read, pad } = framed(x, window, top, left, oh, ow);
  if (taps + 1 <= f) {
    const identity = tf.concat([tf.reshape(tf.eye(taps), [kh, kw, c, taps]), tf.zeros([kh, kw, c, 1])], 3) as tf.Tensor4D;
    const ones = tf.concat([tf.zeros([taps]), tf.ones([1])]);
    const patches = tf.fused.conv2d({ x: read, filter: identity, strides: window.strides, pad, dilations: window.dilations, bias: ones });
    const rows = n * oh * ow;
    const g = tf.transpose(tf.matMul(tf.transpose(tf.reshape(dz, [rows, f])) as tf.Tensor2D, tf.reshape(patches, [rows, taps + 1]) as tf.Tensor2D));
    const kernel = tf.reshape(tf.slice(g, [0, 0], [taps, f]), [kh, kw, c, f]) as tf.Tensor4D;
    return { kernel, bias: withBias ? tf.reshape(tf.slice(g, [taps, 0], [1, f]), [f]) : null };
  }
  const g = tf.conv2d(tf.transpose(read, [3, 1, 2, 0]), tf.transpose(dz, [1, 2, 0, 3]), window.dilations, pad, 'NHWC', window.strides);
  return { kernel: tf.transpose(g, [1, 2, 0, 3]), bias: withBias ? biasGradient(dz) : null };
}

/**
 * dL/dbias: dz summed over batch and positions, in two sums (over the columns, then over the
 * rows): wasm reduces innermost axes, so each is a short transpose and a sum, and neither packs
 * a matMul operand (a ones-row matMul repacks dz every step: 6.0 against 1.9 ms on 64 × 26 × 26 × 32).
 */
export function biasGradient(dz: tf.Tensor4D): tf.Tensor {
  const [n, oh, ow, f] = dz.shape;
  return tf.sum(tf.sum(tf.reshape(dz, [n * oh, ow, f]), 1), 0);
}

/**
 * dL/dx of `convolve` given dz, for an x of (h, w): the full correlation of dz — spread out by
 * the strides (zeros between its rows and columns) — with the kernel flipped and its channels
 * swapped. This is also Conv2DTranspose's forward pass, which fuses its bias and relu here.
 */
export function inputGradient(dz: tf.Tensor4D, kernel: tf.Tensor4D, window: Window, top: number, left: number, h: number, w: number,
  fused: { bias?: tf.Tensor; activation?: 'relu' | 'linear' } = {}): tf.Tensor4D {
  const [eh, ew] = extentOf(window);
  const spread = spreadOut(dz, ...window.strides);
  const [, oh, ow] = spread.shape;
  const pad: Pads = [[0, 0], [eh - 1 - top, h - oh + top], [ew - 1 - left, w - ow + left], [0, 0]];
  const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.fused.conv2d({ x: spread, filter: flipped, strides: 1, pad, dilations: window.dilations, ...fused });
}

/** dz with (s − 1) zeros between its rows (sh) and columns (sw): what a strided window's gradient spreads over. */
export function spreadOut(dz: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dz;
  const [n, oh, ow, c] = dz.shape;
  const padded = tf.pad(tf.reshape(dz, [n, oh, 1, ow, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]) as tf.Tensor;
  return tf.slice(tf.reshape(padded, [n, oh * sh, ow * sw, c]) as tf.Tensor4D, [0, 0, 0, 0], [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, c]);
}
