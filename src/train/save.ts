/**
 * Saving and loading in the TensorFlow.js layers format: a directory with `model.json` (topology
 * and weights manifest) and `weights.bin` (the float32 weights, little-endian, in manifest order).
 * `tf.loadLayersModel` of @tensorflow/tfjs-layers reads what `saveModel` writes, and
 * `loadModelSpec` reads what tfjs-layers saves (its weights may be sharded over several files),
 * with `includeOptimizer` its compile config and optimizer state too, where weft's optimizer
 * keeps the same slots (see TFJS_OPTIMIZERS).
 */
import { lossFromKeras, type KerasLoss, type LossSpec } from '../graph/losses.js';
import type { MetricSpec } from '../graph/metrics.js';
import { randomBytes } from 'node:crypto';
import { open, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFileError, describeValue, invalidArgument, invalidType, malformedFile, missingFile, readFailure, ShapeError } from '../errors.js';
import { GraphModel } from '../graph/model.js';
import { graphFromSpec, type ModelSpec } from '../graph/spec.js';
import { fromLayersTopology, toLayersTopology } from '../graph/tfjs-format.js';
import { sizeOf } from '../graph/shape.js';
import { optimizerFromSpec, type Optimizer, type OptimizerClassName, type OptimizerConfigValue } from './optimizers.js';

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

const LITTLE_ENDIAN = endianness() === 'LE';

/** The bytes of `values` as little-endian float32 (a copy). */
function float32ToLE(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  if (LITTLE_ENDIAN) {
    bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  } else {
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  }
  return bytes;
}

/**
 * Writes `data` to `path` so that a reader sees either the old file or the whole new one: a
 * temporary file in the same directory, flushed to disk, renamed over `path`.
 */
async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Flushes a directory's entries (the renames) to disk, where the platform allows it. */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Not every platform can fsync a directory (Windows); the renames still happened.
  } finally {
    await fh?.close();
  }
}

/** File names a checkpoint versions, so model.json can switch to a new set in one rename. */
const VERSIONED = /^(weights|optimizer)\.[0-9a-f]+\.bin$/;

/**
 * Saves `model` to the directory `url` (`file://path/dir` or a path; created if absent) in the
 * TensorFlow.js layers format: `model.json` and `weights.bin`. With a training snapshot (a
 * checkpoint) it also stores the optimizer state as an 'optimizer' weight group and the compile
 * config, and names the binary files by version: they are written and flushed first, then one
 * atomic rename of model.json switches to them, then the old ones are removed. A process killed
 * at any moment leaves a model.json whose files are all there.
 */
export async function saveModel(
  model: GraphModel, url: string | URL, training?: TrainingSnapshot,
): Promise<{ modelJsonPath: string; weightsPath: string }> {
  if (!(model instanceof GraphModel)) throw invalidType('model', 'a weft model', model);
  const dir = resolve(pathFromUrl(url));
  const existing = await stat(dir).catch(() => null);
  if (existing !== null && !existing.isDirectory()) {
    throw invalidArgument('url', `a directory to save model.json and weights.bin in ('${dir}' is a file)`, String(url));
  }
  await mkdir(dir, { recursive: true });
  const version = training === undefined ? null : randomBytes(8).toString('hex');
  const weightsFile = version === null ? WEIGHTS_BIN : `weights.${version}.bin`;
  // A snapshot of the weights (the live buffer may be shared with worker threads), in
  // tfjs-layers' order: trainable weights first, then the rest (BatchNorm's moving statistics).
  const inFileOrder = model.entriesInWeightOrder();
  const manifest: ModelJSON = {
    format: 'layers-model',
    generatedBy: 'weft',
    convertedBy: null,
    modelTopology: toLayersTopology(model),
    weightsManifest: [{
      paths: [weightsFile],
      weights: inFileOrder.map((e) => ({ name: e.name, shape: [...e.shape], dtype: 'float32' })),
    }],
  };
  const weightsPath = join(dir, weightsFile);
  const values = new Float32Array(model.layout.size);
  inFileOrder.reduce((at, e) => (values.set(model.valuesOf(e), at), at + e.size), 0);
  await writeAtomic(weightsPath, float32ToLE(values));
  if (training !== undefined) {
    const optimizerFile = `optimizer.${version}.bin`;
    const slots = new Float32Array(training.slots.reduce((n, s) => n + s.length, 0));
    training.slots.reduce((at, s) => (slots.set(s, at), at + s.length), 0);
    await writeAtomic(join(dir, optimizerFile), float32ToLE(slots));
    manifest.weightsManifest.push({
      paths: [optimizerFile],
      weights: training.slots.map((s, k) => ({ name: `optimizer/slot_${k}`, shape: [s.length], dtype: 'float32', group: 'optimizer' })),
    });
    manifest.trainingConfig = training.config;
    manifest.weftTrainingState = training.position;
  }
  const modelJsonPath = join(dir, MODEL_JSON);
  await writeAtomic(modelJsonPath, JSON.stringify(manifest));
  await syncDir(dir);
  // Only now, with model.json pointing at the new files, may the old versions go.
  const referenced = new Set(manifest.weightsManifest.flatMap((g) => g.paths));
  for (const name of await readdir(dir)) {
    if (VERSIONED.test(name) && !referenced.has(name)) await rm(join(dir, name), { force: true });
  }
  return { modelJsonPath, weightsPath };
}

async function modelJsonPathOf(url: string | URL): Promise<string> {
  const path = resolve(pathFromUrl(url));
  const st = await stat(path).catch(() => null);
  return st?.isDirectory() ? join(path, MODEL_JSON) : path;
}

