/**
 * Fashion-MNIST time-to-accuracy, `npm run bench:fashion`: the 784-512-512-10 MLP with Dropout
 * 0.2, Adam, batch 128 on all cores; test accuracy after each epoch and the training time to reach
 * the target (88%), against PyTorch (same model, batch and epochs) in the same run when
 * `python3 -c "import torch"` works (at one thread and at the workers' count: the faster run is the comparison).
 *   npm run bench:fashion -- [--epochs 10] [--workers N] [--target 0.88] [--data DIR] [--out DIR|none] [--no-peer]
 * Training time excludes the per-epoch test evaluation on both sides; wall time includes it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as weft from '../src/index.js';
import { DataFileError } from '../src/errors.js';
import { loadFashionMnist } from '../src/train/datasets/fashion-mnist.js';
import { flagNumber, parseScriptArgs, RESULTS_DIR, runScript } from './args.js';
import { probeMachine } from './machine.js';
import { BENCH_MODELS, buildWeft } from './models.js';
import { probeTorch, torchFashion } from './peers/pytorch.js';
import { timeToTarget, type EpochRecord } from './time-to-target.js';

async function main(): Promise<void> {
  const args = parseScriptArgs({
    epochs: { type: 'string', default: '10' },
    workers: { type: 'string', default: String(availableParallelism()) },
    batch: { type: 'string', default: '128' },
    target: { type: 'string', default: '0.88' },
    data: { type: 'string' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
    'no-peer': { type: 'boolean', default: false },
  });
  const count = (flag: string): number => flagNumber(flag, String(args[flag]), 'a positive integer');
  const [epochs, workers, batch, seed] = ['epochs', 'workers', 'batch', 'seed'].map(count);
  const target = Number(args.target);
  if (!(target > 0 && target < 1)) throw new RangeError(`--target: expected a fraction in (0, 1), received '${args.target}'`);

  const arch = BENCH_MODELS.mlp.architecture;
  const data = loadFashionMnist(typeof args.data === 'string' ? { path: args.data } : {});
  console.log(`Fashion-MNIST from ${data.source}: ${data.train.rows} train, ${data.test.rows} test; MLP 784-512-512-10, dropout 0.2, adam, batch ${batch}, ${epochs} epochs`);

  /** weft's run: fit with the test split as validation data; per-epoch training time read off the batch callbacks. */
  async function weftRun(): Promise<EpochRecord[]> {
    const { tf } = weft;
    const model = buildWeft(arch, seed);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const x = tf.tensor2d(data.train.x, [data.train.rows, 784]);
    const y = tf.tensor1d(data.train.labels, 'int32');
    const xt = tf.tensor2d(data.test.x, [data.test.rows, 784]);
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
            console.log(`  weft epoch ${record.epoch}: test accuracy ${(100 * record.testAccuracy).toFixed(2)}%, training ${record.trainSeconds.toFixed(1)} s, wall ${record.wallSeconds.toFixed(1)} s`);
          },
        }],
      });
    } finally {
      tf.dispose([x, y, xt, yt]);
      await model.dispose();
    }
    return records;
  }

  console.log(`\nweft, ${workers} workers`);
  const weftEpochs = await weftRun();
  const weftHit = timeToTarget(weftEpochs, target);

  /** PyTorch at one thread and at the workers' thread count: its OpenMP threads can slow each other on few cores, so both are run and the faster one is the comparison. */
  interface TorchRun { version: string; threads: number; epochs: EpochRecord[] }
  let torch: TorchRun[] | { skipped: string } | undefined;
  if (!args['no-peer']) {
    const probe = probeTorch();
    if (!probe.available) {
      torch = { skipped: probe.reason };
      console.log(`\nPyTorch: skipped: ${probe.reason}`);
    } else {
      torch = [];
      for (const threads of [...new Set([1, workers])]) {
        console.log(`\nPyTorch ${probe.version}, ${threads} thread${threads === 1 ? '' : 's'}`);
        // Same epochs as weft, no early stop at the target.
        try {
          const r = await torchFashion({ dataDir: data.source, hidden: arch.hidden, dropout: arch.dropout, batch, epochs, threads, seed }, (e) => {
            console.log(`  pytorch epoch ${e.epoch}: test accuracy ${(100 * e.testAccuracy).toFixed(2)}%, training ${e.trainSeconds.toFixed(1)} s, wall ${e.wallSeconds.toFixed(1)} s`);
          });
          torch.push({ version: r.version, threads: r.threads, epochs: [...r.epochs] });
        } catch (e) {
          // weft's run is done and worth keeping: a failing peer is reported, not fatal.
          console.log(`  PyTorch failed: ${(e as Error).message.split('\n')[0]}`);
        }
      }
    }
  }

  const pct = (a: number): string => `${(100 * a).toFixed(2)}%`;
  const describe = (name: string, epochsRun: EpochRecord[]): string => {
    const hit = timeToTarget(epochsRun, target);
    const best = Math.max(...epochsRun.map((e) => e.testAccuracy));
    return hit === undefined
      ? `${name}: did not reach ${pct(target)} in ${epochsRun.length} epochs (best ${pct(best)})`
      : `${name}: ${pct(target)} after epoch ${hit.epoch}, ${hit.trainSeconds.toFixed(1)} s of training (${hit.wallSeconds.toFixed(1)} s wall); best ${pct(best)}`;
  };
  console.log(`\n${describe(`weft, ${workers} workers`, weftEpochs)}`);
  let ratio: number | undefined;
  if (Array.isArray(torch)) {
    for (const run of torch) console.log(describe(`PyTorch, ${run.threads} thread${run.threads === 1 ? '' : 's'}`, run.epochs));
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
    const file = join(dir, `${new Date().toISOString().slice(0, 10)}-${machine.label}-fashion.json`);
    const record = { machine, date: new Date().toISOString(), command: `npm run bench:fashion -- ${process.argv.slice(2).join(' ')}`.trim(), batch, epochs, workers, target, weft: weftEpochs, pytorch: torch ?? { skipped: '--no-peer' }, timeToTargetRatio: ratio };
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
    console.log(`Wrote ${file}`);
  }
}

await runScript('bench:fashion', main, [DataFileError]);
