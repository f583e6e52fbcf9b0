// Rows of the layer table for a model applied as a layer (Functional): a nested MLP between
// Dense layers, one applied twice (shared weights), one with two inputs, a nested Sequential,
// and Dropout inside a nested model (its masks keyed by the inner layer, whatever the worker
// count). The inner models are seeded, so every build of a row starts from the same weights.
import * as tfl from '@tensorflow/tfjs-layers';
import * as weft from '../../../src/index.js';
import type { LayerRow } from '../../support/layer-harness.js';

const L = weft.layers;
const T = tfl.layers;
type S = tfl.SymbolicTensor;

/** Input(width) → Dense(4, tanh) → Dense(3, tanh), as a model of its own. */
function weftMlp(width: number, dropout = 0): weft.Model {
  const i = weft.input({ shape: [width] });
  const h = L.dense({ units: 4, activation: 'tanh' }).apply(i);
  const d = dropout > 0 ? L.dropout({ rate: dropout }).apply(h) : h;
  return weft.model({ inputs: i, outputs: L.dense({ units: 3, activation: 'tanh' }).apply(d), seed: 17 });
}

function tfjsMlp(width: number, dropout = 0): tfl.LayersModel {
  const i = tfl.input({ shape: [width] });
  const h = T.dense({ units: 4, activation: 'tanh' }).apply(i) as S;
  const d = dropout > 0 ? (T.dropout({ rate: dropout }).apply(h) as S) : h;
  return tfl.model({ inputs: i, outputs: T.dense({ units: 3, activation: 'tanh' }).apply(d) as S });
}

export const nestedRows: LayerRow[] = [
  {
    name: 'A nested model (Functional: Dense(4, tanh) → Dense(3, tanh)) between Dense(5) and Dense(2)',
    inputs: [{ shape: [6] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(weftMlp(5).apply(L.dense({ units: 5, activation: 'tanh' }).apply(x))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(tfjsMlp(5).apply(T.dense({ units: 5, activation: 'tanh' }).apply(x)) as S) as S,
  },
  {
    name: 'A nested model applied twice (one layer, two nodes, shared weights)',
    inputs: [{ shape: [3] }],
    weft: ([x]) => {
      const i = weft.input({ shape: [3] });
      const inner = weft.model({ inputs: i, outputs: L.dense({ units: 3, activation: 'tanh' }).apply(i), seed: 5 });
      return L.dense({ units: 2 }).apply(inner.apply(inner.apply(x)));
    },
    tfjs: ([x]) => {
      const i = tfl.input({ shape: [3] });
      const inner = tfl.model({ inputs: i, outputs: T.dense({ units: 3, activation: 'tanh' }).apply(i) as S });
      return T.dense({ units: 2 }).apply(inner.apply(inner.apply(x)) as S) as S;
    },
  },
  {
    name: 'A nested model of two inputs (Add, then Dense(2)) fed by two Dense branches',
    inputs: [{ shape: [4] }],
    weft: ([x]) => {
      const a = weft.input({ shape: [3] });
      const b = weft.input({ shape: [3] });
      const inner = weft.model({ inputs: [a, b], outputs: L.dense({ units: 2, biasInitializer: 'ones' }).apply(L.add([a, b])), seed: 9 });
      return inner.apply([L.dense({ units: 3, activation: 'tanh' }).apply(x), L.dense({ units: 3 }).apply(x)]);
    },
    tfjs: ([x]) => {
      const a = tfl.input({ shape: [3] });
      const b = tfl.input({ shape: [3] });
      const inner = tfl.model({ inputs: [a, b], outputs: T.dense({ units: 2 }).apply(T.add().apply([a, b])) as S });
      return inner.apply([T.dense({ units: 3, activation: 'tanh' }).apply(x) as S, T.dense({ units: 3 }).apply(x) as S]) as S;
    },
  },
  {
    name: 'A nested Sequential (Dense(4, relu), Dense(3)) after Dense(5)',
    inputs: [{ shape: [4] }],
    weft: ([x]) => {
      const inner = weft.sequential({ seed: 2 });
      inner.add(L.dense({ units: 4, activation: 'relu', inputShape: [5] }));
      inner.add(L.dense({ units: 3 }));
      return L.dense({ units: 2 }).apply(inner.apply(L.dense({ units: 5, activation: 'tanh' }).apply(x)));
    },
    tfjs: ([x]) => {
      const inner = tfl.sequential({ layers: [T.dense({ units: 4, activation: 'relu', inputShape: [5] }), T.dense({ units: 3 })] });
      return T.dense({ units: 2 }).apply(inner.apply(T.dense({ units: 5, activation: 'tanh' }).apply(x)) as S) as S;
    },
  },
  {
    name: 'Dropout(0.4) inside a nested model',
    inputs: [{ shape: [5] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(weftMlp(5, 0.4).apply(x)),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(tfjsMlp(5, 0.4).apply(x)) as S,
    random: true,
  },
];
