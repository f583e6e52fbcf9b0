/**
 * The TensorFlow.js layers format as weft writes and reads it: a directory with `model.json`
 * (topology and weights manifest) and weights files (float32, little-endian, in manifest order).
 * The types and small helpers the writer (save.ts) and the readers (load.ts, load-training.ts) share.
 */
import { type LossSpec } from '../graph/losses.js';
import type { MetricSpec } from '../graph/metrics.js';
import { endianness } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DataFileError, describeValue, invalidArgument, invalidType, malformedFile } from '../errors.js';
import { GraphModel } from '../graph/model.js';
import { type OptimizerConfigValue } from './optimizers.js';


export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  /** tfjs-layers marks optimizer weights saved with `includeOptimizer` as group 'optimizer'. */
  group?: string;
  quantization?: unknown;
}

export interface WeightsManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}

/** The `model.json` of a layers model, as tfjs-layers' file handlers write it. */
export interface ModelJSON {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: object;
  weightsManifest: WeightsManifestGroup[];
  /** tfjs-layers' field for the compile() arguments, written with the optimizer state. */
  trainingConfig?: TrainingConfig;
  /** weft's own: where the run stood, so fit({initialEpoch: epoch, seed}) resumes it exactly. */
  weftTrainingState?: RunPosition;
}

/** compile()'s arguments as tfjs-layers stores them. */
export interface TrainingConfig {
  /** The loss's name, or a configured loss's spec {name, config}; several outputs: one per output name. */
  loss: string | LossSpec | Record<string, string | LossSpec>;
  /** Each metric's name, or a configured metric's spec; several outputs: a list per output name. */
  metrics: (string | MetricSpec)[] | Record<string, (string | MetricSpec)[]>;
  /** Several outputs' loss weights (absent when all are 1), by output name, or a list for one output. */
  loss_weights?: number[] | Record<string, number>;
  /** Metrics weighted by the sample weights, in the form of `metrics`. */
  weighted_metrics?: (string | MetricSpec)[] | Record<string, (string | MetricSpec)[]>;
  /** The optimizer's getConfig(): numbers and booleans, a learning-rate schedule as {className, config}. */
  optimizer_config: { class_name: string; config: Record<string, OptimizerConfigValue> };
}

/** A run's position: epochs completed, its seed, the optimizer's step count and the worker count it ran on. */
export interface RunPosition {
  epoch: number;
  seed: number;
  iterations: number;
  /** Absent in checkpoints from before `workers: 'auto'`. */
  workers?: number;
}

/** What a checkpoint adds to a saved model: how to compile it and where training stood. */
export interface TrainingSnapshot {
  config: TrainingConfig;
  /** The optimizer's slots (Adam's m and v), each params.length long. */
  slots: readonly Float32Array[];
  position: RunPosition;
}

/**
 * A `file://` URL (as tfjs-node takes them: `file://dir` is the relative path `dir`,
 * `file:///abs/dir` the absolute one), a file: URL object, or a plain filesystem path.
 */
export function pathFromUrl(url: string | URL): string {
  if (url instanceof URL) {
    if (url.protocol !== 'file:') throw invalidArgument('url', "a 'file://' URL or a filesystem path", url.href);
    return fileURLToPath(url);
  }
  if (typeof url !== 'string' || url.length === 0) throw invalidType('url', "a 'file://' URL or a filesystem path", url);
  if (url.startsWith('file://')) {
    const path = url.slice('file://'.length);
    if (path.length === 0) throw invalidArgument('url', "a 'file://' URL with a path after it", url);
    return path;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw invalidArgument('url', "a 'file://' URL or a filesystem path (weft saves to and loads from the local filesystem)", url);
  }
  return url;
}

export const LITTLE_ENDIAN = endianness() === 'LE';

/** A manifest weight and its bytes in the weights files (a view, not aligned). */
export interface StoredWeight {
  spec: WeightSpec;
  bytes: Uint8Array;
}

/** An invalid model.json: `expected` says what it should hold, `received` what it does. */
export function badModelJson(path: string, expected: string, received: string, cause?: unknown): DataFileError {
  return malformedFile('model.json', path, expected, received, cause);
}

/** A model.json field `where` that is not `expected`. */
export function badField(path: string, where: string, expected: string, received: unknown): DataFileError {
  return badModelJson(path, `${where} to be ${expected}`, `${where}=${describeValue(received)}`);
}

/** Little-endian float32 bytes (at any alignment) into `out` from `offset` on. */
export function decodeFloat32Into(bytes: Uint8Array, out: Float32Array, offset: number): void {
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer, out.byteOffset + offset * 4, bytes.byteLength).set(bytes);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < bytes.byteLength / 4; i++) out[offset + i] = view.getFloat32(i * 4, true);
}

export type Layout = GraphModel['layout'];

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
