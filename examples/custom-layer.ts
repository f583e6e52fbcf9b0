// Custom layers in the workers: a layer with a hand-written backward (ScaledDense) and one that
// weft differentiates by autodiff (Swish), a custom metric, trained on 2 workers, saved and
// loaded by the layers' registered names.  npm run example:custom
//
// Workers import user code by URL, so each layer lives in a JavaScript module of its own (here
// TypeScript compiled by `npm run build` to dist/examples/layers/*.js: plain Node, and so the
// workers, cannot import .ts) and is registered with that module's URL before the model is built.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as weft from '../src/index.js';
// weft.registerLayer and weft.registerMetric, once src/index.ts exports them.
import { registerLayer, registerMetric } from '../src/graph/custom/register.js';
import type { ScaledDense as ScaledDenseClass, ScaledDenseConfig } from './layers/scaled-dense.js';
import { randomClassification } from './random-data.js';

const ScaledDense = (await registerLayer('ScaledDense', new URL('./layers/scaled-dense.js', import.meta.url))) as unknown as typeof ScaledDenseClass;
const Swish = (await registerLayer('Swish', new URL('./layers/swish.js', import.meta.url))) as unknown as new () => weft.Layer;
// (yTrue, yPred) => per-example values, as Keras's custom metrics and losses.
await registerMetric('meanMaxProbability', new URL('./layers/metrics.js', import.meta.url));

const inputs = weft.input({ shape: [64] });
let x = new ScaledDense({ units: 128, scale: 0.5 } satisfies ScaledDenseConfig).apply(inputs);
x = new Swish().apply(x);
const outputs = weft.layers.dense({ units: 10, activation: 'softmax' }).apply(x);
const model = weft.model({ inputs, outputs });
model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy', 'meanMaxProbability'] });
model.summary();

const { x: xTrain, y: yTrain } = randomClassification(2000, 64);
await model.fit(xTrain, yTrain, { epochs: 3, batchSize: 64, workers: 2 });

const dir = mkdtempSync(join(tmpdir(), 'weft-custom-layer-'));
await model.save(`file://${dir}`);
const loaded = await weft.loadModel(`file://${dir}/model.json`);
console.log(`saved and loaded: ${loaded.layers.map((l) => l.className).join(' → ')}`);
rmSync(dir, { recursive: true, force: true });
await Promise.all([model.dispose(), loaded.dispose()]);
