import * as tf from '@tensorflow/tfjs-core';
import { describeValue, invalidArgument, invalidType, shapeMismatch } from '../errors.js';
import type { Loss } from '../graph/losses.js';
import type { GraphModel } from '../graph/model.js';
import { formatShape, sizeOf, type DType } from '../graph/shape.js';
import { readTensor } from '../graph/tensor-io.js';
import type { SymbolicTensor } from '../graph/symbolic.js';
import type { Column } from '../parallel/batch.js';
import { freshMemory, type SharedAllocator } from '../parallel/memory.js';

/** What fit/evaluate/predict accept for one array: a tfjs Tensor or nested number arrays. */
export type TensorLike = tf.Tensor | number[] | number[][] | number[][][];

/**
 * A flat typed array and its shape: how weft's file datasets hand their examples to fit and
 * predict (copied into shared memory like any other input).
 */
export class ArrayData {
  constructor(readonly values: Float32Array | Int32Array, readonly shape: readonly number[]) {}
}

/**
 * Class labels by index with their names (a label column, image folders): converted as the
 * output's loss needs them: indices for a sparse loss, one-hot rows for an output with one unit
 * per class, 0/1 for a one-unit output of two classes.
 */
export class ClassLabels {
  constructor(readonly indices: Int32Array, readonly classes: readonly string[], readonly column: string) {}

  forOutput(units: number, sparse: boolean, argument: string): ArrayData {
    const n = this.indices.length;
    const k = this.classes.length;
    const classes = `\`${argument}\` (the ${k} classes of '${this.column}': ${this.classes.join(', ')})`;
    if (sparse && units < k) throw shapeMismatch(classes, `an output of ${k} units (one per class)`, `an output of ${units} units`);
    if (sparse) return new ArrayData(Float32Array.from(this.indices), [n]);
    if (units === k) {
      const hot = new Float32Array(n * k);
      this.indices.forEach((c, i) => (hot[i * k + c] = 1));
      return new ArrayData(hot, [n, k]);
    }
    if (units === 1 && k === 2) return new ArrayData(Float32Array.from(this.indices), [n, 1]);
    throw shapeMismatch(classes, `an output of ${k} units (one per class)${k === 2 ? ' or 1 unit (binary)' : ''}`, `an output of ${units} units`);
  }
}

interface Flat {
  values: Float32Array | Int32Array;
  shape: number[];
}

/**
 * Data lands in shared memory straight away: the parallel engine's workers read it in place,
 * so a dataset is held once however many workers train on it. A model passes its recycled
 * memory (parallel/memory.ts), so fitting again on data of the same size allocates nothing.
 */
export function sharedArray(dtype: DType, size: number, memory: SharedAllocator = freshMemory): Float32Array | Int32Array {
  const buffer = memory.buffer(size * 4);
  return dtype === 'int32' ? new Int32Array(buffer) : new Float32Array(buffer);
}

function flattenNested(argument: string, value: unknown[], dtype: DType, memory: SharedAllocator): Flat {
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  const size = sizeOf(shape);
  const values = sharedArray(dtype, size, memory);
  let k = 0;
  const walk = (v: unknown, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number') throw invalidType(`${argument}[${path.join('][')}]`, 'a number', v);
      if (dtype === 'int32' && !Number.isInteger(v)) throw invalidArgument(`${argument}[${path.join('][')}]`, 'an integer (the input is int32)', v);
      values[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw invalidArgument(`${argument}[${path.join('][')}]`, `an array of length ${shape[depth]} (nested arrays must be rectangular)`, v);
    }
    v.forEach((c, i) => walk(c, depth + 1, [...path, i]));
  };
  walk(value, 0, []);
  return { values, shape };
}

