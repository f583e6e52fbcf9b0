import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { checkOptions, dataNotFound, invalidArgument, invalidType, malformedFile, missingFile, readFailure } from '../../errors.js';

export interface DigitsSplit {
  /** [rows * 64] pixel intensities scaled to [0, 1]. */
  x: Float32Array;
  /** [rows] class labels 0..9. */
  labels: Int32Array;
  rows: number;
}

/** A data set as tensors that fit, evaluate and predict take as they are. */
export interface LabelledTensors<X extends tf.Tensor = tf.Tensor2D | tf.Tensor4D> {
  /** float32: [rows, features], or [rows, height, width, 1] with `image: true`. */
  x: X;
  /** int32 [rows]: the class indices sparseCategoricalCrossentropy takes. */
  labels: tf.Tensor1D;
  rows: number;
}

/** The options that choose between the documented arrays and tensors, shared by every loader. */
export interface TensorOptions {
  /** Return `x` and `labels` as tf tensors instead of flat typed arrays. Default false. */
  tensors?: boolean;
  /** With `tensors: true`, shape `x` as images [rows, height, width, 1] instead of [rows, features]. Default false. */
  image?: boolean;
}

/** The type of option `K` in options type `O`: `undefined` where `O` has no such key. */
export type OptionValue<O, K extends string> = O extends unknown ? (K extends keyof O ? O[K] : undefined) : never;

/** `x`'s tensor type for these options: rank 4 with `image: true`, rank 2 without. */
export type XTensor<O> = [OptionValue<O, 'image'>] extends [true] ? tf.Tensor4D
  : [OptionValue<O, 'image'>] extends [false | undefined] ? tf.Tensor2D : tf.Tensor2D | tf.Tensor4D;

/** What a loader returns for options `O`: `Arrays` by default, tensors with `tensors: true`. */
export type Loaded<O, Arrays> = [OptionValue<O, 'tensors'>] extends [true] ? LabelledTensors<XTensor<O>>
  : [OptionValue<O, 'tensors'>] extends [false | undefined] ? Arrays : Arrays | LabelledTensors;

/** Checks `tensors` and `image` of a loader's (already key-checked) options. */
export function checkTensorOptions(options: TensorOptions): void {
  if (options.tensors !== undefined && typeof options.tensors !== 'boolean') throw invalidType('options.tensors', 'a boolean', options.tensors);
  if (options.image !== undefined && typeof options.image !== 'boolean') throw invalidType('options.image', 'a boolean', options.image);
  if (options.image === true && options.tensors !== true) {
    throw invalidArgument('options.image', 'true only together with tensors: true (the arrays are flat; only a tensor has an image shape)', true);
  }
}

/** The split as tensors when the options ask for them (copies: the arrays can then be dropped). */
export function asRequested<O extends TensorOptions, A extends { x: Float32Array; labels: Int32Array; rows: number }>(
  split: A, options: O, height: number, width: number,
): Loaded<O, A> {
  if (options.tensors !== true) return split as Loaded<O, A>;
  const { x, labels, rows, ...rest } = split;
  const shape = options.image === true ? [rows, height, width, 1] : [rows, height * width];
  return { ...rest, x: tf.tensor(x, shape, 'float32'), labels: tf.tensor1d(labels, 'int32'), rows } as unknown as Loaded<O, A>;
}

export interface DigitsOptions extends TensorOptions {
  /** A copy of digits.csv.gz to read instead of the one shipped in data/. */
  path?: string | URL;
}

const FILE = 'digits data file';
const FORMAT = 'lines of 65 comma-separated integers (64 pixels 0..16, then the label 0..9)';

/** data/digits.csv.gz at the package root, found by walking up from this module (src/ or dist/src/). */
function defaultPath(): string {
  const here = fileURLToPath(import.meta.url);
  for (let dir = dirname(here); ; dir = dirname(dir)) {
    const candidate = join(dir, 'data', 'digits.csv.gz');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) {
      throw dataNotFound('the digits data set', "data/digits.csv.gz in weft's package directory",
        [{ path: dirname(here), finding: 'no data/digits.csv.gz in it or in any directory above it' }],
        'It ships with weft: reinstall the package, or pass the path of a copy to loadDigits(path).');
    }
  }
}

function readLines(path: string): string[] {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw missingFile(FILE, path, `a gzip'd CSV file: ${FORMAT}`, readFailure(e), e);
  }
  try {
    return gunzipSync(raw).toString('utf8').trim().split('\n');
  } catch (e) {
    throw malformedFile(FILE, path, `a gzip'd CSV file: ${FORMAT}`, `no valid gzip stream (${(e as Error).message})`, e);
  }
}

/** A line's 64 pixels and label, or what is wrong with it. */
function parseLine(line: string): { cells: number[] } | { wrong: string } {
  const cells = line.split(',').map(Number);
  if (cells.length !== 65) return { wrong: `${cells.length} values` };
  const bad = cells.findIndex((v, j) => !Number.isInteger(v) || v < 0 || v > (j === 64 ? 9 : 16));
  return bad < 0 ? { cells } : { wrong: `${JSON.stringify(line.split(',')[bad])} in column ${bad + 1}` };
}

const SIDE = 8;

/** The options of loadDigits, whether given as a path or as an object; checked before any file is read. */
function checkDigitsOptions(arg: unknown): DigitsOptions {
  if (typeof arg === 'string' || arg instanceof URL) return { path: arg };
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) {
    throw invalidType('path', 'a file path, a file: URL or an options object {path?, tensors?, image?}', arg);
  }
  const o = checkOptions<DigitsOptions>('options', arg, ['path', 'tensors', 'image']);
  if (o.path !== undefined && typeof o.path !== 'string' && !(o.path instanceof URL)) {
    throw invalidType('options.path', 'a file path or a file: URL', o.path);
  }
  checkTensorOptions(o);
  return o;
}

/**
 * The embedded UCI optical digits set (Alpaydin & Kaynak 1998, CC BY 4.0): 1,797 8x8 images
 * with values 0..16, read from the copy shipped in data/ (or `path`). Intensities are scaled to
 * [0, 1]. By default `x` is a flat Float32Array [rows * 64] and `labels` an Int32Array; with
 * `{tensors: true}` they are tf tensors, x float32 [rows, 64] (`image: true`: [rows, 8, 8, 1]) and
 * labels int32 [rows], ready for fit. A missing or malformed file is a DataFileError naming the
 * file and the line.
 */
export function loadDigits(path: string | URL): DigitsSplit;
export function loadDigits<const O extends DigitsOptions = Record<never, never>>(options?: O): Loaded<O, DigitsSplit>;
export function loadDigits(options?: string | URL | DigitsOptions): DigitsSplit | LabelledTensors {
  const o = checkDigitsOptions(options === undefined ? {} : options);
  return asRequested(readDigits(o.path ?? defaultPath()), o, SIDE, SIDE);
}

function readDigits(path: string | URL): DigitsSplit {
  const file = path instanceof URL ? fileURLToPath(path) : path;
  const lines = readLines(file);
  const rows = lines.length;
  const x = new Float32Array(rows * 64);
  const labels = new Int32Array(rows);
  lines.forEach((line, r) => {
    const parsed = parseLine(line);
    if ('wrong' in parsed) {
      throw malformedFile(FILE, file, FORMAT, `${parsed.wrong} on line ${r + 1}`);
    }
    for (let j = 0; j < 64; j++) x[r * 64 + j] = parsed.cells[j] / 16;
    labels[r] = parsed.cells[64];
  });
  return { x, labels, rows };
}
