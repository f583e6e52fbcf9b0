import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as weft from '../src/index.js';
import { tf } from '../src/index.js';

// The bad-input catalogue (issue 6): every row is one bad call through the public API and the
// error it must get — its exact class and the key words of its message (the argument's name,
// what was expected, what was received). Rows may be sync or async.
//
// Not in the table:
// - a cycle: a functional graph is built by applying layers to tensors that already exist, so
//   no call of the public API can close a loop;
// - "a tensor from another graph": weft's symbolic tensors are global (a tensor may feed any
//   model), so the detectable cases are non-symbolic values given to `apply` and `model`.

type ErrorClass = new (...args: never[]) => Error;
interface Row {
  name: string;
  call: () => unknown;
  error: ErrorClass;
  message: RegExp[];
}

// fit starts a worker pool per model: every model a row makes is disposed after it.
const models: weft.Model[] = [];
afterEach(async () => {
  await Promise.all(models.splice(0).map((m) => m.dispose()));
});

function mlp(): weft.Model {
  const inputs = weft.input({ shape: [4] });
  const h = weft.layers.dense({ units: 8, activation: 'relu' }).apply(inputs);
  const m = weft.model({ inputs, outputs: weft.layers.dense({ units: 3, activation: 'softmax' }).apply(h), seed: 1 });
  models.push(m);
  return m;
}
/** A one-layer model built with these worker resourceLimits. */
function withLimits(resourceLimits: NonNullable<weft.ModelConfig['resourceLimits']>): weft.Model {
  const inputs = weft.input({ shape: [2] });
  return weft.model({ inputs, outputs: weft.layers.dense({ units: 1 }).apply(inputs), resourceLimits });
}
/** A fresh model compiled with `compile`'s arguments (the optimizer defaults to 'sgd'). */
function compiled(args: Partial<weft.CompileArgs> = {}): weft.Model {
  const m = mlp();
  m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', ...args } as weft.CompileArgs);
  return m;
}
/** Embedding(10, 2) over 3 int32 indices → Flatten → Dense(2, softmax), sparse crossentropy. */
function embeddingModel(): weft.Model {
  const inputs = weft.input({ shape: [3], dtype: 'int32' });
  const e = weft.layers.embedding({ inputDim: 10, outputDim: 2 }).apply(inputs);
  const out = weft.layers.dense({ units: 2, activation: 'softmax' }).apply(weft.layers.flatten().apply(e));
  const m = weft.model({ inputs, outputs: out, seed: 2 });
  models.push(m);
  m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  return m;
}

const X = Array.from({ length: 10 }, (_, r) => [r / 10, 1 - r / 10, (r % 3) / 3, 0.5]);
const Y = Array.from({ length: 10 }, (_, r) => [0, 1, 2].map((c) => (c === r % 3 ? 1 : 0)));
const LABELS = X.map((_, r) => r % 3);
const quiet = { verbose: 0 as const, epochs: 1, batchSize: 4, seed: 1, workers: 1 };
const fit = (args: Record<string, unknown>) => () => compiled().fit(X, Y, { ...quiet, ...args } as weft.FitArgs);
const withRow = (rows: number[][], at: number, row: number[]) => rows.map((r, i) => (i === at ? row : r));
/** An async stream of the given {xs, ys} batches (for fitDataset). */
async function* batches(...items: unknown[]): AsyncGenerator<never> {
  for (const item of items) yield item as never;
}
const disposed = () => {
  const t = tf.tensor2d(X);
  t.dispose();
  return t;
};

