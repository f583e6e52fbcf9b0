/**
 * DepthwiseConv2D's backward passes on wasm's depthwise conv2d (XNNPACK), which tfjs-backend-wasm
 * registers without DepthwiseConv2dNativeBackpropFilter/Input. Channel c of x feeds outputs
 * c·M … c·M + M − 1 (M the depth multiplier), each through its own (kh, kw) filter.
 */
import * as tf from '@tensorflow/tfjs-core';
import { extentOf, framed, spreadOut, type Pads, type Window } from './conv-ops.js';

/**
 * dL/dkernel (kh, kw, c, M) given dz (n, oh, ow, c·M): a depthwise convolution itself, with the
 * batch folded into the channels — x as one (h, w, n·c) image, dz as its (oh, ow, n·c, M)
 * filter, the forward's strides becoming dilations and its dilations strides — then summed over
 * the batch.
 */
export function depthwiseKernelGradient(x: tf.Tensor4D, dz: tf.Tensor4D, window: Window, top: number, left: number, multiplier: number): tf.Tensor4D {
  const [n, oh, ow, cm] = dz.shape;
  const c = cm / multiplier;
  const { read, pad } = framed(x, window, top, left, oh, ow);
  const [, h, w] = read.shape;
  const image = tf.reshape(tf.transpose(read, [1, 2, 0, 3]), [1, h, w, n * c]) as tf.Tensor4D;
  const filter = tf.reshape(tf.transpose(tf.reshape(dz, [n, oh, ow, c, multiplier]), [1, 2, 0, 3, 4]), [oh, ow, n * c, multiplier]) as tf.Tensor4D;
  const [kh, kw] = window.kernel;
  const g = tf.depthwiseConv2d(image, filter, window.dilations, pad, 'NHWC', window.strides);
  return tf.reshape(tf.sum(tf.reshape(g, [kh, kw, n, c * multiplier]), 2), [kh, kw, c, multiplier]) as tf.Tensor4D;
}

/**
 * dL/dx (n, h, w, c) given dz: for each multiplier index m, the full correlation of dz's
 * channels c·M + m (spread out by the strides) with the flipped (kh, kw, c, 1) filter m, summed.
 */
export function depthwiseInputGradient(dz: tf.Tensor4D, kernel: tf.Tensor4D, window: Window, top: number, left: number, h: number, w: number): tf.Tensor4D {
  const [n, oh, ow] = dz.shape;
  const [kh, kw, c, multiplier] = kernel.shape;
  const [eh, ew] = extentOf(window);
  const flipped = tf.reverse(kernel, [0, 1]) as tf.Tensor4D;
  // (M, n·oh·ow·c): each m's channels contiguous, so taking one is a cheap leading slice.
  const byM = multiplier === 1 ? null : tf.reshape(tf.transpose(tf.reshape(dz, [n * oh * ow, c, multiplier]), [2, 0, 1]), [multiplier, -1]);
  let dx: tf.Tensor4D | null = null;
  for (let m = 0; m < multiplier; m++) {
    const part = byM === null ? dz : (tf.reshape(tf.slice(byM, [m, 0], [1, -1]), [n, oh, ow, c]) as tf.Tensor4D);
    const filter = multiplier === 1 ? flipped : (tf.slice(flipped, [0, 0, 0, m], [kh, kw, c, 1]) as tf.Tensor4D);
    const spread = spreadOut(part, ...window.strides);
    const [, sh, sw] = spread.shape;
    const pad: Pads = [[0, 0], [eh - 1 - top, h - sh + top], [ew - 1 - left, w - sw + left], [0, 0]];
    const g = tf.depthwiseConv2d(spread, filter, 1, pad, 'NHWC', window.dilations);
    dx = dx === null ? g : (tf.add(dx, g) as tf.Tensor4D);
  }
  return dx as tf.Tensor4D;
}