async function readOrExplain(path: string, what: string, expected: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw missingFile(what, path, expected, readFailure(err), err);
  }
}

/** Prefixes an error's message with the file it came from, keeping its class (a DataFileError names its file already). */
function inFile(path: string, err: unknown): unknown {
  if (err instanceof Error && !(err instanceof DataFileError)) err.message = `In '${path}': ${err.message}`;
  return err;
}

/** A manifest weight and its bytes in the weights files (a view, not aligned). */
interface StoredWeight {
  spec: WeightSpec;
  bytes: Uint8Array;
}

/** What loadModelSpec reads from a saved model. */
export interface LoadedModelFiles {
  /** The model.json read. */
  modelJsonPath: string;
  /** weft's spec of the graph, for `weft.modelFromJSON`. */
  spec: ModelSpec;
  /** The weights in the layout order of the model built from `spec`: `model.params.set(weights)`. */
  weights: Float32Array;
  /** How to compile the model and the optimizer state to restore (`model.restoreTraining`); null when there is none weft can use. */
  training: TrainingSnapshot | null;
  /** True for weft's checkpoints, whose `training.position` says where the run stood; tfjs-layers records only the step count. */
  resumable: boolean;
  /** One line for each part of the file that was read but not used, and why (weft.loadModel prints them). */
  notices: string[];
}

/**
 * Reads a layers-model saved by weft or by tfjs-layers: `file://path/dir/model.json`, the
 * directory, or a plain path. Weights are matched to layers by name, as tfjs-layers does. A
 * file that is missing, not JSON, not shaped like a layers-model model.json (a field of the
 * wrong type) or shorter or longer than its manifest says is a DataFileError whose `path` is
 * that file; a well-formed file that weft cannot build (a layer weft lacks, a dtype other than
 * float32, weights that do not fit the topology) is the usual RangeError / ShapeError, its
 * message prefixed with the file. An optimizer state weft cannot use (tfjs-layers'
 * includeOptimizer with an optimizer weft lacks, or whose slots mean something else) is left
 * out with a notice.
 */
export async function loadModelSpec(url: string | URL): Promise<LoadedModelFiles> {
  // A checkpoint being replaced while we read may remove the files the model.json we read
  // names (they are deleted only after the new model.json is in place): read it again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await loadOnce(url);
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      const vanished = e.cause?.code === 'ENOENT' && /weights file/.test(e.message);
      if (!vanished || attempt === 3) throw err;
    }
  }
}

const MODEL_JSON_EXPECTED = 'a TensorFlow.js layers-model model.json (what model.save writes)';

async function loadOnce(url: string | URL): Promise<LoadedModelFiles> {
  const path = await modelJsonPathOf(url);
  const mj = parseModelJson(path, await readOrExplain(path, 'model.json', MODEL_JSON_EXPECTED));
  try {
    const spec = typesChecked(path, () => fromLayersTopology(mj.modelTopology));
    const layout = typesChecked(path, () => new GraphModel(graphFromSpec(spec)).layout);
    const stored = await readWeights(path, checkManifest(path, mj.weightsManifest ?? []));
    const weights = weightsInLayoutOrder(layout, stored, spec.name);
    const read = { modelJsonPath: path, spec, weights };
    if (mj.weftTrainingState !== undefined) {
      return { ...read, training: weftCheckpoint(path, mj, stored, layout.trainableSize), resumable: true, notices: [] };
    }
    // tfjs-layers writes trainingConfig beside modelTopology; the Keras converter writes Keras's
    // training_config inside it (tfjs-layers' loadLayersModel reads only the first).
    const converted = (mj.modelTopology as Record<string, unknown>).training_config;
    const raw = mj.trainingConfig ?? converted;
    if (raw === undefined || raw === null) return { ...read, training: null, resumable: false, notices: [] };
    const where = mj.trainingConfig !== undefined ? 'trainingConfig' : 'modelTopology.training_config';
    return { ...read, resumable: false, ...tfjsTraining(path, where, raw, stored, layout, mj.trainingConfig === undefined) };
  } catch (err) {
    throw inFile(path, err);
  }
}

/** An invalid model.json: `expected` says what it should hold, `received` what it does. */
function badModelJson(path: string, expected: string, received: string, cause?: unknown): DataFileError {
  return malformedFile('model.json', path, expected, received, cause);
}

/** A model.json field `where` that is not `expected`. */
function badField(path: string, where: string, expected: string, received: unknown): DataFileError {
  return badModelJson(path, `${where} to be ${expected}`, `${where}=${describeValue(received)}`);
}

/** model.json's text as the object of a layers model: JSON, an object, format 'layers-model', a topology object. */
function parseModelJson(path: string, bytes: Buffer): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw badModelJson(path, `${MODEL_JSON_EXPECTED}, which is JSON`, `text that is not valid JSON (${(err as Error).message})`, err);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw badModelJson(path, 'a JSON object {modelTopology, weightsManifest, ...}', describeValue(json));
  }
  const mj = json as Record<string, unknown>;
  if (mj.format !== undefined && mj.format !== 'layers-model') {
    throw badModelJson(path, "format 'layers-model' (weft loads TensorFlow.js layers models, not graph models)", `format=${describeValue(mj.format)}`);
  }
  if (mj.modelTopology === null || typeof mj.modelTopology !== 'object' || Array.isArray(mj.modelTopology)) {
    throw badModelJson(path, 'modelTopology to be the model topology object {class_name, config, ...}', `modelTopology=${describeValue(mj.modelTopology)}`);
  }
  return mj;
}

