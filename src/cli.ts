#!/usr/bin/env node
/**
 * The `weft` command: `weft train` (fit a named or saved model on digits or Fashion-MNIST,
 * evaluate it on the test split, save it with its logs and curves), `weft plot` (draw a saved
 * history.json or model.json) and `weft bench` (the benchmark suite).
 * Bad flags exit 2 with one line on stderr; runtime failures exit 1; neither prints a stack.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Model } from './train/model.js';
import type { PlotFileOptions } from './train/plots/plot-file.js';
import { historyJson } from './train/history.js';
import { MAX_WORKERS } from './train/options.js';
import type { ZooInput, ZooName } from './train/zoo.js';

/** A bad command line: exit 2, one line on stderr ending with a pointer to --help. */
export class UsageError extends Error {
  constructor(command: string, flag: string, expected: string, received: string) {
    const cmd = command === '' ? 'weft' : `weft ${command}`;
    super(`${cmd}: ${flag}: expected ${expected}, received ${received}; see ${cmd} --help`);
  }
}

interface Flag { name: string; value: string; default?: string; shown?: string; help: string; boolean?: true }
const MODEL_INPUTS: Record<ZooName, ZooInput> = { seed1: 'features', seed2: 'features', seed3: 'sequences', mlp: 'features', convnet: 'features' };
const MODELS = (Object.keys(MODEL_INPUTS) as ZooName[]).filter((m) => MODEL_INPUTS[m] === 'features').join(', ');
const DATA = ['digits', 'fashion-mnist'];
const cores = availableParallelism();

const TRAIN_FLAGS: Flag[] = [
  { name: 'model', value: 'NAME|PATH', default: 'seed1', help: `${MODELS} (built for the data's feature count), or a model.json saved by model.save or tfjs-layers, or its directory (a path or a file:// URL)` },
  { name: 'data', value: 'NAME|DIR', default: 'digits', help: 'digits (embedded 8x8 digits; a fixed fifth is the test split), fashion-mnist ($WEFT_FASHION_MNIST, else /usr/share/datasets/fashion-mnist), or a directory (a path or a file:// URL) holding the 4 Fashion-MNIST IDX files' },
  { name: 'epochs', value: 'N', default: '20', help: 'passes over the training data' },
  { name: 'batch-size', value: 'N', default: '32', help: 'examples per step, split over the workers' },
  { name: 'workers', value: 'N|auto', default: 'auto', shown: `auto: the fastest of 1..${cores} in trial steps`, help: 'worker threads' },
  { name: 'seed', value: 'N', shown: 'random, printed', help: 'seeds the initial weights, the shuffling and the dropout masks' },
  { name: 'validation-split', value: 'F', default: '0.1', help: 'fraction of the training data held out and evaluated after each epoch, in [0, 1)' },
  { name: 'out', value: 'DIR', shown: 'not saved', help: 'save the trained model there (model.json + weights.bin, the TensorFlow.js layers format) with training.csv (a row per epoch, written as it trains), history.json and curves.svg; a path or a file:// URL, created if absent and checked before training' },
  { name: 'verbose', value: '0|1|2', default: '1', help: '0 results only, 1 a progress bar (a line per epoch when not on a TTY), 2 a line per epoch' },
];
/** bench/suite.ts's flags (it parses them with parseBenchFlags), so a typo fails before the benchmark starts. */
const BENCH_FLAGS: Flag[] = [
  { name: 'quick', value: '', boolean: true, shown: 'false', help: 'a one-minute smoke: mlp and seed1 at 1 and all workers, short timings' },
  { name: 'models', value: 'A,B,...', shown: 'mlp@128,mlp@512,seed1,seed3,wide,convnet@128,convnet@512; quick: mlp,seed1', help: 'benchmark models of mlp, seed1, seed3, wide, convnet, each optionally @BATCH (global batch; else the model\'s own)' },
  { name: 'workers', value: 'N,N,...', shown: `1,2,4,... and ${cores}; quick: 1,${cores}`, help: 'worker counts to measure (also the thread counts for PyTorch)' },
  { name: 'peers', value: 'A,B,...|none', shown: 'tfjs-layers-wasm,tfjs-layers-cpu,pytorch', help: 'peers measured in the same run; an absent one is reported as skipped' },
  { name: 'repeats', value: 'N', default: '5', help: 'timed repeats per point (each figure is their median, with min and max)' },
  { name: 'steps', value: 'N', default: '10', help: 'steps per timed pass' },
  { name: 'warmup-ms', value: 'MS', shown: '2000; quick: 500', help: 'warm-up time per point' },
  { name: 'sharded', value: 'auto|on|off', default: 'auto', help: 'sharded optimizer update' },
  { name: 'peer-budget-s', value: 'S', shown: '60; quick: 8', help: 'time allowed per peer measurement; a peer that would need longer is reported as too slow' },
  { name: 'out', value: 'DIR|none', shown: 'bench/results', help: 'where <date>-<machine>.json, .md and .svg are written' },
];
const PLOT_FLAGS: Flag[] = [
  { name: 'out', value: 'FILE.svg', shown: 'curves.svg or model.svg beside FILE', help: 'where the SVG is written' },
  { name: 'title', value: 'TEXT', shown: "'Training curves (FILE)'", help: 'the title above the curves (a history only)' },
  { name: 'show-shapes', value: '', boolean: true, help: "each layer's input and output shapes (a model only, as the rest below)" },
  { name: 'show-dtype', value: '', boolean: true, help: "each layer's input and output dtypes" },
  { name: 'show-layer-names', value: '', boolean: true, help: "'name (ClassName)' in each box, not the class alone" },
  { name: 'show-trainable', value: '', boolean: true, help: 'whether each layer with weights trains' },
  { name: 'show-layer-activations', value: '', boolean: true, help: "each layer's activation" },
  { name: 'expand-nested', value: '', boolean: true, help: "a nested model's layers inside a frame, not one box" },
  { name: 'rankdir', value: 'TB|LR|BT|RL', default: 'TB', help: 'the direction the graph runs in' },
];
const COMMANDS: Record<string, { flags: Flag[]; summary: string; operand?: string }> = {
  train: { flags: TRAIN_FLAGS, summary: 'Train a model on a dataset, evaluate it on the test split, optionally save it, its logs and curves' },
  plot: { flags: PLOT_FLAGS, summary: 'Draw a history.json as training curves, or a model.json as its layer graph, in SVG', operand: 'FILE' },
  bench: { flags: BENCH_FLAGS, summary: 'Measure samples/s at 1..N workers against tfjs-layers and PyTorch; write JSON, Markdown, SVG' },
};
const HELP: Flag = { name: 'help', value: '', boolean: true, help: 'print this help' };

