// Rows of the layer table for the core layers (Dense, Dropout, Embedding, Flatten, Concatenate).
import * as tfl from '@tensorflow/tfjs-layers';
import * as weft from '../../../src/index.js';
import { dense64, type LayerRow } from '../../support/layer-harness.js';

const L = weft.layers;
const T = tfl.layers;

export const coreRows: LayerRow[] = [
  {
    name: 'Dense(4, tanh) on (None, 5, 3), then Flatten',
    inputs: [{ shape: [5, 3] }],
    weft: ([x]) => L.flatten().apply(L.dense({ units: 4, activation: 'tanh', biasInitializer: 'ones' }).apply(x)),
    tfjs: ([x]) => T.flatten().apply(T.dense({ units: 4, activation: 'tanh' }).apply(x)) as tfl.SymbolicTensor,
  },
  {
    name: 'Dense(3, tanh) → Dense(2), against the float64 reference too',
    inputs: [{ shape: [4] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.dense({ units: 3, activation: 'tanh' }).apply(x)),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.dense({ units: 3, activation: 'tanh' }).apply(x)) as tfl.SymbolicTensor,
    reference: ([x], [k1, b1, k2, b2], rows) => dense64(dense64(x, rows, k1, b1, 3, Math.tanh), rows, k2, b2, 2),
  },
  {
    name: 'Dense(3, relu) → Dense(2, sigmoid)',
    inputs: [{ shape: [4] }],
    weft: ([x]) => L.dense({ units: 2, activation: 'sigmoid' }).apply(L.dense({ units: 3, activation: 'relu' }).apply(x)),
    tfjs: ([x]) => T.dense({ units: 2, activation: 'sigmoid' }).apply(T.dense({ units: 3, activation: 'relu' }).apply(x)) as tfl.SymbolicTensor,
  },
  {
    name: 'Dropout(0.3) between two Dense',
    inputs: [{ shape: [4] }],
    random: true,
    weft: ([x]) => L.dense({ units: 2 }).apply(L.dropout({ rate: 0.3 }).apply(L.dense({ units: 5, activation: 'tanh' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.dropout({ rate: 0.3 }).apply(T.dense({ units: 5, activation: 'tanh' }).apply(x))) as tfl.SymbolicTensor,
  },
  {
    name: 'Embedding(7, 3) on 4 int32 indices → Flatten → Dense(2)',
    inputs: [{ shape: [4], dtype: 'int32', indices: 7 }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(L.embedding({ inputDim: 7, outputDim: 3 }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(T.embedding({ inputDim: 7, outputDim: 3 }).apply(x))) as tfl.SymbolicTensor,
  },
  {
    name: 'Concatenate of two Dense branches',
    inputs: [{ shape: [3] }, { shape: [2] }],
    weft: ([a, b]) => L.dense({ units: 2 }).apply(L.concatenate([L.dense({ units: 3, activation: 'tanh' }).apply(a), b])),
    tfjs: ([a, b]) => T.dense({ units: 2 }).apply(T.concatenate().apply([T.dense({ units: 3, activation: 'tanh' }).apply(a) as tfl.SymbolicTensor, b])) as tfl.SymbolicTensor,
  },
];
