/**
 * Renders weft's pictures in headless Chromium (Debian's `chromium`) so a person can look at
 * them: training curves from a short real fit, and layer graphs of branching, residual,
 * nested and several-output models with each plot_model option. Not part of CI.
 *
 *   npm run bench:plots [-- OUT_DIR]   (default /tmp/weft-plots)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as weft from '../src/index.js';
import { seed2, convnet } from '../src/train/zoo.js';

const out = resolve(process.argv[2] ?? '/tmp/weft-plots');
mkdirSync(out, { recursive: true });

function screenshot(name: string, svg: string): void {
  const svgPath = join(out, `${name}.svg`);
  writeFileSync(svgPath, svg);
  const [w, h] = [/width="(\d+)/.exec(svg)![1], /height="(\d+)/.exec(svg)![1]];
  execFileSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--window-size=${w},${h}`, `--screenshot=${join(out, `${name}.png`)}`, `file://${svgPath}`], { stdio: 'ignore' });
  console.log(`${name}.png (${w}×${h})`);
}

function residual(): weft.Model {
  const x = weft.input({ shape: [16], name: 'features' });
  const h = weft.layers.dense({ units: 16, activation: 'relu', name: 'expand' }).apply(x);
  const b = weft.layers.batchNormalization({ name: 'norm' }).apply(h);
  const sum = weft.layers.add({ name: 'skip' }).apply([x, b]);
  return weft.model({ inputs: x, outputs: weft.layers.dense({ units: 4, activation: 'softmax', name: 'classes' }).apply(sum) });
}

function nestedTwoHeads(): weft.Model {
  const ix = weft.input({ shape: [8] });
  const encoder = weft.model({ inputs: ix, outputs: weft.layers.dense({ units: 6, activation: 'tanh', name: 'code' }).apply(weft.layers.dense({ units: 12, activation: 'relu' }).apply(ix)), name: 'encoder' });
  encoder.getLayer('code').trainable = false;
  const x = weft.input({ shape: [8], name: 'reading' });
  const z = encoder.apply(x) as weft.SymbolicTensor;
  const kind = weft.layers.dense({ units: 3, activation: 'softmax', name: 'kind' }).apply(z);
  const size = weft.layers.dense({ units: 1, name: 'size' }).apply(z);
  return weft.model({ inputs: x, outputs: [kind, size] });
}

const digits = weft.loadDigits();
const model = seed2(64, 1);
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
const x = weft.tf.tensor2d(digits.x, [digits.rows, 64]);
const y = weft.tf.tensor1d(digits.labels, 'int32');
const history = await model.fit(x, y, { epochs: 15, batchSize: 64, validationSplit: 0.2, seed: 1, workers: 1, verbose: 0 });
screenshot('curves-seed2-digits', weft.curvesSvg(history, { title: 'seed2 on digits, 15 epochs' }));
screenshot('curves-one-quantity', weft.curvesSvg({ epoch: [0], history: { loss: [0.5] } }));
screenshot('model-seed2', weft.modelSvg(model));
screenshot('model-seed2-shapes', weft.modelSvg(model, { showShapes: true, showLayerNames: true, showDtype: true, showLayerActivations: true }));
screenshot('model-seed2-LR', weft.modelSvg(model, { rankdir: 'LR', showLayerNames: true }));
screenshot('model-residual', weft.modelSvg(residual(), { showShapes: true, showLayerNames: true, showTrainable: true }));
const nested = nestedTwoHeads();
screenshot('model-nested', weft.modelSvg(nested, { showLayerNames: true, showShapes: true }));
screenshot('model-nested-expanded', weft.modelSvg(nested, { showLayerNames: true, expandNested: true, showTrainable: true }));
screenshot('model-convnet', weft.modelSvg(convnet([28, 28], 1), { showShapes: true }));
weft.tf.dispose([x, y]);
await model.dispose();
