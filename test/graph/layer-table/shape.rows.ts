// Rows of the layer table for the shape, sequence pooling and normalization layers (Reshape,
// Permute, RepeatVector, Flatten of any rank, GlobalAverage/MaxPooling1D, LayerNormalization),
// and the Keras text classifier Embedding → GlobalAveragePooling1D → Dense.
// Each layer sits between trainable layers, so the SGD check runs through its backward pass.
import * as tfl from '@tensorflow/tfjs-layers';
import * as weft from '../../../src/index.js';
import { dense64, type LayerRow } from '../../support/layer-harness.js';

const L = weft.layers;
const T = tfl.layers;
type S = tfl.SymbolicTensor;

/** Random gamma and beta, so a swapped or ignored weight shows in the forward check. */
const RANDOM_GAMMA_BETA = { gammaInitializer: 'randomUniform', betaInitializer: 'randomNormal' } as const;

/** The mean over the steps of (rows, steps, features), in float64. */
function meanSteps64(x: Float64Array, rows: number, steps: number): Float64Array {
  const features = x.length / (rows * steps);
  const out = new Float64Array(rows * features);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < steps; t++) for (let f = 0; f < features; f++) out[r * features + f] += x[(r * steps + t) * features + f] / steps;
  }
  return out;
}

/** LayerNormalization over the last axis of rows × size values, in float64 (Keras 3's formula). */
function layerNorm64(x: Float64Array, size: number, gamma: Float64Array | null, beta: Float64Array | null, epsilon = 1e-3): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / size; r++) {
    const row = x.subarray(r * size, (r + 1) * size);
    const mean = row.reduce((a, v) => a + v, 0) / size;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / size;
    for (let j = 0; j < size; j++) out[r * size + j] = ((row[j] - mean) / Math.sqrt(variance + epsilon)) * (gamma?.[j] ?? 1) + (beta?.[j] ?? 0);
  }
  return out;
}

/** LayerNormalization({center: false}) of (None, 3, 4): gamma only. Exported with a tfjs model for the forward and files checks. */
export const LN_GAMMA_ONLY: LayerRow = {
  name: 'LayerNormalization({center: false}) of (None, 3, 4): gamma only',
  inputs: [{ shape: [3, 4] }],
  weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.layerNormalization({ center: false, gammaInitializer: 'randomUniform' }).apply(L.dense({ units: 4, activation: 'tanh' }).apply(x)))),
  reference: ([x], [k1, b1, gamma, k2, b2], rows) => dense64(layerNorm64(dense64(x, rows * 3, k1, b1, 4, Math.tanh), 4, gamma, null), rows, k2, b2, 2),
};

export const LN_BETA_ONLY: LayerRow = {
  name: 'LayerNormalization({scale: false}) of a Dense(5): beta only',
  inputs: [{ shape: [4] }],
  weft: ([x]) => L.dense({ units: 2 }).apply(L.layerNormalization({ scale: false, betaInitializer: 'randomNormal' }).apply(L.dense({ units: 5, activation: 'tanh' }).apply(x))),
  reference: ([x], [k1, b1, beta, k2, b2], rows) => dense64(layerNorm64(dense64(x, rows, k1, b1, 5, Math.tanh), 5, null, beta), rows, k2, b2, 2),
};

/** The same models in tfjs-layers, whose forward pass and file loading work. */
export const LN_TFJS_FORWARD_ONLY: Record<string, NonNullable<LayerRow['tfjs']>> = {
  [LN_GAMMA_ONLY.name]: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.layerNormalization({ center: false }).apply(T.dense({ units: 4, activation: 'tanh' }).apply(x)))) as S,
  [LN_BETA_ONLY.name]: ([x]) => T.dense({ units: 2 }).apply(T.layerNormalization({ scale: false }).apply(T.dense({ units: 5, activation: 'tanh' }).apply(x))) as S,
};