/**
 * Runs a reader of model.json's contents, turning its TypeErrors into the DataFileError of a
 * malformed model.json. The topology reader and the layer constructors raise TypeError
 * (errors.ts's invalidType) exactly when a field has the wrong type, which in a file means the
 * file is malformed; a well-typed value weft does not support keeps its RangeError.
 */
function typesChecked<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof TypeError) throw badModelJson(path, 'the field types of a layers-model model.json', err.message, err);
    throw err;
  }
}

/** The bytes of one element of each dtype a manifest may list: float32 model weights, and tfjs's int32 step count among the optimizer weights. */
const DTYPE_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4 };

function checkManifest(path: string, value: unknown): WeightsManifestGroup[] {
  const bad = (where: string, expected: string, received: unknown): DataFileError => badField(path, where, expected, received);
  if (!Array.isArray(value)) throw bad('weightsManifest', 'an array of {paths, weights}', value);
  return value.map((g: unknown, i) => {
    const where = `weightsManifest[${i}]`;
    if (g === null || typeof g !== 'object' || Array.isArray(g)) throw bad(where, 'an object {paths, weights}', g);
    const { paths, weights } = g as Record<string, unknown>;
    if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string' && p.length > 0)) {
      throw bad(`${where}.paths`, 'an array of file names', paths);
    }
    if (!Array.isArray(weights)) throw bad(`${where}.weights`, 'an array of {name, shape, dtype}', weights);
    weights.forEach((w: unknown, j) => {
      const at = `${where}.weights[${j}]`;
      if (w === null || typeof w !== 'object' || Array.isArray(w)) throw bad(at, 'an object {name, shape, dtype}', w);
      const { name, shape, dtype, group, quantization } = w as Record<string, unknown>;
      if (typeof name !== 'string') throw bad(`${at}.name`, 'a string', name);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw bad(`${at}.shape ('${name}')`, 'an array of non-negative integers', shape);
      if (group !== undefined && typeof group !== 'string') throw bad(`${at}.group ('${name}')`, 'a string', group);
      if (typeof dtype !== 'string') throw bad(`${at}.dtype ('${name}')`, 'a dtype name', dtype);
      if (group === 'optimizer') {
        if (DTYPE_BYTES[dtype] === undefined) throw invalidArgument(`${at}.dtype ('${name}')`, "'float32' or 'int32' (the dtypes of tfjs's optimizer weights)", dtype);
      } else if (dtype !== 'float32') {
        throw invalidArgument(`${at}.dtype ('${name}')`, "'float32' (weft's weights are float32)", dtype);
      }
      if (quantization != null) throw invalidArgument(`${at}.quantization ('${name}')`, 'no quantization (weft reads float32 weights only)', JSON.stringify(quantization));
    });
    return g as WeightsManifestGroup;
  });
}

/**
 * Every weight of the manifest by name: each group's files concatenated, groups in order. A
 * group whose files hold more or fewer bytes than its weights need is a DataFileError naming
 * the group's file (its last, when sharded: where a cut-short write ends).
 */
async function readWeights(modelJsonPath: string, manifest: WeightsManifestGroup[]): Promise<Map<string, StoredWeight>> {
  const dir = dirname(modelJsonPath);
  const byName = new Map<string, StoredWeight>();
  for (const [g, group] of manifest.entries()) {
    const kind = group.weights.length > 0 && group.weights.every((w) => w.group === 'optimizer') ? 'optimizer weights file' : 'weights file';
    const what = `${kind} of weightsManifest[${g}]`;
    const filePaths = group.paths.map((p) => join(dir, p));
    const files = await Promise.all(filePaths.map((p) => readOrExplain(p, what, 'a file of float32 weights named by model.json')));
    const received = files.reduce((n, f) => n + f.byteLength, 0);
    const expected = group.weights.reduce((n, w) => n + sizeOf(w.shape) * DTYPE_BYTES[w.dtype], 0);
    if (received !== expected) {
      const sizes = files.length === 1 ? '' : ` in ${files.length} files (${group.paths.map((p, k) => `'${p}' ${files[k].byteLength}`).join(', ')})`;
      const how = received < expected ? 'truncated' : `${received - expected} bytes more than listed`;
      throw malformedFile(what, filePaths[filePaths.length - 1], `${expected} bytes (the ${group.weights.length} weights model.json lists for it)`, `${received} bytes${sizes} (${how})`);
    }
    const bytes = files.length === 1 ? files[0] : Buffer.concat(files);
    let offset = 0;
    for (const w of group.weights) {
      const size = sizeOf(w.shape) * DTYPE_BYTES[w.dtype];
      if (byName.has(w.name)) throw invalidArgument('weightsManifest', 'weights with unique names', `two weights named '${w.name}'`);
      byName.set(w.name, { spec: w, bytes: bytes.subarray(offset, offset + size) });
      offset += size;
    }
  }
  return byName;
}

/** Little-endian float32 bytes (at any alignment) into `out` from `offset` on. */
function decodeFloat32Into(bytes: Uint8Array, out: Float32Array, offset: number): void {
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer, out.byteOffset + offset * 4, bytes.byteLength).set(bytes);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < bytes.byteLength / 4; i++) out[offset + i] = view.getFloat32(i * 4, true);
}

type Layout = GraphModel['layout'];