/** `text` in lines of at most 100 columns, continued at column `indent`. */
const wrap = (text: string, indent: number) => text.replace(new RegExp(`(.{1,${99 - indent}})(?: |$)`, 'g'), (_, line: string) => `${line}\n${' '.repeat(indent)}`).trimEnd();

/** The top-level help, or a command's: every flag with its default. */
export function usage(command?: string): string {
  if (command === undefined) {
    const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)}${c.summary}`);
    return `Usage: weft <command> [flags]\n\nCommands:\n${lines.join('\n')}\n\nRun weft <command> --help for its flags.\n`;
  }
  const rows = [...COMMANDS[command].flags, HELP].map((f) => {
    const head = `  ${f === HELP ? '-h, ' : ''}--${f.name}${f.value ? ` ${f.value}` : ''}`.padEnd(28);
    const dflt = f.shown ?? f.default;
    return head + wrap(`${f.help}${dflt === undefined ? '' : ` (default: ${dflt})`}`, 28);
  });
  const operand = COMMANDS[command].operand === undefined ? '' : ` ${COMMANDS[command].operand}`;
  return `Usage: weft ${command}${operand} [flags]\n\n${COMMANDS[command].summary}.\n\nFlags:\n${rows.join('\n')}\n`;
}

/** node:util parseArgs, strict, its errors reworded into one UsageError line. */
function parseFlags(command: string, argv: string[]): Record<string, string | boolean | undefined> {
  return parseCommandLine(command, argv).values;
}

/** The flags and, for a command that takes one (plot's FILE), the operands. */
function parseCommandLine(command: string, argv: string[]): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { flags, operand } = COMMANDS[command];
  const options = Object.fromEntries(flags.map((f) => [f.name, f.boolean ? { type: 'boolean' as const } : { type: 'string' as const, default: f.default }]));
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: operand !== undefined });
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
    const all = [...flags, HELP].map((f) => `--${f.name}`).join(', ');
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(command, 'unknown flag', `one of ${all}`, `'${quoted}'`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(command, 'unexpected argument', `flags only (${all})`, `'${quoted}'`);
    const flag = /--[\w-]+/.exec(quoted)?.[0] ?? quoted;
    const f = flags.find((x) => `--${x.name}` === flag);
    if (f === undefined || f.boolean) throw new UsageError(command, flag, 'no value', 'a value');
    const next = message.includes('ambiguous') ? argv[argv.indexOf(flag) + 1] : '--';
    throw new UsageError(command, flag, `a value (${f.value})`, next.startsWith('--') ? 'nothing' : `'${next}' (write ${flag}=${next} for a value starting with '-')`);
  }
}

function integer(flag: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(raw);
  if (/^\d+$/.test(raw) && n >= min && n <= max) return n;
  throw new UsageError('train', `--${flag}`, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`, `'${raw}'`);
}

