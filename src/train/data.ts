import * as tf from '@tensorflow/tfjs-core';
import { describeValue, invalidArgument, invalidType, shapeMismatch } from '../errors.js';
import type { Loss } from '../graph/losses.js';
import type { GraphModel } from '../graph/model.js';
import { formatShape, sizeOf, type DType } from '../graph/shape.js';
import type { SymbolicTensor } from '../graph/symbolic.js';
import type { Column } from '../parallel/batch.js';
import { freshMemory, type SharedAllocator } from '../parallel/memory.js';

/** What fit/evaluate/predict accept for one array: a tfjs Tensor or nested number arrays. */
export type TensorLike = tf.Tensor | number[] | number[][] | number[][][];

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
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) throw invalidArgument(argument, 'a live tensor', 'a disposed tensor');
    if (value.dtype === 'string' || value.dtype === 'complex64') throw invalidType(argument, 'a numeric tensor (float32, int32 or bool)', `a ${value.dtype} tensor`);
    const data = value.dataSync();
    if (dtype === 'int32' && value.dtype !== 'int32') {
      data.forEach((v, i) => {
        if (!Number.isInteger(v)) throw invalidArgument(`${argument} (flat index ${i})`, 'an integer (the input is int32)', v);
      });
    }
    const values = sharedArray(dtype, data.length, memory);
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


/** The tightest integer bound (an Embedding's inputDim) of the layers an input feeds directly, if any. */
function integerBound(model: GraphModel, input: SymbolicTensor): number | null {
  const bounds = model.nodes.flatMap((n) => n.inputs.map((t, k) => (t === input ? n.layer.integerInputBound(k) : null)))
    .filter((b): b is number => b !== null);
  return bounds.length > 0 ? Math.min(...bounds) : null;
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
    const limit = integerBound(model, t);
    if (limit !== null) checkRange(argument, column.data, limit, column.rowSize, `Embedding indices (integers)`);
    return column;
  });
  columns.forEach((c, i) => {
    if (c.rows !== columns[0].rows) throw shapeMismatch(`\`${name}\``, `every input to have ${columns[0].rows} examples`, `${c.rows} in ${name}[${i}]`);
  });
  return columns;
}

/** Converts and checks the targets against the model's output and the loss. */
export function toTargetColumn(
  model: GraphModel, loss: Loss, y: unknown, rows: number, name = 'y', xName = 'x', memory: SharedAllocator = freshMemory,
): Column {
  const out = model.outputs[0];
  const units = out.shape[out.shape.length - 1] as number;
  let column: Column;
  if (loss.sparseTargets) {
    const flat = toFlat(name, y, 'float32', memory);
    const ok = flat.shape.length === 1 || (flat.shape.length === 2 && flat.shape[1] === 1);
    if (!ok) throw shapeMismatch(`\`${name}\` (class indices for sparse crossentropy)`, 'shape (None,) or (None, 1)', `shape ${formatShape(flat.shape)}`);
    column = { data: flat.values, rowSize: 1, rows: flat.shape[0] };
    checkRange(name, column.data, units, 1, 'class indices (integers)');
  } else {
    column = toColumn(name, y, out.shape.slice(1) as number[], 'float32', memory);
  }
  if (column.rows !== rows) {
    throw shapeMismatch(`\`${xName}\` and \`${name}\``, 'the same number of examples', `${rows} in ${xName} and ${column.rows} in ${name}`);
  }
  return column;
}
