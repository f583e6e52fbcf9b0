// Rows of the layer table for the convolution and pooling layers (issue 13).
import * as tfl from '@tensorflow/tfjs-layers';
import * as weft from '../../../src/index.js';
import { conv2d64, dense64, type LayerRow } from '../../support/layer-harness.js';

const L = weft.layers;
const T = tfl.layers;

/** A conv layer's output read out by Flatten → Dense(2), in both libraries. */
function convRow(name: string, shape: number[], weftConv: () => weft.Layer, tfjsConv: () => tfl.layers.Layer, extra: Partial<LayerRow> = {}): LayerRow {
  return {
    name,
    inputs: [{ shape }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(weftConv().apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(tfjsConv().apply(x))) as tfl.SymbolicTensor,
    tolerance: 5,
    ...extra,
  };
}

/** The float64 reference of convRow's model for a linear conv with bias: conv → Flatten → Dense(2). */
function convReference(shape: number[], kernel: [number, number], filters: number, opts: Parameters<typeof conv2d64>[5]): LayerRow['reference'] {
  return ([x], [k, b, dk, db], rows) => {
    const { out } = conv2d64(x, [rows, ...shape], k, [...kernel, filters], b, opts);
    return dense64(out, rows, dk, db, 2);
  };
}

// tfjs-layers 4.22 has no gradient for a dilated convolution ("dilation rates greater than 1 are
// not yet supported in gradients"): those rows check the gradient against finite differences.
const NO_DILATED_GRADIENT = 'tfjs-layers has no gradient for dilated convolutions';

/** A causal Conv1D(2 filters) on (steps, 2) → Flatten → Dense(2), against its float64 reference. */
function causalRow(name: string, steps: number, kernel: number, dilation: number): LayerRow {
  const left = (kernel - 1) * dilation;
  return {
    name,
    inputs: [{ shape: [steps, 2] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.conv1d({ filters: 2, kernelSize: kernel, padding: 'causal', dilationRate: dilation }).apply(x))),
    // Causal = the input padded with (k − 1)·d zeros on the left, then valid.
    reference: ([x], [k, b, dk, db], rows) => {
      const padded = new Float64Array(rows * (steps + left) * 2);
      for (let n = 0; n < rows; n++) padded.set(x.subarray(n * steps * 2, (n + 1) * steps * 2), (n * (steps + left) + left) * 2);
      const { out } = conv2d64(padded, [rows, 1, steps + left, 2], k, [1, kernel, 2], b, { dilations: [1, dilation] });
      return dense64(out, rows, dk, db, 2);
    },
  };
}

/**
 * Conv2DTranspose in float64: x (rows, h, w, c) flat, kernel (kh, kw, f, c); each input pixel
 * (i, j) adds x · kernel[a, b] at output (i·s + a·d − top, j·s + b·d − left) of (rows, oh, ow, f).
 */
function convTranspose64(x: Float64Array, [rows, h, w, c]: readonly number[], kernel: Float64Array, [kh, kw, f]: readonly number[], bias: Float64Array | null,
  { strides: [sh, sw] = [1, 1], dilations: [dh, dw] = [1, 1], top = 0, left = 0, oh, ow }: { strides?: [number, number]; dilations?: [number, number]; top?: number; left?: number; oh: number; ow: number }): Float64Array {
  const out = new Float64Array(rows * oh * ow * f);
  for (let p = 0; p < rows * oh * ow; p++) for (let o = 0; o < f; o++) out[p * f + o] = bias === null ? 0 : bias[o];
  for (let n = 0; n < rows; n++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
    const [y, z] = [i * sh + a * dh - top, j * sw + b * dw - left];
    if (y < 0 || y >= oh || z < 0 || z >= ow) continue;
    for (let k = 0; k < c; k++) for (let o = 0; o < f; o++) out[((n * oh + y) * ow + z) * f + o] += x[((n * h + i) * w + j) * c + k] * kernel[((a * kw + b) * f + o) * c + k];
  }
  return out;
}

/** A transposed-conv row against convTranspose64 → Flatten → Dense(2): Keras's output size and origin written out by hand. */
function transposeRow(name: string, shape: number[], layer: () => weft.Layer, kernel: [number, number], filters: number, geometry: Parameters<typeof convTranspose64>[5]): LayerRow {
  const four = shape.length === 3 ? shape : [1, ...shape];
  return {
    name,
    inputs: [{ shape }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(layer().apply(x))),
    reference: ([x], [k, b, dk, db], rows) => dense64(convTranspose64(x, [rows, ...four], k, [...kernel, filters], b, geometry), rows, dk, db, 2),
  };
}

/** DepthwiseConv2D in float64: x (rows, h, w, c), kernel (kh, kw, c, M), output channel c·M + m; 'same' as TensorFlow's. */
function depthwise64(x: Float64Array, [rows, h, w, c]: readonly number[], kernel: Float64Array, [kh, kw, M]: readonly number[], bias: Float64Array | null,
  { dilations: [dh, dw] = [1, 1], same = false }: { dilations?: [number, number]; same?: boolean }): Float64Array {
  const [eh, ew] = [(kh - 1) * dh + 1, (kw - 1) * dw + 1];
  const [oh, ow] = same ? [h, w] : [h - eh + 1, w - ew + 1];
  const [top, left] = same ? [Math.floor((eh - 1) / 2), Math.floor((ew - 1) / 2)] : [0, 0];
  const out = new Float64Array(rows * oh * ow * c * M);
  for (let n = 0; n < rows; n++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let k = 0; k < c; k++) for (let m = 0; m < M; m++) {
    let sum = bias === null ? 0 : bias[k * M + m];
    for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
      const [y, z] = [i + a * dh - top, j + b * dw - left];
      if (y >= 0 && y < h && z >= 0 && z < w) sum += x[((n * h + y) * w + z) * c + k] * kernel[((a * kw + b) * c + k) * M + m];
    }
    out[(((n * oh + i) * ow + j) * c + k) * M + m] = sum;
  }
  return out;
}

