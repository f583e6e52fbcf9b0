/**
 * The layer test table's runner (issue 11): every registered layer is one row — the same small
 * model built in weft and in tfjs-layers (same layer order, so weights map one to one) — and
 * every row gets the same checks:
 *   forward   weft's predict equals tfjs-layers' on cpu within 1e-5 relative (floor 1e-6);
 *   sgd step  ONE SGD step of weft's fit equals tfjs-layers' trainOnBatch on the same weights and
 *             batch within 2e-4 relative: tfjs's cpu autodiff checks weft's hand-written backward;
 *   files     weft's save loads in tfjs-layers and predicts the same;
 *   workers   an epoch on 1, 2 and 3 workers gives the same weights within 1e-5 relative.
 * A row whose layer tfjs-layers lacks or computes differently gives `reference` instead of
 * `tfjs`: a float64 implementation of Keras 3's formula for the forward pass, and weft's
 * gradient is checked by central finite differences of that reference.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as weft from '../../src/index.js';
import type { ModelJSON } from '../../src/train/save.js';
import { floatRows } from './random-data.js';
import { onCpu } from './cpu.js';

const { tf } = weft;

export interface LayerRow {
  /** What the row tests, e.g. 'Dense(4, tanh) on (None, 5, 3)'. */
  readonly name: string;
  /** Example shapes of the model inputs (no batch axis); int32 inputs give `indices` too. */
  readonly inputs: readonly { shape: number[]; dtype?: 'int32'; indices?: number }[];
  /** The weft model: inputs → the layer under test → (Flatten/Dense to a rank-2 output). */
  weft(inputs: weft.SymbolicTensor[]): weft.SymbolicTensor;
  /** The same model in tfjs-layers, layer for layer; omit when tfjs-layers lacks the layer. */
  tfjs?(inputs: tfl.SymbolicTensor[]): tfl.SymbolicTensor;
  /**
   * Where tfjs-layers lacks the layer or differs from Keras 3: the whole model's forward pass in
   * float64 (Keras 3's formula), from the inputs (flat, batch-major, one per model input) and the
   * weights (getWeights order). The row is then checked against it: the forward within 1e-5,
   * and weft's gradient against central finite differences of the MSE loss within 2e-4.
   */
  reference?(xs: readonly Float64Array[], weights: readonly Float64Array[], rows: number): Float64Array;
  /** The layer draws randomness in training (dropout family): the sgd step is not compared with tfjs. */
  readonly random?: boolean;
  /** Rows per batch (default 6). */
  readonly rows?: number;
  /**
   * Multiplies the row's tolerances against tfjs-layers: a convolution sums many more products
   * per output, in another order on wasm (XNNPACK) than on tfjs's cpu backend. Default 1.
   */
  readonly tolerance?: number;
  /** Why tfjs-layers cannot take the row's SGD step (its gradient is missing): the float64 reference checks it instead. */
  readonly tfjsCannotTrain?: string;
}

const rel = (a: number, b: number, floor = 1e-6) => Math.abs(a - b) / Math.max(Math.abs(b), floor);

function expectClose(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = rel(actual[i], expected[i]);
    if (!(e <= worst)) [worst, at] = [e, i];
  }
  expect(worst, `${label}: worst relative error at ${at} (${actual[at]} vs ${expected[at]})`).toBeLessThanOrEqual(tol);
}

/** Deterministic inputs for `rows` examples: floats in [-1, 1), or indices in [0, indices). */
export function rowInputs(row: LayerRow, rows: number, seed: number): { values: number[]; shape: number[]; dtype: 'float32' | 'int32' }[] {
  return row.inputs.map((spec, i) => {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const raw = floatRows(rows, size, seed + 101 * i).flat();
    const values = spec.dtype === 'int32' ? raw.map((v) => Math.floor(((v + 1) / 2) * (spec.indices ?? 10))) : raw;
    return { values, shape: [rows, ...spec.shape], dtype: spec.dtype ?? 'float32' };
  });
}

function weftModel(row: LayerRow, seed: number): weft.Model {
  const inputs = row.inputs.map((s) => weft.input({ shape: s.shape, dtype: s.dtype ?? 'float32' }));
  return weft.model({ inputs, outputs: row.weft(inputs), seed });
}

function tfjsModel(row: LayerRow): tfl.LayersModel {
  const inputs = row.inputs.map((s) => tfl.input({ shape: s.shape, dtype: s.dtype ?? 'float32' }));
  return tfl.model({ inputs, outputs: (row.tfjs as NonNullable<LayerRow['tfjs']>)(inputs) });
}

const flat = (ts: weft.tf.Tensor[]): number[][] => ts.map((t) => Array.from(t.dataSync()));

/** Targets in [-1, 1) shaped like the model's output, for an MSE loss. */
function targets(model: weft.Model, rows: number, seed: number): number[][] {
  return floatRows(rows, model.outputs[0].shape[1] as number, seed);
}

