// Rows of the layer table for the merge layers (Add, Subtract, Multiply, Average, Maximum,
// Minimum, Dot). Each merged tensor comes out of its own Dense branch, so the SGD check runs
// through the merge's gradient to every input. tfjs-layers 4.22 has no Subtract, no Dot of rank
// > 3, and its Maximum/Minimum gradients do not sum over broadcast axes (trainOnBatch throws):
// those rows check against a float64 implementation of Keras 3's formula instead.
import * as tfl from '@tensorflow/tfjs-layers';
import * as weft from '../../../src/index.js';
import { dense64, type LayerRow } from '../../support/layer-harness.js';

const L = weft.layers;
const T = tfl.layers;
type W = weft.SymbolicTensor;
type S = tfl.SymbolicTensor;

const ACTS = ['tanh', 'linear', 'sigmoid'] as const;

/** One Dense(units) per input (tanh, linear, sigmoid in turn): the tensors to merge. */
const weftBranches = (xs: W[], units: number[]) => xs.map((x, i) => L.dense({ units: units[i], activation: ACTS[i % 3] }).apply(x));
const tfjsBranches = (xs: S[], units: number[]) => xs.map((x, i) => T.dense({ units: units[i], activation: ACTS[i % 3] }).apply(x) as S);

/** The head every row ends in: Flatten when the merge is of rank > 2, then Dense(2). */
const weftHead = (m: W) => L.dense({ units: 2 }).apply(m.shape.length > 2 ? L.flatten().apply(m) : m);
const tfjsHead = (m: S) => T.dense({ units: 2 }).apply(m.shape.length > 2 ? T.flatten().apply(m) : m) as S;

interface MergeRowSpec {
  name: string;
  /** Example shapes of the inputs, one Dense branch each. */
  inputs: number[][];
  /** The units of each branch's Dense. */
  units: number[];
  weft(xs: W[]): W;
  tfjs?(xs: S[]): S;
  reference?: LayerRow['reference'];
}

function mergeRow(r: MergeRowSpec): LayerRow {
  return {
    name: r.name,
    inputs: r.inputs.map((shape) => ({ shape })),
    weft: (xs) => weftHead(r.weft(weftBranches(xs, r.units))),
    tfjs: r.tfjs === undefined ? undefined : (xs) => tfjsHead((r.tfjs as NonNullable<MergeRowSpec['tfjs']>)(tfjsBranches(xs, r.units))),
    reference: r.reference,
  };
}

const ACT64 = [Math.tanh, (v: number) => v, (v: number) => 1 / (1 + Math.exp(-v))];

/** Branch i of a row in float64: Dense(units) with ACTS[i] over the last axis of input i. */
function branch64(x: Float64Array, inDim: number, kernel: Float64Array, bias: Float64Array, units: number, i: number): Float64Array {
  return dense64(x, x.length / inDim, kernel, bias, units, ACT64[i % 3]);
}

/** x · rsqrt(max(Σx², ε²)) over groups of `d` values `stride` apart (Keras 3's normalize), in float64. */
function normalize64(x: Float64Array, d: number, stride: number): Float64Array {
  const out = new Float64Array(x.length);
  const block = d * stride;
  for (let b = 0; b < x.length; b += block) {
    for (let s = 0; s < stride; s++) {
      let ss = 0;
      for (let k = 0; k < d; k++) ss += x[b + k * stride + s] ** 2;
      const inv = 1 / Math.sqrt(Math.max(ss, 1e-14));
      for (let k = 0; k < d; k++) out[b + k * stride + s] = x[b + k * stride + s] * inv;
    }
  }
  return out;
}