export const convRows: LayerRow[] = [
  convRow('Conv2D(3, 3×3, relu) valid on (6, 6, 2)', [6, 6, 2],
    () => L.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', biasInitializer: 'ones' }),
    () => T.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', biasInitializer: 'ones' })),
  convRow('Conv2D(4, 2×3, strides 2, same, tanh) on (7, 5, 3)', [7, 5, 3],
    () => L.conv2d({ filters: 4, kernelSize: [2, 3], strides: 2, padding: 'same', activation: 'tanh' }),
    () => T.conv2d({ filters: 4, kernelSize: [2, 3], strides: 2, padding: 'same', activation: 'tanh' })),
  convRow('Conv2D(2, 3×3, dilation 2, same) on (7, 6, 1)', [7, 6, 1],
    () => L.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same' }),
    () => T.conv2d({ filters: 2, kernelSize: 3, dilationRate: 2, padding: 'same' }),
    { tfjsCannotTrain: NO_DILATED_GRADIENT, reference: convReference([7, 6, 1], [3, 3], 2, { dilations: [2, 2], padding: 'same' }) }),
  convRow('Conv2D(2, 3×2, strides [2, 3], valid, no bias) on (8, 7, 2): windows that leave rows unread', [8, 7, 2],
    () => L.conv2d({ filters: 2, kernelSize: [3, 2], strides: [2, 3], useBias: false }),
    () => T.conv2d({ filters: 2, kernelSize: [3, 2], strides: [2, 3], useBias: false })),
  convRow('Conv2D(3, 2×2, dilation [1, 2], valid) on (5, 6, 2)', [5, 6, 2],
    () => L.conv2d({ filters: 3, kernelSize: 2, dilationRate: [1, 2] }),
    () => T.conv2d({ filters: 3, kernelSize: 2, dilationRate: [1, 2] }),
    { tfjsCannotTrain: NO_DILATED_GRADIENT, reference: convReference([5, 6, 2], [2, 2], 3, { dilations: [1, 2] }) }),
  convRow('Conv2D(2, 3×2, strides 2, same) on (7, 6, 2), against the float64 reference too', [7, 6, 2],
    () => L.conv2d({ filters: 2, kernelSize: [3, 2], strides: 2, padding: 'same' }),
    () => T.conv2d({ filters: 2, kernelSize: [3, 2], strides: 2, padding: 'same' }),
    { reference: convReference([7, 6, 2], [3, 2], 2, { strides: [2, 2], padding: 'same' }) }),
  // Few taps (kh·kw·c + 1 <= filters): the kernel and bias gradients by im2col (conv-ops.ts weightGradients).
  convRow('Conv2D(12, 2×2, strides 2, same) on (7, 6, 2): few taps, the im2col gradient', [7, 6, 2],
    () => L.conv2d({ filters: 12, kernelSize: 2, strides: 2, padding: 'same', activation: 'tanh' }),
    () => T.conv2d({ filters: 12, kernelSize: 2, strides: 2, padding: 'same', activation: 'tanh' })),
  convRow('Conv2D(10, 3×2, strides [2, 3], valid) on (8, 7, 1): im2col, windows that leave rows unread', [8, 7, 1],
    () => L.conv2d({ filters: 10, kernelSize: [3, 2], strides: [2, 3], activation: 'relu', biasInitializer: 'ones' }),
    () => T.conv2d({ filters: 10, kernelSize: [3, 2], strides: [2, 3], activation: 'relu', biasInitializer: 'ones' })),
  convRow('Conv2D(10, 3×3, dilation 2, same, no bias) on (7, 7, 1): im2col, dilated', [7, 7, 1],
    () => L.conv2d({ filters: 10, kernelSize: 3, dilationRate: 2, padding: 'same', useBias: false }),
    () => T.conv2d({ filters: 10, kernelSize: 3, dilationRate: 2, padding: 'same', useBias: false }),
    { tfjsCannotTrain: NO_DILATED_GRADIENT, reference: ([x], [k, dk, db], rows) => dense64(conv2d64(x, [rows, 7, 7, 1], k, [3, 3, 10], null, { dilations: [2, 2], padding: 'same' }).out, rows, dk, db, 2) }),
  convRow('Conv1D(8, 3, relu) on (9, 2): im2col', [9, 2],
    () => L.conv1d({ filters: 8, kernelSize: 3, activation: 'relu', biasInitializer: 'ones' }),
    () => T.conv1d({ filters: 8, kernelSize: 3, activation: 'relu', biasInitializer: 'ones' })),
  convRow('MaxPooling2D(2) on (6, 7, 2): the odd column left out', [6, 7, 2],
    () => L.maxPooling2d({ poolSize: 2 }), () => T.maxPooling2d({ poolSize: 2 }), { tolerance: 1 }),
  convRow('MaxPooling2D(3×2, strides [2, 1], same) on (7, 5, 3)', [7, 5, 3],
    () => L.maxPooling2d({ poolSize: [3, 2], strides: [2, 1], padding: 'same' }), () => T.maxPooling2d({ poolSize: [3, 2], strides: [2, 1], padding: 'same' }), { tolerance: 1 }),
  convRow('AveragePooling2D(2) on (6, 6, 2)', [6, 6, 2],
    () => L.averagePooling2d({ poolSize: 2 }), () => T.averagePooling2d({ poolSize: 2 }), { tolerance: 1 }),
  convRow('AveragePooling2D(3, strides 2, same) on (7, 6, 2): padded windows average their pixels only', [7, 6, 2],
    () => L.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), () => T.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), { tolerance: 1 }),
  {
    name: 'Conv2D(3, 3×3, relu) → GlobalAveragePooling2D and GlobalMaxPooling2D, concatenated',
    inputs: [{ shape: [5, 6, 2] }],
    weft: ([x]) => {
      const c = L.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', biasInitializer: 'ones' }).apply(x);
      return L.dense({ units: 2 }).apply(L.concatenate([L.globalAveragePooling2d().apply(c), L.globalMaxPooling2d().apply(c)]));
    },
    tfjs: ([x]) => {
      const c = T.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', biasInitializer: 'ones' }).apply(x) as tfl.SymbolicTensor;
      return T.dense({ units: 2 }).apply(T.concatenate().apply([T.globalAveragePooling2d({}).apply(c) as tfl.SymbolicTensor, T.globalMaxPooling2d({}).apply(c) as tfl.SymbolicTensor])) as tfl.SymbolicTensor;
    },
    tolerance: 5,
  },
  {
    name: 'the Keras MNIST convnet, small: Conv2D 4 3×3 relu → MaxPooling 2 → Conv2D 6 3×3 relu → MaxPooling 2 → Flatten → Dense(2)',
    inputs: [{ shape: [12, 12, 1] }],
    weft: ([x]) => {
      let h = L.maxPooling2d({ poolSize: 2 }).apply(L.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(x));
      h = L.maxPooling2d({ poolSize: 2 }).apply(L.conv2d({ filters: 6, kernelSize: 3, activation: 'relu' }).apply(h));
      return L.dense({ units: 2 }).apply(L.flatten().apply(h));
    },
    tfjs: ([x]) => {
      let h = T.maxPooling2d({ poolSize: 2 }).apply(T.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(x));
      h = T.maxPooling2d({ poolSize: 2 }).apply(T.conv2d({ filters: 6, kernelSize: 3, activation: 'relu' }).apply(h));
      return T.dense({ units: 2 }).apply(T.flatten().apply(h)) as tfl.SymbolicTensor;
    },
    tolerance: 5,
  },
  convRow('Conv1D(3, 3, relu) valid on (9, 2)', [9, 2],
    () => L.conv1d({ filters: 3, kernelSize: 3, activation: 'relu', biasInitializer: 'ones' }),
    () => T.conv1d({ filters: 3, kernelSize: 3, activation: 'relu', biasInitializer: 'ones' })),
  convRow('Conv1D(2, 4, strides 2, same, tanh) on (9, 3)', [9, 3],
    () => L.conv1d({ filters: 2, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' }),
    () => T.conv1d({ filters: 2, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' })),
  // tfjs-layers 4.22 gives a causal Conv1D the output length of 'valid' (Keras keeps the input's):
  // the causal rows are checked against a float64 reference with finite differences instead.
  causalRow('Conv1D(2, 3, causal) on (8, 2): step t sees steps <= t', 8, 3, 1),
  causalRow('Conv1D(2, 2, causal, dilation 2) on (7, 2)', 7, 2, 2),
  convRow('MaxPooling1D(2) on (7, 3)', [7, 3], () => L.maxPooling1d({ poolSize: 2 }), () => T.maxPooling1d({ poolSize: 2 }), { tolerance: 1 }),
  convRow('MaxPooling1D(3, strides 1, same) on (6, 2)', [6, 2],
    () => L.maxPooling1d({ poolSize: 3, strides: 1, padding: 'same' }), () => T.maxPooling1d({ poolSize: 3, strides: 1, padding: 'same' }), { tolerance: 1 }),
  convRow('AveragePooling1D(3, strides 2, same) on (8, 2)', [8, 2],
    () => L.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }), () => T.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }), { tolerance: 1 }),
  convRow('Conv2DTranspose(3, 3×3, strides 2, relu) valid on (4, 3, 2)', [4, 3, 2],
    () => L.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, activation: 'relu', biasInitializer: 'ones' }),
    () => T.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, activation: 'relu', biasInitializer: 'ones' })),
  convRow('Conv2DTranspose(2, 2×3, strides 2, same, tanh) on (3, 4, 2)', [3, 4, 2],
    () => L.conv2dTranspose({ filters: 2, kernelSize: [2, 3], strides: 2, padding: 'same', activation: 'tanh' }),
    () => T.conv2dTranspose({ filters: 2, kernelSize: [2, 3], strides: 2, padding: 'same', activation: 'tanh' })),
  convRow('Conv2DTranspose(2, 1×1, strides 3, no bias) on (3, 3, 2): a kernel smaller than the stride leaves zero rows', [3, 3, 2],
    () => L.conv2dTranspose({ filters: 2, kernelSize: 1, strides: 3, useBias: false }),
    () => T.conv2dTranspose({ filters: 2, kernelSize: 1, strides: 3, useBias: false })),
  {
    name: 'Conv2D(2, 2×2) → Conv2DTranspose(2, 3×3, strides [1, 2], same) on (5, 5, 1): the input gradient',
    inputs: [{ shape: [5, 5, 1] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: [1, 2], padding: 'same' }).apply(L.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.conv2dTranspose({ filters: 2, kernelSize: 3, strides: [1, 2], padding: 'same' }).apply(T.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh' }).apply(x)))) as tfl.SymbolicTensor,
    tolerance: 5,
  },
  convRow('Conv2DTranspose(1, 2×2, strides 2) on (3, 3, 6): its kernel gradient by im2col', [3, 3, 6],
    () => L.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 2 }),
    () => T.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 2 })),
  convRow('DepthwiseConv2D(3×3, relu) valid on (6, 6, 3)', [6, 6, 3],
    () => L.depthwiseConv2d({ kernelSize: 3, activation: 'relu', biasInitializer: 'ones' }),
    () => T.depthwiseConv2d({ kernelSize: 3, activation: 'relu', biasInitializer: 'ones' })),
  convRow('DepthwiseConv2D(2×3, depthMultiplier 2, strides 2, same, tanh) on (7, 6, 2)', [7, 6, 2],
    () => L.depthwiseConv2d({ kernelSize: [2, 3], depthMultiplier: 2, strides: 2, padding: 'same', activation: 'tanh', useBias: true }),
    () => T.depthwiseConv2d({ kernelSize: [2, 3], depthMultiplier: 2, strides: 2, padding: 'same', activation: 'tanh', useBias: true })),
  {
    name: 'Conv2D(3, 2×2, tanh) → DepthwiseConv2D(3×3, depthMultiplier 2, strides [1, 2], same) on (6, 7, 1): the input gradient',
    inputs: [{ shape: [6, 7, 1] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: [1, 2], padding: 'same' }).apply(L.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: [1, 2], padding: 'same' }).apply(T.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh' }).apply(x)))) as tfl.SymbolicTensor,
    tolerance: 5,
  },
  convRow('SeparableConv2D(4, 3×3, relu) valid on (6, 6, 3)', [6, 6, 3],
    () => L.separableConv2d({ filters: 4, kernelSize: 3, activation: 'relu', biasInitializer: 'ones' }),
    () => T.separableConv2d({ filters: 4, kernelSize: 3, activation: 'relu', biasInitializer: 'ones' })),
  convRow('SeparableConv2D(3, 2×3, depthMultiplier 2, strides 2, same, tanh) on (7, 6, 2)', [7, 6, 2],
    () => L.separableConv2d({ filters: 3, kernelSize: [2, 3], depthMultiplier: 2, strides: 2, padding: 'same', activation: 'tanh' }),
    () => T.separableConv2d({ filters: 3, kernelSize: [2, 3], depthMultiplier: 2, strides: 2, padding: 'same', activation: 'tanh' })),
  convRow('SeparableConv2D(12, 2×2, no bias) on (5, 5, 2): the pointwise kernel gradient by im2col', [5, 5, 2],
    () => L.separableConv2d({ filters: 12, kernelSize: 2, useBias: false }),
    () => T.separableConv2d({ filters: 12, kernelSize: 2, useBias: false })),
  {
    name: 'Conv2D(3, 2×2, tanh) → SeparableConv2D(2, 3×3, same) on (6, 6, 1): the input gradient',
    inputs: [{ shape: [6, 6, 1] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.separableConv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(L.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.separableConv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(T.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh' }).apply(x)))) as tfl.SymbolicTensor,
    tolerance: 5,
  },
  // tfjs-layers 4.22's DepthwiseConv2D ignores dilationRate in its call ("TODO(cais): Add support
  // for dilation"): the dilated row is checked against the float64 reference only.
  {
    name: 'DepthwiseConv2D(3×3, depthMultiplier 2, dilation 2, same) on (7, 7, 2)',
    inputs: [{ shape: [7, 7, 2] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, dilationRate: 2, padding: 'same' }).apply(x))),
    reference: ([x], [k, b, dk, db], rows) => dense64(depthwise64(x, [rows, 7, 7, 2], k, [3, 3, 2], b, { dilations: [2, 2], same: true }), rows, dk, db, 2),
  },
  // tfjs-layers 4.22 has neither outputPadding, dilated transposed convolutions nor Conv1DTranspose.
  // (3 − 1)·2 + 3 − 2·1 + 1 = 6 rows, 8 columns; TensorFlow's 'same' origin floor(((3 − 1)·2 + 3 − 6) / 2) = 0.
  transposeRow('Conv2DTranspose(2, 3×3, strides 2, same, outputPadding 1) on (3, 4, 2)', [3, 4, 2],
    () => L.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', outputPadding: 1 }), [3, 3], 2, { strides: [2, 2], oh: 6, ow: 8 }),
  // Without outputPadding: 3·2 = 6 rows, 8 columns; the origin floor(((3 − 1)·2 + 4 − 6) / 2) = 1 row, floor((3·2 + 4 − 8) / 2) = 1 column.
  transposeRow('Conv2DTranspose(3, 4×4, strides 2, same) on (3, 4, 1): an even kernel', [3, 4, 1],
    () => L.conv2dTranspose({ filters: 3, kernelSize: 4, strides: 2, padding: 'same' }), [4, 4], 3, { strides: [2, 2], top: 1, left: 1, oh: 6, ow: 8 }),
  // valid, dilation 2: extent 3, 3·1 + 3 − 1 = 5 rows and columns.
  transposeRow('Conv2DTranspose(2, 2×2, dilation 2) on (3, 3, 2)', [3, 3, 2],
    () => L.conv2dTranspose({ filters: 2, kernelSize: 2, dilationRate: 2 }), [2, 2], 2, { dilations: [2, 2], oh: 5, ow: 5 }),
  // 4·2 = 8 steps; origin floor((3·2 + 3 − 8) / 2) = 0.
  transposeRow('Conv1DTranspose(2, 3, strides 2, same) on (4, 2)', [4, 2],
    () => L.conv1dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }), [1, 3], 2, { strides: [1, 2], oh: 1, ow: 8 }),
];