/**
 * The weights in the layout order of the model the spec builds, matched by name as tfjs-layers'
 * loadWeights does (including its fallback for TF 2.2's 'layer/cell/weight' names). Optimizer
 * weights (group 'optimizer') are left to the training-state readers below.
 */
function weightsInLayoutOrder(layout: Layout, byName: Map<string, StoredWeight>, modelName: string): Float32Array {
  const available = new Map<string, StoredWeight>();
  const names = new Set(layout.entries.map((e) => e.name));
  for (const [name, w] of byName) {
    if (w.spec.group === 'optimizer') continue;
    const wanted = weightNameCandidates(name, modelName).find((n) => names.has(n));
    if (wanted === undefined) {
      throw invalidArgument('weightsManifest', `only weights of the model's layers (${layout.entries.map((e) => `'${e.name}'`).join(', ')})`, `a weight named '${name}' that no layer has`);
    }
    const twice = available.get(wanted);
    if (twice !== undefined) throw invalidArgument('weightsManifest', `one weight for '${wanted}'`, `two: '${twice.spec.name}' and '${name}'`);
    available.set(wanted, w);
  }
  const out = new Float32Array(layout.size);
  for (const e of layout.entries) {
    const w = available.get(e.name);
    if (w === undefined) throw invalidArgument('weightsManifest', `a weight named '${e.name}' of shape [${e.shape}]`, 'no such weight');
    if (!sameShape(w.spec.shape, e.shape)) {
      throw new ShapeError(`Weight '${e.name}': the model expects shape [${e.shape}], the weights manifest has shape [${w.spec.shape}]`);
    }
    decodeFloat32Into(w.bytes, out, e.offset);
  }
  return out;
}

/**
 * The names a stored weight may have in weft's layout, in the order tried: as written
 * ('dense_1/kernel': tfjs-layers, and the converter from Keras 2), without a TensorFlow variable's
 * ':0' suffix (hand-made manifests copy `weight.name` from TF 2), without the model's name in
 * front (the converter from Keras 3 writes 'sequential/dense/kernel'), and tfjs-layers' own
 * fallback for TF 2.2's 'layer/cell/weight' (the second-to-last token dropped).
 */
function weightNameCandidates(name: string, modelName: string): string[] {
  const bare = name.replace(/:\d+$/, '');
  const unprefixed = (n: string): string => (n.startsWith(`${modelName}/`) ? n.slice(modelName.length + 1) : n);
  const short = (n: string): string => {
    const tokens = n.split('/');
    return tokens.length > 2 ? [...tokens.slice(0, -2), tokens[tokens.length - 1]].join('/') : n;
  };
  return [...new Set([name, bare, unprefixed(bare), short(name), short(bare)])];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

// ---------------------------------------------------------------------------------------------
// weft's own checkpoints: trainingConfig in weft's terms, slots as whole flat arrays, the position
// ---------------------------------------------------------------------------------------------

/** A weft checkpoint's compile config, optimizer slots and position; every field is checked. */
function weftCheckpoint(path: string, mj: Record<string, unknown>, byName: Map<string, StoredWeight>, paramCount: number): TrainingSnapshot {
  const config = mj.trainingConfig as TrainingConfig | undefined;
  const isObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);
  const metricList = (v: unknown): boolean => Array.isArray(v) && v.every((m) => typeof m === 'string' || isObject(m));
  const checks: [string, unknown, string, boolean][] = [
    ['trainingConfig', config, '{loss, metrics, optimizer_config} (a weft checkpoint has one beside weftTrainingState)', isObject(config)],
    ['trainingConfig.loss', config?.loss, 'a loss name or spec {name, config}', typeof config?.loss === 'string' || isObject(config?.loss)],
    ['trainingConfig.metrics', config?.metrics, 'an array of metric names or specs (an object of them by output name for several outputs)', metricList(config?.metrics) || (isObject(config?.metrics) && Object.values(config?.metrics as object).every(metricList))],
    ['trainingConfig.optimizer_config', config?.optimizer_config, 'an object {class_name, config}', isObject(config?.optimizer_config)],
    ['trainingConfig.optimizer_config.class_name', config?.optimizer_config?.class_name, 'an optimizer name', typeof config?.optimizer_config?.class_name === 'string'],
    ['trainingConfig.optimizer_config.config', config?.optimizer_config?.config, 'an object of its settings', isObject(config?.optimizer_config?.config)],
  ];
  const failed = checks.find(([, , , ok]) => !ok);
  if (failed !== undefined) throw badField(path, failed[0], failed[2], failed[1]);
  const position = mj.weftTrainingState as Partial<RunPosition> | null;
  const positionOk = typeof position === 'object' && position !== null
    && [position.epoch, position.seed, position.iterations].every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
  const workersOk = position?.workers === undefined || (Number.isSafeInteger(position.workers) && position.workers >= 1);
  if (!positionOk || !workersOk) {
    throw badModelJson(path, 'weftTrainingState to be {epoch, seed, iterations, workers?}, non-negative integers (workers >= 1)', `weftTrainingState=${JSON.stringify(position)}`);
  }
  const slots = [...byName.values()].filter((w) => w.spec.group === 'optimizer').map((w) => {
    if (sizeOf(w.spec.shape) !== paramCount || w.spec.dtype !== 'float32') {
      throw badModelJson(path, `optimizer weights of ${paramCount} float32 values each (one per parameter)`, `'${w.spec.name}' of shape [${w.spec.shape}], ${w.spec.dtype}`);
    }
    const values = new Float32Array(paramCount);
    decodeFloat32Into(w.bytes, values, 0);
    return values;
  });
  return { config: config as TrainingConfig, slots, position: position as RunPosition };
}

