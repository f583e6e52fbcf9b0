/**
 * Saving and loading in the TensorFlow.js layers format: a directory with `model.json` (topology
 * and weights manifest) and `weights.bin` (the float32 weights, little-endian, in manifest order).
 * `tf.loadLayersModel` of @tensorflow/tfjs-layers reads what `saveModel` writes, and
 * `loadModelSpec` reads what tfjs-layers saves (its weights may be sharded over several files).
 */
import { randomBytes } from 'node:crypto';
import { open, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invalidArgument, invalidType, missingFile, readFailure, ShapeError } from '../errors.js';
import { GraphModel } from '../graph/model.js';
import { graphFromSpec, type ModelSpec } from '../graph/spec.js';
import { fromLayersTopology, toLayersTopology } from '../graph/tfjs-format.js';
import { sizeOf } from '../graph/shape.js';

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
  loss: string;
  metrics: string[];
  optimizer_config: { class_name: string; config: Record<string, number | boolean> };
}

/** A run's position: epochs completed, its seed, and the optimizer's step count. */
export interface RunPosition {
  epoch: number;
  seed: number;
  iterations: number;
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

/** Little-endian float32 bytes as a new (aligned) Float32Array. */
function float32FromLE(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
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
  // A snapshot of the weights: the live buffer may be shared with worker threads.
  const manifest: ModelJSON = {
    format: 'layers-model',
    generatedBy: 'weft',
    convertedBy: null,
    modelTopology: toLayersTopology(model),
    weightsManifest: [{
      paths: [weightsFile],
      weights: model.layout.entries.map((e) => ({ name: e.name, shape: [...e.shape], dtype: 'float32' })),
    }],
  };
  const weightsPath = join(dir, weightsFile);
  await writeAtomic(weightsPath, float32ToLE(model.params.slice()));
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

/** Prefixes an error's message with the file it came from, keeping its class. */
function inFile(path: string, err: unknown): unknown {
  if (err instanceof Error) err.message = `In '${path}': ${err.message}`;
  return err;
}

/**
 * Reads a layers-model saved by weft or by tfjs-layers: `file://path/dir/model.json`, the
 * directory, or a plain path. Returns weft's spec of the graph (for `weft.modelFromJSON`) and the
 * weights as one Float32Array in the layout order of the model built from that spec, so
 * `model.params.set(weights)` restores them. Weights are matched to layers by name, as
 * tfjs-layers does; every mismatch (a missing file, bad JSON, a file of the wrong size, a layer
 * weft lacks, a dtype other than float32) is an error naming the file and what is wrong.
 */
export async function loadModelSpec(url: string | URL): Promise<{ spec: ModelSpec; weights: Float32Array; training: TrainingSnapshot | null }> {
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

async function loadOnce(url: string | URL): Promise<{ spec: ModelSpec; weights: Float32Array; training: TrainingSnapshot | null }> {
  const path = await modelJsonPathOf(url);
  const text = (await readOrExplain(path, 'model.json', 'a TensorFlow.js layers-model model.json (what model.save writes)')).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SyntaxError(`'${path}' is not valid JSON (a layers-model model.json was expected): ${(err as Error).message}`, { cause: err });
  }
  try {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw invalidType('model.json', 'an object {modelTopology, weightsManifest, ...}', json);
    const mj = json as Record<string, unknown>;
    if (mj.format !== undefined && mj.format !== 'layers-model') {
      throw invalidArgument('format', "'layers-model' (weft loads TensorFlow.js layers models, not graph models)", mj.format);
    }
    if (mj.modelTopology === null || typeof mj.modelTopology !== 'object') {
      throw invalidType('modelTopology', 'the model topology object {class_name, config, ...}', mj.modelTopology);
    }
    const spec = fromLayersTopology(mj.modelTopology);
    const manifest = checkManifest(mj.weightsManifest ?? []);
    const byName = await readWeights(dirname(path), manifest);
    const weights = weightsInLayoutOrder(spec, byName);
    return { spec, weights, training: trainingSnapshotOf(mj, byName, weights.length) };
  } catch (err) {
    throw inFile(path, err);
  }
}

/** A checkpoint's compile config, optimizer slots and position; null for a plain model. */
function trainingSnapshotOf(
  mj: Record<string, unknown>, byName: Map<string, { spec: WeightSpec; values: Float32Array }>, paramCount: number,
): TrainingSnapshot | null {
  const config = mj.trainingConfig as TrainingConfig | undefined;
  const position = mj.weftTrainingState as RunPosition | undefined;
  if (config === undefined || position === undefined) return null;
  const slots = [...byName.values()].filter((w) => w.spec.group === 'optimizer').map((w) => w.values);
  if (slots.some((s) => s.length !== paramCount)) {
    throw invalidArgument('optimizer weights', `slots of ${paramCount} values (one per parameter)`, slots.map((s) => s.length));
  }
  const ok = [position.epoch, position.seed, position.iterations].every((n) => Number.isSafeInteger(n) && n >= 0);
  if (!ok) throw invalidArgument('weftTrainingState', '{epoch, seed, iterations} as non-negative integers', JSON.stringify(position));
  return { config, slots, position };
}

function checkManifest(value: unknown): WeightsManifestGroup[] {
  if (!Array.isArray(value)) throw invalidType('weightsManifest', 'an array of {paths, weights}', value);
  return value.map((g: unknown, i) => {
    const where = `weightsManifest[${i}]`;
    if (g === null || typeof g !== 'object') throw invalidType(where, 'an object {paths, weights}', g);
    const { paths, weights } = g as Record<string, unknown>;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string' && p.length > 0)) {
      throw invalidType(`${where}.paths`, 'an array of file names', paths);
    }
    if (!Array.isArray(weights)) throw invalidType(`${where}.weights`, 'an array of {name, shape, dtype}', weights);
    weights.forEach((w: unknown, j) => {
      const at = `${where}.weights[${j}]`;
      if (w === null || typeof w !== 'object') throw invalidType(at, 'an object {name, shape, dtype}', w);
      const { name, shape, dtype, quantization } = w as Record<string, unknown>;
      if (typeof name !== 'string') throw invalidType(`${at}.name`, 'a string', name);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw invalidType(`${at}.shape ('${name}')`, 'an array of non-negative integers', shape);
      if (dtype !== 'float32') throw invalidArgument(`${at}.dtype ('${name}')`, "'float32' (weft's weights are float32)", dtype);
      if (quantization != null) throw invalidArgument(`${at}.quantization ('${name}')`, 'no quantization (weft reads float32 weights only)', JSON.stringify(quantization));
    });
    return g as WeightsManifestGroup;
  });
}

/** Every weight of the manifest by name: each group's files concatenated, groups in order. */
async function readWeights(dir: string, manifest: WeightsManifestGroup[]): Promise<Map<string, { spec: WeightSpec; values: Float32Array }>> {
  const byName = new Map<string, { spec: WeightSpec; values: Float32Array }>();
  for (const [g, group] of manifest.entries()) {
    const files = await Promise.all(group.paths.map((p) => readOrExplain(join(dir, p), `weights file of weightsManifest[${g}]`, 'a file of float32 weights named by model.json')));
    const received = files.reduce((n, f) => n + f.byteLength, 0);
    const expected = group.weights.reduce((n, w) => n + sizeOf(w.shape) * 4, 0);
    if (received !== expected) {
      const names = group.paths.map((p) => `'${p}'`).join(' + ');
      throw new RangeError(
        `Weights file size mismatch: weightsManifest[${g}] lists ${group.weights.length} float32 weights, ${expected} bytes, but ${names} hold${group.paths.length === 1 ? 's' : ''} ${received} bytes`,
      );
    }
    const values = float32FromLE(files.length === 1 ? files[0] : Buffer.concat(files));
    let offset = 0;
    for (const w of group.weights) {
      const size = sizeOf(w.shape);
      if (byName.has(w.name)) throw invalidArgument('weightsManifest', 'weights with unique names', `two weights named '${w.name}'`);
      byName.set(w.name, { spec: w, values: values.subarray(offset, offset + size) });
      offset += size;
    }
  }
  return byName;
}

/**
 * The weights in the layout order of the model the spec builds, matched by name as tfjs-layers'
 * loadWeights does (including its fallback for TF 2.2's 'layer/cell/weight' names). Optimizer
 * weights (group 'optimizer') are skipped: this loads a model, not a training run.
 */
function weightsInLayoutOrder(spec: ModelSpec, byName: Map<string, { spec: WeightSpec; values: Float32Array }>): Float32Array {
  const layout = new GraphModel(graphFromSpec(spec)).layout;
  const available = new Map<string, { spec: WeightSpec; values: Float32Array }>();
  for (const [name, w] of byName) {
    if (w.spec.group === 'optimizer') continue;
    const tokens = name.split('/');
    const short = tokens.length > 2 ? [...tokens.slice(0, -2), tokens[tokens.length - 1]].join('/') : name;
    const wanted = layout.entries.some((e) => e.name === name) ? name : short;
    if (!layout.entries.some((e) => e.name === wanted)) {
      throw invalidArgument('weightsManifest', `only weights of the model's layers (${layout.entries.map((e) => `'${e.name}'`).join(', ')})`, `a weight named '${name}' that no layer has`);
    }
    available.set(wanted, w);
  }
  const out = new Float32Array(layout.size);
  for (const e of layout.entries) {
    const w = available.get(e.name);
    if (w === undefined) throw invalidArgument('weightsManifest', `a weight named '${e.name}' of shape [${e.shape}]`, 'no such weight');
    if (w.spec.shape.length !== e.shape.length || w.spec.shape.some((d, i) => d !== e.shape[i])) {
      throw new ShapeError(`Weight '${e.name}': the model expects shape [${e.shape}], the weights manifest has shape [${w.spec.shape}]`);
    }
    out.set(w.values, e.offset);
  }
  return out;
}
