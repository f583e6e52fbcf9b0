/**
 * What each `weft` command does once its command line is checked: train (a named dataset, or a
 * user's file or image folder), predict, plot, bench.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags, parsePlotArgs, parsePredictArgs, UsageError, type TrainOptions } from './cli-args.js';
import type { Scalar } from '@tensorflow/tfjs-core';
import type { Callback } from './train/callbacks/callback.js';
import type { History } from './train/history.js';
import { historyJson } from './train/history.js';
import type { Model } from './train/model.js';
import type { ZooName } from './train/zoo.js';

interface Split { x: Float32Array; labels: Int32Array; rows: number }

/** The training and test splits: the embedded digits, or Fashion-MNIST's own two. */
async function loadData(o: TrainOptions): Promise<{ name: string; features: number; train: Split; test: Split }> {
  const [weft, { epochPermutation }, { keyFromSeed }] = await Promise.all([import('./index.js'), import('./parallel/shuffle.js'), import('./parallel/random.js')]);
  if (o.data === 'digits') {
    const all = weft.loadDigits();
    // The held-out fifth of examples/train-digits.ts (seed 42), whatever --seed is.
    const order = epochPermutation(keyFromSeed(42), 0, new Int32Array(all.rows));
    const take = (idx: Int32Array): Split => {
      const x = new Float32Array(idx.length * 64);
      idx.forEach((r, i) => x.set(all.x.subarray(r * 64, r * 64 + 64), i * 64));
      return { x, labels: Int32Array.from(idx, (r) => all.labels[r]), rows: idx.length };
    };
    const nTest = Math.floor(all.rows / 5);
    return { name: 'digits', features: 64, train: take(order.subarray(nTest)), test: take(order.subarray(0, nTest)) };
  }
  // A directory given with --data is the only place looked in: no fallback to $WEFT_FASHION_MNIST.
  const env = process.env.WEFT_FASHION_MNIST;
  if (o.dataDir !== null) delete process.env.WEFT_FASHION_MNIST;
  try {
    const fm = weft.loadFashionMnist(o.dataDir === null ? {} : { path: o.dataDir, fallbackDirs: [] });
    return { name: `fashion-mnist (${fm.source})`, features: 784, train: fm.train, test: fm.test };
  } catch (err) {
    if (err instanceof weft.DataFileError) err.message = inCliTerms(err.message);
    throw err;
  } finally {
    if (env !== undefined) process.env.WEFT_FASHION_MNIST = env;
  }
}

/**
 * The loader's not-found message speaks to API callers (the `path` option, `{ path: '<dir>' }`);
 * a CLI user points the CLI at the data with --data.
 */
const inCliTerms = (message: string) =>
  message.replace('(the `path` option)', '(--data)').replace("pass { path: '<dir>' }", 'pass --data <dir>');

/** The run's settings line, with the seed to pass to repeat a random one. */
function runSettings(o: TrainOptions, seed: number): string {
  const workers = o.workers === 'auto' ? 'workers: auto' : `${o.workers} worker${o.workers === 1 ? '' : 's'}`;
  return `  ${o.epochs} epochs, batch size ${o.batchSize}, ${workers}, seed ${seed}${o.seed === undefined ? ` (random: pass --seed ${seed} to repeat the run)` : ''}`;
}