export const shapeRows: LayerRow[] = [
  {
    // tfjs-layers leaves a -1 unknown in its symbolic shapes (its batch axis is unknown too), so
    // no Dense can follow it there: Keras 3's resolved (None, 3, 4) against the float64 reference.
    name: 'Reshape([3, -1]) of a Dense(12) on (None, 6), then Dense(2) over the inferred axis (Keras 3)',
    inputs: [{ shape: [6] }],
    weft: ([x]) => L.flatten().apply(L.dense({ units: 2 }).apply(L.reshape({ targetShape: [3, -1] }).apply(L.dense({ units: 12, activation: 'tanh' }).apply(x)))),
    reference: ([x], [k1, b1, k2, b2], rows) => dense64(dense64(x, rows, k1, b1, 12, Math.tanh), rows * 3, k2, b2, 2),
  },
  {
    name: 'Reshape([-1, 3]) of a Dense(12), Dense(2) over the last axis, Reshape([8])',
    inputs: [{ shape: [6] }],
    weft: ([x]) => L.reshape({ targetShape: [8] }).apply(L.dense({ units: 2 }).apply(L.reshape({ targetShape: [-1, 3] }).apply(L.dense({ units: 12, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.reshape({ targetShape: [8] }).apply(T.dense({ units: 2 }).apply(T.reshape({ targetShape: [-1, 3] }).apply(T.dense({ units: 12, activation: 'tanh' }).apply(x)))) as S,
  },
  {
    name: 'Reshape([4, 3]) of (None, 2, 6) after Dense(6), rank 3 to rank 3',
    inputs: [{ shape: [2, 6] }],
    weft: ([x]) => L.flatten().apply(L.dense({ units: 2 }).apply(L.reshape({ targetShape: [4, 3] }).apply(L.dense({ units: 6, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.flatten().apply(T.dense({ units: 2 }).apply(T.reshape({ targetShape: [4, 3] }).apply(T.dense({ units: 6, activation: 'tanh' }).apply(x)))) as S,
  },
  {
    name: 'Permute([2, 1]) of (None, 4, 3) after Dense(3), then Dense(2, tanh) over the last axis',
    inputs: [{ shape: [4, 3] }],
    weft: ([x]) => L.flatten().apply(L.dense({ units: 2, activation: 'tanh', biasInitializer: 'ones' }).apply(L.permute({ dims: [2, 1] }).apply(L.dense({ units: 3, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.flatten().apply(T.dense({ units: 2, activation: 'tanh' }).apply(T.permute({ dims: [2, 1] }).apply(T.dense({ units: 3, activation: 'tanh' }).apply(x)))) as S,
  },
  {
    name: 'Permute([3, 1, 2]) of rank 4 (None, 2, 3, 4)',
    inputs: [{ shape: [2, 3, 4] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.permute({ dims: [3, 1, 2] }).apply(L.dense({ units: 4, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.permute({ dims: [3, 1, 2] }).apply(T.dense({ units: 4, activation: 'tanh' }).apply(x)))) as S,
  },
  {
    name: 'RepeatVector(3) of a Dense(4), then Dense(2) over each copy',
    inputs: [{ shape: [5] }],
    weft: ([x]) => L.flatten().apply(L.dense({ units: 2 }).apply(L.repeatVector({ n: 3 }).apply(L.dense({ units: 4, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.flatten().apply(T.dense({ units: 2 }).apply(T.repeatVector({ n: 3 }).apply(T.dense({ units: 4, activation: 'tanh' }).apply(x)))) as S,
  },
  {
    name: 'Flatten of rank 4 (None, 2, 3, 2) after Dense(2)',
    inputs: [{ shape: [2, 3, 2] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.dense({ units: 2, activation: 'tanh' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.dense({ units: 2, activation: 'tanh' }).apply(x))) as S,
  },
  {
    name: 'Flatten of rank 5 (None, 2, 2, 2, 3) after Dense(2)',
    inputs: [{ shape: [2, 2, 2, 3] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.dense({ units: 2, activation: 'tanh' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.dense({ units: 2, activation: 'tanh' }).apply(x))) as S,
  },
  {
    // tfjs-layers' Flatten wants rank >= 3; Keras 3's takes rank 2 as the identity.
    name: 'Flatten of rank 2 is the identity (Keras 3; tfjs-layers refuses rank 2)',
    inputs: [{ shape: [4] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.dense({ units: 3, activation: 'tanh' }).apply(x))),
    reference: ([x], [k1, b1, k2, b2], rows) => dense64(dense64(x, rows, k1, b1, 3, Math.tanh), rows, k2, b2, 2),
  },
  {
    name: 'GlobalAveragePooling1D of (None, 5, 3) after Dense(4)',
    inputs: [{ shape: [5, 3] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.globalAveragePooling1d().apply(L.dense({ units: 4, activation: 'tanh' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.globalAveragePooling1d().apply(T.dense({ units: 4, activation: 'tanh' }).apply(x))) as S,
  },
  {
    // tfjs-layers 4.22 has no keepdims: Keras 3's (None, 1, 4) against the float64 reference.
    name: 'GlobalAveragePooling1D({keepdims: true}) gives (None, 1, 4), then Flatten (Keras 3)',
    inputs: [{ shape: [5, 3] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.globalAveragePooling1d({ keepdims: true }).apply(L.dense({ units: 4, activation: 'tanh' }).apply(x)))),
    reference: ([x], [k1, b1, k2, b2], rows) => dense64(meanSteps64(dense64(x, rows * 5, k1, b1, 4, Math.tanh), rows, 5), rows, k2, b2, 2),
  },
  {
    name: 'GlobalMaxPooling1D of (None, 5, 3) after Dense(4)',
    inputs: [{ shape: [5, 3] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.globalMaxPooling1d().apply(L.dense({ units: 4, activation: 'tanh' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.globalMaxPooling1d({}).apply(T.dense({ units: 4, activation: 'tanh' }).apply(x))) as S,
  },
  {
    // Every step ties: tfjs's autodiff gives each the whole gradient, RepeatVector sums them.
    name: 'GlobalMaxPooling1D of a RepeatVector(3): every step ties',
    inputs: [{ shape: [4] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.globalMaxPooling1d().apply(L.repeatVector({ n: 3 }).apply(L.dense({ units: 3, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.globalMaxPooling1d({}).apply(T.repeatVector({ n: 3 }).apply(T.dense({ units: 3, activation: 'tanh' }).apply(x)))) as S,
  },
  {
    name: 'LayerNormalization() of a Dense(5), then Dense(2, tanh)',
    inputs: [{ shape: [4] }],
    weft: ([x]) => L.dense({ units: 2, activation: 'tanh', biasInitializer: 'ones' }).apply(L.layerNormalization(RANDOM_GAMMA_BETA).apply(L.dense({ units: 5, activation: 'tanh' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2, activation: 'tanh' }).apply(T.layerNormalization().apply(T.dense({ units: 5, activation: 'tanh' }).apply(x))) as S,
  },
  {
    name: 'LayerNormalization({axis: 1}) of (None, 4, 3): a non-trailing axis',
    inputs: [{ shape: [4, 3] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.layerNormalization({ axis: 1, ...RANDOM_GAMMA_BETA }).apply(L.dense({ units: 3, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.layerNormalization({ axis: 1 }).apply(T.dense({ units: 3, activation: 'tanh' }).apply(x)))) as S,
  },
  {
    name: 'LayerNormalization({axis: [1, 2], epsilon: 0.01}) of (None, 4, 3): gamma and beta (4, 3)',
    inputs: [{ shape: [4, 2] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.layerNormalization({ axis: [1, 2], epsilon: 0.01, ...RANDOM_GAMMA_BETA }).apply(L.dense({ units: 3, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.layerNormalization({ axis: [1, 2], epsilon: 0.01 }).apply(T.dense({ units: 3, activation: 'tanh' }).apply(x)))) as S,
  },
  {
    name: 'LayerNormalization({axis: [-1, 1]}) of rank 4 (None, 2, 3, 2): axes 1 and 3',
    inputs: [{ shape: [2, 3, 2] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.layerNormalization({ axis: [-1, 1], ...RANDOM_GAMMA_BETA }).apply(L.dense({ units: 2, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.layerNormalization({ axis: [-1, 1] }).apply(T.dense({ units: 2, activation: 'tanh' }).apply(x)))) as S,
  },
  // tfjs-layers 4.22 cannot differentiate its LayerNormalization without beta or gamma (its
  // batchNormalization gradient needs both): these two rows take the float64 reference, and
  // test/graph/shape-layers.test.ts checks their forward and files against tfjs-layers.
  LN_GAMMA_ONLY,
  LN_BETA_ONLY,
  {
    name: 'LayerNormalization() on the model input (no input gradient), then Dense(2)',
    inputs: [{ shape: [5] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.layerNormalization(RANDOM_GAMMA_BETA).apply(x)),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.layerNormalization().apply(x)) as S,
  },
  {
    // Keras's text classifier (keras.io "Text classification from scratch", the IMDB example).
    name: 'text classifier: Embedding(20, 4) of 8 int32 tokens → GlobalAveragePooling1D → Dense(4, relu) → Dense(1, sigmoid)',
    inputs: [{ shape: [8], dtype: 'int32', indices: 20 }],
    weft: ([x]) => {
      const pooled = L.globalAveragePooling1d().apply(L.embedding({ inputDim: 20, outputDim: 4 }).apply(x));
      return L.dense({ units: 1, activation: 'sigmoid' }).apply(L.dense({ units: 4, activation: 'relu' }).apply(pooled));
    },
    tfjs: ([x]) => {
      const pooled = T.globalAveragePooling1d().apply(T.embedding({ inputDim: 20, outputDim: 4 }).apply(x)) as S;
      return T.dense({ units: 1, activation: 'sigmoid' }).apply(T.dense({ units: 4, activation: 'relu' }).apply(pooled)) as S;
    },
  },
];