// ---------------------------------------------------------------------------------------------
// tfjs-layers' includeOptimizer: trainingConfig in tfjs's terms, then the optimizer's weights
// ('iter', then each slot per weight, named '<weight's variable name>/<slot>')
// ---------------------------------------------------------------------------------------------

/**
 * How each tfjs-core optimizer maps onto weft's: weft's class and config from tfjs's config, and
 * for each of weft's slots, in weft's order, the tfjs slot that holds the same quantity, or why
 * none does. Checked against tfjs-core 4.22's optimizers/*.ts:
 * - Adam: m and v are the same moving averages (weft folds the bias correction into the step
 *   size and adds epsilon before it, Keras's epsilon-hat form; tfjs adds it after).
 * - RMSProp: 'rms' is weft's velocity and 'momentum' its momentum slot, the same recurrences
 *   (tfjs keeps 'momentum' also at momentum 0, where it carries nothing; weft has no slot then).
 *   Centered, 'mg' is weft's average gradient; tfjs then subtracts epsilon under the root where
 *   weft, as Keras, adds it.
 * - Momentum: tfjs accumulates raw gradients, a = momentum·a + g, p −= lr·a; weft's SGD keeps
 *   the velocity v = momentum·v − lr·g, p += v. The same updates, different slots: not mapped.
 * - SGD: no slots.
 * - Adagrad: 'accumulator' is weft's, the same recurrence from the same initialAccumulatorValue;
 *   tfjs's epsilon is the backend's (1e-7 in float32), weft's default.
 * - Adadelta: 'accum_grad' and 'accum_var' are weft's two accumulators, the same recurrences;
 *   tfjs divides by the root of the accumulated gradient before this step's update of it, where
 *   weft, as Keras, uses the updated one.
 * - Adamax: 'm' and 'v' (the weighted infinity norm) are weft's two slots; tfjs's `decay` of the
 *   rate has no Keras 3 counterpart (refused unless 0), and tfjs-core 4.22 cannot save Adamax's
 *   weights at all (its getWeights throws), so only a config comes from there.
 */
interface TfjsOptimizer {
  className: string;
  config: (c: Record<string, unknown>) => Record<string, unknown>;
  /** The tfjs slot suffixes weft's slots come from, in weft's order, or why they cannot. */
  slots: (c: Record<string, unknown>) => string[] | { mismatch: string };
  /** Every slot suffix tfjs writes for it (some weft does not need). */
  written: string[];
}

/** `c` with key `from` named `to`, unless `to` is there already (then both stay, and weft's check rejects `from`). */
const renamed = (c: Record<string, unknown>, from: string, to: string): Record<string, unknown> => {
  if (c[to] !== undefined || c[from] === undefined) return c;
  const { [from]: value, ...rest } = c;
  return { ...rest, [to]: value };
};

const TFJS_OPTIMIZERS: Readonly<Record<string, TfjsOptimizer>> = {
  adam: { className: 'Adam', config: (c) => c, slots: () => ['m', 'v'], written: ['m', 'v'] },
  // tfjs's SGD has no momentum; a Keras SGD config with momentum keeps weft's velocity.
  sgd: { className: 'SGD', config: (c) => c, slots: (c) => ((c.momentum as number) > 0 ? ['momentum'] : []), written: ['momentum'] },
  rmsprop: {
    className: 'RMSprop',
    config: (c) => renamed(c, 'decay', 'rho'),
    slots: (c) => ['rms', ...((c.momentum as number) > 0 ? ['momentum'] : []), ...(c.centered === true ? ['mg'] : [])],
    written: ['rms', 'momentum', 'mg'],
  },
  adagrad: { className: 'Adagrad', config: (c) => c, slots: () => ['accumulator'], written: ['accumulator'] },
  adadelta: { className: 'Adadelta', config: (c) => c, slots: () => ['accum_grad', 'accum_var'], written: ['accum_grad', 'accum_var'] },
  adamax: {
    className: 'Adamax',
    config: (c) => (c.decay === 0 ? Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'decay')) : c),
    slots: () => ['m', 'v'],
    written: ['m', 'v'],
  },
  momentum: {
    className: 'SGD',
    config: (c) => renamed(c, 'useNesterov', 'nesterov'),
    slots: () => ({ mismatch: "tfjs's Momentum accumulates the raw gradients where weft's SGD keeps a velocity of -learningRate times that" }),
    written: ['momentum'],
  },
};

/** tfjs-layers' `toCamelCase`, as its loadTrainingConfig applies to a Python optimizer config. */
const camelCase = (key: string): string => key.replace(/[_-](\w)/g, (_, c: string) => c.toUpperCase());

/**
 * The one output's entry of tfjs's per-output forms: a loss as a list of one or an
 * {outputName: loss} of one; metrics as an {outputName: metrics} of one. Null when it names
 * several outputs. (tfjs-layers writes the metrics of a model compiled without any as {}.)
 */
function oneOutput(value: unknown, listIsPerOutput: boolean): unknown {
  if (Array.isArray(value) && listIsPerOutput) return value.length === 1 ? value[0] : null;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const values = Object.values(value);
    if (values.length === 0 && !listIsPerOutput) return [];
    return values.length === 1 ? values[0] : null;
  }
  return value;
}

/**
 * tfjs-layers' trainingConfig and optimizer weights as weft's training snapshot, as
 * tfjs-layers' loadLayersModel compiles a model it loads. The parts weft cannot use are left
 * out with a notice: the whole config when weft lacks the optimizer, loss or metric (the model
 * then loads uncompiled), the optimizer weights when their slots are not weft's (the model is
 * compiled with a fresh optimizer).
 */
