/**
 * Saving in the TensorFlow.js layers format: a directory with `model.json` (topology and weights
 * manifest) and `weights.bin` (the float32 weights, little-endian, in manifest order), written
 * atomically; `tf.loadLayersModel` of @tensorflow/tfjs-layers reads it. Reading is load.ts's job
 * (`loadModelSpec`, re-exported here), the training state a file carries load-training.ts's.
 */
import { randomBytes } from 'node:crypto';
import { open, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { invalidArgument, invalidType } from '../errors.js';
import { GraphModel } from '../graph/model.js';
import { toLayersTopology } from '../graph/tfjs-format.js';
import { LITTLE_ENDIAN, MODEL_JSON, pathFromUrl, WEIGHTS_BIN, type ModelJSON, type TrainingSnapshot } from './model-files.js';

export type { ModelJSON, RunPosition, TrainingConfig, TrainingSnapshot, WeightSpec, WeightsManifestGroup } from './model-files.js';
export { MODEL_JSON, pathFromUrl, WEIGHTS_BIN } from './model-files.js';
export { loadModelSpec, type LoadedModelFiles } from './load.js';

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

