// Rows of the layer table for the layers that resize their input's spatial axes: ZeroPadding,
// UpSampling and Cropping, 1-D and 2-D. Each sits between trainable layers, so the SGD check runs
// through its backward pass. tfjs-layers 4.22 has the 2-D ones (cropping2D, upSampling2d,
// zeroPadding2d); the 1-D ones are checked against a float64 reference of Keras's formula.
import * as tfl from '@tensorflow/tfjs-layers';
import * as weft from '../../../src/index.js';
import { conv2d64, dense64, type LayerRow } from '../../support/layer-harness.js';

const L = weft.layers;
const T = tfl.layers;
type S = tfl.SymbolicTensor;

/** Conv2D(2, 2×2, tanh) → the layer under test → Flatten → Dense(2), in both libraries. */
function imageRow(name: string, shape: number[], weftLayer: () => weft.Layer, tfjsLayer: () => tfl.layers.Layer, extra: Partial<LayerRow> = {}): LayerRow {
  return {
    name,
    inputs: [{ shape }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(weftLayer().apply(L.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh' }).apply(x)))),
    tfjs: ([x]) => T.dense({ units: 2 }).apply(T.flatten().apply(tfjsLayer().apply(T.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh' }).apply(x)))) as S,
    tolerance: 5,
    ...extra,
  };
}

// tfjs-backend-cpu 4.22's ResizeNearestNeighborGrad reads dy at the input's batch stride, so
// tfjs-layers' UpSampling2D gradient is wrong for every example after the first: those rows
// check the forward and files against tfjs-layers and the gradient against finite differences.
const TFJS_UPSAMPLING_GRADIENT = "tfjs-backend-cpu's ResizeNearestNeighborGrad is wrong past the first example";

// ---- float64 references of the 2-D layers, on (rows, height, width, channels) flat ----

type Image64 = { out: Float64Array; shape: number[] };

function upSample2d64({ out: x, shape: [rows, h, w, c] }: Image64, [s, t]: [number, number]): Image64 {
  const out = new Float64Array(x.length * s * t);
  for (let n = 0; n < rows; n++) for (let i = 0; i < h * s; i++) for (let j = 0; j < w * t; j++) {
    const from = ((n * h + Math.floor(i / s)) * w + Math.floor(j / t)) * c;
    out.set(x.subarray(from, from + c), ((n * h * s + i) * w * t + j) * c);
  }
  return { out, shape: [rows, h * s, w * t, c] };
}

/** Pads (positive) or crops (negative) [[top, bottom], [left, right]]. */
function resize2d64({ out: x, shape: [rows, h, w, c] }: Image64, [[top, bottom], [left, right]]: [[number, number], [number, number]]): Image64 {
  const [oh, ow] = [h + top + bottom, w + left + right];
  const out = new Float64Array(rows * oh * ow * c);
  for (let n = 0; n < rows; n++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    const [y, z] = [i - top, j - left];
    if (y < 0 || y >= h || z < 0 || z >= w) continue;
    const from = ((n * h + y) * w + z) * c;
    out.set(x.subarray(from, from + c), ((n * oh + i) * ow + j) * c);
  }
  return { out, shape: [rows, oh, ow, c] };
}

/** imageRow's model in float64, its middle `layer64`: Conv2D(2, 2×2, tanh) → layer64 → Flatten → Dense(2). */
function imageReference(shape: number[], layer64: (h: Image64) => Image64): LayerRow['reference'] {
  return ([x], [k, b, dk, db], rows) => {
    const conv = conv2d64(x, [rows, ...shape], k, [2, 2, 2], b);
    return dense64(layer64({ out: conv.out.map(Math.tanh), shape: conv.shape }).out, rows, dk, db, 2);
  };
}

// ---- float64 references of the 1-D layers, on (rows, steps, channels) flat ----

function pad1d64(x: Float64Array, rows: number, steps: number, [left, right]: [number, number]): Float64Array {
  const c = x.length / (rows * steps);
  const length = steps + left + right;
  const out = new Float64Array(rows * length * c);
  for (let n = 0; n < rows; n++) out.set(x.subarray(n * steps * c, (n + 1) * steps * c), (n * length + left) * c);
  return out;
}

function crop1d64(x: Float64Array, rows: number, steps: number, [start, end]: [number, number]): Float64Array {
  const c = x.length / (rows * steps);
  const length = steps - start - end;
  const out = new Float64Array(rows * length * c);
  for (let n = 0; n < rows; n++) out.set(x.subarray((n * steps + start) * c, (n * steps + start + length) * c), n * length * c);
  return out;
}

function upSample1d64(x: Float64Array, rows: number, steps: number, size: number): Float64Array {
  const c = x.length / (rows * steps);
  const out = new Float64Array(x.length * size);
  for (let n = 0; n < rows; n++) {
    for (let t = 0; t < steps; t++) {
      for (let k = 0; k < size; k++) out.set(x.subarray((n * steps + t) * c, (n * steps + t + 1) * c), ((n * steps + t) * size + k) * c);
    }
  }
  return out;
}

/**
 * Dense(3, tanh) over each of `steps` steps of 2 features → the 1-D layers under test → Flatten
 * → Dense(2), against the float64 reference whose middle is `layer64`.
 */
function sequenceRow(name: string, steps: number, middle: (h: weft.SymbolicTensor) => weft.SymbolicTensor, layer64: (h: Float64Array, rows: number) => Float64Array): LayerRow {
  return {
    name,
    inputs: [{ shape: [steps, 2] }],
    weft: ([x]) => L.dense({ units: 2 }).apply(L.flatten().apply(middle(L.dense({ units: 3, activation: 'tanh' }).apply(x)))),
    reference: ([x], [k1, b1, k2, b2], rows) => dense64(layer64(dense64(x, rows * steps, k1, b1, 3, Math.tanh), rows), rows, k2, b2, 2),
  };
}

export const resizeRows: LayerRow[] = [
  // ---- ZeroPadding2D ----
  imageRow('ZeroPadding2D() (1 on every side) after Conv2D on (5, 4, 2)', [5, 4, 2], () => L.zeroPadding2d(), () => T.zeroPadding2d()),
  imageRow('ZeroPadding2D([[1, 0], [2, 3]]): asymmetric, on (4, 5, 1)', [4, 5, 1],
    () => L.zeroPadding2d({ padding: [[1, 0], [2, 3]] }), () => T.zeroPadding2d({ padding: [[1, 0], [2, 3]] })),
  imageRow('ZeroPadding2D([2, 1]): symmetric per axis, on (4, 4, 2)', [4, 4, 2],
    () => L.zeroPadding2d({ padding: [2, 1] }), () => T.zeroPadding2d({ padding: [2, 1] })),
  // Keras takes an integer for one axis and a pair for the other; tfjs-layers only the full form.
  imageRow('ZeroPadding2D([1, [0, 2]]): the forms mixed, as Keras reads them, on (3, 4, 2)', [3, 4, 2],
    () => L.zeroPadding2d({ padding: [1, [0, 2]] }), () => T.zeroPadding2d({ padding: [[1, 1], [0, 2]] })),

  // ---- UpSampling2D ----
  imageRow('UpSampling2D() (2×2 nearest) after Conv2D on (4, 3, 2)', [4, 3, 2], () => L.upSampling2d(), () => T.upSampling2d({}),
    { tfjsCannotTrain: TFJS_UPSAMPLING_GRADIENT, reference: imageReference([4, 3, 2], (h) => upSample2d64(h, [2, 2])) }),
  imageRow('UpSampling2D({size: [2, 3]}) on (3, 4, 2)', [3, 4, 2], () => L.upSampling2d({ size: [2, 3] }), () => T.upSampling2d({ size: [2, 3] }),
    { tfjsCannotTrain: TFJS_UPSAMPLING_GRADIENT, reference: imageReference([3, 4, 2], (h) => upSample2d64(h, [2, 3])) }),
  imageRow("UpSampling2D({size: 3, interpolation: 'nearest'}) on (3, 3, 1)", [3, 3, 1],
    () => L.upSampling2d({ size: 3, interpolation: 'nearest' }), () => T.upSampling2d({ size: [3, 3], interpolation: 'nearest' }),
    { tfjsCannotTrain: TFJS_UPSAMPLING_GRADIENT, reference: imageReference([3, 3, 1], (h) => upSample2d64(h, [3, 3])) }),
  imageRow('UpSampling2D({size: [1, 2]}): one axis unchanged, on (4, 3, 2)', [4, 3, 2], () => L.upSampling2d({ size: [1, 2] }), () => T.upSampling2d({ size: [1, 2] }),
    { tfjsCannotTrain: TFJS_UPSAMPLING_GRADIENT, reference: imageReference([4, 3, 2], (h) => upSample2d64(h, [1, 2])) }),

  // ---- Cropping2D ----
  imageRow('Cropping2D([[1, 2], [0, 1]]): asymmetric, after Conv2D on (7, 6, 2)', [7, 6, 2],
    () => L.cropping2d({ cropping: [[1, 2], [0, 1]] }), () => T.cropping2D({ cropping: [[1, 2], [0, 1]] })),
  imageRow('Cropping2D(1) on (6, 5, 1), through the cropping2D spelling', [6, 5, 1], () => L.cropping2D({ cropping: 1 }), () => T.cropping2D({ cropping: 1 })),
  imageRow('Cropping2D([2, 0]): rows only, on (7, 4, 2)', [7, 4, 2], () => L.cropping2d({ cropping: [2, 0] }), () => T.cropping2D({ cropping: [2, 0] })),
  imageRow('Cropping2D() (nothing cut, the default) on (4, 4, 2)', [4, 4, 2], () => L.cropping2d(), () => T.cropping2D({ cropping: 0 })),

  {
    // A decoder step: upsample, crop to the skip connection's size, pad back, convolve.
    name: 'UpSampling2D(2) → Cropping2D([[1, 0], [0, 1]]) → ZeroPadding2D(1) → Conv2D(2, 3×3) on (3, 3, 2)',
    inputs: [{ shape: [3, 3, 2] }],
    weft: ([x]) => {
      const h = L.zeroPadding2d({ padding: 1 }).apply(L.cropping2d({ cropping: [[1, 0], [0, 1]] }).apply(L.upSampling2d({ size: 2 }).apply(L.conv2d({ filters: 2, kernelSize: 1, activation: 'tanh' }).apply(x))));
      return L.dense({ units: 2 }).apply(L.flatten().apply(L.conv2d({ filters: 2, kernelSize: 3 }).apply(h)));
    },
    tfjs: ([x]) => {
      const h = T.zeroPadding2d({ padding: 1 }).apply(T.cropping2D({ cropping: [[1, 0], [0, 1]] }).apply(T.upSampling2d({ size: [2, 2] }).apply(T.conv2d({ filters: 2, kernelSize: 1, activation: 'tanh' }).apply(x))));
      return T.dense({ units: 2 }).apply(T.flatten().apply(T.conv2d({ filters: 2, kernelSize: 3 }).apply(h))) as S;
    },
    tolerance: 5,
    tfjsCannotTrain: TFJS_UPSAMPLING_GRADIENT,
    reference: ([x], [k1, b1, k2, b2, dk, db], rows) => {
      const first = conv2d64(x, [rows, 3, 3, 2], k1, [1, 1, 2], b1);
      let h = upSample2d64({ out: first.out.map(Math.tanh), shape: first.shape }, [2, 2]);
      h = resize2d64(resize2d64(h, [[-1, 0], [0, -1]]), [[1, 1], [1, 1]]);
      return dense64(conv2d64(h.out, h.shape, k2, [3, 3, 2], b2).out, rows, dk, db, 2);
    },
  },

  // ---- the 1-D layers (tfjs-layers 4.22 has none of them) ----
  sequenceRow('ZeroPadding1D() (1 each end) after Dense(3) on (4, 2)', 4, (h) => L.zeroPadding1d().apply(h), (h, rows) => pad1d64(h, rows, 4, [1, 1])),
  sequenceRow('ZeroPadding1D([2, 0]): asymmetric, on (3, 2)', 3, (h) => L.zeroPadding1d({ padding: [2, 0] }).apply(h), (h, rows) => pad1d64(h, rows, 3, [2, 0])),
  sequenceRow('ZeroPadding1D(3) on (4, 2)', 4, (h) => L.zeroPadding1d({ padding: 3 }).apply(h), (h, rows) => pad1d64(h, rows, 4, [3, 3])),
  sequenceRow('UpSampling1D() (each step twice) after Dense(3) on (4, 2)', 4, (h) => L.upSampling1d().apply(h), (h, rows) => upSample1d64(h, rows, 4, 2)),
  sequenceRow('UpSampling1D({size: 3}) on (3, 2)', 3, (h) => L.upSampling1d({ size: 3 }).apply(h), (h, rows) => upSample1d64(h, rows, 3, 3)),
  sequenceRow('Cropping1D() (1 each end) after Dense(3) on (5, 2)', 5, (h) => L.cropping1d().apply(h), (h, rows) => crop1d64(h, rows, 5, [1, 1])),
  sequenceRow('Cropping1D([0, 2]): the end only, on (5, 2)', 5, (h) => L.cropping1d({ cropping: [0, 2] }).apply(h), (h, rows) => crop1d64(h, rows, 5, [0, 2])),
  sequenceRow('Cropping1D(2) on (6, 2)', 6, (h) => L.cropping1d({ cropping: 2 }).apply(h), (h, rows) => crop1d64(h, rows, 6, [2, 2])),
  sequenceRow('UpSampling1D(2) → Cropping1D([1, 0]) → ZeroPadding1D([0, 1]) on (3, 2)', 3,
    (h) => L.zeroPadding1d({ padding: [0, 1] }).apply(L.cropping1d({ cropping: [1, 0] }).apply(L.upSampling1d({ size: 2 }).apply(h))),
    (h, rows) => pad1d64(crop1d64(upSample1d64(h, rows, 3, 2), rows, 6, [1, 0]), rows, 5, [0, 1])),
];