function tfjsTraining(
  path: string, where: string, raw: unknown, byName: Map<string, StoredWeight>, layout: Layout, fromConverter: boolean,
): { training: TrainingSnapshot | null; notices: string[] } {
  const field = (at: string, expected: string, received: unknown): DataFileError => badField(path, at, expected, received);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw field(where, 'an object {loss, metrics, optimizer_config}', raw);
  const tc = raw as Record<string, unknown>;
  // Keras 2 and tfjs-layers write optimizer_config; Keras 3's legacy h5 writes its compile config,
  // whose `optimizer` is the serialized optimizer (or the name passed to compile).
  const key = tc.optimizer_config === undefined && tc.optimizer !== undefined ? 'optimizer' : 'optimizer_config';
  const given = tc[key];
  const oc = (typeof given === 'string' ? { class_name: given, config: {} } : given) as Record<string, unknown> | undefined;
  if (oc === null || typeof oc !== 'object' || Array.isArray(oc)) throw field(`${where}.${key}`, 'an object {class_name, config}', oc);
  if (typeof oc.class_name !== 'string') throw field(`${where}.${key}.class_name`, 'a string', oc.class_name);
  const rawConfig = oc.config ?? {};
  if (rawConfig === null || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) throw field(`${where}.${key}.config`, 'an object', rawConfig);
  const uncompiled = (why: string) => ({ training: null, notices: [`weft.loadModel: '${path}' is loaded uncompiled, its training config and optimizer weights skipped: ${why}`] });

  const args = compileArgs(tc, where, field);
  if ('skip' in args) return uncompiled(args.skip);
  const { loss, metrics } = args;

  // Keras writes snake_case settings (learning_rate, beta_1), Keras 2.11+ a 'Custom>' class
  // prefix; tfjs-core's getConfig writes camelCase (learningRate, beta1).
  const settings = rawConfig as Record<string, unknown>;
  const kerasForm = fromConverter || key === 'optimizer' || oc.class_name.includes('>') || Object.keys(settings).some((k) => k.includes('_') || k === 'lr');
  if (kerasForm) {
    const built = kerasOptimizer(oc.class_name, settings);
    if ('skip' in built) return uncompiled(built.skip);
    const { optimizer } = built;
    const hasState = [...byName.values()].some((w) => w.spec.group === 'optimizer');
    const notices = hasState ? [`weft.loadModel: '${path}': skipped its optimizer weights (weft reads the slots of tfjs-core's optimizers, not Keras's); the model is compiled with a fresh ${optimizer.className} optimizer`] : [];
    const slots = optimizer.init(layout.trainableSize);
    const config = { loss, metrics, optimizer_config: { class_name: optimizer.className, config: optimizer.getConfig() } };
    return { training: { config, slots, position: { epoch: 0, seed: 0, iterations: 0 } }, notices };
  }

  const mapping = TFJS_OPTIMIZERS[oc.class_name.toLowerCase()];
  if (mapping === undefined) return uncompiled(`weft has no ${oc.class_name} optimizer (it reads tfjs's Adam, SGD, Momentum, RMSProp, Adagrad, Adadelta, Adamax)`);
  // Unset (null) settings and Keras's 'name' say nothing weft needs.
  const tfjsConfig = Object.fromEntries(Object.entries(settings).filter(([k, v]) => v !== null && k !== 'name').map(([k, v]) => [camelCase(k), v]));
  const config = mapping.config(tfjsConfig);
  let rule: Optimizer;
  try {
    rule = optimizerFromSpec({ className: mapping.className, config: config as Record<string, number | boolean> });
  } catch (err) {
    return uncompiled(`its ${oc.class_name} config does not fit weft's ${mapping.className} (${(err as Error).message})`);
  }
  const optimizerConfig = { class_name: mapping.className, config: config as Record<string, number | boolean> };
  const noState = ![...byName.values()].some((w) => w.spec.group === 'optimizer');
  const mapped: { slots: Float32Array[]; iterations: number } | { mismatch: string } = noState
    ? { slots: rule.init(layout.trainableSize), iterations: 0 }
    : tfjsOptimizerState(byName, layout, mapping, config, rule.initialSlotValues);
  const state = 'slots' in mapped && mapped.slots.length !== rule.slotCount ? { mismatch: `weft's ${mapping.className} keeps ${rule.slotCount} slots, not ${mapped.slots.length}` } : mapped;
  const fresh = 'mismatch' in state;
  const notices = fresh ? [`weft.loadModel: '${path}': skipped its optimizer weights (${state.mismatch}); the model is compiled with a fresh ${mapping.className} optimizer`] : [];
  const slots = fresh ? rule.init(layout.trainableSize) : state.slots;
  return {
    training: { config: { loss, metrics, optimizer_config: optimizerConfig }, slots, position: { epoch: 0, seed: 0, iterations: fresh ? 0 : state.iterations } },
    notices,
  };
}

/**
 * compile()'s loss and metrics from a training config, in every form the files hold: a loss
 * name, Keras's configured loss {class_name, config}, or one output's entry of tfjs's per-output
 * forms; metrics as names, Keras 2's per-output lists of them, or its MeanMetricWrapper objects
 * (`{class_name: 'MeanMetricWrapper', config: {name: 'accuracy', fn: 'sparse_categorical_accuracy'}}`).
 * What weft cannot compile in one output's terms is a reason to skip (`skip`), a field of the
 * wrong type a malformed file.
 */
