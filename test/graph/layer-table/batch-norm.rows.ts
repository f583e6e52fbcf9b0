// Rows of the layer table for BatchNormalization (issue 14): between trainable layers, with
// random γ, β and moving statistics so a swapped weight shows in the forward (inference) check.
// The SGD row compares γ, β and both moving statistics after one trainOnBatch step; the worker
// row trains on 1, 2 and 3 workers, the statistics synchronised over the global batch.
// tfjs-layers cannot train with `scale: false` or `center: false` (it reads γ and β
// unconditionally): those are checked against a float64 step in test/train/batch-norm.test.ts.
import * as tfl from '@tensorflow/tfjs-layers';
import * as weft from '../../../src/index.js';
import type { LayerRow } from '../../support/layer-harness.js';

const L = weft.layers;
const T = tfl.layers;
type S = tfl.SymbolicTensor;

/** weft's side draws every BatchNorm weight at random; tfjs-layers is given weft's values. */
const RANDOM_BN = {
  gammaInitializer: 'randomUniform', betaInitializer: 'randomNormal',
  movingMeanInitializer: 'randomNormal', movingVarianceInitializer: { className: 'randomUniform', config: { minval: 0.5, maxval: 1.5 } },
} as const;

export const batchNormRows: LayerRow[] = [
  {
    name: 'BatchNormalization() of a Dense(5) on (None, 4), then Dense(2)',
    inputs: [{ shape: [4] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.batchNormalization(RANDOM_BN).apply(L.dense({ units: 5, activation: 'tanh' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.batchNormalization().apply(T.dense({ units: 5, activation: 'tanh' }).apply(x))) as S,
  },
  {
    name: 'BatchNormalization({momentum: 0.9, epsilon: 0.01}) of a Dense(3, relu), then Dense(2, tanh)',
    inputs: [{ shape: [5] }],
    weft: ([x]) => L.dense({ units: 2, activation: 'tanh' }).apply(L.batchNormalization({ momentum: 0.9, epsilon: 0.01, ...RANDOM_BN }).apply(L.dense({ units: 3, activation: 'relu' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2, activation: 'tanh' }).apply(T.batchNormalization({ momentum: 0.9, epsilon: 0.01 }).apply(T.dense({ units: 3, activation: 'relu' }).apply(x))) as S,
  },
  {
    // tfjs-layers 4.22 normalizes a non-trailing axis with the wrong feature's statistics (its
    // broadcast path; its training step throws): test/train/batch-norm.test.ts checks this
    // form against float64. Here: the same training on 1, 2 and 3 workers.
    name: 'BatchNormalization({axis: 1}) of (None, 4, 3): a non-trailing features axis',
    inputs: [{ shape: [4, 3] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.batchNormalization({ axis: 1, ...RANDOM_BN }).apply(L.dense({ units: 3, activation: 'tanh' }).apply(x)))),
  },
  {
    // No bias before the normalization (as such models are built): its true gradient is 0, and
    // Adam would turn float noise in it into full steps that differ with the summation order.
    name: 'BatchNormalization() of a Conv2D(3, 2×2, no bias) on (None, 4, 4, 2): statistics over batch, height and width',
    inputs: [{ shape: [4, 4, 2] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.batchNormalization(RANDOM_BN).apply(L.conv2d({ filters: 3, kernelSize: 2, useBias: false }).apply(x)))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.batchNormalization().apply(T.conv2d({ filters: 3, kernelSize: 2, useBias: false }).apply(x)))) as S,
    tolerance: 5,
  },
];