/** Runs the fit with --out's CSV log as its callback and says how long it took. */
async function timedFit(o: TrainOptions, log: (line: string) => void, fit: (callbacks: Callback[]) => Promise<History>): Promise<History> {
  const weft = await import('./index.js');
  const callbacks = o.out === null ? [] : [weft.callbacks.csvLogger(join(o.out, 'training.csv'))];
  const started = performance.now();
  const history = await fit(callbacks);
  log(`Trained in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  return history;
}

/** evaluate's result as numbers: the loss, then each metric. */
function scalarValues(result: Scalar | Scalar[]): number[] {
  return (Array.isArray(result) ? result : [result]).map((t) => t.dataSync()[0]);
}

/** With --out: the model, history.json and curves.svg (training.csv was written during the fit). */
async function saveRun(out: string, model: Model, history: History, title: string): Promise<void> {
  const weft = await import('./index.js');
  console.log(`Saved the model to ${(await model.save(out)).modelJsonPath}`);
  writeFileSync(join(out, 'history.json'), historyJson(history));
  weft.plotHistory(history, join(out, 'curves.svg'), { title });
  console.log(`Wrote training.csv, history.json and curves.svg to ${out}`);
}

/** `weft train --data FILE|FOLDER`: read, split, build (or load) a model for it, fit, test, save with its data description. */
async function trainOnFile(o: TrainOptions, file: NonNullable<TrainOptions['dataFile']>): Promise<void> {
  const [run, { randomSeed }] = await Promise.all([import('./train/files/file-run.js'), import('./parallel/random.js')]);
  const seed = o.seed ?? randomSeed();
  const log = (line: string) => o.verbose > 0 && console.log(line);
  const prepared = await run.prepareFileRun({ ...file, validationSplit: o.validationSplit }, { path: o.modelPath, seed }, log);
  const { model, train: trainSet, validation, test, description } = prepared;
  try {
    log(`weft train: ${o.model ?? o.modelPath} on ${prepared.summary}`);
    log(runSettings(o, seed));
    if (o.verbose > 0) model.summary();
    const history = await timedFit(o, log, (callbacks) => model.fit(trainSet, { epochs: o.epochs, batchSize: o.batchSize, workers: o.workers, seed, verbose: o.verbose, callbacks, ...(validation === null ? {} : { validationData: validation }) }));
    const [loss, metric] = scalarValues(await model.evaluate(test, { batchSize: 256 }));
    const size = (await test.info()).size;
    report(o, `Test on ${size} examples: loss ${loss.toFixed(4)}${description.task === 'regression' ? `, mae ${metric.toFixed(4)}` : `, accuracy ${(100 * metric).toFixed(2)}%`}`);
    if (o.out !== null) {
      await saveRun(o.out, model, history, `weft train: ${o.model ?? basename(o.modelPath!)} on ${basename(file.path)}`);
      writeFileSync(join(o.out, run.DESCRIPTION_FILE), `${JSON.stringify(description, null, 1)}\n`);
      console.log(`Wrote ${run.DESCRIPTION_FILE} (how weft predict reads new data) to ${o.out}`);
    }
  } finally {
    await model.dispose();
  }
}

export async function predict(argv: string[]): Promise<void> {
  const o = parsePredictArgs(argv);
  const [weft, run] = await Promise.all([import('./index.js'), import('./train/files/file-run.js')]);
  const description = run.readDescription(o.model);
  const model = await weft.loadModel(join(o.model, 'model.json'));
  try {
    const rows = await run.writePredictions(model, description, run.datasetFor(description, o.data), o.out);
    console.log(`Wrote ${rows} predictions to ${o.out}`);
  } finally {
    await model.dispose();
  }
}

/**
 * Across hosts (WORLD_SIZE > 1, as weft launch, torchrun or srun set it) only rank 0 prints and
 * writes --out; every rank trains. A bad variable fails here, before any data is read.
 */
async function forThisRank(o: TrainOptions): Promise<TrainOptions> {
  const { hostConfig } = await import('./parallel/gloo/config.js');
  const rank = hostConfig()?.rank ?? 0;
  return rank === 0 ? o : { ...o, verbose: 0, out: null, quiet: true };
}

/** A result line: printed by rank 0 alone when training across hosts. */
const report = (o: TrainOptions, line: string) => o.quiet !== true && console.log(line);

export async function train(given: TrainOptions): Promise<void> {
  const o = await forThisRank(given);
  if (o.dataFile !== null) return trainOnFile(o, o.dataFile);
  const [weft, zoo, { randomSeed }] = await Promise.all([import('./index.js'), import('./train/zoo.js'), import('./parallel/random.js')]);
  const { tf } = weft;
  const data = await loadData(o);
  const seed = o.seed ?? randomSeed();
  const compile = (m: Model) => m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const log = (line: string) => o.verbose > 0 && console.log(line);
  let model: Model;
  let sparse = true;
  if (o.modelPath === null) {
    model = zoo.buildNamed(o.model as ZooName, { features: data.features, input: 'features' }, seed, log);
    compile(model);
  } else {
    model = await weft.loadModel(o.modelPath);
    const [inp, outs] = [model.inputs.map((t) => t.shape), model.outputs.map((t) => t.shape)];
    const side = Math.sqrt(data.features);
    const fits = inp.length === 1 && (`${inp[0]}` === `,${data.features}` || `${inp[0]}` === `,${side},${side},1`);
    if (!fits || model.inputs[0].dtype !== 'float32' || outs.length !== 1 || `${outs[0]}` !== ',10') {
      const got = `inputs ${JSON.stringify(inp)}${model.inputs.some((t) => t.dtype !== 'float32') ? ' (int32)' : ''}, outputs ${JSON.stringify(outs)}`;
      throw new UsageError('train', '--model', `one float32 input of shape [null,${data.features}] or [null,${side},${side},1] and 10 outputs for --data ${data.name}`, `${o.modelPath} with ${got}`);
    }
    // A checkpoint comes back compiled with its own loss (its labels one-hot unless sparse).
    const config = (JSON.parse(readFileSync(o.modelPath, 'utf8')) as { trainingConfig?: { loss: unknown } }).trainingConfig;
    if (config === undefined) compile(model);
    else sparse = /sparse/i.test(typeof config.loss === 'string' ? config.loss : JSON.stringify(config.loss));
  }
  const held = data.train.rows - Math.floor(data.train.rows * (1 - o.validationSplit));
  log(`weft train: ${o.model ?? o.modelPath} on ${data.name}: ${data.train.rows} training examples (${held} held out for validation), ${data.test.rows} test`);
  log(runSettings(o, seed));
  if (o.verbose > 0) model.summary();
  const tensors = (s: Split) => {
    const labels = tf.tensor1d(s.labels, 'int32');
    // An image model (a convnet) reads [rows, side, side, 1]; the others the flat features.
    const image = model.inputs[0].shape.length === 4 ? model.inputs[0].shape.slice(1) as number[] : null;
    return { x: image === null ? tf.tensor2d(s.x, [s.rows, data.features]) : tf.tensor4d(s.x, [s.rows, ...image] as [number, number, number, number]), y: sparse ? labels : tf.oneHot(labels, 10) };
  };
  const [trainT, testT] = [tensors(data.train), tensors(data.test)];
  try {
    const history = await timedFit(o, log, (callbacks) => model.fit(trainT.x, trainT.y, { epochs: o.epochs, batchSize: o.batchSize, workers: o.workers, seed, validationSplit: o.validationSplit, verbose: o.verbose, callbacks }));
    const [loss, acc] = scalarValues(await model.evaluate(testT.x, testT.y, { batchSize: 256 }));
    report(o, `Test on ${data.test.rows} examples: loss ${loss.toFixed(4)}${acc === undefined ? '' : `, accuracy ${(100 * acc).toFixed(2)}%`}`);
    if (o.out !== null) await saveRun(o.out, model, history, `weft train: ${o.model ?? basename(o.modelPath!)} on ${o.data ?? 'fashion-mnist'}`);
  } finally {
    tf.dispose([trainT.x, trainT.y, testT.x, testT.y]);
    await model.dispose();
  }
}

export async function plot(argv: string[]): Promise<void> {
  const { file, options } = parsePlotArgs(argv);
  const [weft, { plotFile }] = await Promise.all([import('./index.js'), import('./train/plots/plot-file.js')]);
  const { kind, out } = await plotFile(file, options, (path) => weft.loadModel(path));
  console.log(`Drew ${kind === 'curves' ? 'the training curves' : 'the layer graph'} of ${file} to ${out}`);
}

/** Runs the compiled benchmark suite next to the compiled CLI (dist/bench/suite.js), or bench/suite.ts from sources. */
export function bench(argv: string[]): Promise<number> {
  parseFlags('bench', argv);
  const script = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../bench/suite.ts' : '../bench/suite.js', import.meta.url));
  if (!existsSync(script)) throw new Error(`the benchmark is not part of this install (no ${script}); run it from a checkout of weft after npm run build`);
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], { stdio: 'inherit' });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('exit', (code, signal) => done(code ?? 128 + (signal === null ? 0 : constants.signals[signal])));
  });
}