/** weft's predict vs tfjs-layers' on cpu with the same weights. */
export async function checkForward(row: LayerRow): Promise<void> {
  const model = weftModel(row, 3);
  const rows = row.rows ?? 6;
  const xs = rowInputs(row, rows, 7);
  const ours = (await model.predict(xs.map((x) => tf.tensor(x.values, x.shape, x.dtype)))) as weft.tf.Tensor;
  const weights = flat(model.getWeights());
  const theirs = await onCpu(() => {
    const ref = tfjsModel(row);
    ref.setWeights(ref.weights.map((w, i) => tf.tensor(weights[i], w.shape as number[])));
    const p = ref.predict(xs.map((x) => tf.tensor(x.values, x.shape, x.dtype))) as weft.tf.Tensor;
    return Array.from(p.dataSync());
  });
  expectClose(`${row.name}: forward`, ours.dataSync(), theirs, 1e-5 * (row.tolerance ?? 1));
  await model.dispose();
}

/** One SGD step (lr 0.1, MSE, the whole batch) in weft's fit vs tfjs-layers' trainOnBatch. */
export async function checkSgdStep(row: LayerRow): Promise<void> {
  const model = weftModel(row, 4);
  const rows = row.rows ?? 6;
  const xs = rowInputs(row, rows, 8);
  const y = targets(model, rows, 9);
  const before = flat(model.getWeights());
  model.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
  await model.fit(xs.map((x) => tf.tensor(x.values, x.shape, x.dtype)), y, { epochs: 1, batchSize: rows, shuffle: false, workers: 1, verbose: 0 });
  const ours = flat(model.getWeights());
  const theirs = await onCpu(async () => {
    const ref = tfjsModel(row);
    ref.setWeights(ref.weights.map((w, i) => tf.tensor(before[i], w.shape as number[])));
    ref.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    await ref.trainOnBatch(xs.map((x) => tf.tensor(x.values, x.shape, x.dtype)), tf.tensor2d(y));
    return ref.getWeights().map((w) => Array.from(w.dataSync()));
  });
  // Compare the steps taken, not the weights: a tiny update hides in the weights' magnitude.
  const stepOf = (w: number[][]) => w.flatMap((v, i) => v.map((x, j) => x - before[i][j]));
  expectClose(`${row.name}: one SGD step`, stepOf(ours), stepOf(theirs), 2e-4 * (row.tolerance ?? 1));
  expect(stepOf(theirs).some((d) => d !== 0), `${row.name}: the step moved nothing`).toBe(true);
  await model.dispose();
}

/** weft's save, loaded by tfjs-layers, predicts what weft predicts. */
export async function checkFiles(row: LayerRow): Promise<void> {
  const model = weftModel(row, 5);
  const xs = rowInputs(row, row.rows ?? 6, 10);
  const ours = (await model.predict(xs.map((x) => tf.tensor(x.values, x.shape, x.dtype)))) as weft.tf.Tensor;
  const dir = await mkdtemp(join(tmpdir(), 'weft-layer-table-'));
  try {
    await model.save(`file://${dir}`);
    const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
    const data = await readFile(join(dir, 'weights.bin'));
    const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    const weightSpecs = mj.weightsManifest.flatMap((g) => g.weights) as weft.tf.io.WeightsManifestEntry[];
    const theirs = await onCpu(async () => {
      const loaded = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs, weightData }));
      return Array.from((loaded.predict(xs.map((x) => tf.tensor(x.values, x.shape, x.dtype))) as weft.tf.Tensor).dataSync());
    });
    expectClose(`${row.name}: tfjs-layers loads weft's files`, ours.dataSync(), theirs, 1e-5 * (row.tolerance ?? 1));
    // And weft reads its own files back to the same predictions.
    const back = await weft.loadModel(`file://${dir}`);
    const again = (await back.predict(xs.map((x) => tf.tensor(x.values, x.shape, x.dtype)))) as weft.tf.Tensor;
    expectClose(`${row.name}: weft loads its own files`, again.dataSync(), ours.dataSync(), 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await model.dispose();
  }
}

/** An epoch of Adam on 1, 2 and 3 workers (batch 8 of 24 rows): the same weights within 1e-5. */
export async function checkWorkers(row: LayerRow): Promise<void> {
  const rows = 24;
  const xs = rowInputs(row, rows, 11);
  const results: number[][] = [];
  for (const workers of [1, 2, 3]) {
    const model = weftModel(row, 6);
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const y = targets(model, rows, 12);
    await model.fit(xs.map((x) => tf.tensor(x.values, x.shape, x.dtype)), y, { epochs: 1, batchSize: 8, shuffle: true, seed: 3, workers, verbose: 0 });
    results.push(Array.from(model.params));
    await model.dispose();
  }
  expectClose(`${row.name}: 2 workers vs 1`, results[1], results[0], 1e-5);
  expectClose(`${row.name}: 3 workers vs 1`, results[2], results[0], 1e-5);
}

/** The MSE loss Keras computes (mean over units, then over the batch), in float64. */
function mse64(out: Float64Array, y: readonly number[][]): number {
  const units = y[0].length;
  let sum = 0;
  for (let r = 0; r < y.length; r++) for (let j = 0; j < units; j++) sum += (out[r * units + j] - y[r][j]) ** 2;
  return sum / (y.length * units);
}