export const mergeRows: LayerRow[] = [
  mergeRow({
    name: 'Add of two Dense branches: add([a, b])',
    inputs: [[4], [3]], units: [3, 3],
    weft: (xs) => L.add(xs),
    tfjs: (xs) => T.add().apply(xs) as S,
  }),
  {
    name: 'Add as a residual connection: add().apply([x, Dense(4)(x)])',
    inputs: [{ shape: [4] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.add().apply([x, L.dense({ units: 4, activation: 'tanh' }).apply(x)])),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.add().apply([x, T.dense({ units: 4, activation: 'tanh' }).apply(x) as S])) as S,
  },
  mergeRow({
    name: 'Add of (None, 3, 4), (None, 1, 4) and (None, 4): broadcast, and a lower rank expanded at axis 1',
    inputs: [[3, 2], [1, 2], [3]], units: [4, 4, 4],
    weft: (xs) => L.add(xs),
    tfjs: (xs) => T.add().apply(xs) as S,
  }),
  mergeRow({
    name: 'Subtract of two Dense branches (tfjs-layers has no Subtract: float64 reference)',
    inputs: [[4], [3]], units: [3, 3],
    weft: (xs) => L.subtract(xs),
    reference: ([a, b], [k1, b1, k2, b2, k3, b3], rows) => {
      const p = branch64(a, 4, k1, b1, 3, 0);
      const q = branch64(b, 3, k2, b2, 3, 1);
      return dense64(p.map((v, i) => v - q[i]), rows, k3, b3, 2);
    },
  }),
  mergeRow({
    name: 'Multiply of two Dense branches',
    inputs: [[4], [3]], units: [3, 3],
    weft: (xs) => L.multiply(xs),
    tfjs: (xs) => T.multiply().apply(xs) as S,
  }),
  mergeRow({
    name: 'Multiply of (None, 3, 4), (None, 3, 1) and (None, 4)',
    inputs: [[3, 2], [3, 2], [3]], units: [4, 1, 4],
    weft: (xs) => L.multiply().apply(xs),
    tfjs: (xs) => T.multiply().apply(xs) as S,
  }),
  mergeRow({
    name: 'Average of three Dense branches',
    inputs: [[4], [3], [2]], units: [3, 3, 3],
    weft: (xs) => L.average(xs),
    tfjs: (xs) => T.average().apply(xs) as S,
  }),
  mergeRow({
    name: 'Maximum of three Dense branches',
    inputs: [[4], [3], [2]], units: [3, 3, 3],
    weft: (xs) => L.maximum(xs),
    tfjs: (xs) => T.maximum().apply(xs) as S,
  }),
  mergeRow({
    name: 'Minimum of two Dense branches',
    inputs: [[4], [3]], units: [3, 3],
    weft: (xs) => L.minimum().apply(xs),
    tfjs: (xs) => T.minimum().apply(xs) as S,
  }),
  mergeRow({
    name: "Maximum of (None, 3, 4) and (None, 1, 4), broadcast (tfjs's gradient keeps the broadcast shape: float64 reference)",
    inputs: [[3, 2], [1, 2]], units: [4, 4],
    weft: (xs) => L.maximum(xs),
    reference: ([a, b], [k1, b1, k2, b2, k3, b3], rows) => {
      const p = branch64(a, 2, k1, b1, 4, 0); // (rows, 3, 4)
      const q = branch64(b, 2, k2, b2, 4, 1); // (rows, 1, 4)
      const m = p.map((v, i) => Math.max(v, q[Math.floor(i / 12) * 4 + (i % 4)]));
      return dense64(m, rows, k3, b3, 2);
    },
  }),
  mergeRow({
    name: 'Dot(axes 1) of two Dense(3) branches: (None, 1)',
    inputs: [[4], [3]], units: [3, 3],
    weft: (xs) => L.dot(xs, { axes: 1 }),
    tfjs: (xs) => T.dot({ axes: 1 }).apply(xs) as S,
  }),
  mergeRow({
    name: 'Dot(axes -1, normalize): the cosine similarity of two branches',
    inputs: [[4], [3]], units: [5, 5],
    weft: (xs) => L.dot({ axes: -1, normalize: true }).apply(xs),
    tfjs: (xs) => T.dot({ axes: -1, normalize: true }).apply(xs) as S,
  }),
  mergeRow({
    name: 'Dot(axes [2, 2]) of (None, 3, 4) and (None, 5, 4): (None, 3, 5)',
    inputs: [[3, 2], [5, 3]], units: [4, 4],
    weft: (xs) => L.dot(xs, { axes: [2, 2] }),
    tfjs: (xs) => T.dot({ axes: [2, 2] }).apply(xs) as S,
  }),
  mergeRow({
    name: 'Dot(axes [1, 2]) of (None, 4, 3) and (None, 2, 4): (None, 3, 2)',
    inputs: [[4, 2], [2, 3]], units: [3, 4],
    weft: (xs) => L.dot(xs, { axes: [1, 2] }),
    tfjs: (xs) => T.dot({ axes: [1, 2] }).apply(xs) as S,
  }),
  mergeRow({
    name: 'Dot(axes [2, 1], normalize) of (None, 3, 4) and (None, 4): (None, 3)',
    inputs: [[3, 2], [3]], units: [4, 4],
    weft: (xs) => L.dot(xs, { axes: [2, 1], normalize: true }),
    tfjs: (xs) => T.dot({ axes: [2, 1], normalize: true }).apply(xs) as S,
  }),
  mergeRow({
    name: 'Dot(axes [3, 1], normalize) of rank 4 (None, 2, 3, 4) and (None, 4, 5) (tfjs-layers: rank <= 3; float64 reference)',
    inputs: [[2, 3, 2], [4, 3]], units: [4, 5],
    weft: (xs) => L.dot(xs, { axes: [3, 1], normalize: true }),
    reference: ([a, b], [k1, b1, k2, b2, k3, b3], rows) => {
      const x = normalize64(branch64(a, 2, k1, b1, 4, 0), 4, 1); // (rows, 2, 3, 4) along the last axis
      const y = normalize64(branch64(b, 3, k2, b2, 5, 1), 4, 5); // (rows, 4, 5) along axis 1
      const out = new Float64Array(rows * 30);
      for (let r = 0; r < rows; r++) {
        for (let ij = 0; ij < 6; ij++) {
          for (let k = 0; k < 5; k++) {
            let s = 0;
            for (let d = 0; d < 4; d++) s += x[(r * 6 + ij) * 4 + d] * y[r * 20 + d * 5 + k];
            out[(r * 6 + ij) * 5 + k] = s;
          }
        }
      }
      return dense64(out, rows, k3, b3, 2);
    },
  }),
];
