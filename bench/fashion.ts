/**
 * Fashion-MNIST time-to-accuracy, `npm run bench:fashion`: on all cores, batch 128, Adam, test
 * accuracy after each epoch and the training time to reach the target, for two models:
 *   mlp      784-512-512-10 with Dropout 0.2, 10 epochs, target 88%;
 *   convnet  Keras's simple MNIST convnet (28×28×1 images, 34,826 parameters), 15 epochs, target 90%;
 * each against PyTorch (same model, Keras initialisers, same batch and epochs) in the same run when
 * `python3 -c "import torch"` works (at one thread and at the workers' count: the faster run is
 * the comparison).
 *   npm run bench:fashion -- [--model mlp|convnet|both] [--epochs N] [--target 0.9] [--workers N]
 *                            [--batch 128] [--data DIR] [--seed 1] [--out DIR|none] [--no-peer]
 * --epochs and --target, when given, apply to every model run. Training time excludes the
 * per-epoch test evaluation on both sides; wall time includes it. One JSON per model:
 * <date>-<machine>-fashion.json (the MLP) and -fashion-convnet.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as weft from '../src/index.js';
import { DataFileError } from '../src/errors.js';
import { loadFashionMnist, type FashionMnist } from '../src/train/datasets/fashion-mnist.js';
import { flagNumber, parseScriptArgs, RESULTS_DIR, runScript, type ScriptArgs } from './args.js';
import { probeMachine } from './machine.js';
import { fashionRuns, type FashionModel } from './fashion-options.js';
import { buildWeft, inputTensor } from './models.js';
import { probeTorch, torchFashion, type TorchProbe } from './peers/pytorch.js';
import { describeArchitecture, type Architecture } from './results.js';
import { timeToTarget, type EpochRecord } from './time-to-target.js';

interface TorchRun { readonly version: string; readonly threads: number; readonly params: number; readonly epochs: EpochRecord[] }
type TorchResult = TorchRun[] | { readonly skipped: string };

interface RunSettings {
  readonly data: FashionMnist;
  readonly workers: number;
  readonly batch: number;
  readonly seed: number;
  readonly epochs: number;
  readonly target: number;
  readonly torch: TorchProbe | undefined;
}

const pct = (a: number): string => `${(100 * a).toFixed(2)}%`;
const threadWord = (n: number): string => `${n} thread${n === 1 ? '' : 's'}`;

/** weft's run: fit with the test split as validation data; per-epoch training time read off the batch callbacks. */
async function weftRun(arch: Architecture, s: RunSettings): Promise<{ params: number; epochs: EpochRecord[] }> {
  const { tf } = weft;
  const { data, workers, batch, seed, epochs } = s;
  const model = buildWeft(arch, seed);
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const x = inputTensor(arch, data.train.x, data.train.rows);
  const y = tf.tensor1d(data.train.labels, 'int32');
  const xt = inputTensor(arch, data.test.x, data.test.rows);
  const yt = tf.tensor1d(data.test.labels, 'int32');
  const records: EpochRecord[] = [];
  const started = performance.now();
  let trainMs = 0;
  let epochStart = 0;
  let lastBatchEnd = 0;
  try {
    await model.fit(x, y, {
      epochs, batchSize: batch, workers, seed, verbose: 0, validationData: [xt, yt],
      callbacks: [{
        onEpochBegin: () => { epochStart = performance.now(); },
        onBatchEnd: () => { lastBatchEnd = performance.now(); },
        onEpochEnd: (epoch: number, logs?: Record<string, number>) => {
          trainMs += lastBatchEnd - epochStart;
          const record = { epoch: epoch + 1, trainSeconds: trainMs / 1000, wallSeconds: (performance.now() - started) / 1000, testAccuracy: logs!.val_accuracy, loss: logs!.loss };
          records.push(record);
          console.log(`  weft epoch ${record.epoch}: test accuracy ${pct(record.testAccuracy)}, training ${record.trainSeconds.toFixed(1)} s, wall ${record.wallSeconds.toFixed(1)} s`);
        },
      }],
    });
    return { params: model.countParams(), epochs: records };
  } finally {
    tf.dispose([x, y, xt, yt]);
    await model.dispose();
  }
}