/** `--workers N` or `--workers auto`. */
function workersFlag(raw: string): number | 'auto' {
  if (raw === 'auto') return 'auto';
  const n = Number(raw);
  if (/^\d+$/.test(raw) && n >= 1 && n <= MAX_WORKERS) return n;
  throw new UsageError('train', '--workers', `an integer in [1, ${MAX_WORKERS}] or 'auto'`, `'${raw}'`);
}

/** Exactly one of model (a zoo name) and modelPath (a model.json), and of data and dataDir (a Fashion-MNIST IDX directory), is set. */
export interface TrainOptions {
  model: ZooName | null; modelPath: string | null; data: 'digits' | 'fashion-mnist' | null; dataDir: string | null;
  epochs: number; batchSize: number; workers: number | 'auto'; validationSplit: number; out: string | null; verbose: 0 | 1 | 2; help: boolean;
  /** undefined: the run draws one at random and prints it. */
  seed: number | undefined;
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/**
 * A --model, --data or --out value as a filesystem path. A `file://` URL is read as the API's
 * `model.save`/`weft.loadModel` read it (tfjs-node's convention): `file://dir` is the relative
 * path `dir`, `file:///abs/dir` the absolute one.
 */
function localPath(flag: string, raw: string): string {
  if (!raw.startsWith('file://')) return raw;
  const path = raw.slice('file://'.length);
  if (path === '') throw new UsageError('train', `--${flag}`, "a path after 'file://'", `'${raw}'`);
  return path;
}

const writable = (p: string) => {
  try {
    accessSync(p, fsConstants.W_OK | fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Why the model cannot be saved into `dir`, or null: it is a writable directory, or can be made in one. */
function unsavable(dir: string): string | null {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) return 'it is a file';
    return writable(dir) ? null : 'the directory is not writable';
  }
  let parent = dirname(dir);
  while (!existsSync(parent)) parent = dirname(parent);
  if (!statSync(parent).isDirectory()) return `it cannot be created: ${parent} is a file`;
  return writable(parent) ? null : `it cannot be created: ${parent} is not writable`;
}

/**
 * `weft train`'s flags, checked, with their defaults; throws a UsageError naming the flag.
 * Prints nothing and changes nothing; it only looks whether the --model and --data paths exist
 * and whether --out is a directory it can write or create.
 */
export function parseTrainArgs(argv: string[]): TrainOptions {
  const v = parseFlags('train', argv) as Record<string, string> & { help?: boolean; seed?: string; out?: string };
  const { model, data } = v;
  let modelPath: string | null = null;
  if (MODEL_INPUTS[model as ZooName] === 'sequences') {
    throw new UsageError('train', '--model', `${MODELS} or a model.json path (${model} reads int token sequences; every --data is images)`, `'${model}'`);
  } else if (!Object.hasOwn(MODEL_INPUTS, model)) {
    const path = localPath('model', model);
    modelPath = isDir(path) ? join(resolve(path), 'model.json') : resolve(path);
    if (!existsSync(modelPath) || isDir(modelPath)) {
      throw new UsageError('train', '--model', `${MODELS} or the path of a model.json or its directory`, `'${model}' (no such model or file)`);
    }
  }
  const named = DATA.includes(data);
  const dataDir = named ? null : resolve(localPath('data', data));
  if (dataDir !== null && !isDir(dataDir)) {
    throw new UsageError('train', '--data', `${DATA.join(', ')} or a directory holding the 4 Fashion-MNIST IDX files`, `'${data}' (no such dataset or directory)`);
  }
  const split = v['validation-split'];
  const validationSplit = split.trim() === '' ? NaN : Number(split);
  if (!(validationSplit >= 0 && validationSplit < 1)) throw new UsageError('train', '--validation-split', 'a number in [0, 1)', `'${split}'`);
  if (!['0', '1', '2'].includes(v.verbose)) throw new UsageError('train', '--verbose', '0, 1 or 2', `'${v.verbose}'`);
  if (v.out === '') throw new UsageError('train', '--out', 'a directory path', "''");
  const out = v.out === undefined ? null : resolve(localPath('out', v.out));
  const unfit = out === null ? null : unsavable(out);
  if (unfit !== null) throw new UsageError('train', '--out', 'a directory to save the model in (writable, or one that can be created)', `'${v.out}' (${unfit})`);
  return {
    model: modelPath === null ? (model as ZooName) : null, modelPath,
    data: named ? (data as 'digits' | 'fashion-mnist') : null, dataDir,
    epochs: integer('epochs', v.epochs, 1), batchSize: integer('batch-size', v['batch-size'], 1),
    workers: workersFlag(v.workers), seed: v.seed === undefined ? undefined : integer('seed', v.seed, 0),
    validationSplit, out, verbose: Number(v.verbose) as 0 | 1 | 2, help: v.help === true,
  };
}

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

async function train(o: TrainOptions): Promise<void> {
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
  log(`  ${o.epochs} epochs, batch size ${o.batchSize}, ${o.workers === 'auto' ? 'workers: auto' : `${o.workers} worker${o.workers === 1 ? '' : 's'}`}, seed ${seed}${o.seed === undefined ? ` (random: pass --seed ${seed} to repeat the run)` : ''}`);
  if (o.verbose > 0) model.summary();
  const tensors = (s: Split) => {
    const labels = tf.tensor1d(s.labels, 'int32');
    // An image model (a convnet) reads [rows, side, side, 1]; the others the flat features.
    const image = model.inputs[0].shape.length === 4 ? model.inputs[0].shape.slice(1) as number[] : null;
    return { x: image === null ? tf.tensor2d(s.x, [s.rows, data.features]) : tf.tensor4d(s.x, [s.rows, ...image] as [number, number, number, number]), y: sparse ? labels : tf.oneHot(labels, 10) };
  };
  const [trainT, testT] = [tensors(data.train), tensors(data.test)];
  try {
    const started = performance.now();
    const callbacks = o.out === null ? [] : [weft.callbacks.csvLogger(join(o.out, 'training.csv'))];
    const history = await model.fit(trainT.x, trainT.y, { epochs: o.epochs, batchSize: o.batchSize, workers: o.workers, seed, validationSplit: o.validationSplit, verbose: o.verbose, callbacks });
    log(`Trained in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
    const result = await model.evaluate(testT.x, testT.y, { batchSize: 256 });
    const [loss, acc] = (Array.isArray(result) ? result : [result]).map((s) => s.dataSync()[0]);
    console.log(`Test on ${data.test.rows} examples: loss ${loss.toFixed(4)}${acc === undefined ? '' : `, accuracy ${(100 * acc).toFixed(2)}%`}`);
    if (o.out !== null) {
      console.log(`Saved the model to ${(await model.save(o.out)).modelJsonPath}`);
      writeFileSync(join(o.out, 'history.json'), historyJson(history));
      weft.plotHistory(history, join(o.out, 'curves.svg'), { title: `weft train: ${o.model ?? basename(o.modelPath!)} on ${o.data ?? 'fashion-mnist'}` });
      console.log(`Wrote training.csv, history.json and curves.svg to ${o.out}`);
    }
  } finally {
    tf.dispose([trainT.x, trainT.y, testT.x, testT.y]);
    await model.dispose();
  }
}

/** `weft plot FILE`: the file and the drawing options, checked; throws a UsageError naming the flag. */
export function parsePlotArgs(argv: string[]): { file: string; options: PlotFileOptions } {
  const { values: v, positionals } = parseCommandLine('plot', argv);
  if (positionals.length !== 1) throw new UsageError('plot', 'FILE', 'one history.json or model.json', positionals.length === 0 ? 'none' : `${positionals.length} (${positionals.map((p) => `'${p}'`).join(', ')})`);
  const rankdir = v.rankdir as string;
  if (!['TB', 'LR', 'BT', 'RL'].includes(rankdir)) throw new UsageError('plot', '--rankdir', 'TB, LR, BT or RL', `'${rankdir}'`);
  const out = v.out as string | undefined;
  if (out !== undefined && !out.toLowerCase().endsWith('.svg')) throw new UsageError('plot', '--out', "a file name ending in '.svg'", `'${out}'`);
  const options: PlotFileOptions = { ...(out === undefined ? {} : { out: resolve(out) }), ...(v.title === undefined ? {} : { title: v.title as string }) };
  const model: [keyof PlotFileOptions, string][] = [['showShapes', 'show-shapes'], ['showDtype', 'show-dtype'], ['showLayerNames', 'show-layer-names'], ['showTrainable', 'show-trainable'], ['showLayerActivations', 'show-layer-activations'], ['expandNested', 'expand-nested']];
  for (const [key, flag] of model) if (v[flag] === true) Object.assign(options, { [key]: true });
  if (rankdir !== 'TB') options.rankdir = rankdir as PlotFileOptions['rankdir'];
  const file = positionals[0].startsWith('file://') ? positionals[0].slice('file://'.length) : positionals[0];
  return { file: resolve(file), options };
}

async function plot(argv: string[]): Promise<void> {
  const { file, options } = parsePlotArgs(argv);
  const [weft, { plotFile }] = await Promise.all([import('./index.js'), import('./train/plots/plot-file.js')]);
  const { kind, out } = await plotFile(file, options, (path) => weft.loadModel(path));
  console.log(`Drew ${kind === 'curves' ? 'the training curves' : 'the layer graph'} of ${file} to ${out}`);
}

/** `weft bench`'s flags, parsed and checked by the same table its help prints; throws a UsageError. */
export const parseBenchFlags = (argv: string[]): Record<string, string | boolean | undefined> => parseFlags('bench', argv);

/** Runs the compiled benchmark suite next to the compiled CLI (dist/bench/suite.js), or bench/suite.ts from sources. */
function bench(argv: string[]): Promise<number> {
  parseFlags('bench', argv);
  const script = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../bench/suite.ts' : '../bench/suite.js', import.meta.url));
  if (!existsSync(script)) throw new Error(`the benchmark is not part of this install (no ${script}); run it from a checkout of weft after npm run build`);
  const child = spawn(process.execPath, [...process.execArgv, script, ...argv], { stdio: 'inherit' });
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('exit', (code, signal) => done(code ?? 128 + (signal === null ? 0 : constants.signals[signal])));
  });
}

/** Runs a command line (the arguments after `weft`); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command = '', ...rest] = argv;
  try {
    if (command === '' || command === '--help' || command === '-h') {
      (command === '' ? process.stderr : process.stdout).write(usage());
      return command === '' ? 2 : 0;
    }
    if (!Object.hasOwn(COMMANDS, command)) throw new UsageError('', 'unknown command', Object.keys(COMMANDS).join(', ').replace(/, ([^,]*)$/, ' or $1'), `'${command}'`);
    if (parseFlags(command, rest).help === true) {
      process.stdout.write(usage(command));
      return 0;
    }
    if (command === 'bench') return await bench(rest);
    if (command === 'plot') {
      await plot(rest);
      return 0;
    }
    await train(parseTrainArgs(rest));
    return 0;
  } catch (err) {
    const message = err instanceof UsageError ? err.message : `weft ${command}: ${err instanceof Error ? err.message : String(err)}`;
    const stack = !(err instanceof UsageError) && process.env.WEFT_DEBUG && err instanceof Error ? `${err.stack}\n` : '';
    process.stderr.write(`${message}\n${stack}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

/**
 * `weft train | head -2`: once the reader has gone, a write fails with EPIPE, which Node raises
 * as an 'error' event and, unhandled, as a stack. Stop at once and quietly, with status 0, as
 * the reader asked for no more (a C program would die of SIGPIPE, silently too); the workers go
 * with the process. Any other stream error stays an error.
 */
function endQuietlyOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
}

// Run as a program (node dist/src/cli.js, the npm bin link, tsx), not when a test imports it.
const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
if (process.argv[1] !== undefined && real(process.argv[1]) === real(fileURLToPath(import.meta.url))) {
  endQuietlyOnEpipe(process.stdout);
  endQuietlyOnEpipe(process.stderr);
  process.exitCode = await main(process.argv.slice(2));
}