function compileArgs(
  tc: Record<string, unknown>, where: string, field: (at: string, expected: string, received: unknown) => DataFileError,
): { loss: string | LossSpec; metrics: string[] } | { skip: string } {
  const isKerasObject = (v: unknown): v is KerasLoss => v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as KerasLoss).class_name === 'string';
  if (tc.loss === null || tc.loss === undefined) return { skip: 'it names no loss' };
  const lossRaw = isKerasObject(tc.loss) ? tc.loss : oneOutput(tc.loss, true);
  if (lossRaw === null) return { skip: `it has a loss per output (${JSON.stringify(tc.loss)}); weft trains models with one output` };
  let loss: string | LossSpec;
  if (isKerasObject(lossRaw)) {
    try {
      loss = lossFromKeras(lossRaw).spec;
    } catch (err) {
      return { skip: `its loss ${JSON.stringify(lossRaw)} is not one weft has (${(err as Error).message})` };
    }
  } else if (typeof lossRaw === 'string') {
    loss = lossRaw;
  } else {
    throw field(`${where}.loss`, "a loss name or Keras's {class_name, config}", tc.loss);
  }

  let list: unknown = tc.metrics ?? [];
  // Keras 2.4+ writes one list per output: [[...]].
  if (Array.isArray(list) && list.length > 0 && list.every(Array.isArray)) {
    if (list.length !== 1) return { skip: `it has metrics per output (${JSON.stringify(tc.metrics)}); weft trains models with one output` };
    list = list[0];
  } else {
    list = oneOutput(list, false);
    if (list === null) return { skip: `it has metrics per output (${JSON.stringify(tc.metrics)}); weft trains models with one output` };
  }
  if (typeof list === 'string') list = [list];
  if (!Array.isArray(list)) throw field(`${where}.metrics`, 'an array of metric names', tc.metrics);
  const metrics: string[] = [];
  for (const m of list) {
    if (typeof m === 'string') {
      metrics.push(m);
    } else if (isKerasObject(m) && m.class_name === 'MeanMetricWrapper' && typeof m.config?.fn === 'string') {
      // Keras logs it under its name ('accuracy'), computed by fn; weft resolves 'accuracy' the same way.
      const name = m.config.name;
      metrics.push(name === 'accuracy' || name === 'acc' ? name : m.config.fn);
    } else if (isKerasObject(m)) {
      return { skip: `its metric ${JSON.stringify(m)} is not one weft reads (it reads metric names and Keras's MeanMetricWrapper)` };
    } else {
      throw field(`${where}.metrics`, 'an array of metric names', tc.metrics);
    }
  }

  const weights = tc.loss_weights;
  if (weights !== null && weights !== undefined) {
    const w = typeof weights === 'number' ? weights : oneOutput(weights, true);
    if (w !== 1) return { skip: `it weights the loss by loss_weights=${JSON.stringify(weights)}, which weft's one-output compile does not take` };
  }
  if (tc.sample_weight_mode !== null && tc.sample_weight_mode !== undefined) {
    return { skip: `it sets sample_weight_mode=${JSON.stringify(tc.sample_weight_mode)} (Keras 2's per-timestep weights), which weft does not take` };
  }
  const weighted = tc.weighted_metrics;
  const none = weighted === null || weighted === undefined || (Array.isArray(weighted) && weighted.every((m) => Array.isArray(m) && m.length === 0));
  if (!none) return { skip: `it has weighted_metrics=${JSON.stringify(weighted)}, which weft's compile does not take` };
  return { loss, metrics };
}

/** Keras's optimizer class names (as Keras 3 and tf.keras spell them, any case) → weft's. */
const KERAS_OPTIMIZERS: Readonly<Record<string, OptimizerClassName>> = {
  adam: 'Adam', adamw: 'AdamW', adamax: 'Adamax', nadam: 'Nadam', sgd: 'SGD', rmsprop: 'RMSprop', adagrad: 'Adagrad', adadelta: 'Adadelta',
};

/** Keras's snake_case optimizer settings → weft's names (weft's optimizer then checks that it takes each). */
const KERAS_OPTIMIZER_KEYS: Readonly<Record<string, string>> = {
  learning_rate: 'learningRate', lr: 'learningRate', beta_1: 'beta1', beta_2: 'beta2', epsilon: 'epsilon', rho: 'rho',
  momentum: 'momentum', nesterov: 'nesterov', centered: 'centered', initial_accumulator_value: 'initialAccumulatorValue',
  weight_decay: 'weightDecay', amsgrad: 'amsgrad', clipnorm: 'clipnorm', clipvalue: 'clipvalue', global_clipnorm: 'globalClipnorm',
};

/**
 * Keras optimizer settings that change nothing in the update at these values: its name, the
 * XLA and legacy-class flags, the EMA settings while use_ema is false, and (on optimizers
 * without them) a weight decay of 0 and amsgrad false; Keras 2's learning-rate `decay` of 0.
 */
const KERAS_OPTIMIZER_INERT: Readonly<Record<string, (v: unknown, c: Record<string, unknown>, cls: OptimizerClassName) => boolean>> = {
  name: (v) => typeof v === 'string',
  jit_compile: (v) => typeof v === 'boolean',
  is_legacy_optimizer: (v) => typeof v === 'boolean',
  use_ema: (v) => v === false,
  ema_momentum: (_v, c) => c.use_ema !== true,
  ema_overwrite_frequency: (_v, c) => c.use_ema !== true,
  decay: (v) => v === 0,
  weight_decay: (v, _c, cls) => cls !== 'AdamW' && v === 0,
  amsgrad: (v, _c, cls) => cls !== 'AdamW' && v === false,
};