// Files for the loading rows: one good save, then copies with one thing broken each.
let dir = '';
const saved = (name: string) => join(dir, name);
async function brokenCopy(name: string, edit: (json: Record<string, any>) => void, weights?: Uint8Array): Promise<string> {
  const json = JSON.parse(await readFile(join(saved('good'), 'model.json'), 'utf8'));
  edit(json);
  const target = saved(name);
  await mkdir(target);
  await writeFile(join(target, 'model.json'), JSON.stringify(json));
  await writeFile(join(target, 'weights.bin'), weights ?? (await readFile(join(saved('good'), 'weights.bin'))));
  return join(target, 'model.json');
}
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-errors-'));
  await mlp().save(saved('good'));
  await brokenCopy('short-weights', () => {}, new Uint8Array(12));
  await brokenCopy('unknown-class', (j) => {
    j.modelTopology.config.layers[1].class_name = 'ConvLSTM2D';
  });
  await brokenCopy('graph-model', (j) => {
    j.format = 'graph-model';
  });
  await brokenCopy('weight-shape', (j) => {
    const w = j.weightsManifest[0].weights;
    [w[0].shape, w[2].shape] = [[8, 4], [3, 8]];
  });
  await brokenCopy('bad-units', (j) => {
    j.modelTopology.config.layers[1].config.units = -1;
  });
  await brokenCopy('missing-weights', (j) => {
    j.weightsManifest[0].paths = ['absent.bin'];
  });
  await writeFile(join(dir, 'malformed.json'), '{"format": "layers-model", "modelTopology": {');
  await writeFile(join(dir, 'array.json'), '[1, 2, 3]');
  await writeFashion('fm-short', { trainImages: idx(0x803, [2, 28, 28], 784 + 100) });
  await writeFashion('fm-magic', { trainLabels: idx(0x803, [2, 1, 1], 2) });
  await writeFashion('fm-header', { testLabels: Buffer.from([0, 0, 8, 1, 0]) });
  await writeFashion('fm-gzip', { testImages: gzipSync(idx(0x803, [1, 28, 28], 784)).subarray(0, 20) });
  await writeFile(join(dir, 'digits-bad.csv.gz'), gzipSync(`${'0,'.repeat(64)}3\n${'0,'.repeat(63)}0\n`));
  await writeFile(join(dir, 'digits-plain.csv'), `${'0,'.repeat(64)}3\n`);
});
/** An IDX file of `bytes` zero data bytes after its header (the header says `dims`). */
function idx(magic: number, dims: number[], bytes: number): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.alloc(bytes)]);
}
/** A Fashion-MNIST directory of two train and one test image, with the files given replaced. */
async function writeFashion(name: string, files: Partial<Record<'trainImages' | 'trainLabels' | 'testImages' | 'testLabels', Buffer>>): Promise<void> {
  await mkdir(saved(name));
  const all = {
    trainImages: idx(0x803, [2, 28, 28], 2 * 784), trainLabels: idx(0x801, [2], 2),
    testImages: idx(0x803, [1, 28, 28], 784), testLabels: idx(0x801, [1], 1), ...files,
  };
  const names = { trainImages: 'train-images-idx3-ubyte', trainLabels: 'train-labels-idx1-ubyte', testImages: 't10k-images-idx3-ubyte', testLabels: 't10k-labels-idx1-ubyte' };
  for (const [k, base] of Object.entries(names)) await writeFile(join(saved(name), base), all[k as keyof typeof all]);
}
const fashion = (name: string) => () => weft.loadFashionMnist({ path: saved(name) });
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rows: Row[] = [
  // ---- layer configs ----
  { name: 'dense: units missing', call: () => weft.layers.dense({} as never), error: TypeError, message: [/`units`/, /an integer >= 1/, /units=undefined/] },
  { name: 'dense: units negative', call: () => weft.layers.dense({ units: -3 }), error: RangeError, message: [/`units`/, /an integer >= 1/, /units=-3/] },
  { name: 'dense: units non-integer', call: () => weft.layers.dense({ units: 2.5 }), error: RangeError, message: [/`units`/, /an integer >= 1/, /units=2.5/] },
  { name: 'dense: units NaN', call: () => weft.layers.dense({ units: Number.NaN }), error: RangeError, message: [/`units`/, /units=NaN/] },
  { name: 'dense: units Infinity', call: () => weft.layers.dense({ units: Infinity }), error: RangeError, message: [/`units`/, /an integer >= 1/, /units=Infinity/] },
  { name: 'dense: units a string', call: () => weft.layers.dense({ units: '4' as never }), error: TypeError, message: [/`units`/, /an integer >= 1/, /units='4'/] },
  { name: 'dense: unknown activation', call: () => weft.layers.dense({ units: 2, activation: 'relu7' }), error: RangeError, message: [/Unknown activation: 'relu7'/, /Expected one of: .*'relu'.*'softmax'/] },
  { name: 'dense: activation not a string', call: () => weft.layers.dense({ units: 2, activation: 3 as never }), error: TypeError, message: [/`activation`/, /relu/, /activation=3/] },
  { name: 'dense: useBias not a boolean', call: () => weft.layers.dense({ units: 2, useBias: 'yes' as never }), error: TypeError, message: [/`useBias`/, /a boolean/, /useBias='yes'/] },
  { name: 'dense: unknown kernelInitializer', call: () => weft.layers.dense({ units: 2, kernelInitializer: 'glorot' as never }), error: RangeError, message: [/kernelInitializer/, /'glorot'/, /'glorotUniform'/] },
  { name: 'dense: kernelInitializer a number', call: () => weft.layers.dense({ units: 2, kernelInitializer: 5 as never }), error: TypeError, message: [/`kernelInitializer`/, /initializer name/, /kernelInitializer=5/] },
  { name: 'dense: config null', call: () => weft.layers.dense(null as never), error: TypeError, message: [/`config`/, /units/, /config=null/] },
  { name: 'dense: no config at all', call: () => weft.layers.dense(undefined as never), error: TypeError, message: [/`config`/, /\{units, activation, useBias/, /config=undefined/] },
  { name: 'dense: empty name', call: () => weft.layers.dense({ units: 2, name: '' }), error: TypeError, message: [/`name`/, /a non-empty string/, /name=''/] },
  // ---- convolutions and pooling (issue 13) ----
  { name: 'batchNormalization: momentum above 1', call: () => weft.layers.batchNormalization({ momentum: 1.5 }), error: RangeError, message: [/`momentum`/, /a number in \[0, 1\]/, /momentum=1.5/] },
  { name: 'batchNormalization: epsilon 0', call: () => weft.layers.batchNormalization({ epsilon: 0 }), error: RangeError, message: [/`epsilon`/, /a positive number/, /epsilon=0/] },
  { name: 'batchNormalization: a list of axes', call: () => weft.layers.batchNormalization({ axis: [1, 2] as never }), error: TypeError, message: [/`axis`/, /an integer/, /axis=\[1, 2\]/] },
  { name: 'batchNormalization: renorm', call: () => weft.layers.batchNormalization({ renorm: true } as never), error: RangeError, message: [/`renorm` of BatchNormalization/, /renorm=true/] },
  { name: 'batchNormalization: the batch axis', call: () => weft.layers.batchNormalization({ axis: 0 }).apply(weft.input({ shape: [4] })), error: weft.ShapeError, message: [/batch_normalization/, /axis 0 is out of range/, /batch axis 0 cannot be normalized/] },
  { name: 'trainable: not a boolean', call: () => weft.layers.dense({ units: 2, trainable: 'no' as never }), error: TypeError, message: [/`trainable`/, /a boolean/, /trainable='no'/] },
  { name: 'layer.trainable = a number', call: () => { weft.layers.dense({ units: 2, name: 'frozen_typo' }).trainable = 0 as never; }, error: TypeError, message: [/trainable of layer 'frozen_typo'/, /a boolean/, /=0/] },
  { name: 'conv2d: filters missing', call: () => weft.layers.conv2d({ kernelSize: 3 } as never), error: TypeError, message: [/`filters`/, /a positive integer/, /filters=undefined/] },
  { name: 'conv2d: kernelSize of three numbers', call: () => weft.layers.conv2d({ filters: 2, kernelSize: [3, 3, 3] as never }), error: TypeError, message: [/`kernelSize`/, /an array of 2 positive integers/, /kernelSize=\[3, 3, 3\]/] },
  { name: 'conv2d: strides 0', call: () => weft.layers.conv2d({ filters: 2, kernelSize: 3, strides: 0 }), error: RangeError, message: [/`strides`/, /a positive integer/, /strides=0/] },
  { name: 'conv2d: causal padding', call: () => weft.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'causal' as never }), error: RangeError, message: [/`padding`/, /'valid' or 'same'/, /padding='causal'/] },
  { name: 'conv2d: channelsFirst', call: () => weft.layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' as never }), error: RangeError, message: [/`dataFormat`/, /channels-last inputs only \(channelsFirst is not supported\)/] },
  { name: 'conv2d: strides and dilation both > 1', call: () => weft.layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 }), error: RangeError, message: [/`dilationRate`/, /1 when strides > 1/, /dilationRate=2/] },
  { name: 'conv2d: a rank-2 input', call: () => weft.layers.conv2d({ filters: 2, kernelSize: 3 }).apply(weft.input({ shape: [8] })), error: weft.ShapeError, message: [/Input 0 of layer 'conv2d/, /expected ndim=4, found ndim=2/, /\(None, 8\)/] },
  { name: 'conv2d: a kernel larger than the input', call: () => weft.layers.conv2d({ filters: 2, kernelSize: 5 }).apply(weft.input({ shape: [4, 4, 1] })), error: weft.ShapeError, message: [/\(Conv2D\): one of the dimensions in the output is <= 0/, /input shape \(None, 4, 4, 1\) with a window of 5×5/, /\(None, 0, 0, 1\)/] },
  { name: 'maxPooling2d: a pool larger than the input', call: () => weft.layers.maxPooling2d({ poolSize: 3 }).apply(weft.input({ shape: [2, 5, 1] })), error: weft.ShapeError, message: [/\(MaxPooling2D\): one of the dimensions in the output is <= 0/, /window of 3×3 and valid padding/] },
  { name: 'maxPooling2d: poolSize a string', call: () => weft.layers.maxPooling2d({ poolSize: '2' as never }), error: TypeError, message: [/`poolSize`/, /a positive integer or an array of 2/, /poolSize='2'/] },
  // ---- padding, up-sampling and cropping ----
  { name: 'zeroPadding2d: padding negative', call: () => weft.layers.zeroPadding2d({ padding: -1 }), error: RangeError, message: [/`padding`/, /a non-negative integer/, /\[\[top, bottom\], \[left, right\]\]/, /padding=-1/] },
  { name: 'zeroPadding2d: padding of three numbers', call: () => weft.layers.zeroPadding2d({ padding: [1, 2, 3] as never }), error: TypeError, message: [/`padding`/, /an array of 2 non-negative integers \[height, width\]/, /padding=\[1, 2, 3\]/] },
  { name: 'zeroPadding2d: a pair of three numbers', call: () => weft.layers.zeroPadding2d({ padding: [[1, 2, 3], [0, 0]] as never }), error: TypeError, message: [/`padding`/, /an array of 2 pairs/, /padding=\[\[1, 2, 3\], \[0, 0\]\]/] },
  { name: 'zeroPadding2d: a non-integer side', call: () => weft.layers.zeroPadding2d({ padding: [[1, 0.5], [0, 0]] }), error: RangeError, message: [/`padding`/, /non-negative integer/, /padding=\[\[1, 0.5\], \[0, 0\]\]/] },
  { name: 'zeroPadding2d: channelsFirst', call: () => weft.layers.zeroPadding2d({ dataFormat: 'channelsFirst' as never }), error: RangeError, message: [/`dataFormat`/, /ZeroPadding2D in weft takes channels-last inputs only \(channelsFirst is not supported\)/] },
  { name: 'zeroPadding2d: a rank-3 input', call: () => weft.layers.zeroPadding2d({ name: 'zp_rank' }).apply(weft.input({ shape: [5, 2] })), error: weft.ShapeError, message: [/Input 0 of layer 'zp_rank' \(ZeroPadding2D\)/, /expected ndim=4, found ndim=3/, /\(None, 5, 2\)/] },
  { name: 'zeroPadding1d: padding non-integer', call: () => weft.layers.zeroPadding1d({ padding: 1.5 }), error: RangeError, message: [/`padding`/, /a non-negative integer or an array of 2 non-negative integers \[left, right\]/, /padding=1.5/] },
  { name: 'zeroPadding1d: padding a string', call: () => weft.layers.zeroPadding1d({ padding: '1' as never }), error: TypeError, message: [/`padding`/, /\[left, right\]/, /padding='1'/] },
  { name: 'upSampling2d: size 0', call: () => weft.layers.upSampling2d({ size: 0 }), error: RangeError, message: [/`size`/, /a positive integer or an array of 2 positive integers/, /size=0/] },
  { name: 'upSampling2d: size of three numbers', call: () => weft.layers.upSampling2d({ size: [2, 2, 2] as never }), error: TypeError, message: [/`size`/, /an array of 2 positive integers/, /size=\[2, 2, 2\]/] },
  { name: 'upSampling2d: bilinear interpolation', call: () => weft.layers.upSampling2d({ interpolation: 'bilinear' as never }), error: RangeError, message: [/`interpolation`/, /Expected 'nearest'/, /'bilinear'.*not implemented/, /interpolation='bilinear'/] },
  { name: 'upSampling2d: interpolation a number', call: () => weft.layers.upSampling2d({ interpolation: 1 as never }), error: TypeError, message: [/`interpolation`/, /'nearest'/, /interpolation=1/] },
  { name: 'upSampling2d: channelsFirst', call: () => weft.layers.upSampling2d({ dataFormat: 'channels_first' as never }), error: RangeError, message: [/`dataFormat`/, /UpSampling2D in weft takes channels-last inputs only \(channelsFirst is not supported\)/] },
  { name: 'upSampling1d: size an array', call: () => weft.layers.upSampling1d({ size: [2] as never }), error: TypeError, message: [/`size`/, /an integer >= 1/, /size=\[2\]/] },
  { name: 'upSampling1d: size 2.5', call: () => weft.layers.upSampling1d({ size: 2.5 }), error: RangeError, message: [/`size`/, /an integer >= 1/, /size=2.5/] },
  { name: 'upSampling1d: a rank-4 input', call: () => weft.layers.upSampling1d({ name: 'up_rank' }).apply(weft.input({ shape: [3, 3, 1] })), error: weft.ShapeError, message: [/Input 0 of layer 'up_rank' \(UpSampling1D\)/, /expected ndim=3, found ndim=4/] },
  { name: 'cropping1d: cropping negative', call: () => weft.layers.cropping1d({ cropping: [-1, 0] }), error: RangeError, message: [/`cropping`/, /a non-negative integer or an array of 2 non-negative integers \[start, end\]/, /cropping=\[-1, 0\]/] },
  { name: 'cropping1d: dataFormat (Keras has none)', call: () => weft.layers.cropping1d({ dataFormat: 'channelsLast' } as never), error: RangeError, message: [/Unrecognized keyword arguments passed to Cropping1D/, /'dataFormat': 'channelsLast'/, /Expected only: cropping, name/] },
  { name: 'cropping1d: cropping every step', call: () => weft.layers.cropping1d({ cropping: [2, 1], name: 'crop_all' }).apply(weft.input({ shape: [3, 2] })), error: weft.ShapeError, message: [/'crop_all' \(Cropping1D\)/, /values in `cropping` argument should be smaller than the corresponding spatial dimension/, /input_shape=\(None, 3, 2\), cropping=\[2, 1\]/] },
  { name: 'cropping2d: cropping more rows than the input has', call: () => weft.layers.cropping2d({ cropping: [[2, 3], [0, 0]], name: 'crop_rows' }).apply(weft.input({ shape: [4, 5, 1] })), error: weft.ShapeError, message: [/'crop_rows' \(Cropping2D\)/, /should be smaller than the corresponding spatial dimension/, /output would be \(None, -1, 5, 1\)/, /input_shape=\(None, 4, 5, 1\), cropping=\[\[2, 3\], \[0, 0\]\]/] },
  { name: 'cropping2d: cropping a string', call: () => weft.layers.cropping2d({ cropping: '1' as never }), error: TypeError, message: [/`cropping`/, /\[\[top, bottom\], \[left, right\]\]/, /cropping='1'/] },
  { name: 'cropping2D: channelsFirst', call: () => weft.layers.cropping2D({ dataFormat: 'channelsFirst' as never }), error: RangeError, message: [/`dataFormat`/, /Cropping2D in weft takes channels-last inputs only \(channelsFirst is not supported\)/] },
  { name: 'depthwiseConv2d: depthMultiplier 0', call: () => weft.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 0 }), error: RangeError, message: [/`depthMultiplier`/, /a positive integer/, /depthMultiplier=0/] },
  { name: 'depthwiseConv2d: a Conv2D key', call: () => weft.layers.depthwiseConv2d({ kernelSize: 3, filters: 8 } as never), error: RangeError, message: [/DepthwiseConv2D/, /filters/] },
  { name: 'depthwiseConv2d: a kernel larger than the input', call: () => weft.layers.depthwiseConv2d({ kernelSize: 5, name: 'dw' }).apply(weft.input({ shape: [4, 4, 3] })), error: weft.ShapeError, message: [/'dw' \(DepthwiseConv2D\): one of the dimensions in the output is <= 0/] },
  { name: 'separableConv2d: filters missing', call: () => weft.layers.separableConv2d({ kernelSize: 3 } as never), error: TypeError, message: [/`filters`/, /filters=undefined/] },
  { name: 'separableConv2d: a Conv2D kernel key', call: () => weft.layers.separableConv2d({ filters: 2, kernelSize: 3, kernelInitializer: 'ones' } as never), error: RangeError, message: [/SeparableConv2D/, /kernelInitializer/, /pointwiseInitializer/] },
  { name: 'conv2dTranspose: outputPadding not below the stride', call: () => weft.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 2 }), error: RangeError, message: [/`outputPadding`/, /each entry below its stride \(strides \[2,2\]\)/, /outputPadding=2/] },
  { name: 'conv2dTranspose: a negative outputPadding', call: () => weft.layers.conv2dTranspose({ filters: 2, kernelSize: 3, outputPadding: [-1, 0] }), error: RangeError, message: [/`outputPadding`/, /a non-negative integer or an array of 2 non-negative integers/, /outputPadding=\[-1, 0\]/] },
  { name: 'conv1dTranspose: causal padding', call: () => weft.layers.conv1dTranspose({ filters: 2, kernelSize: 3, padding: 'causal' as never }), error: RangeError, message: [/`padding`/, /'valid' or 'same' \(causal padding is Conv1D's\)/, /padding='causal'/] },
  { name: 'conv2dTranspose: a rank-3 input', call: () => weft.layers.conv2dTranspose({ filters: 2, kernelSize: 3, name: 'up' }).apply(weft.input({ shape: [4, 3] })), error: weft.ShapeError, message: [/Input 0 of layer 'up' \(Conv2DTranspose\)/, /expected ndim=4, found ndim=3/, /\(None, 4, 3\)/] },
  { name: 'spatialDropout2d: a rank-3 input', call: () => weft.layers.spatialDropout2d({ rate: 0.2, name: 'sd' }).apply(weft.input({ shape: [4, 3] })), error: weft.ShapeError, message: [/Input 0 of layer 'sd' \(SpatialDropout2D\)/, /expected ndim=4, found ndim=3/] },
  { name: 'dropout: rate > 1', call: () => weft.layers.dropout({ rate: 1.5 }), error: RangeError, message: [/`rate`/, /between 0 and 1/, /rate=1.5/] },
  { name: 'dropout: rate negative', call: () => weft.layers.dropout({ rate: -0.1 }), error: RangeError, message: [/`rate`/, /rate=-0.1/] },
  { name: 'dropout: rate NaN', call: () => weft.layers.dropout({ rate: Number.NaN }), error: RangeError, message: [/`rate`/, /rate=NaN/] },
  { name: 'dropout: rate Infinity', call: () => weft.layers.dropout({ rate: Infinity }), error: RangeError, message: [/`rate`/, /rate=Infinity/] },
  { name: 'dropout: seed negative', call: () => weft.layers.dropout({ rate: 0.5, seed: -1 }), error: RangeError, message: [/`seed`/, /an integer >= 0/, /seed=-1/] },
  { name: 'dropout: noiseShape of the wrong rank', call: () => weft.layers.dropout({ rate: 0.5, noiseShape: [null, 1, 1] }).apply(weft.input({ shape: [4] })), error: RangeError, message: [/`noiseShape`/, /broadcastable to \(None, 4\)/, /noiseShape=\[null, 1, 1\]/] },
  { name: 'embedding: inputDim 0', call: () => weft.layers.embedding({ inputDim: 0, outputDim: 2 }), error: RangeError, message: [/`inputDim`/, /an integer >= 1/, /inputDim=0/] },
  { name: 'embedding: inputDim missing', call: () => weft.layers.embedding({ outputDim: 2 } as never), error: TypeError, message: [/`inputDim`/, /inputDim=undefined/] },
  { name: 'embedding: inputDim a string', call: () => weft.layers.embedding({ inputDim: '5' as never, outputDim: 2 }), error: TypeError, message: [/`inputDim`/, /an integer >= 1/, /inputDim='5'/] },
  { name: 'embedding: no config at all', call: () => weft.layers.embedding(undefined as never), error: TypeError, message: [/`config`/, /\{inputDim, outputDim, embeddingsInitializer/, /config=undefined/] },
  { name: 'embedding: outputDim negative', call: () => weft.layers.embedding({ inputDim: 5, outputDim: -2 }), error: RangeError, message: [/`outputDim`/, /outputDim=-2/] },
  { name: 'embedding: outputDim non-integer', call: () => weft.layers.embedding({ inputDim: 5, outputDim: 1.5 }), error: RangeError, message: [/`outputDim`/, /outputDim=1.5/] },
  { name: 'embedding: inputDim Infinity', call: () => weft.layers.embedding({ inputDim: Infinity, outputDim: 2 }), error: RangeError, message: [/`inputDim`/, /inputDim=Infinity/] },
  { name: 'embedding: unknown embeddingsInitializer', call: () => weft.layers.embedding({ inputDim: 5, outputDim: 2, embeddingsInitializer: 'uniformish' as never }), error: RangeError, message: [/embeddingsInitializer/, /'uniformish'/, /'randomUniform'/] },
  { name: 'input: shape missing', call: () => weft.input({} as never), error: TypeError, message: [/`shape`/, /non-empty array of positive integers/, /shape=undefined/] },
  { name: 'input: shape a number', call: () => weft.input({ shape: 4 as never }), error: TypeError, message: [/`shape`/, /non-empty array of positive integers/, /shape=4/] },
  { name: 'input: an Infinity dimension', call: () => weft.input({ shape: [Infinity] }), error: RangeError, message: [/`shape\[0\]`/, /an integer >= 1/, /shape\[0\]=Infinity/] },
  { name: 'input: name a number', call: () => weft.input({ shape: [2], name: 3 as never }), error: TypeError, message: [/`name`/, /a non-empty string/, /name=3/] },
  { name: 'input: a zero dimension', call: () => weft.input({ shape: [3, 0] }), error: RangeError, message: [/`shape\[1\]`/, /an integer >= 1/, /shape\[1\]=0/] },
  { name: 'input: a negative dimension', call: () => weft.input({ shape: [-1] }), error: RangeError, message: [/`shape\[0\]`/, /shape\[0\]=-1/] },
  { name: 'input: a non-integer dimension', call: () => weft.input({ shape: [2.5] }), error: RangeError, message: [/`shape\[0\]`/, /shape\[0\]=2.5/] },
  { name: 'input: a NaN dimension', call: () => weft.input({ shape: [4, Number.NaN] }), error: RangeError, message: [/`shape\[1\]`/, /shape\[1\]=NaN/] },
  { name: 'input: an unknown (null) dimension', call: () => weft.input({ shape: [null as never] }), error: TypeError, message: [/`shape\[0\]`/, /an integer >= 1/, /shape\[0\]=null/] },
  { name: 'input: unknown dtype', call: () => weft.input({ shape: [4], dtype: 'float64' as never }), error: RangeError, message: [/Unknown dtype: 'float64'/, /'float32', 'int32'/] },
  { name: 'concatenate: axis a string', call: () => weft.layers.concatenate({ axis: '1' as never }), error: TypeError, message: [/`axis`/, /an integer/, /axis='1'/] },
  { name: 'concatenate: axis 0 (the batch axis)', call: () => weft.layers.concatenate({ axis: 0, name: 'cat0' }).apply([weft.input({ shape: [2] }), weft.input({ shape: [2] })]), error: weft.ShapeError, message: [/'cat0'/, /axis 0 is out of range/, /batch axis/] },
  { name: 'concatenate: axis beyond the rank', call: () => weft.layers.concatenate({ axis: 3, name: 'cat3' }).apply([weft.input({ shape: [2] }), weft.input({ shape: [2] })]), error: weft.ShapeError, message: [/'cat3'/, /axis 3 is out of range for inputs of rank 2/] },
  { name: 'concatenate: mismatched shapes', call: () => weft.layers.concatenate([weft.input({ shape: [3, 4] }), weft.input({ shape: [5, 4] })], { name: 'joiner' }), error: weft.ShapeError, message: [/'joiner'/, /matching shapes except for the concatenation axis -1/, /\(None, 3, 4\), \(None, 5, 4\)/] },
  { name: 'concatenate: a single input', call: () => weft.layers.concatenate([weft.input({ shape: [3] })], { name: 'lonely' }), error: weft.ShapeError, message: [/'lonely'/, /expects at least 2 input\(s\)/, /received 1/] },
  { name: 'flatten: name not a string', call: () => weft.layers.flatten({ name: 5 as never }), error: TypeError, message: [/`name`/, /a non-empty string/, /name=5/] },
  { name: 'flatten: two inputs', call: () => weft.layers.flatten({ name: 'flat2' }).apply([weft.input({ shape: [2] }), weft.input({ shape: [2] })]), error: weft.ShapeError, message: [/'flat2'/, /expects 1 input\(s\)/, /received 2/] },
  { name: 'flatten: applied to a tf.Tensor', call: () => weft.layers.flatten({ name: 'flat_tf' }).apply(tf.zeros([2, 2]) as never), error: TypeError, message: [/`inputs\[0\] of layer 'flat_tf'`/, /a symbolic tensor/, /=Tensor/] },

  // ---- graph wiring ----
  { name: 'apply: a tf.Tensor instead of a symbolic tensor', call: () => weft.layers.dense({ units: 2, name: 'd_tf' }).apply(tf.zeros([2, 4]) as never), error: TypeError, message: [/`inputs\[0\] of layer 'd_tf'`/, /a symbolic tensor/, /=Tensor/] },
  { name: 'apply: a plain array of numbers', call: () => weft.layers.dense({ units: 2, name: 'd_arr' }).apply([1, 2, 3] as never), error: TypeError, message: [/`inputs\[0\] of layer 'd_arr'`/, /a symbolic tensor/, /=1$/] },
  { name: 'apply: nothing', call: () => weft.layers.dense({ units: 2, name: 'd_none' }).apply([]), error: weft.ShapeError, message: [/'d_none' \(Dense\)/, /expects 1 input\(s\)/, /received 0/] },
  { name: 'concatenate: a tf.Tensor among the inputs', call: () => weft.layers.concatenate([weft.input({ shape: [2] }), tf.zeros([1, 2]) as never], { name: 'cat_tf' }), error: TypeError, message: [/`inputs\[1\] of layer 'cat_tf'`/, /a symbolic tensor/, /=Tensor/] },
  { name: 'apply: a shared layer on another shape', call: () => { const d = weft.layers.dense({ units: 2, name: 'shared' }); d.apply(weft.input({ shape: [100] })); return d.apply(weft.input({ shape: [50] })); }, error: weft.ShapeError, message: [/'shared'/, /built for input shape \[null,100\]/, /\[null,50\]/] },
  { name: 'model: graph disconnected (an input missing from inputs)', call: () => { const a = weft.input({ shape: [2], name: 'gd_a' }); const b = weft.input({ shape: [2], name: 'gd_b' }); return weft.model({ inputs: a, outputs: weft.layers.concatenate([a, b], { name: 'gd_join' }) }); }, error: weft.ShapeError, message: [/Graph disconnected/, /tensor 'gd_b'/, /layer 'gd_join'/] },
  { name: 'model: an unused input', call: () => { const a = weft.input({ shape: [2] }); const u = weft.input({ shape: [2], name: 'unused_in' }); return weft.model({ inputs: [a, u], outputs: weft.layers.dense({ units: 1 }).apply(a) }); }, error: weft.ShapeError, message: [/Input 'unused_in' is not connected to any output/] },
  { name: 'model: duplicate layer names', call: () => { const i = weft.input({ shape: [3] }); const h = weft.layers.dense({ units: 2, name: 'twin' }).apply(i); return weft.model({ inputs: i, outputs: weft.layers.dense({ units: 2, name: 'twin' }).apply(h) }); }, error: weft.ShapeError, message: [/The name 'twin' is used 2 times/, /unique/] },
  { name: 'model: an input listed twice', call: () => { const a = weft.input({ shape: [2] }); return weft.model({ inputs: [a, a], outputs: weft.layers.dense({ units: 1 }).apply(a) }); }, error: weft.ShapeError, message: [/same input tensor is listed twice in `inputs`/] },
  { name: 'model: inputs not made by weft.input', call: () => { const a = weft.input({ shape: [2] }); const h = weft.layers.dense({ units: 2, name: 'not_in' }).apply(a); return weft.model({ inputs: h, outputs: weft.layers.dense({ units: 1 }).apply(h) }); }, error: TypeError, message: [/`inputs\[0\]`/, /made by weft.input\(\)/, /layer 'not_in' \(Dense\)/] },
  { name: 'model: outputs a tf.Tensor', call: () => weft.model({ inputs: weft.input({ shape: [2] }), outputs: tf.zeros([1, 2]) as never }), error: TypeError, message: [/`outputs\[0\]`/, /a symbolic tensor/, /outputs\[0\]=Tensor/] },
  { name: 'model: empty inputs', call: () => weft.model({ inputs: [], outputs: weft.input({ shape: [2] }) }), error: TypeError, message: [/`inputs`/, /non-empty array/, /inputs=\[\]/] },
  { name: 'model: config null', call: () => weft.model(null as never), error: TypeError, message: [/`config`/, /\{inputs, outputs, name/, /config=null/] },
  { name: 'model: inputs missing', call: () => weft.model({ outputs: weft.input({ shape: [2] }) } as never), error: TypeError, message: [/`inputs\[0\]`/, /a symbolic tensor/, /inputs\[0\]=undefined/] },
  { name: 'model: name a number', call: () => { const i = weft.input({ shape: [2] }); return weft.model({ inputs: i, outputs: weft.layers.dense({ units: 1 }).apply(i), name: 7 as never }); }, error: TypeError, message: [/`name`/, /a string/, /name=7/] },
  { name: 'model: an output not reachable from the inputs', call: () => { const a = weft.input({ shape: [2], name: 'reach_a' }); const b = weft.input({ shape: [2], name: 'reach_b' }); return weft.model({ inputs: a, outputs: weft.layers.dense({ units: 1, name: 'reach_out' }).apply(b) }); }, error: weft.ShapeError, message: [/Graph disconnected/, /tensor 'reach_b'/, /layer 'reach_out'/] },
  { name: 'getLayer: an unknown name', call: () => mlp().getLayer('nope'), error: RangeError, message: [/Unknown layer: 'nope'/, /Expected one of: 'input/] },
  { name: 'model.setWeights: too few tensors', call: () => mlp().setWeights([]), error: RangeError, message: [/`weights`/, /an array of 4 tensors/, /'0 tensors'/] },
  { name: 'model.setWeights: a kernel of the wrong shape', call: () => { const m = mlp(); const w = m.getWeights(); w[0] = tf.zeros([3, 8]); m.setWeights(w); }, error: weft.ShapeError, message: [/weights\[0\] \('dense_\d+\/kernel'\)/, /expected shape \[4,8\]/, /received shape \[3,8\]/] },
  { name: 'model.setWeights: a disposed tensor', call: () => { const m = mlp(); const w = m.getWeights(); w[0].dispose(); m.setWeights(w); }, error: RangeError, message: [/`weights\[0\] \('dense_\d+\/kernel'\)`/, /a live tensor/, /a disposed tensor/] },
  { name: 'layer.getWeights before any model is built', call: () => weft.layers.dense({ units: 2, name: 'unbuilt' }).getWeights(), error: weft.StateError, message: [/'unbuilt' has no weights yet/, /when a model containing it is built/] },

  // ---- compile ----
  { name: 'compile: unknown optimizer', call: () => compiled({ optimizer: 'ftrl' }), error: RangeError, message: [/Unknown optimizer: 'ftrl'/, /'adam', 'sgd', 'rmsprop', 'adamw'/] },
  { name: 'compile: optimizer a number', call: () => compiled({ optimizer: 3 as never }), error: TypeError, message: [/`optimizer`/, /an optimizer name/, /optimizer=3/] },
  { name: 'compile: unknown loss', call: () => compiled({ loss: 'focal' }), error: RangeError, message: [/Unknown loss: 'focal'/, /'categoricalCrossentropy'/] },
  { name: 'compile: loss missing', call: () => compiled({ loss: undefined }), error: TypeError, message: [/`loss`/, /categoricalCrossentropy/, /loss=undefined/] },
  { name: 'compile: unknown metric', call: () => compiled({ metrics: ['f1_score'] }), error: RangeError, message: [/Unknown metric: 'f1_score'/, /'accuracy', 'acc'/] },
  { name: 'compile: a metric that is not a string', call: () => compiled({ metrics: [5 as never] }), error: TypeError, message: [/`metrics`/, /an array of metric names/, /metrics=5/] },
  { name: 'compile: optimizer missing', call: () => mlp().compile({ loss: 'mse' } as never), error: TypeError, message: [/`optimizer`/, /'adam', 'sgd', 'rmsprop'/, /optimizer=undefined/] },
  { name: 'compile: args null', call: () => mlp().compile(null as never), error: TypeError, message: [/`args`/, /\{optimizer, loss, lossWeights, metrics, weightedMetrics\}/, /args=null/] },
  { name: 'compile: a two-output model given one loss in an array', call: () => { const i = weft.input({ shape: [2] }); const m = weft.model({ inputs: i, outputs: [weft.layers.dense({ units: 1, name: 'o1' }).apply(i), weft.layers.dense({ units: 1, name: 'o2' }).apply(i)] }); return m.compile({ optimizer: 'sgd', loss: ['mse'] }); }, error: RangeError, message: [/`loss`/, /an array of 2 \(one per model output: 'o1', 'o2'\)/, /Received: loss=/] },
  { name: 'compile: an output of rank 3', call: () => { const i = weft.input({ shape: [2, 3] }); const m = weft.model({ inputs: i, outputs: weft.layers.dense({ units: 1 }).apply(i) }); return m.compile({ optimizer: 'sgd', loss: 'mse' }); }, error: weft.ShapeError, message: [/shape \(batch, units\)/, /received \[null,2,1\]/] },
  { name: 'adam: learningRate -1', call: () => weft.optimizers.adam({ learningRate: -1 }), error: RangeError, message: [/`learningRate`/, /a finite number >= 0/, /learningRate=-1/] },
  { name: 'adam: learningRate NaN', call: () => weft.optimizers.adam({ learningRate: Number.NaN }), error: RangeError, message: [/`learningRate`/, /learningRate=NaN/] },
  { name: 'adam: learningRate Infinity', call: () => weft.optimizers.adam({ learningRate: Infinity }), error: RangeError, message: [/`learningRate`/, /a finite number >= 0/, /learningRate=Infinity/] },
  { name: 'optimizer.learningRate set to -1', call: () => { weft.optimizers.adam().learningRate = -1; }, error: RangeError, message: [/`learningRate`/, /a finite number >= 0/, /learningRate=-1/] },
  { name: 'sgd: momentum 1.5', call: () => weft.optimizers.sgd({ momentum: 1.5 }), error: RangeError, message: [/`momentum`/, /a number in \[0, 1\]/, /momentum=1.5/] },
  { name: 'sgd: nesterov not a boolean', call: () => weft.optimizers.sgd({ nesterov: 'yes' as never }), error: TypeError, message: [/`nesterov`/, /a boolean/, /nesterov='yes'/] },
  { name: 'sgd: learningRate a string', call: () => weft.optimizers.sgd({ learningRate: '0.1' as never }), error: TypeError, message: [/`learningRate`/, /a finite number >= 0/, /learningRate='0.1'/] },
  { name: 'adam: beta1 1', call: () => weft.optimizers.adam({ beta1: 1 }), error: RangeError, message: [/`beta1`/, /\[0, 1\)/, /beta1=1/] },
  { name: 'rmsprop: epsilon negative', call: () => weft.optimizers.rmsprop({ epsilon: -1 }), error: RangeError, message: [/`epsilon`/, /a finite number >= 0/, /epsilon=-1/] },
  { name: 'adam: unknown config key', call: () => weft.optimizers.adam({ lr: 0.1 } as never), error: RangeError, message: [/Unknown Adam config key: 'lr'/, /'learningRate'/] },
  { name: 'adam: clipnorm 0', call: () => weft.optimizers.adam({ clipnorm: 0 }), error: RangeError, message: [/`clipnorm`/, /a finite number > 0/, /clipnorm=0/] },
  { name: 'adam: clipvalue Infinity', call: () => weft.optimizers.adam({ clipvalue: Infinity }), error: RangeError, message: [/`clipvalue`/, /a finite number > 0/, /clipvalue=Infinity/] },
  { name: 'sgd: clipnorm negative', call: () => weft.optimizers.sgd({ clipnorm: -1 }), error: RangeError, message: [/`clipnorm`/, /clipnorm=-1/] },
  { name: 'adam: clipnorm and clipvalue together', call: () => weft.optimizers.adam({ clipnorm: 1, clipvalue: 1 }), error: RangeError, message: [/clipnorm and clipvalue/, /at most one of clipnorm, clipvalue, globalClipnorm/] },

  // ---- fit / evaluate / predict data ----
  { name: 'fit before compile', call: () => mlp().fit(X, Y, quiet), error: weft.StateError, message: [/compile\(\) before fit\(\)/] },
  { name: 'fit: x of the wrong rank', call: () => compiled().fit(X[0], Y, quiet), error: weft.ShapeError, message: [/`x`/, /expected shape \(None, 4\)/, /received shape \(4,\)/] },
  { name: 'predict: x of the wrong rank', call: () => compiled().predict(tf.zeros([2, 2, 4])), error: weft.ShapeError, message: [/`x`/, /expected shape \(None, 4\)/, /received shape \(2, 2, 4\)/] },
  { name: 'fit: wrong feature size', call: () => compiled().fit(X.map((r) => [...r, 0]), Y, quiet), error: weft.ShapeError, message: [/`x`/, /expected shape \(None, 4\)/, /received shape \(10, 5\)/] },
  { name: 'evaluate: wrong class count in y', call: () => compiled().evaluate(X, Y.map((r) => [...r, 0])), error: weft.ShapeError, message: [/`y`/, /expected shape \(None, 3\)/, /received shape \(10, 4\)/] },
  { name: 'fit: x/y count mismatch', call: () => compiled().fit(X, Y.slice(0, 9), quiet), error: weft.ShapeError, message: [/`x` and `y`/, /the same number of examples/, /10 in x and 9 in y/] },
  { name: 'fit: empty arrays', call: () => compiled().fit([], [], quiet), error: RangeError, message: [/`x`/, /a non-empty array of examples/, /x=\[\]/] },
  { name: 'predict: a tensor with no rows', call: () => compiled().predict(tf.zeros([0, 4])), error: RangeError, message: [/`x`/, /at least one example/, /empty/] },
  { name: 'fit: ragged x', call: () => compiled().fit(withRow(X, 1, [1, 2]), Y, quiet), error: RangeError, message: [/`x\[1\]`/, /an array of length 4/, /x\[1\]=\[1, 2\]/] },
  { name: 'fit: a string in x', call: () => compiled().fit(withRow(X, 2, [0, 0, 'a' as never, 0]), Y, quiet), error: TypeError, message: [/`x\[2\]\[2\]`/, /a number/, /x\[2\]\[2\]='a'/] },
  { name: 'fit: x neither a tensor nor an array', call: () => compiled().fit('data' as never, Y, quiet), error: TypeError, message: [/`x`/, /a tf.Tensor or a nested array of numbers/, /x='data'/] },
  { name: 'fit: x a Float32Array', call: () => compiled().fit(new Float32Array(40) as never, Y, quiet), error: TypeError, message: [/`x`/, /a tf.Tensor or a nested array of numbers/, /x=Float32Array\(40\)/] },
  { name: 'evaluate: y missing', call: () => compiled().evaluate(X, undefined), error: TypeError, message: [/`y`/, /a tf.Tensor or a nested array/, /y=undefined/] },
  { name: 'predict: an example of width 0', call: () => compiled().predict([[]]), error: weft.ShapeError, message: [/`x`/, /expected shape \(None, 4\)/, /received shape \(1, 0\)/] },
  { name: 'fit: NaN in x', call: () => compiled().fit(withRow(X, 3, [1, Number.NaN, 0, 0]), Y, quiet), error: RangeError, message: [/`x`/, /finite numbers/, /NaN at example 3/] },
  { name: 'predict: Infinity in x', call: () => compiled().predict(tf.tensor2d([[0, 0, -Infinity, 0]])), error: RangeError, message: [/`x`/, /finite numbers/, /-Infinity at example 0/] },
  { name: 'fit: NaN in y', call: () => compiled().fit(X, withRow(Y, 5, [0, Number.NaN, 1]), quiet), error: RangeError, message: [/`y`/, /finite numbers/, /NaN at example 5/] },
  { name: 'fit: sparse label out of range', call: () => compiled({ loss: 'sparseCategoricalCrossentropy' }).fit(X, LABELS.map((l, i) => (i === 4 ? 3 : l)), quiet), error: RangeError, message: [/`y`/, /class indices \(integers\) in \[0, 3\)/, /3 at example 4/] },
  { name: 'evaluate: negative sparse label', call: () => compiled({ loss: 'sparseCategoricalCrossentropy' }).evaluate(X, LABELS.map((l, i) => (i === 7 ? -1 : l))), error: RangeError, message: [/`y`/, /in \[0, 3\)/, /-1 at example 7/] },
  { name: 'fit: a fractional sparse label', call: () => compiled({ loss: 'sparseCategoricalCrossentropy' }).fit(X, LABELS.map((l, i) => (i === 2 ? 1.5 : l)), quiet), error: RangeError, message: [/`y`/, /class indices \(integers\)/, /1.5 at example 2/] },
  { name: 'fit: a NaN sparse label', call: () => compiled({ loss: 'sparseCategoricalCrossentropy' }).fit(X, LABELS.map((l, i) => (i === 6 ? Number.NaN : l)), quiet), error: RangeError, message: [/`y`/, /class indices/, /NaN at example 6/] },
  { name: 'fit: one-hot targets for sparse crossentropy', call: () => compiled({ loss: 'sparseCategoricalCrossentropy' }).fit(X, Y, quiet), error: weft.ShapeError, message: [/`y` \(class indices for sparse crossentropy\)/, /shape \(None,\) or \(None, 1\)/, /received shape \(10, 3\)/] },
  { name: 'fit: Embedding index out of range', call: () => embeddingModel().fit([[1, 2, 3], [4, 10, 6]], [0, 1], quiet), error: RangeError, message: [/`x`/, /Embedding indices \(integers\) in \[0, 10\)/, /10 at example 1/] },
  { name: 'predict: int32 Embedding index out of range', call: () => embeddingModel().predict(tf.tensor2d([[0, 0, 12]], undefined, 'int32')), error: RangeError, message: [/`x`/, /in \[0, 10\)/, /12 at example 0/] },
  { name: 'fit: non-integer Embedding index', call: () => embeddingModel().fit([[1, 2, 3], [4, 5.5, 6]], [0, 1], quiet), error: RangeError, message: [/`x\[1\]\[1\]`/, /an integer \(the input is int32\)/, /x\[1\]\[1\]=5.5/] },
  { name: 'predict: a disposed tensor', call: () => compiled().predict(disposed()), error: RangeError, message: [/`x`/, /a live tensor/, /a disposed tensor/] },
  { name: 'fit: a disposed y', call: () => { const y = tf.tensor2d(Y); y.dispose(); return compiled().fit(X, y, quiet); }, error: RangeError, message: [/`y`/, /a live tensor/, /a disposed tensor/] },
  { name: 'predict: one x for a model with two inputs', call: () => { const a = weft.input({ shape: [2] }); const b = weft.input({ shape: [2] }); const m = weft.model({ inputs: [a, b], outputs: weft.layers.concatenate([a, b]) }); return m.predict([[1, 2]]); }, error: RangeError, message: [/`x`/, /an array of 2 inputs/] },

  // ---- fit options ----
  { name: 'fit: batchSize 0', call: fit({ batchSize: 0 }), error: RangeError, message: [/`batchSize`/, /an integer >= 1/, /batchSize=0/] },
  { name: 'fit: batchSize negative', call: fit({ batchSize: -4 }), error: RangeError, message: [/`batchSize`/, /batchSize=-4/] },
  { name: 'fit: options null', call: () => compiled().fit(X, Y, null as never), error: TypeError, message: [/`args`/, /an options object/, /args=null/] },
  { name: 'evaluate: batchSize 0', call: () => compiled().evaluate(X, Y, { batchSize: 0 }), error: RangeError, message: [/`batchSize`/, /batchSize=0/] },
  { name: 'predict: batchSize -1', call: () => compiled().predict(X, { batchSize: -1 }), error: RangeError, message: [/`batchSize`/, /batchSize=-1/] },
  { name: 'fit: workers 0', call: fit({ workers: 0 }), error: RangeError, message: [/`workers`/, /an integer >= 1/, /workers=0/] },
  { name: 'fit: workers 10000', call: fit({ workers: 10000 }), error: RangeError, message: [/`workers`/, /an integer in \[1, 256\]/, /workers=10000/] },
  { name: 'fit: workers 1.5', call: fit({ workers: 1.5 }), error: RangeError, message: [/`workers`/, /an integer >= 1/, /workers=1.5/] },
  { name: 'predict: workers 10000', call: () => compiled().predict(X, { workers: 10000 }), error: RangeError, message: [/`workers`/, /\[1, 256\]/, /workers=10000/] },
  { name: 'predict: workers 0', call: () => compiled().predict(X, { workers: 0 }), error: RangeError, message: [/`workers`/, /workers=0/] },
  { name: 'fit: epochs 1.5', call: fit({ epochs: 1.5 }), error: RangeError, message: [/`epochs`/, /an integer >= 0/, /epochs=1.5/] },
  { name: 'fit: epochs a string', call: fit({ epochs: '3' }), error: TypeError, message: [/`epochs`/, /an integer >= 0/, /epochs='3'/] },
  { name: 'fit: epochs -1', call: fit({ epochs: -1 }), error: RangeError, message: [/`epochs`/, /an integer >= 0/, /epochs=-1/] },
  { name: 'fit: epochs Infinity', call: fit({ epochs: Infinity }), error: RangeError, message: [/`epochs`/, /epochs=Infinity/] },
  { name: 'fit: validationSplit 1', call: fit({ validationSplit: 1 }), error: RangeError, message: [/`validationSplit`/, /a number in \[0, 1\)/, /validationSplit=1/] },
  { name: 'fit: validationSplit -0.1', call: fit({ validationSplit: -0.1 }), error: RangeError, message: [/`validationSplit`/, /\[0, 1\)/, /validationSplit=-0.1/] },
  { name: 'fit: validationSplit NaN', call: fit({ validationSplit: Number.NaN }), error: RangeError, message: [/`validationSplit`/, /\[0, 1\)/, /validationSplit=NaN/] },
  { name: 'fit: validationSplit that leaves no training rows', call: fit({ validationSplit: 0.99 }), error: RangeError, message: [/`validationSplit`/, /both sides of 10 rows/, /validationSplit=0.99/] },
  { name: 'fit: initialEpoch >= epochs', call: fit({ epochs: 2, initialEpoch: 2 }), error: RangeError, message: [/`initialEpoch`/, /an integer < epochs \(2\)/, /initialEpoch=2/] },
  { name: 'fit: initialEpoch negative', call: fit({ initialEpoch: -1 }), error: RangeError, message: [/`initialEpoch`/, /an integer >= 0/, /initialEpoch=-1/] },
  { name: 'fit: unknown option', call: fit({ epoch: 3 }), error: RangeError, message: [/`args`/, /only the options epochs, batchSize/, /args='epoch'/] },
  { name: 'fit: signal not an AbortSignal', call: fit({ signal: { aborted: false } }), error: TypeError, message: [/`signal`/, /an AbortSignal/, /signal=/] },
  { name: 'fit: shuffle not a boolean', call: fit({ shuffle: 1 }), error: TypeError, message: [/`shuffle`/, /a boolean/, /shuffle=1/] },
  { name: 'fit: verbose 3', call: fit({ verbose: 3 }), error: RangeError, message: [/`verbose`/, /0, 1 or 2/, /verbose=3/] },
  { name: 'fit: seed negative', call: fit({ seed: -1 }), error: RangeError, message: [/`seed`/, /a non-negative integer/, /seed=-1/] },
  { name: 'fit: a callback that is not an object', call: fit({ callbacks: [5] }), error: TypeError, message: [/`callbacks\[0\]`/, /an object with onEpochEnd/, /callbacks\[0\]=5/] },
  { name: 'fit: a bare function as callbacks', call: fit({ callbacks: () => {} }), error: TypeError, message: [/`callbacks\[0\]`/, /an object with onEpochEnd/, /callbacks\[0\]=function/] },
  { name: 'fit: a schedule that returns -1', call: fit({ callbacks: [weft.callbacks.learningRateScheduler(() => -1)] }), error: RangeError, message: [/`schedule\(0, 0.01\)`/, /a finite number >= 0: the learning rate for epoch 0/, /=-1/] },
  { name: 'earlyStopping: patience -1', call: () => weft.callbacks.earlyStopping({ patience: -1 }), error: RangeError, message: [/`patience`/, /an integer >= 0/, /patience=-1/] },
  { name: 'earlyStopping: unknown mode', call: () => weft.callbacks.earlyStopping({ mode: 'up' as never }), error: RangeError, message: [/Unknown mode: 'up'/, /'auto', 'min', 'max'/] },
  { name: 'earlyStopping: misspelt option', call: () => weft.callbacks.earlyStopping({ patiense: 2 } as never), error: RangeError, message: [/Unknown earlyStopping option: 'patiense'/, /'patience'/] },
  { name: 'reduceLROnPlateau: factor 2', call: () => weft.callbacks.reduceLROnPlateau({ factor: 2 }), error: RangeError, message: [/`factor`/, /> 0 and < 1/, /factor=2/] },
  { name: 'learningRateScheduler: not a function', call: () => weft.callbacks.learningRateScheduler(5 as never), error: TypeError, message: [/`schedule`/, /a function/, /schedule=5/] },
  { name: 'modelCheckpoint: path missing', call: () => weft.callbacks.modelCheckpoint({} as never), error: TypeError, message: [/`path`/, /a string/, /path=undefined/] },
  { name: 'fitDataset: not a dataset', call: () => compiled().fitDataset(5 as never, { verbose: 0, workers: 1 }), error: TypeError, message: [/`dataset`/, /an async iterable of \{xs, ys\} batches/, /dataset=5/] },
  { name: 'fitDataset: a null batch', call: () => compiled().fitDataset(batches(null), { verbose: 0, workers: 1 }), error: TypeError, message: [/`dataset batch 0`/, /an object \{xs, ys\}/, /=null/] },
  { name: 'fitDataset: a batch of the wrong width', call: () => compiled().fitDataset(batches({ xs: tf.zeros([2, 5]), ys: tf.zeros([2, 3]) }), { verbose: 0, workers: 1 }), error: weft.ShapeError, message: [/`x`/, /expected shape \(None, 4\)/, /received shape \(2, 5\)/] },
  { name: 'fitDataset: batchesPerEpoch 0', call: () => compiled().fitDataset(batches({ xs: tf.zeros([2, 4]), ys: tf.zeros([2, 3]) }), { verbose: 0, workers: 1, batchesPerEpoch: 0 }), error: RangeError, message: [/`batchesPerEpoch`/, /an integer >= 1/, /batchesPerEpoch=0/] },
  { name: 'fitDataset: a batchSize option', call: () => compiled().fitDataset(batches({ xs: tf.zeros([2, 4]), ys: tf.zeros([2, 3]) }), { verbose: 0, workers: 1, batchSize: 3 } as never), error: RangeError, message: [/`args`/, /without batchSize, shuffle or validationSplit/, /args='batchSize'/] },
  { name: 'fitDataset: an empty dataset', call: () => compiled().fitDataset(batches(), { verbose: 0, workers: 1 }), error: RangeError, message: [/`dataset`/, /at least one \{xs, ys\} batch/, /an empty dataset/] },
  { name: 'trainer: not a model', call: () => weft.trainer(5 as never, { optimizer: 'sgd', loss: 'mse' }), error: TypeError, message: [/`model`/, /a weft Model/, /model=5/] },
  { name: 'fit: validationData not a pair', call: fit({ validationData: [X] }), error: TypeError, message: [/`validationData`/, /an array \[xVal, yVal\]/] },

  // ---- loading ----
  { name: 'loadModel: a missing file', call: () => weft.loadModel(`file://${join(dir, 'nowhere', 'model.json')}`), error: weft.DataFileError, message: [/Cannot read model.json/, /nowhere/, /Expected a TensorFlow.js layers-model model.json/, /Received: no such file/] },
  { name: 'loadModel: malformed model.json', call: () => weft.loadModel(join(dir, 'malformed.json')), error: weft.DataFileError, message: [/Invalid model.json '.*malformed.json'/, /Expected a TensorFlow.js layers-model model.json/, /Received: text that is not valid JSON/] },
  { name: 'loadModel: model.json not an object', call: () => weft.loadModel(join(dir, 'array.json')), error: weft.DataFileError, message: [/Invalid model.json '.*array.json'/, /Expected a JSON object \{modelTopology, weightsManifest/, /Received: \[1, 2, 3\]/] },
  { name: 'loadModel: weights.bin of the wrong size', call: () => weft.loadModel(saved('short-weights')), error: weft.DataFileError, message: [/Invalid weights file of weightsManifest\[0\] '.*short-weights\/weights.bin'/, /Expected \d+ bytes/, /Received: 12 bytes \(truncated\)/] },
  { name: 'loadModel: an unknown layer class', call: () => weft.loadModel(saved('unknown-class')), error: RangeError, message: [/unknown-class/, /Unknown layer class.*'ConvLSTM2D'/, /'Dense'/] },
  { name: 'loadModel: a graph model', call: () => weft.loadModel(saved('graph-model')), error: weft.DataFileError, message: [/Invalid model.json '.*graph-model/, /Expected format 'layers-model'/, /Received: format='graph-model'/] },
  { name: 'loadModel: a weight of the wrong shape', call: () => weft.loadModel(saved('weight-shape')), error: weft.ShapeError, message: [/weight-shape/, /Weight '.*kernel'/, /the model expects shape \[4,8\]/, /manifest has shape \[8,4\]/] },
  { name: 'loadModel: a missing weights file', call: () => weft.loadModel(saved('missing-weights')), error: weft.DataFileError, message: [/Cannot read weights file of weightsManifest\[0\]/, /absent.bin/, /Received: no such file/] },
  { name: 'loadModel: an http URL', call: () => weft.loadModel('http://example.com/model.json'), error: RangeError, message: [/`url`/, /'file:\/\/' URL or a filesystem path/, /url='http:\/\/example.com\/model.json'/] },
  { name: 'loadModel: url not a string', call: () => weft.loadModel(5 as never), error: TypeError, message: [/`url`/, /url=5/] },
  { name: 'loadModel: an empty url', call: () => weft.loadModel(''), error: TypeError, message: [/`url`/, /a 'file:\/\/' URL or a filesystem path/, /url=''/] },
  { name: 'loadModel: file:// with no path', call: () => weft.loadModel('file://'), error: RangeError, message: [/`url`/, /a path after it/, /url='file:\/\/'/] },
  { name: 'loadModel: a directory without model.json', call: () => weft.loadModel(dir), error: weft.DataFileError, message: [/Cannot read model.json/, /weft-errors-.*model\.json/, /Received: no such file/] },
  { name: 'loadModel: a bad layer config in model.json', call: () => weft.loadModel(saved('bad-units')), error: RangeError, message: [/bad-units/, /`units`/, /an integer >= 1/, /units=-1/] },
  { name: 'modelFromJSON: not a spec', call: () => weft.modelFromJSON(null as never), error: TypeError, message: [/`spec`/, /a model spec \{name, layers, inputs, outputs\}/, /spec=null/] },
  { name: 'modelFromJSON: an unknown layer class', call: () => weft.modelFromJSON({ name: 'm', layers: [{ className: 'ConvLSTM2D', config: { name: 'conv' }, inboundNodes: [] }], inputs: [['conv', 0]], outputs: [['conv', 0]] }), error: RangeError, message: [/Unknown layer class: 'ConvLSTM2D'/, /'Dense'/] },
  { name: 'modelFromJSON: a node reading a missing layer', call: () => weft.modelFromJSON({ name: 'm', layers: [{ className: 'InputLayer', config: { name: 'spec_in', shape: [2] }, inboundNodes: [] }, { className: 'Dense', config: { units: 2, name: 'spec_d' }, inboundNodes: [[['nowhere', 0]]] }], inputs: [['spec_in', 0]], outputs: [['spec_d', 0]] }), error: RangeError, message: [/`spec`/, /every node reads tensors made by other nodes/, /unresolvable inputs of layer 'spec_d'/] },
  { name: 'save: an http URL', call: () => mlp().save('http://example.com/m'), error: RangeError, message: [/`url`/, /'file:\/\/' URL or a filesystem path/, /url='http:\/\/example.com\/m'/] },
  { name: 'save: onto a file', call: () => mlp().save(join(dir, 'array.json')), error: RangeError, message: [/`url`/, /a directory to save model.json and weights.bin in/, /is a file/] },
  { name: 'save: a checkpoint of an uncompiled model', call: () => mlp().save(saved('ckpt'), { includeOptimizer: true }), error: weft.StateError, message: [/compile\(\) before save\(\)/] },
  // ---- fixed after the first catalogue pass: each once gave an internal or no error ----
  { name: 'concatenate: config null', call: () => weft.layers.concatenate(null as never), error: TypeError, message: [/`config`/, /axis, name/, /config=null/] },
  { name: 'concatenate: config a string', call: () => weft.layers.concatenate('x' as never), error: TypeError, message: [/`config`/, /config='x'/] },
  { name: 'flatten: config a string', call: () => weft.layers.flatten('abc' as never), error: TypeError, message: [/`config`/, /config='abc'/] },
  { name: 'adam: config null', call: () => weft.optimizers.adam(null as never), error: TypeError, message: [/`config`/, /Adam options/, /config=null/] },
  { name: 'sgd: config a string', call: () => weft.optimizers.sgd('x' as never), error: TypeError, message: [/`config`/, /SGD options/, /config='x'/] },
  { name: 'evaluate: args null', call: () => compiled().evaluate(X, Y, null as never), error: TypeError, message: [/`args`/, /batchSize/, /args=null/] },
  { name: 'predict: unknown option', call: () => compiled().predict(X, { foo: 1 } as never), error: RangeError, message: [/`args`/, /only the options batchSize, verbose, workers/, /args='foo'/] },
  { name: 'save: options null', call: () => compiled().save(join(dir, 'x'), null as never), error: TypeError, message: [/`options`/, /includeOptimizer/] },
  { name: 'model: an unknown resourceLimits key', call: () => withLimits({ maxOldGenSizeMb: 64 } as never), error: RangeError, message: [/`resourceLimits`/, /only the options maxYoungGenerationSizeMb, maxOldGenerationSizeMb/, /resourceLimits='maxOldGenSizeMb'/] },
  { name: 'model: a resourceLimits value of 0', call: () => withLimits({ maxOldGenerationSizeMb: 0 }), error: RangeError, message: [/`resourceLimits.maxOldGenerationSizeMb`/, /megabytes > 0/, /=0/] },
  { name: 'model: a resourceLimits value as a string', call: () => withLimits({ stackSizeMb: '4' } as never), error: TypeError, message: [/`resourceLimits.stackSizeMb`/, /stackSizeMb='4'/] },
  { name: 'model: unknown config key', call: () => weft.model({ inputs: weft.input({ shape: [2] }), outputs: weft.input({ shape: [2] }), input: 3 } as never), error: RangeError, message: [/`config`/, /only the options inputs, outputs/, /config='input'/] },
  { name: 'model: seed 1.5', call: () => { const i = weft.input({ shape: [2] }); return weft.model({ inputs: i, outputs: weft.layers.dense({ units: 1 }).apply(i), seed: 1.5 }); }, error: RangeError, message: [/`seed`/, /an integer >= 0/, /seed=1.5/] },
  { name: 'compile: unknown key', call: () => mlp().compile({ optimizer: 'sgd', loss: 'mse', lossWeight: [1] } as never), error: RangeError, message: [/`args`/, /only the options optimizer, loss, lossWeights, metrics, weightedMetrics/, /args='lossWeight'/] },
  { name: 'dropout: seed 1.5', call: () => weft.layers.dropout({ rate: 0.5, seed: 1.5 }), error: RangeError, message: [/`seed`/, /an integer >= 0/, /seed=1.5/] },
  { name: 'modelFromJSON: a layer without a name', call: () => weft.modelFromJSON({ name: 'm', layers: [{ className: 'InputLayer', config: { shape: [2] }, inboundNodes: [] }], inputs: [['in', 0]], outputs: [['in', 0]] } as never), error: TypeError, message: [/`spec.layers\[0\].config.name`/, /the layer name/] },
  { name: 'modelFromJSON: no inputs', call: () => weft.modelFromJSON({ name: 'm', layers: [{ className: 'InputLayer', config: { name: 'in', shape: [2] }, inboundNodes: [] }], outputs: [['in', 0]] } as never), error: TypeError, message: [/`spec.inputs`/, /\[layerName, nodeIndex\]/, /spec.inputs=undefined/] },
  { name: 'embedding: fed the float output of a Dense', call: () => { const i = weft.input({ shape: [4] }); return weft.layers.embedding({ inputDim: 5, outputDim: 2 }).apply(weft.layers.dense({ units: 3, name: 'float_d' }).apply(i)); }, error: weft.ShapeError, message: [/Embedding/, /integer indices/, /float32 output of layer 'float_d'/] },
  { name: 'model: an output that is an input not listed', call: () => weft.model({ inputs: weft.input({ shape: [2] }), outputs: weft.input({ shape: [2], name: 'stray_in' }) }), error: weft.ShapeError, message: [/Graph disconnected/, /output 'stray_in' is an input tensor/, /`inputs`/] },
  { name: 'fit: validationData y of the wrong length', call: fit({ validationData: [X, Y.slice(0, 9)] }), error: weft.ShapeError, message: [/`validationData\[0\]` and `validationData\[1\]`/, /10 in validationData\[0\] and 9 in validationData\[1\]/] },
  { name: 'predict: a string tensor', call: () => compiled().predict(tf.tensor2d([['a', 'b', 'c', 'd']], undefined, 'string')), error: TypeError, message: [/`x`/, /a numeric tensor/, /string tensor/] },
  { name: 'fitDataset: a batch without ys', call: () => compiled().fitDataset(batches({ xs: tf.tensor2d(X) }), { verbose: 0, workers: 1 }), error: TypeError, message: [/dataset batch 0/, /\{xs, ys\}/, /\{xs: Tensor\}/] },
  { name: 'fit: two fits at once on one model', call: async () => { const m = compiled(); const first = m.fit(X, Y, quiet); try { await m.fit(X, Y, quiet); } finally { await first; } }, error: weft.StateError, message: [/fit\(\) was called while fit\(\) is training this model/] },
  // ---- the data loaders ----
  { name: 'loadFashionMnist: an explicit path that does not exist', call: () => weft.loadFashionMnist({ path: join(dir, 'no-such-dir') }), error: weft.DataFileError, message: [/Cannot find Fashion-MNIST/, /Expected one directory holding train-images-idx3-ubyte.gz/, /no-such-dir \(the `path` option\): does not exist/, /apt-get install dataset-fashion-mnist/] },
  { name: 'loadFashionMnist: a directory without the label files', call: () => weft.loadFashionMnist({ path: saved('good') }), error: weft.DataFileError, message: [/Cannot find Fashion-MNIST/, /good \(the `path` option\): missing train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz/] },
  { name: 'loadFashionMnist: a truncated IDX file', call: fashion('fm-short'), error: weft.DataFileError, message: [/Invalid Fashion-MNIST IDX file '.*fm-short\/train-images-idx3-ubyte'/, /Expected 1584 bytes for dimensions \[2, 28, 28\]/, /Received: 900 bytes \(truncated\)/] },
  { name: 'loadFashionMnist: a wrong magic number', call: fashion('fm-magic'), error: weft.DataFileError, message: [/fm-magic\/train-labels-idx1-ubyte'/, /Expected IDX magic number 0x00000801 \(unsigned-byte labels, 1 dimension\)/, /Received: magic number 0x00000803/] },
  { name: 'loadFashionMnist: a file shorter than its IDX header', call: fashion('fm-header'), error: weft.DataFileError, message: [/fm-header\/t10k-labels-idx1-ubyte'/, /Expected at least the 8-byte IDX header/, /Received: 5 bytes \(truncated\)/] },
  { name: 'loadFashionMnist: a truncated gzip stream', call: fashion('fm-gzip'), error: weft.DataFileError, message: [/fm-gzip\/t10k-images-idx3-ubyte'/, /Expected a valid gzip stream/, /Received: a truncated or corrupt one/] },
  { name: 'loadFashionMnist: an unknown option', call: () => weft.loadFashionMnist({ dir: '/tmp' } as never), error: RangeError, message: [/`options`/, /only the options path, shared, fallbackDirs/, /options='dir'/] },
  { name: 'loadFashionMnist: path a number', call: () => weft.loadFashionMnist({ path: 3 as never }), error: TypeError, message: [/`options.path`/, /a directory path or a file: URL/, /options.path=3/] },
  { name: 'loadFashionMnistSplit: an unknown split', call: () => weft.loadFashionMnistSplit('valid' as never), error: RangeError, message: [/Unknown Fashion-MNIST split: 'valid'/, /'train', 'test'/] },
  { name: 'loadDigits: a missing file', call: () => weft.loadDigits(join(dir, 'no-digits.csv.gz')), error: weft.DataFileError, message: [/Cannot read digits data file '.*no-digits.csv.gz'/, /Expected a gzip'd CSV file/, /Received: no such file/] },
  { name: 'loadDigits: a line of the wrong length', call: () => weft.loadDigits(join(dir, 'digits-bad.csv.gz')), error: weft.DataFileError, message: [/Invalid digits data file '.*digits-bad.csv.gz'/, /Expected lines of 65 comma-separated integers/, /Received: 64 values on line 2/] },
  { name: 'loadDigits: not gzip\'d', call: () => weft.loadDigits(join(dir, 'digits-plain.csv')), error: weft.DataFileError, message: [/Invalid digits data file '.*digits-plain.csv'/, /Expected a gzip'd CSV file/, /Received: no valid gzip stream/] },
];

describe('bad calls through the public API', () => {
  it('the catalogue has at least 45 rows, each named once', () => {
    expect(rows.length).toBeGreaterThanOrEqual(45);
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
  });

  it.each(rows)('$name', async ({ call, error, message }) => {
    const err = await Promise.resolve().then(call).then(
      (value) => ({ notThrown: value }),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    // The exact class, not just a subclass of Error.
    expect((err as Error).constructor).toBe(error);
    for (const re of message) expect((err as Error).message).toMatch(re);
  }, 20_000);
});

describe('a bad call leaves the model usable', () => {
  it('after refused fits, compile, evaluate and predict, the same model trains and predicts', async () => {
    const m = compiled({ metrics: ['accuracy'] });
    const before = Float32Array.from(m.params);
    await expect(m.fit(X, Y.slice(0, 9), quiet)).rejects.toThrow(weft.ShapeError);
    await expect(m.fit(X, Y, { ...quiet, workers: 0 })).rejects.toThrow(RangeError);
    await expect(m.predict(disposed())).rejects.toThrow(/a disposed tensor/);
    expect(() => m.compile({ optimizer: 'adam', loss: 'focal' })).toThrow(RangeError);
    expect(m.params).toEqual(before);
    const history = await m.fit(X, Y, quiet);
    expect(history.history.loss).toHaveLength(1);
    expect(Number.isFinite(history.history.loss[0])).toBe(true);
    expect(m.params).not.toEqual(before);
    expect(((await m.predict(X)) as tf.Tensor).shape).toEqual([10, 3]);
    expect((await m.evaluate(X, Y)) as tf.Scalar[]).toHaveLength(2);
  });
});