function toFlat(argument: string, value: unknown, dtype: DType, memory: SharedAllocator): Flat {
  if (value instanceof ArrayData) {
    const values = sharedArray(dtype, value.values.length, memory);
    if (dtype === 'int32' && value.values instanceof Float32Array) {
      value.values.forEach((v, i) => {
        if (!Number.isInteger(v)) throw invalidArgument(`${argument} (flat index ${i})`, 'an integer (the input is int32)', v);
      });
    }
    values.set(value.values);
    return { values, shape: [...value.shape] };
  }
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) throw invalidArgument(argument, 'a live tensor', 'a disposed tensor');
    if (value.dtype === 'string' || value.dtype === 'complex64') throw invalidType(argument, 'a numeric tensor (float32, int32 or bool)', `a ${value.dtype} tensor`);
    // A view of the wasm heap where the backend keeps the tensor (read at memcpy speed; dataSync
    // copies at ~0.3 GB/s, a 276 ms stall of the host for 60,000 × 784), read after the
    // allocation and copied before any tfjs op could move the heap.
    const values = sharedArray(dtype, value.size, memory);
    const data = readTensor(value);
    if (dtype === 'int32' && value.dtype !== 'int32') {
      data.forEach((v, i) => {
        if (!Number.isInteger(v)) throw invalidArgument(`${argument} (flat index ${i})`, 'an integer (the input is int32)', v);
      });
    }
    values.set(data);
    return { values, shape: value.shape };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) throw invalidArgument(argument, 'a non-empty array of examples', value);
    return flattenNested(argument, value, dtype, memory);
  }
  throw invalidType(argument, 'a tf.Tensor or a nested array of numbers', value);
}

function checkFinite(argument: string, values: Float32Array | Int32Array, rowSize: number): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw invalidArgument(argument, 'finite numbers', `${values[i]} at example ${Math.floor(i / rowSize)}`);
    }
  }
}

function checkRange(argument: string, values: Float32Array | Int32Array, hi: number, rowSize: number, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0 && v < hi && Number.isInteger(v))) {
      throw invalidArgument(argument, `${what} in [0, ${hi})`, `${v} at example ${Math.floor(i / rowSize)}`);
    }
  }
}

function toColumn(argument: string, value: unknown, exampleShape: number[], dtype: DType, memory: SharedAllocator): Column {
  const flat = toFlat(argument, value, dtype, memory);
  const { values } = flat;
  // One value per example may come as a vector: tfjs-layers and Keras expand (N,) to (N, 1).
  const shape = flat.shape.length === 1 && exampleShape.length === 1 && exampleShape[0] === 1 ? [flat.shape[0], 1] : flat.shape;
  const expected: (number | null)[] = [null, ...exampleShape];
  if (shape.length !== expected.length || shape.some((d, i) => i > 0 && d !== expected[i])) {
    throw shapeMismatch(`\`${argument}\``, `shape ${formatShape(expected)}`, `shape ${formatShape(shape)}`);
  }
  const rowSize = sizeOf(exampleShape);
  if (shape[0] === 0) throw invalidArgument(argument, 'at least one example', 'an empty array');
  checkFinite(argument, values, rowSize);
  return { data: values, rowSize, rows: shape[0] };
}


/** A plain object, as Keras's dict of inputs is written in JavaScript (not a tensor, array or typed array). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Keras's dict form `{inputName: value}`, read in the model's input order; every name exactly once. */
function byInputName(model: GraphModel, x: Record<string, unknown>, name: string): unknown[] {
  const names = model.inputs.map((t) => t.name);
  for (const key of Object.keys(x)) {
    if (!names.includes(key)) throw invalidArgument(name, `an object keyed by the model's input names (${names.map((n) => `'${n}'`).join(', ')})`, key);
  }
  const missing = names.find((n) => !(n in x));
  if (missing !== undefined) throw invalidArgument(name, `a value for every model input (${names.map((n) => `'${n}'`).join(', ')})`, `no '${missing}' in ${describeValue(x)}`);
  return names.map((n) => x[n]);
}

/**
 * Converts and checks the model inputs: one column per input, all with the same example count.
 * `x` is one value (a one-input model), an array of one per input, or an object keyed by input name.
 */
export function toInputColumns(model: GraphModel, x: unknown, name = 'x', memory: SharedAllocator = freshMemory): Column[] {
  const n = model.inputs.length;
  const keyed = isPlainObject(x);
  const list = keyed ? byInputName(model, x, name)
    : n === 1 && !(Array.isArray(x) && x.length === 1 && x[0] instanceof tf.Tensor) ? [x] : x;
  if (!Array.isArray(list) || list.length !== n) {
    throw invalidArgument('x', `an array of ${n} inputs (one per model input)`, x);
  }
  const columns = model.inputs.map((t, i) => {
    const argument = keyed ? `${name}['${t.name}']` : n === 1 ? name : `${name}[${i}]`;
    const column = toColumn(argument, list[i], t.shape.slice(1) as number[], t.dtype, memory);
    const limit = model.integerBound(t);
    if (limit !== null) checkRange(argument, column.data, limit, column.rowSize, `Embedding indices (integers)`);
    return column;
  });
  columns.forEach((c, i) => {
    if (c.rows !== columns[0].rows) throw shapeMismatch(`\`${name}\``, `every input to have ${columns[0].rows} examples`, `${c.rows} in ${name}[${i}]`);
  });
  return columns;
}

