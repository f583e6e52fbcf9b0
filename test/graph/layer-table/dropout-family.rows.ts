// Rows of the layer table for the dropout family (SpatialDropout1D, GaussianDropout,
// GaussianNoise, AlphaDropout). tfjs-layers 4.22 has every class, but its noise is its own
// (tf.randomUniform / randomNormal), not weft's keyed draws, so the rows are `random`: no SGD
// step is compared with tfjs. Inference is the identity in both and is compared, files load in
// tfjs-layers, and the workers check trains through the noise. The training-mode math (noise
// moments, keys, gradients) is tested in test/graph/dropout-family.test.ts.
import * as tfl from '@tensorflow/tfjs-layers';
import * as weft from '../../../src/index.js';
import type { LayerRow } from '../../support/layer-harness.js';

const L = weft.layers;
const T = tfl.layers;

export const dropoutFamilyRows: LayerRow[] = [
  {
    name: 'SpatialDropout1D(0.4) on (None, 5, 4) from Dense(4, tanh), then Flatten → Dense(2)',
    inputs: [{ shape: [5, 3] }],
    random: true,
    // The head's bias at ones keeps the outputs away from 0, where float32 cancellation (wasm vs
    // cpu) exceeds the 1e-5 relative bound with its 1e-6 floor.
    weft: ([x]) => L.dense({ units: 2, biasInitializer: 'ones' }).apply(L.flatten().apply(L.spatialDropout1d({ rate: 0.4 }).apply(L.dense({ units: 4, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.spatialDropout1d({ rate: 0.4 }).apply(T.dense({ units: 4, activation: 'tanh' }).apply(x)))) as tfl.SymbolicTensor,
  },
  {
    // tfjs-layers 4.22 has no SpatialDropout2D: the workers check only (the noise math is in dropout-family.test.ts).
    name: 'SpatialDropout2D(0.3) on (None, 4, 4, 3) from Conv2D(3, 2×2, same), then Flatten → Dense(2)',
    inputs: [{ shape: [4, 4, 2] }],
    random: true,
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.spatialDropout2d({ rate: 0.3 }).apply(L.conv2d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'tanh' }).apply(x)))),
  },
  {
    name: 'GaussianDropout(0.3) between two Dense',
    inputs: [{ shape: [4] }],
    random: true,
    weft: ([x]) => L.dense({ units: 2 }).apply(L.gaussianDropout({ rate: 0.3 }).apply(L.dense({ units: 5, activation: 'tanh' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.gaussianDropout({ rate: 0.3 }).apply(T.dense({ units: 5, activation: 'tanh' }).apply(x))) as tfl.SymbolicTensor,
  },
  {
    name: 'GaussianNoise(0.2) on the input of Dense(3, tanh) → Dense(2)',
    inputs: [{ shape: [4] }],
    random: true,
    weft: ([x]) => L.dense({ units: 2 }).apply(L.dense({ units: 3, activation: 'tanh' }).apply(L.gaussianNoise({ stddev: 0.2 }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.dense({ units: 3, activation: 'tanh' }).apply(T.gaussianNoise({ stddev: 0.2 }).apply(x))) as tfl.SymbolicTensor,
  },
  {
    name: 'GaussianNoise(0.5, seed 7) between two Dense',
    inputs: [{ shape: [3] }],
    random: true,
    weft: ([x]) => L.dense({ units: 2 }).apply(L.gaussianNoise({ stddev: 0.5, seed: 7 }).apply(L.dense({ units: 4, activation: 'tanh' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.gaussianNoise({ stddev: 0.5 }).apply(T.dense({ units: 4, activation: 'tanh' }).apply(x))) as tfl.SymbolicTensor,
  },
  {
    name: 'AlphaDropout(0.2) after Dense(5, selu), then Dense(2)',
    inputs: [{ shape: [4] }],
    random: true,
    weft: ([x]) => L.dense({ units: 2 }).apply(L.alphaDropout({ rate: 0.2 }).apply(L.dense({ units: 5, activation: 'selu' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.alphaDropout({ rate: 0.2 }).apply(T.dense({ units: 5, activation: 'selu' }).apply(x))) as tfl.SymbolicTensor,
  },
  {
    name: 'AlphaDropout(0.3, noiseShape [null, 1, 4], seed 5) on (None, 3, 4), then Flatten → Dense(2)',
    inputs: [{ shape: [3, 4] }],
    random: true,
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.alphaDropout({ rate: 0.3, noiseShape: [null, 1, 4], seed: 5 }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.alphaDropout({ rate: 0.3, noiseShape: [null, 1, 4] }).apply(x))) as tfl.SymbolicTensor,
  },
];
