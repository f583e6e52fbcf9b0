// Fine-tuning, as Keras's transfer-learning guide does it, on the embedded digits: train a base
// with BatchNormalization on digits 0–4, save it; load it, freeze the base (its BatchNorms then
// run on their moving statistics, as in Keras), put a new head on an inner layer's output with
// the functional API, and train only the head on digits 5–9 — on every core.
//   npm run example:fine-tune
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as weft from '../src/index.js';

const L = weft.layers;
const digits = weft.loadDigits();

/** The digits whose label is in [from, to), labels shifted to start at 0. */
function subset(from: number, to: number): { x: weft.tf.Tensor2D; y: weft.tf.Tensor1D; rows: number } {
  const rows = [...digits.labels.keys()].filter((i) => digits.labels[i] >= from && digits.labels[i] < to);
  const x = new Float32Array(rows.length * 64);
  rows.forEach((r, k) => x.set(digits.x.subarray(r * 64, r * 64 + 64), k * 64));
  const y = Int32Array.from(rows, (r) => digits.labels[r] - from);
  return { x: weft.tf.tensor2d(x, [rows.length, 64]), y: weft.tf.tensor1d(y, 'int32'), rows: rows.length };
}

// 1. The base, trained on digits 0–4 and saved.
const inputs = weft.input({ shape: [64] });
let h = L.dense({ units: 64, useBias: false }).apply(inputs);
h = L.activation({ activation: 'relu' }).apply(L.batchNormalization().apply(h));
h = L.dense({ units: 32, useBias: false }).apply(h);
h = L.activation({ activation: 'relu', name: 'features' }).apply(L.batchNormalization().apply(h));
const base = weft.model({ inputs, outputs: L.dense({ units: 5, activation: 'softmax' }).apply(h), seed: 1 });
base.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const first = subset(0, 5);
await base.fit(first.x, first.y, { epochs: 15, batchSize: 64, validationSplit: 0.2, seed: 1, verbose: 0 });
const dir = mkdtempSync(join(tmpdir(), 'weft-base-'));
await base.save(`file://${dir}`);
await base.dispose();
console.log(`base: trained on digits 0-4 (${first.rows} images), saved to ${dir}`);

// 2. Load it, freeze everything up to 'features', and put a new head there.
const loaded = await weft.loadModel(`file://${dir}`);
const features = loaded.getLayer('features');
for (const layer of loaded.layers.slice(0, loaded.layers.indexOf(features) + 1)) layer.trainable = false;
const head = L.dense({ units: 5, activation: 'softmax', name: 'new_head' }).apply(features.output);
const model = weft.model({ inputs: loaded.inputs as weft.SymbolicTensor[], outputs: head, seed: 2 });
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
model.summary();

// 3. Train the head on digits 5–9; the frozen base stays bitwise as it was loaded.
const second = subset(5, 10);
const frozen = model.nonTrainableWeights.map((w) => w.read().dataSync().slice());
const history = await model.fit(second.x, second.y, { epochs: 20, batchSize: 64, validationSplit: 0.2, seed: 2, verbose: 0 });
const unchanged = model.nonTrainableWeights.every((w, i) => w.read().dataSync().every((v, j) => v === frozen[i][j]));
const last = history.history.val_accuracy.length - 1;
console.log(`head: trained on digits 5-9 (${second.rows} images): validation accuracy ${((history.history.val_accuracy[last] as number) * 100).toFixed(1)}%`);
console.log(`frozen base weights unchanged: ${unchanged}`);
await model.dispose();
await loaded.dispose();