/** Keras's output_names: each output's layer name, a repeat suffixed `_1`, `_2` (a layer that makes two outputs). */
export function outputNames(model: GraphModel): string[] {
  const seen = new Map<string, number>();
  return model.outputs.map((o) => {
    const n = seen.get(o.name);
    seen.set(o.name, (n ?? 0) + 1);
    return n === undefined ? o.name : `${o.name}_${n}`;
  });
}

const quoted = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ');

/**
 * A per-output value (targets, sample weights) as one entry per output, with the argument name
 * each entry's errors carry: one value for a one-output model (a lone tensor in an array too),
 * an array with one per output, or an object keyed by output name (Keras's dict form).
 * `optional`: an object may leave outputs out (their entry is undefined).
 */
function perOutput(model: GraphModel, value: unknown, name: string, optional = false): { values: unknown[]; arguments: string[] } {
  const names = outputNames(model);
  const n = names.length;
  if (isPlainObject(value) && !(value instanceof tf.Tensor)) {
    for (const key of Object.keys(value)) {
      if (!names.includes(key)) throw invalidArgument(name, `an object keyed by the model's output names (${quoted(names)})`, key);
    }
    const missing = names.find((k) => !(k in value));
    if (missing !== undefined && !optional) throw invalidArgument(name, `a value for every model output (${quoted(names)})`, `no '${missing}' in ${describeValue(value)}`);
    return { values: names.map((k) => value[k]), arguments: names.map((k) => `${name}['${k}']`) };
  }
  if (n === 1) {
    const lone = Array.isArray(value) && value.length === 1 && value[0] instanceof tf.Tensor;
    return { values: [lone ? (value as unknown[])[0] : value], arguments: [name] };
  }
  if (!Array.isArray(value) || value.length !== n) {
    throw invalidArgument(name, `an array of ${n} values (one per model output: ${quoted(names)}) or an object keyed by output name`, value);
  }
  return { values: value, arguments: names.map((k, i) => `${name}[${i}] (output '${k}')`) };
}

/** One output's targets, checked against the output and its loss (class indices for a sparse loss). */
function targetColumn(out: SymbolicTensor, loss: Loss, y: unknown, argument: string, memory: SharedAllocator): Column {
  const units = out.shape[out.shape.length - 1] as number;
  if (y instanceof ClassLabels) y = y.forOutput(units, loss.sparseTargets, argument);
  if (!loss.sparseTargets) return toColumn(argument, y, out.shape.slice(1) as number[], 'float32', memory);
  const flat = toFlat(argument, y, 'float32', memory);
  const ok = flat.shape.length === 1 || (flat.shape.length === 2 && flat.shape[1] === 1);
  if (!ok) throw shapeMismatch(`\`${argument}\` (class indices for sparse crossentropy)`, 'shape (None,) or (None, 1)', `shape ${formatShape(flat.shape)}`);
  const column = { data: flat.values, rowSize: 1, rows: flat.shape[0] };
  checkRange(argument, column.data, units, 1, 'class indices (integers)');
  return column;
}

/**
 * Converts and checks the targets, one column per model output, each against its output and
 * loss: `y` is one value (a one-output model), an array with one per output, or an object keyed
 * by output name, as Keras takes them.
 */
export function toTargetColumns(
  model: GraphModel, losses: readonly Loss[], y: unknown, rows: number, name = 'y', xName = 'x', memory: SharedAllocator = freshMemory,
): Column[] {
  const { values, arguments: args } = perOutput(model, y, name);
  return model.outputs.map((out, i) => {
    const column = targetColumn(out, losses[i], values[i], args[i], memory);
    if (column.rows !== rows) {
      throw shapeMismatch(`\`${xName}\` and \`${args[i]}\``, 'the same number of examples', `${rows} in ${xName} and ${column.rows} in ${args[i]}`);
    }
    return column;
  });
}

