/**
 * Reading a saved model: model.json checked field by field, the weights files of its manifest
 * (several groups and shards), the weights matched to the model's layout by name, and the
 * training state a file carries (load-training.ts).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DataFileError, describeValue, invalidArgument, malformedFile, missingFile, readFailure, ShapeError } from '../errors.js';
import { GraphModel } from '../graph/model.js';
import { graphFromSpec, type ModelSpec } from '../graph/spec.js';
import { fromLayersTopology } from '../graph/tfjs-format.js';
import { sizeOf } from '../graph/shape.js';
import { badField, badModelJson, decodeFloat32Into, MODEL_JSON, pathFromUrl, sameShape, type Layout, type StoredWeight, type TrainingSnapshot, type WeightsManifestGroup } from './model-files.js';
import { tfjsTraining, weftCheckpoint } from './load-training.js';


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

/**
 * The weights in the layout order of the model the spec builds, matched by name as tfjs-layers'
 * loadWeights does (including its fallback for TF 2.2's 'layer/cell/weight' names). Optimizer
 * weights (group 'optimizer') are left to the training-state readers (load-training.ts).
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