/** PyTorch at one thread and at the workers' thread count: its OpenMP threads can slow each other on few cores, so both are run and the faster one is the comparison. */
async function torchRuns(arch: Architecture, s: RunSettings): Promise<TorchResult | undefined> {
  if (s.torch === undefined) return undefined;
  if (!s.torch.available) {
    console.log(`\nPyTorch: skipped: ${s.torch.reason}`);
    return { skipped: s.torch.reason };
  }
  const runs: TorchRun[] = [];
  for (const threads of [...new Set([1, s.workers])]) {
    console.log(`\nPyTorch ${s.torch.version}, ${threadWord(threads)}`);
    // Same epochs as weft, no early stop at the target.
    try {
      const r = await torchFashion({ dataDir: s.data.source, architecture: arch, batch: s.batch, epochs: s.epochs, threads, seed: s.seed }, (e) => {
        console.log(`  pytorch epoch ${e.epoch}: test accuracy ${pct(e.testAccuracy)}, training ${e.trainSeconds.toFixed(1)} s, wall ${e.wallSeconds.toFixed(1)} s`);
      });
      runs.push({ version: r.version, threads: r.threads, params: r.params, epochs: [...r.epochs] });
    } catch (e) {
      // weft's run is done and worth keeping: a failing peer is reported, not fatal.
      console.log(`  PyTorch failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return runs;
}

/** One model's row: weft, then PyTorch, the summary lines, and the ratio of training times to the target. */
async function runModel(m: FashionModel, s: RunSettings, args: ScriptArgs): Promise<void> {
  const { workers, batch, epochs, target } = s;
  console.log(`\n=== ${m.name}: ${describeArchitecture(m.architecture)}; adam, batch ${batch}, ${epochs} epochs, target ${pct(target)}`);
  console.log(`\nweft, ${workers} workers`);
  const weftResult = await weftRun(m.architecture, s);
  const weftHit = timeToTarget(weftResult.epochs, target);
  const torch = await torchRuns(m.architecture, s);

  const describe = (name: string, epochsRun: EpochRecord[]): string => {
    const hit = timeToTarget(epochsRun, target);
    const best = Math.max(...epochsRun.map((e) => e.testAccuracy));
    return hit === undefined
      ? `${name}: did not reach ${pct(target)} in ${epochsRun.length} epoch${epochsRun.length === 1 ? '' : 's'} (best ${pct(best)})`
      : `${name}: ${pct(target)} after epoch ${hit.epoch}, ${hit.trainSeconds.toFixed(1)} s of training (${hit.wallSeconds.toFixed(1)} s wall); best ${pct(best)}`;
  };
  console.log(`\n${m.name}, ${weftResult.params.toLocaleString('en-US')} parameters`);
  console.log(describe(`weft, ${workers} workers`, weftResult.epochs));
  let ratio: number | undefined;
  if (Array.isArray(torch)) {
    for (const run of torch) {
      console.log(describe(`PyTorch, ${threadWord(run.threads)}`, run.epochs));
      if (run.params !== weftResult.params) console.log(`  warning: PyTorch built ${run.params.toLocaleString('en-US')} parameters, weft ${weftResult.params.toLocaleString('en-US')}`);
    }
    const hits = torch.map((run) => timeToTarget(run.epochs, target)).filter((h) => h !== undefined);
    if (weftHit !== undefined && hits.length > 0) {
      const fastest = Math.min(...hits.map((h) => h.trainSeconds));
      ratio = weftHit.trainSeconds / fastest;
      console.log(`time to ${pct(target)}: weft / PyTorch's faster run = ${ratio.toFixed(2)} (training time; goal <= 2)`);
    }
  }

  const machine = probeMachine(Array.isArray(torch) && torch.length > 0 ? { torch: torch[0].version } : {});
  if (args.out !== 'none') {
    const dir = typeof args.out === 'string' ? args.out : RESULTS_DIR;
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${new Date().toISOString().slice(0, 10)}-${machine.label}-fashion${m.fileSuffix}.json`);
    const record = {
      machine, date: new Date().toISOString(), command: `npm run bench:fashion -- ${process.argv.slice(2).join(' ')}`.trim(),
      model: m.key, architecture: m.architecture, params: weftResult.params,
      batch, epochs, workers, target, weft: weftResult.epochs, pytorch: torch ?? { skipped: '--no-peer' }, timeToTargetRatio: ratio,
    };
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
    console.log(`Wrote ${file}`);
  }
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

async function main(): Promise<void> {
  const args = parseScriptArgs({
    model: { type: 'string', default: 'both' },
    epochs: { type: 'string' },
    workers: { type: 'string', default: String(availableParallelism()) },
    batch: { type: 'string', default: '128' },
    target: { type: 'string' },
    data: { type: 'string' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    'no-peer': { type: 'boolean', default: false },
  });
  const runs = fashionRuns({ model: str(args.model), epochs: str(args.epochs), target: str(args.target) });
  const count = (flag: string): number => flagNumber(flag, String(args[flag]), 'a positive integer');
  const [workers, batch, seed] = ['workers', 'batch', 'seed'].map(count);

  const data = loadFashionMnist(typeof args.data === 'string' ? { path: args.data } : {});
  console.log(`Fashion-MNIST from ${data.source}: ${data.train.rows} train, ${data.test.rows} test; ${runs.map((r) => r.model.key).join(' and ')}, ${workers} workers`);
  const torch = args['no-peer'] === true ? undefined : probeTorch();
  for (const { model, epochs, target } of runs) await runModel(model, { data, workers, batch, seed, epochs, target, torch }, args);
}

await runScript('bench:fashion', main, [DataFileError]);
