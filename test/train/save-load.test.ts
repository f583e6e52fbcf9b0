import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { fromLayersTopology, toLayersTopology } from '../../src/graph/tfjs-format.js';
import { loadModelSpec, saveModel, type ModelJSON } from '../../src/train/save.js';
import { floatRows, indexRows } from '../support/random-data.js';
import { tflSeedModel, weftSeedModel, type SeedIndex, type SeedNames } from '../support/seed-models.js';

// Round trips between weft and @tensorflow/tfjs-layers through the TensorFlow.js layers format
// on disk (model.json + weights.bin). Both run on tfjs-core's wasm backend, which weft makes
// active: tfjs-layers' predict runs there too.

const BATCH = 8;

let root: string;
let dirCount = 0;
const freshDir = (): string => join(root, `case-${dirCount++}`);

beforeAll(async () => {
  expect(tf.getBackend()).toBe('wasm');
  root = await mkdtemp(join(tmpdir(), 'weft-save-load-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// The three seed models (/work/shared/seed/keras-functional-dropout-mlp.md), in weft and in
// tfjs-layers with the same names and the same initializer classes (weft's Dense defaults to
// glorotUniform, tfjs-layers' to glorotNormal).
// ---------------------------------------------------------------------------------------------

interface Seed {
  title: string;
  params: number;
  x: number[][];
  dtype: 'float32' | 'int32';
  weft: () => weft.Model;
  tfl: (kernelInitializer?: 'glorotUniform') => tfl.LayersModel;
}

/** Layers named s{k}_dense, s{k}_dropout, ... as Keras would, the model s{k}. */
const named = (k: SeedIndex): SeedNames => ({ prefix: `s${k}_`, input: `s${k}_input`, model: `s${k}` });

const seeds: Seed[] = [
  {
    title: 'seed 1: Input(100) -> Dense(128, relu) -> Dropout(0.5) -> Dense(10, softmax)',
    params: 14_218,
    x: floatRows(BATCH, 100, 1),
    dtype: 'float32',
    weft: () => weftSeedModel(1, named(1)),
    tfl: (kernelInitializer) => tflSeedModel(1, named(1), kernelInitializer),
  },
  {
    title: 'seed 2: Dense(256) -> [Dropout(0.3) -> Dense(128)] + [Dense(128)] -> concatenate -> Dropout(0.4) -> Dense(10)',
    params: 94_218,
    x: floatRows(BATCH, 100, 2),
    dtype: 'float32',
    weft: () => weftSeedModel(2, named(2)),
    tfl: (kernelInitializer) => tflSeedModel(2, named(2), kernelInitializer),
  },
  {
    title: 'seed 3: Input(50, int32) -> Embedding(1000, 64) -> Flatten -> Dense(256) -> Dropout(0.25) -> Dense(10)',
    params: 886_026,
    x: indexRows(BATCH, 50, 1000, 3),
    dtype: 'int32',
    weft: () => weftSeedModel(3, named(3)),
    tfl: (kernelInitializer) => tflSeedModel(3, named(3), kernelInitializer),
  },
];

/** Reads a saved directory back as tfjs-layers' in-memory artifacts (tfjs-node's file loader, without tfjs-node). */
async function tflLoad(dir: string): Promise<tfl.LayersModel> {
  const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
  const buffers = await Promise.all(mj.weightsManifest.flatMap((g) => g.paths).map((p) => readFile(join(dir, p))));
  const all = Buffer.concat(buffers);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
  const weightSpecs = mj.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs, weightData }));
}

/**
 * Saves a tfjs-layers model as tfjs-node's file handler does: model.json plus the weights
 * sharded into files of at most `shardBytes`, one manifest group.
 */
async function tflSave(model: tfl.LayersModel, dir: string, shardBytes = 4 * 1024 * 1024): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = artifacts.weightData;
    const bytes = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer));
    const shards = Math.max(1, Math.ceil(bytes.byteLength / shardBytes));
    const paths = Array.from({ length: shards }, (_, i) => `group1-shard${i + 1}of${shards}.bin`);
    await Promise.all(paths.map((p, i) => writeFile(join(dir, p), bytes.subarray(i * shardBytes, (i + 1) * shardBytes))));
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
    };
    await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
}