/** Converts and checks the targets of a one-output model against its output and the loss. */
export function toTargetColumn(
  model: GraphModel, loss: Loss, y: unknown, rows: number, name = 'y', xName = 'x', memory: SharedAllocator = freshMemory,
): Column {
  const column = targetColumn(model.outputs[0], loss, y, name, memory);
  if (column.rows !== rows) {
    throw shapeMismatch(`\`${xName}\` and \`${name}\``, 'the same number of examples', `${rows} in ${xName} and ${column.rows} in ${name}`);
  }
  return column;
}

/** One array of per-example weights: shape (rows,) or (rows, 1), finite and not negative. */
function weightColumn(value: unknown, argument: string, rows: number, memory: SharedAllocator): Column {
  const flat = toFlat(argument, value, 'float32', memory);
  const ok = flat.shape.length === 1 || (flat.shape.length === 2 && flat.shape[1] === 1);
  if (!ok) throw shapeMismatch(`\`${argument}\` (one weight per example)`, 'shape (None,) or (None, 1)', `shape ${formatShape(flat.shape)}`);
  if (flat.shape[0] !== rows) throw shapeMismatch(`\`${argument}\``, `${rows} weights (one per example)`, `${flat.shape[0]}`);
  flat.values.forEach((v, i) => {
    if (!(Number.isFinite(v) && v >= 0)) throw invalidArgument(argument, 'finite weights >= 0', `${v} at example ${i}`);
  });
  return { data: flat.values, rowSize: 1, rows };
}

const isNumberList = (v: unknown): boolean => Array.isArray(v) && v.every((e) => typeof e === 'number' || (Array.isArray(e) && e.length === 1));

/**
 * Keras's sample_weight, one weight column per output (null: unweighted): one array of `rows`
 * weights (every output's, as Keras repeats it), or per output an array / object keyed by
 * output name (an output left out, or given null, is unweighted).
 */
export function toSampleWeights(model: GraphModel, sampleWeight: unknown, rows: number, name = 'sampleWeight', memory: SharedAllocator = freshMemory): (Column | null)[] {
  const n = model.outputs.length;
  const single = n === 1 ? !isPlainObject(sampleWeight) : sampleWeight instanceof tf.Tensor || isNumberList(sampleWeight);
  if (single) {
    const value = n === 1 ? perOutput(model, sampleWeight, name).values[0] : sampleWeight;
    const column = weightColumn(value, name, rows, memory);
    return model.outputs.map(() => column);
  }
  const { values, arguments: args } = perOutput(model, sampleWeight, name, true);
  return values.map((v, i) => (v === undefined || v === null ? null : weightColumn(v, args[i], rows, memory)));
}

/** What classWeight maps: class index → weight (Keras's dict; JavaScript object keys are strings). */
export type ClassWeight = Readonly<Record<number, number>>;

/**
 * Keras's class_weight as sample weights (data_adapter_utils.class_weight_to_sample_weights):
 * each example weighs its class's weight, 1 for a class not listed; the class is the sparse
 * label, the argmax of a one-hot row, or the rounded value of a one-unit target.
 */
export function classWeightsToSampleWeights(classWeight: unknown, y: Column, memory: SharedAllocator = freshMemory): Column {
  if (!isPlainObject(classWeight)) {
    throw invalidType('classWeight', 'an object mapping class indices to weights, e.g. {0: 1, 1: 5}', classWeight);
  }
  const weights = new Map<number, number>();
  for (const [key, value] of Object.entries(classWeight)) {
    const index = Number(key);
    if (!(Number.isInteger(index) && index >= 0 && key.trim() !== '')) {
      throw invalidArgument('classWeight', 'an object with integer keys representing class indices', key);
    }
    if (typeof value !== 'number' || !(Number.isFinite(value) && value >= 0)) throw invalidArgument(`classWeight[${key}]`, 'a finite weight >= 0', value);
    weights.set(index, value);
  }
  const out = sharedArray('float32', y.rows, memory) as Float32Array;
  for (let r = 0; r < y.rows; r++) {
    const row = y.data.subarray(r * y.rowSize, (r + 1) * y.rowSize);
    let label = 0;
    if (y.rowSize === 1) label = Math.round(row[0]);
    else for (let k = 1; k < row.length; k++) if (row[k] > row[label]) label = k;
    out[r] = weights.get(label) ?? 1;
  }
  return { data: out, rowSize: 1, rows: y.rows };
}