/** Why a Keras optimizer setting weft has no counterpart for cannot load, where more than "none" helps. */
const KERAS_OPTIMIZER_WHY: Readonly<Record<string, string>> = {
  decay: "Keras 2's per-step decay lr/(1 + decay·t), which weft has no schedule for",
  use_ema: 'weft keeps no moving average of the weights',
  amsgrad: "weft's Adam has no amsgrad (its AdamW has)",
  weight_decay: "weft decays weights only in AdamW (Keras 3's other optimizers' weight_decay is not implemented)",
};

/** A Keras optimizer_config as weft's optimizer, or why it cannot be one. */
function kerasOptimizer(kerasClass: string, settings: Record<string, unknown>): { optimizer: Optimizer } | { skip: string } {
  const bare = kerasClass.replace(/^Custom>/, '');
  const className = KERAS_OPTIMIZERS[bare.toLowerCase()];
  if (className === undefined) return { skip: `weft has no ${kerasClass} optimizer (it has ${Object.values(KERAS_OPTIMIZERS).join(', ')})` };
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value === null) continue; // unset: weft's default is Keras's
    if (KERAS_OPTIMIZER_INERT[key]?.(value, settings, className) === true) continue;
    const ours = KERAS_OPTIMIZER_KEYS[key];
    if (ours === undefined || (key === 'weight_decay' && className !== 'AdamW') || (key === 'amsgrad' && className !== 'AdamW')) {
      const why = KERAS_OPTIMIZER_WHY[key] ?? `weft's ${className} has no such setting`;
      return { skip: `its ${kerasClass} optimizer sets ${key}=${JSON.stringify(value)} (${why})` };
    }
    config[ours] = value;
  }
  try {
    return { optimizer: optimizerFromSpec({ className, config: config as Record<string, OptimizerConfigValue> }) };
  } catch (err) {
    return { skip: `its ${kerasClass} config does not fit weft's ${className} (${(err as Error).message})` };
  }
}

/**
 * tfjs's optimizer weights in weft's slot layout: each slot weight matched to the model weight
 * by name (tfjs names it after the weight's variable, which may carry a '_<n>' suffix when the
 * process made another variable of the same name first), never by position.
 */
function tfjsOptimizerState(
  byName: Map<string, StoredWeight>, layout: Layout, mapping: TfjsOptimizer, config: Record<string, unknown>, initial: readonly number[],
): { slots: Float32Array[]; iterations: number } | { mismatch: string } {
  const wanted = mapping.slots(config);
  if (!Array.isArray(wanted)) return wanted;
  const weights = [...byName.values()].filter((w) => w.spec.group === 'optimizer');
  const iter = weights.find((w) => w.spec.name === 'iter');
  if (iter === undefined || sizeOf(iter.spec.shape) !== 1) return { mismatch: "there is no scalar 'iter' weight, the step count" };
  const iterations = new DataView(iter.bytes.buffer, iter.bytes.byteOffset, 4)[iter.spec.dtype === 'int32' ? 'getInt32' : 'getFloat32'](0, true);
  if (!(Number.isSafeInteger(iterations) && iterations >= 0)) return { mismatch: `the step count 'iter' is ${iterations}, not an integer >= 0` };

  // The optimizer keeps slots for trainable weights only (tfjs-layers writes none for the others).
  const trainable = layout.trainableEntries;
  const entries = new Map(trainable.map((e) => [e.name, e]));
  // At their starting values (Adagrad's accumulator is not 0): what a model never trained keeps.
  const slots = wanted.map((_, k) => new Float32Array(layout.trainableSize).fill(initial[k] ?? 0));
  const filled = wanted.map(() => new Set<string>());
  for (const w of weights) {
    if (w === iter) continue;
    const suffix = mapping.written.find((s) => w.spec.name.endsWith(`/${s}`));
    const variable = suffix === undefined ? w.spec.name : w.spec.name.slice(0, -suffix.length - 1);
    const entry = entries.get(variable) ?? entries.get(variable.replace(/_\d+$/, ''));
    if (suffix === undefined || entry === undefined) return { mismatch: `the optimizer weight '${w.spec.name}' belongs to no weight of the model` };
    const k = wanted.indexOf(suffix);
    if (k < 0) continue; // a slot weft's update does not read (RMSProp's 'momentum' at momentum 0)
    if (w.spec.dtype !== 'float32' || !sameShape(w.spec.shape, entry.shape)) {
      return { mismatch: `the optimizer weight '${w.spec.name}' is ${w.spec.dtype} [${w.spec.shape}], its weight '${entry.name}' float32 [${entry.shape}]` };
    }
    if (filled[k].has(entry.name)) return { mismatch: `two '${suffix}' optimizer weights belong to '${entry.name}'` };
    filled[k].add(entry.name);
    decodeFloat32Into(w.bytes, slots[k], entry.offset);
  }
  const none = filled.every((f) => f.size === 0);
  if (none && iterations === 0) return { slots, iterations }; // compiled, never trained: tfjs has made no slots yet
  for (const [k, f] of filled.entries()) {
    const lacking = trainable.find((e) => !f.has(e.name));
    if (lacking !== undefined) return { mismatch: `there is no '${wanted[k]}' optimizer weight for '${lacking.name}'` };
  }
  return { slots, iterations };
}