/**
 * A row with a float64 `reference`: weft's predict against it, and weft's gradient (one SGD
 * step of learning rate 1 on the whole batch: the step is the gradient) against central finite
 * differences of the reference's MSE loss.
 */
export async function checkReference(row: LayerRow): Promise<void> {
  const reference = row.reference as NonNullable<LayerRow['reference']>;
  const model = weftModel(row, 4);
  const rows = row.rows ?? 6;
  const xs = rowInputs(row, rows, 8);
  const xs64 = xs.map((x) => Float64Array.from(x.values));
  const y = targets(model, rows, 9);
  const before = flat(model.getWeights());
  const w64 = before.map((w) => Float64Array.from(w));
  const ours = (await model.predict(xs.map((x) => tf.tensor(x.values, x.shape, x.dtype)))) as weft.tf.Tensor;
  expectClose(`${row.name}: forward vs the float64 reference`, ours.dataSync(), reference(xs64, w64, rows), 1e-5);

  model.compile({ optimizer: weft.optimizers.sgd({ learningRate: 1 }), loss: 'meanSquaredError' });
  await model.fit(xs.map((x) => tf.tensor(x.values, x.shape, x.dtype)), y, { epochs: 1, batchSize: rows, shuffle: false, workers: 1, verbose: 0 });
  const after = flat(model.getWeights());
  const analytic = before.flatMap((w, i) => w.map((v, j) => v - after[i][j]));
  const numeric: number[] = [];
  const h = 1e-6;
  for (const w of w64) {
    for (let j = 0; j < w.length; j++) {
      const keep = w[j];
      w[j] = keep + h;
      const up = mse64(reference(xs64, w64, rows), y);
      w[j] = keep - h;
      const down = mse64(reference(xs64, w64, rows), y);
      w[j] = keep;
      numeric.push((up - down) / (2 * h));
    }
  }
  const scale = Math.max(...numeric.map(Math.abs));
  expect(scale, `${row.name}: the reference gradient is zero, the row tests nothing`).toBeGreaterThan(1e-6);
  // Relative to each entry, with a floor at 1e-3 of the largest entry (float32 steps).
  numeric.forEach((n, i) => {
    const err = Math.abs(analytic[i] - n) / Math.max(Math.abs(n), 1e-3 * scale);
    expect(err, `${row.name}: gradient entry ${i}: weft ${analytic[i]} vs finite differences ${n}`).toBeLessThanOrEqual(2e-4);
  });
  await model.dispose();
}

// ---- float64 building blocks for rows' references ----

/**
 * A channels-last 2-D convolution in float64: x (rows, h, w, c) flat, kernel (kh, kw, c, f),
 * TensorFlow's 'same' padding (the odd pixel after), strides and dilations; (rows, oh, ow, f) out.
 */
export function conv2d64(x: Float64Array, [rows, h, w, c]: readonly number[], kernel: Float64Array, [kh, kw, f]: readonly number[], bias: Float64Array | null,
  opts: { strides?: [number, number]; dilations?: [number, number]; padding?: 'valid' | 'same' } = {}): { out: Float64Array; shape: number[] } {
  const [sh, sw] = opts.strides ?? [1, 1];
  const [dh, dw] = opts.dilations ?? [1, 1];
  const [eh, ew] = [(kh - 1) * dh + 1, (kw - 1) * dw + 1];
  const same = opts.padding === 'same';
  const [oh, ow] = same ? [Math.ceil(h / sh), Math.ceil(w / sw)] : [Math.ceil((h - eh + 1) / sh), Math.ceil((w - ew + 1) / sw)];
  const top = same ? Math.floor(Math.max((oh - 1) * sh + eh - h, 0) / 2) : 0;
  const left = same ? Math.floor(Math.max((ow - 1) * sw + ew - w, 0) / 2) : 0;
  const out = new Float64Array(rows * oh * ow * f);
  for (let n = 0; n < rows; n++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let o = 0; o < f; o++) {
    let sum = bias === null ? 0 : bias[o];
    for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) {
      const [y, z] = [i * sh + a * dh - top, j * sw + b * dw - left];
      if (y < 0 || y >= h || z < 0 || z >= w) continue;
      for (let k = 0; k < c; k++) sum += x[((n * h + y) * w + z) * c + k] * kernel[((a * kw + b) * c + k) * f + o];
    }
    out[((n * oh + i) * ow + j) * f + o] = sum;
  }
  return { out, shape: [rows, oh, ow, f] };
}

/** y = act(x·W + b) over rows of `x` (batch-major, inDim each), in float64. */
export function dense64(x: Float64Array, rows: number, kernel: Float64Array, bias: Float64Array | null, units: number, act: (v: number) => number = (v) => v): Float64Array {
  const inDim = x.length / rows;
  const out = new Float64Array(rows * units);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < units; j++) {
      let s = bias === null ? 0 : bias[j];
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i] * kernel[i * units + j];
      out[r * units + j] = act(s);
    }
  }
  return out;
}