/** weft's model from a saved directory: what `weft.loadModel(url)` does. */
async function weftLoad(url: string): Promise<weft.Model> {
  const { spec, weights } = await loadModelSpec(url);
  const model = weft.modelFromJSON(spec, 0);
  model.params.set(weights);
  return model;
}

async function weftPredict(model: weft.Model, x: number[][]): Promise<Float32Array> {
  const out = (await model.predict(x)) as tf.Tensor;
  const v = Float32Array.from(out.dataSync());
  out.dispose();
  return v;
}

function tflPredict(model: tfl.LayersModel, x: number[][], dtype: 'float32' | 'int32'): Float32Array {
  return tf.tidy(() => Float32Array.from((model.predict(tf.tensor2d(x, undefined, dtype)) as tf.Tensor).dataSync()));
}

/** Bitwise equality of two float arrays (vitest's toEqual walks 886k elements slowly). */
function sameBits(a: ArrayLike<number> & ArrayBufferView, b: ArrayLike<number> & ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Not vacuous: softmax rows that are not all alike. */
function expectRealOutputs(p: Float32Array): void {
  expect(p.length).toBe(BATCH * 10);
  expect(Math.abs(p.slice(0, 10).reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-5);
  expect(new Set(Array.from(p, (v) => v.toFixed(4))).size).toBeGreaterThan(10);
}

describe('weft -> tfjs-layers: saveModel writes what tf.loadLayersModel loads', () => {
  for (const s of seeds) {
    it(s.title, async () => {
      const model = s.weft();
      expect(model.countParams()).toBe(s.params);
      const dir = freshDir();
      const { modelJsonPath, weightsPath } = await saveModel(model, `file://${dir}`);
      expect(modelJsonPath).toBe(join(dir, 'model.json'));
      expect(weightsPath).toBe(join(dir, 'weights.bin'));
      expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);

      // The files: the layers-model format, the manifest in weft's layout order, raw float32 LE.
      const mj = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJSON;
      expect(mj.format).toBe('layers-model');
      expect(mj.generatedBy).toBe('weft');
      expect(mj.convertedBy).toBeNull();
      expect(mj.weightsManifest).toEqual([{
        paths: ['weights.bin'],
        weights: model.layout.entries.map((e) => ({ name: e.name, shape: [...e.shape], dtype: 'float32' })),
      }]);
      const bin = await readFile(weightsPath);
      expect(bin.byteLength).toBe(4 * s.params);
      expect(sameBits(bin, model.params.slice())).toBe(true);

      // The topology is exactly what tfjs-layers writes for the same model.
      const twin = s.tfl('glorotUniform');
      expect(mj.modelTopology).toEqual(twin.toJSON(null, false));
      expect(toLayersTopology(model)).toEqual(mj.modelTopology);

      // tfjs-layers loads it, with weft's weight names, and predicts what weft predicts.
      const loaded = await tflLoad(dir);
      expect(loaded.weights.map((w) => w.originalName)).toEqual(model.layout.entries.map((e) => e.name));
      expect(loaded.countParams()).toBe(s.params);
      const theirs = tflPredict(loaded, s.x, s.dtype);
      const ours = await weftPredict(model, s.x);
      expectRealOutputs(ours);
      expect(maxAbsDiff(ours, theirs), 'max |weft - tfjs-layers| over predict outputs').toBeLessThanOrEqual(1e-5);
      loaded.dispose();
      twin.dispose();
    });
  }

  it('weft reads its own save back: the same graph spec and bit-identical weights', async () => {
    for (const s of seeds) {
      const model = s.weft();
      const dir = freshDir();
      await saveModel(model, dir); // a plain path works as well as a file:// URL
      for (const url of [`file://${dir}/model.json`, join(dir, 'model.json'), dir]) {
        const { spec, weights } = await loadModelSpec(url);
        expect(sameBits(weights, model.params.slice())).toBe(true);
        const back = weft.modelFromJSON(spec, 99);
        expect(back.toJSON()).toEqual(model.toJSON());
        back.params.set(weights);
        expect(maxAbsDiff(await weftPredict(back, s.x), await weftPredict(model, s.x))).toBe(0);
      }
    }
  });

  it('a file:// URL without a leading slash is a relative path, as in tfjs-node', async () => {
    const model = seeds[0].weft();
    const cwd = process.cwd();
    process.chdir(root);
    try {
      await saveModel(model, 'file://relative-dir/sub');
      expect((await readdir(join(root, 'relative-dir/sub'))).sort()).toEqual(['model.json', 'weights.bin']);
      expect(sameBits((await loadModelSpec('file://relative-dir/sub/model.json')).weights, model.params.slice())).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('tfjs-layers -> weft: loadModelSpec reads what tfjs-layers saves', () => {
  for (const s of seeds) {
    it(s.title, async () => {
      // tfjs-layers' own defaults (glorotNormal kernels) and its own random weights.
      const theirs = s.tfl();
      const dir = freshDir();
      // 256 KiB shards: seed 3's 3.5 MB of weights span 14 files, read back in order.
      await tflSave(theirs, dir, 256 * 1024);
      const files = await readdir(dir);
      if (s.params * 4 > 256 * 1024) expect(files.filter((f) => f.endsWith('.bin')).length).toBeGreaterThan(1);

      const { spec } = await loadModelSpec(`file://${dir}/model.json`);
      const dense = spec.layers.find((l) => l.className === 'Dense');
      expect(dense?.config.kernelInitializer).toBe('glorotNormal');
      const model = await weftLoad(`file://${dir}/model.json`);
      expect(model.countParams()).toBe(s.params);
      expect(model.layers.map((l) => l.name)).toEqual(theirs.layers.map((l) => l.name));
      // Every weight landed, by name.
      const tw = theirs.getWeights();
      model.layout.entries.forEach((e, i) => {
        expect(e.name).toBe(theirs.weights[i].originalName);
        expect(sameBits(model.params.subarray(e.offset, e.offset + e.size), tw[i].dataSync() as Float32Array)).toBe(true);
      });
      // (getWeights() hands out the variables' own tensors: not ours to dispose.)
      const ours = await weftPredict(model, s.x);
      expectRealOutputs(ours);
      expect(maxAbsDiff(ours, tflPredict(theirs, s.x, s.dtype)), 'max |weft - tfjs-layers| over predict outputs').toBeLessThanOrEqual(1e-5);
      theirs.dispose();
    });
  }

  it('a tfjs-layers Sequential model: the input comes from the first layer\'s batch_input_shape', async () => {
    const seq = tfl.sequential({
      name: 'seq',
      layers: [
        tfl.layers.dense({ inputShape: [12], units: 16, activation: 'tanh', name: 'q_dense' }),
        tfl.layers.dropout({ rate: 0.2, name: 'q_dropout' }),
        tfl.layers.dense({ units: 10, activation: 'softmax', useBias: false, kernelInitializer: 'heUniform', name: 'q_out' }),
      ],
    });
    const dir = freshDir();
    await tflSave(seq, dir);
    const { spec } = await loadModelSpec(dir);
    expect(spec.layers.map((l) => [l.className, l.config.name])).toEqual([
      ['InputLayer', 'q_dense_input'], ['Dense', 'q_dense'], ['Dropout', 'q_dropout'], ['Dense', 'q_out'],
    ]);
    expect(spec.layers[3].config).toMatchObject({ useBias: false, kernelInitializer: 'heUniform' });
    const model = await weftLoad(dir);
    const x = floatRows(BATCH, 12, 4);
    const ours = await weftPredict(model, x);
    expectRealOutputs(ours);
    expect(maxAbsDiff(ours, tflPredict(seq, x, 'float32'))).toBeLessThanOrEqual(1e-5);
    seq.dispose();
  });

  it('weights split over several manifest groups are read group by group, in order', async () => {
    const theirs = seeds[1].tfl();
    const dir = freshDir();
    await tflSave(theirs, dir);
    const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
    const [group] = mj.weightsManifest;
    const bin = await readFile(join(dir, group.paths[0]));
    // The first two weights in one group of two files, the rest in a second group.
    const firstBytes = group.weights.slice(0, 2).reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    await writeFile(join(dir, 'a1.bin'), bin.subarray(0, 1000));
    await writeFile(join(dir, 'a2.bin'), bin.subarray(1000, firstBytes));
    await writeFile(join(dir, 'b.bin'), bin.subarray(firstBytes));
    mj.weightsManifest = [
      { paths: ['a1.bin', 'a2.bin'], weights: group.weights.slice(0, 2) },
      { paths: ['b.bin'], weights: group.weights.slice(2) },
    ];
    await writeFile(join(dir, 'model.json'), JSON.stringify(mj));
    const model = await weftLoad(dir);
    expect(maxAbsDiff(await weftPredict(model, seeds[1].x), tflPredict(theirs, seeds[1].x, 'float32'))).toBeLessThanOrEqual(1e-5);
    theirs.dispose();
  });

  it('a Keras converter model.json ({model_config}, class Functional) reads like a tfjs-layers one', () => {
    const model = seeds[1].weft();
    const topology = toLayersTopology(model);
    const keras = { keras_version: '2.15.0', backend: 'tensorflow', model_config: { ...topology, class_name: 'Functional' } };
    const spec = fromLayersTopology(keras);
    expect(weft.modelFromJSON(spec).toJSON()).toEqual(model.toJSON());
  });

  it('initializer settings survive the trip both ways', () => {
    const inputs = weft.input({ shape: [4], name: 'i_in' });
    const outputs = weft.layers.dense({
      units: 3, name: 'i_dense',
      kernelInitializer: { className: 'randomNormal', config: { mean: 0.5, stddev: 0.1, seed: 7 } },
      biasInitializer: 'ones',
    }).apply(inputs);
    const model = weft.model({ inputs, outputs, name: 'inits' });
    const topology = toLayersTopology(model);
    const dense = topology.config.layers[1].config;
    expect(dense.kernel_initializer).toEqual({ class_name: 'RandomNormal', config: { mean: 0.5, stddev: 0.1, seed: 7 } });
    expect(dense.bias_initializer).toEqual({ class_name: 'Ones', config: {} });
    expect(weft.modelFromJSON(fromLayersTopology(topology)).toJSON()).toEqual(model.toJSON());
  });
});

describe('saving is atomic', () => {
  it('leaves exactly model.json and weights.bin, also when it overwrites a save', async () => {
    const model = seeds[0].weft();
    const dir = freshDir();
    await saveModel(model, dir);
    model.params.fill(0.25);
    await saveModel(model, dir);
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    expect((await loadModelSpec(dir)).weights.every((v) => v === 0.25)).toBe(true);
  });

  it('a save that fails part way leaves no temporary file and the previous model.json in place', async () => {
    const model = seeds[0].weft();
    const dir = freshDir();
    await saveModel(model, dir);
    const before = await readFile(join(dir, 'model.json'), 'utf8');
    // weights.bin cannot be replaced: a directory stands in its way.
    await rm(join(dir, 'weights.bin'));
    await mkdir(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin', 'keep'), 'x');
    await expect(saveModel(model, dir)).rejects.toThrow();
    expect((await readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    expect(await readFile(join(dir, 'model.json'), 'utf8')).toBe(before);
  });

  it('refuses a url that names a file, and a url of another scheme', async () => {
    const model = seeds[0].weft();
    const dir = freshDir();
    await mkdir(dir);
    await writeFile(join(dir, 'plain.txt'), 'x');
    await expect(saveModel(model, join(dir, 'plain.txt'))).rejects.toThrow(/a directory to save model\.json and weights\.bin in .*is a file/);
    await expect(saveModel(model, 'indexeddb://my-model')).rejects.toThrow(/Expected a 'file:\/\/' URL or a filesystem path.*indexeddb:\/\/my-model/);
  });
});

describe('loading errors name the file and what is wrong', () => {
  let good: string;
  let goodJson: ModelJSON;

  beforeAll(async () => {
    good = freshDir();
    await saveModel(seeds[0].weft(), good);
    goodJson = JSON.parse(await readFile(join(good, 'model.json'), 'utf8')) as ModelJSON;
  });

  /** A copy of the good save with model.json replaced by `json` (a string is written as is). */
  async function variant(json: unknown, weights?: Uint8Array): Promise<string> {
    const dir = freshDir();
    await mkdir(dir);
    await writeFile(join(dir, 'model.json'), typeof json === 'string' ? json : JSON.stringify(json));
    await writeFile(join(dir, 'weights.bin'), weights ?? (await readFile(join(good, 'weights.bin'))));
    return dir;
  }

  const clone = (): ModelJSON => JSON.parse(JSON.stringify(goodJson)) as ModelJSON;

  it('a missing model.json', async () => {
    const missing = join(root, 'no-such-dir', 'model.json');
    const error = await loadModelSpec(`file://${missing}`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(weft.DataFileError);
    expect((error as weft.DataFileError).path).toBe(missing);
    expect((error as Error).message).toBe(
      `Cannot read model.json '${missing}'. Expected a TensorFlow.js layers-model model.json (what model.save writes). Received: no such file`,
    );
  });

  /** The DataFileError `load` rejects with (any other outcome fails the test). */
  async function fileError(load: Promise<unknown>): Promise<weft.DataFileError> {
    const err = await load.then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(weft.DataFileError);
    return err as weft.DataFileError;
  }

  it('a missing weights file: a DataFileError whose path is that file', async () => {
    const dir = await variant(goodJson);
    await rm(join(dir, 'weights.bin'));
    const err = await fileError(loadModelSpec(dir));
    expect(err.path).toBe(join(dir, 'weights.bin'));
    expect(err.message).toBe(
      `Cannot read weights file of weightsManifest[0] '${join(dir, 'weights.bin')}'. Expected a file of float32 weights named by model.json. Received: no such file`,
    );
  });

  it('a model.json that is not JSON: a DataFileError, not a SyntaxError', async () => {
    const dir = await variant('{"format": "layers-model", "modelTopology": {');
    const err = await fileError(loadModelSpec(dir));
    expect(err.path).toBe(join(dir, 'model.json'));
    expect(err.message).toMatch(new RegExp(
      `^Invalid model.json '${join(dir, 'model.json')}'\\. Expected a TensorFlow.js layers-model model.json \\(what model.save writes\\), which is JSON\\. Received: text that is not valid JSON \\(.+\\)$`,
    ));
    expect(err.cause).toBeInstanceOf(SyntaxError);
    const empty = await variant('');
    expect((await fileError(loadModelSpec(empty))).message).toMatch(/Received: text that is not valid JSON \(Unexpected end of JSON input\)/);
  });

  it('JSON that is not a layers-model: not an object, no topology, a graph model', async () => {
    const array = await variant('[1, 2, 3]');
    const notObject = await fileError(loadModelSpec(array));
    expect(notObject.path).toBe(join(array, 'model.json'));
    expect(notObject.message).toBe(`Invalid model.json '${join(array, 'model.json')}'. Expected a JSON object {modelTopology, weightsManifest, ...}. Received: [1, 2, 3]`);
    const noTopology = await variant({ ...clone(), modelTopology: undefined });
    expect((await fileError(loadModelSpec(noTopology))).message).toBe(
      `Invalid model.json '${join(noTopology, 'model.json')}'. Expected modelTopology to be the model topology object {class_name, config, ...}. Received: modelTopology=undefined`,
    );
    const graphModel = await variant({ ...clone(), format: 'graph-model' });
    const graph = await fileError(loadModelSpec(graphModel));
    expect(graph.path).toBe(join(graphModel, 'model.json'));
    expect(graph.message).toMatch(/Expected format 'layers-model' \(weft loads TensorFlow\.js layers models, not graph models\)\. Received: format='graph-model'$/);
  });

  it('fields of the wrong type, in the manifest and in the topology', async () => {
    const cases: [string, (mj: ModelJSON & Record<string, any>) => void, RegExp][] = [
      ['weightsManifest a string', (mj) => { mj.weightsManifest = 'weights.bin' as never; },
        /Expected weightsManifest to be an array of \{paths, weights\}\. Received: weightsManifest='weights\.bin'$/],
      ['paths a string', (mj) => { mj.weightsManifest[0].paths = 'weights.bin' as never; },
        /Expected weightsManifest\[0\]\.paths to be an array of file names\. Received: weightsManifest\[0\]\.paths='weights\.bin'$/],
      ['a shape of strings', (mj) => { mj.weightsManifest[0].weights[0].shape = ['100', '128'] as never; },
        /Expected weightsManifest\[0\]\.weights\[0\]\.shape \('s1_dense\/kernel'\) to be an array of non-negative integers\. Received: .*=\['100', '128'\]$/],
      ['layers a string', (mj) => { (mj.modelTopology as { config: Record<string, unknown> }).config.layers = 'dense'; },
        /Expected the field types of a layers-model model\.json\. Received: Invalid type received for argument `modelTopology\.config\.layers`\. Expected an array of layers\. Received: modelTopology\.config\.layers='dense'$/],
      ['units a string (found by the layer)', (mj) => { (mj.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[1].config.units = '128'; },
        /Expected the field types of a layers-model model\.json\. Received: Invalid type received for argument `units`/],
    ];
    for (const [what, edit, message] of cases) {
      const mj = clone() as ModelJSON & Record<string, any>;
      edit(mj);
      const dir = await variant(mj);
      const err = await fileError(loadModelSpec(dir));
      expect(err.path, what).toBe(join(dir, 'model.json'));
      expect(err.message, what).toMatch(message);
      expect(err.message, what).toMatch(new RegExp(`^Invalid model.json '${join(dir, 'model.json')}'\\. Expected `));
    }
  });

  it('a weights.bin of the wrong size: a DataFileError naming it, with expected and received byte counts', async () => {
    const bin = await readFile(join(good, 'weights.bin'));
    const expected = seeds[0].params * 4;
    const truncated = await variant(goodJson, bin.subarray(0, 100));
    const short = await fileError(loadModelSpec(truncated));
    expect(short.path).toBe(join(truncated, 'weights.bin'));
    expect(short.message).toBe(
      `Invalid weights file of weightsManifest[0] '${join(truncated, 'weights.bin')}'. Expected ${expected} bytes (the 4 weights model.json lists for it). Received: 100 bytes (truncated)`,
    );
    const long = await variant(goodJson, Buffer.concat([bin, Buffer.alloc(4)]));
    expect((await fileError(loadModelSpec(long))).message).toMatch(`Expected ${expected} bytes (the 4 weights model.json lists for it). Received: ${expected + 4} bytes (4 bytes more than listed)`);
    const empty = await variant(goodJson, new Uint8Array(0));
    expect((await fileError(weft.loadModel(empty))).message).toMatch(`Received: 0 bytes (truncated)`);
  });

  it('tfjs-layers files: a missing shard, a truncated last shard, a truncated includeOptimizer save', async () => {
    const theirs = seeds[1].tfl();
    const dir = freshDir();
    await tflSave(theirs, dir, 64 * 1024);
    const shards = (await readdir(dir)).filter((f) => f.endsWith('.bin')).sort();
    expect(shards.length).toBeGreaterThan(2);
    const last = shards[shards.length - 1];
    const lastBytes = (await stat(join(dir, last))).size;
    await writeFile(join(dir, last), (await readFile(join(dir, last))).subarray(0, lastBytes - 10));
    const cut = await fileError(weft.loadModel(dir));
    expect(cut.path).toBe(join(dir, last));
    expect(cut.message).toMatch(new RegExp(
      `^Invalid weights file of weightsManifest\\[0\\] '${join(dir, last)}'\\. Expected ${seeds[1].params * 4} bytes \\(the 8 weights model.json lists for it\\)\\. ` +
      `Received: ${seeds[1].params * 4 - 10} bytes in ${shards.length} files \\('group1-shard1of${shards.length}\\.bin' 65536, .*'${last}' ${lastBytes - 10}\\) \\(truncated\\)$`,
    ));
    await rm(join(dir, shards[1]));
    const missing = await fileError(weft.loadModel(dir));
    expect(missing.path).toBe(join(dir, shards[1]));
    expect(missing.message).toMatch(/^Cannot read weights file of weightsManifest\[0\] .* Received: no such file$/);

    // With includeOptimizer, tfjs-layers adds the optimizer weights (an int32 step count and
    // Adam's m and v) to the same file: the byte count covers them.
    const small = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 3, name: 'trunc_dense' })] });
    small.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const withOptimizer = freshDir();
    await mkdir(withOptimizer);
    await small.save(tf.io.withSaveHandler(async (a) => {
      await writeFile(join(withOptimizer, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer).subarray(0, 20));
      const mj = { modelTopology: a.modelTopology, format: a.format, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }], trainingConfig: a.trainingConfig };
      await writeFile(join(withOptimizer, 'model.json'), JSON.stringify(mj));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }), { includeOptimizer: true });
    const err = await fileError(weft.loadModel(withOptimizer));
    expect(err.path).toBe(join(withOptimizer, 'weights.bin'));
    // 12 + 3 float32 weights and the int32 'iter' (tfjs makes m and v at the first step).
    expect(err.message).toMatch(/Expected 64 bytes \(the 3 weights model\.json lists for it\)\. Received: 20 bytes \(truncated\)$/);
    theirs.dispose();
    small.dispose();
  });

  it('an unknown layer class', async () => {
    const mj = clone();
    (mj.modelTopology as { config: { layers: { class_name: string }[] } }).config.layers[1].class_name = 'ConvLSTM2D';
    const dir = await variant(mj);
    const err = await loadModelSpec(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RangeError);
    const message = (err as Error).message;
    expect(message.startsWith(`In '${join(dir, 'model.json')}': Unknown layer class (layer 's1_dense'): 'ConvLSTM2D'. Expected one of: 'InputLayer', 'Dense', 'Dropout', 'Embedding', 'Flatten', 'Concatenate', 'Add'`)).toBe(true);
    expect(message).toMatch(/registered with weft\.registerLayer\('ConvLSTM2D', moduleUrl\)/);
  });

  it('an unknown model class', () => {
    expect(() => fromLayersTopology({ class_name: 'Graph', config: {} })).toThrow("Unknown model class: 'Graph'. Expected one of: 'Model', 'Functional', 'Sequential'.");
  });

  it('a weight dtype other than float32', async () => {
    const mj = clone();
    mj.weightsManifest[0].weights[1].dtype = 'int32';
    const dir = await variant(mj);
    await expect(loadModelSpec(dir)).rejects.toThrow(
      "Invalid value received for argument `weightsManifest[0].weights[1].dtype ('s1_dense/bias')`. Expected 'float32' (weft's weights are float32). Received: weightsManifest[0].weights[1].dtype ('s1_dense/bias')='int32'",
    );
  });

  it('a weight missing from the manifest, one no layer has, one of the wrong shape', async () => {
    const renamed = clone();
    renamed.weightsManifest[0].weights[0].name = 'other/kernel';
    await expect(loadModelSpec(await variant(renamed))).rejects.toThrow(/a weight named 'other\/kernel' that no layer has/);
    const reshaped = clone();
    reshaped.weightsManifest[0].weights[0].shape = [128, 100];
    await expect(loadModelSpec(await variant(reshaped))).rejects.toThrow("Weight 's1_dense/kernel': the model expects shape [100,128], the weights manifest has shape [128,100]");
    const dropped = clone();
    const bin = await readFile(join(good, 'weights.bin'));
    dropped.weightsManifest[0].weights = dropped.weightsManifest[0].weights.slice(0, 3); // no s1_dense_1/bias (10 floats, last)
    await expect(loadModelSpec(await variant(dropped, bin.subarray(0, bin.byteLength - 40)))).rejects.toThrow(
      "Expected a weight named 's1_dense_1/bias' of shape [10]. Received: weightsManifest='no such weight'",
    );
  });

  it('malformed topologies name the field at fault', () => {
    const topology = (): { config: { layers: Record<string, unknown>[] } & Record<string, unknown> } =>
      JSON.parse(JSON.stringify(goodJson.modelTopology));
    expect(() => fromLayersTopology(null)).toThrow('Invalid type received for argument `modelTopology`');
    const noLayers = topology();
    noLayers.config.layers = 'dense' as never;
    expect(() => fromLayersTopology(noLayers)).toThrow("argument `modelTopology.config.layers`. Expected an array of layers. Received: modelTopology.config.layers='dense'");
    const badRef = topology();
    badRef.config.layers[1].inbound_nodes = [[['s1_input', -1, 0, {}]]];
    expect(() => fromLayersTopology(badRef)).toThrow('argument `modelTopology.config.layers[1].inbound_nodes[0][0][1] (nodeIndex)`. Expected an integer >= 0');
    const badOut = topology();
    badOut.config.output_layers = [['nope', 0, 0]];
    expect(() => fromLayersTopology(badOut)).toThrow("Unknown layer in modelTopology.config.output_layers[0]: 'nope'");
    const regularized = topology();
    (regularized.config.layers[1].config as Record<string, unknown>).activity_regularizer = { class_name: 'L1L2', config: { l1: 0.01, l2: 0 } };
    // Keras's base-layer activity regularizer reads (as Keras 3's L1 spec), on any layer.
    expect(fromLayersTopology(regularized).layers[1].config.activityRegularizer).toEqual({ className: 'L1', config: { l1: 0.01 } });
    const unknownInit = topology();
    (unknownInit.config.layers[1].config as Record<string, unknown>).kernel_initializer = { class_name: 'Orthogonal', config: { gain: 1 } };
    expect(() => fromLayersTopology(unknownInit)).toThrow("Unknown initializer for config.kernel_initializer of layer 's1_dense' (Dense): 'Orthogonal'");
    const openShape = topology();
    (openShape.config.layers[0].config as Record<string, unknown>).batch_input_shape = [null, null];
    expect(() => fromLayersTopology(openShape)).toThrow('weft needs a fixed example shape');
  });

  it('loadModelSpec rejects URLs of other schemes', async () => {
    await expect(loadModelSpec('https://example.com/model.json')).rejects.toThrow(/Expected a 'file:\/\/' URL or a filesystem path/);
  });
});

it('the temporary directory holds no stray temp files after all the saves', async () => {
  const walk = async (d: string): Promise<string[]> => {
    const out: string[] = [];
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) out.push(...(await walk(join(d, e.name))));
      else out.push(e.name);
    }
    return out;
  };
  expect((await stat(root)).isDirectory()).toBe(true);
  expect((await walk(root)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
});
