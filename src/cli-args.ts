/**
 * The `weft` command line, parsed and checked: every command's flags (its --help prints the same
 * table), and one UsageError line naming the flag for anything wrong. Nothing here trains.
 */
import { accessSync, constants as fsConstants, existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { PlotFileOptions } from './train/plots/plot-file.js';
import type { FileRunOptions, Task } from './train/files/file-run.js';
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
  { name: 'model', value: 'NAME|PATH', shown: 'seed1; mlp for a CSV or JSON-lines file, convnet for an image folder', help: `${MODELS} (built for the data's feature count), or a model.json saved by model.save or tfjs-layers, or its directory (a path or a file:// URL)` },
  { name: 'data', value: 'NAME|PATH', default: 'digits', help: 'digits (embedded 8x8 digits; a fixed fifth is the test split), fashion-mnist ($WEFT_FASHION_MNIST, else /usr/share/datasets/fashion-mnist), a .csv, .tsv, .jsonl or .ndjson file (with --label), a folder of one subfolder of images per class, or a directory holding the 4 Fashion-MNIST IDX files (a path or a file:// URL)' },
  { name: 'label', value: 'COLUMN', help: 'the label column of a CSV or JSON-lines --data' },
  { name: 'task', value: 'TASK', default: 'auto', help: 'for a file: auto, classification or regression (auto: a classifier for a label of categories, a regression for a numeric one)' },
  { name: 'test-split', value: 'F|COL=VALUE', default: '0.2', help: 'for a file or folder: the fraction of examples held out for the test (chosen by a fixed seed), or the rows whose COLUMN holds VALUE' },
  { name: 'image-size', value: 'HxW', default: '28x28', help: 'for an image folder: the size every image is resized to' },
  { name: 'color-mode', value: 'MODE', default: 'rgb', help: 'for an image folder: grayscale, rgb or rgba' },
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
const LAUNCH_FLAGS: Flag[] = [
  { name: 'nnodes', value: 'N', default: '1', help: 'how many hosts take part (run weft launch once on each)' },
  { name: 'node-rank', value: 'K', default: '0', help: "this host's index, 0..N-1 (host 0 serves the rendezvous store)" },
  { name: 'nproc-per-node', value: 'M', default: '1', help: "weft processes on this host; they split its cores (each gets a pool of cores/M workers unless the command says)" },
  { name: 'master-addr', value: 'HOST', default: '127.0.0.1', help: "host 0's address, the same on every host" },
  { name: 'master-port', value: 'PORT', default: '29500', help: "the port host 0's rank 0 serves the store on" },
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
const PREDICT_FLAGS: Flag[] = [
  { name: 'model', value: 'DIR', help: 'a model saved by weft train --data FILE --out DIR (its model.json and weft-data.json)' },
  { name: 'data', value: 'PATH', help: 'a CSV or JSON-lines file with the columns the model was trained on (the label may be absent), or an image folder' },
  { name: 'out', value: 'FILE.csv', default: 'predictions.csv', help: 'one row per example: the predicted class and each class\'s probability, or the predicted value' },
];
export const COMMANDS: Record<string, { flags: Flag[]; summary: string; operand?: string }> = {
  train: { flags: TRAIN_FLAGS, summary: 'Train a model on a dataset, evaluate it on the test split, optionally save it, its logs and curves' },
  predict: { flags: PREDICT_FLAGS, summary: 'Predict with a model weft train saved, on a CSV, JSON-lines file or image folder; write a CSV' },
  plot: { flags: PLOT_FLAGS, summary: 'Draw a history.json as training curves, or a model.json as its layer graph, in SVG', operand: 'FILE' },
  launch: { flags: LAUNCH_FLAGS, summary: 'Start this host\'s processes of a multi-host run, as torchrun does (RANK, WORLD_SIZE, MASTER_ADDR, ... set for each)', operand: '-- COMMAND [ARGS...]' },
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
  const operand = COMMANDS[command].operand ?? '';
  // Flags go before a `--` operand (launch's command), after any other (plot's FILE).
  const line = operand === '' ? `weft ${command} [flags]` : operand.startsWith('--') ? `weft ${command} [flags] ${operand}` : `weft ${command} ${operand} [flags]`;
  return `Usage: ${line}\n\n${COMMANDS[command].summary}.\n\nFlags:\n${rows.join('\n')}\n`;
}

/** node:util parseArgs, strict, its errors reworded into one UsageError line. */
export function parseFlags(command: string, argv: string[]): Record<string, string | boolean | undefined> {
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

function integer(flag: string, raw: string, min: number, max = Number.MAX_SAFE_INTEGER, command = 'train'): number {
  const n = Number(raw);
  if (/^\d+$/.test(raw) && n >= min && n <= max) return n;
  throw new UsageError(command, `--${flag}`, max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`, `'${raw}'`);
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
  /** A user's file or image folder (then data and dataDir are null), with how to read it. */
  dataFile: { path: string; kind: 'table' | 'images'; label: string | null; task: Task; testSplit: FileRunOptions['testSplit']; imageSize: [number, number]; colorMode: 'grayscale' | 'rgb' | 'rgba' } | null;
  epochs: number; batchSize: number; workers: number | 'auto'; validationSplit: number; out: string | null; verbose: 0 | 1 | 2; help: boolean;
  /** Set for a rank other than 0 of a multi-host run: no result lines either. */
  quiet?: boolean;
  /** undefined: the run draws one at random and prints it. */
  seed: number | undefined;
}

export const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/**
 * A --model, --data or --out value as a filesystem path. A `file://` URL is read as the API's
 * `model.save`/`weft.loadModel` read it (tfjs-node's convention): `file://dir` is the relative
 * path `dir`, `file:///abs/dir` the absolute one.
 */
export function localPath(flag: string, raw: string): string {
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
  const v = parseFlags('train', argv) as Record<string, string> & { help?: boolean; seed?: string; out?: string; model?: string; label?: string };
  const { data } = v;
  const dataFile = fileData(v);
  const model = v.model ?? (dataFile === null ? 'seed1' : dataFile.kind === 'table' ? 'mlp' : 'convnet');
  if (dataFile !== null && Object.hasOwn(MODEL_INPUTS, model) && model !== (dataFile.kind === 'table' ? 'mlp' : 'convnet')) {
    throw new UsageError('train', '--model', `${dataFile.kind === 'table' ? 'mlp' : 'convnet'} or a model.json path for ${dataFile.kind === 'table' ? 'a table file' : 'an image folder'}`, `'${model}'`);
  }
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
  const dataDir = named || dataFile !== null ? null : resolve(localPath('data', data));
  if (dataDir !== null && !isDir(dataDir)) {
    throw new UsageError('train', '--data', `${DATA.join(', ')}, a ${TABLE_TYPES.join(' / ')} file, an image folder or a directory holding the 4 Fashion-MNIST IDX files`, `'${data}' (no such dataset, file or directory)`);
  }
  if (dataFile === null) {
    for (const flag of ['label', 'test-split', 'image-size', 'color-mode', 'task']) {
      if (argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`))) throw new UsageError('train', `--${flag}`, 'a --data file or image folder to apply to', `--data ${data}`);
    }
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
    data: named ? (data as 'digits' | 'fashion-mnist') : null, dataDir, dataFile,
    epochs: integer('epochs', v.epochs, 1), batchSize: integer('batch-size', v['batch-size'], 1),
    workers: workersFlag(v.workers), seed: v.seed === undefined ? undefined : integer('seed', v.seed, 0),
    validationSplit, out, verbose: Number(v.verbose) as 0 | 1 | 2, help: v.help === true,
  };
}

const TABLE_TYPES = ['.csv', '.tsv', '.jsonl', '.ndjson'];

/** --data as a user's table file or image folder (a directory of class subfolders), with the flags that read it; null for the named datasets and IDX directories. */
function fileData(v: Record<string, string | undefined>): TrainOptions['dataFile'] {
  const data = v.data as string;
  if (DATA.includes(data)) return null;
  const path = resolve(localPath('data', data));
  let kind: 'table' | 'images';
  if (existsSync(path) && statSync(path).isFile()) {
    if (!TABLE_TYPES.includes(extname(path).toLowerCase())) throw new UsageError('train', '--data', `a ${TABLE_TYPES.join(', ')} file, a folder or a dataset name`, `'${data}' (a ${extname(path) || 'extensionless'} file)`);
    kind = 'table';
  } else if (isDir(path) && readdirSync(path).some((e) => isDir(join(path, e)))) {
    kind = 'images';
  } else if (isDir(path) && readdirSync(path).some((e) => /\.(png|jpe?g)$/i.test(e))) {
    throw new UsageError('train', '--data', 'an image folder of one subfolder per class (the folder names are the labels)', `'${data}' (images, but no class subfolders)`);
  } else {
    return null;
  }
  if (kind === 'table' && v.label === undefined) throw new UsageError('train', '--label', `the label column of ${data}`, 'nothing');
  const split = v['test-split'] as string;
  const eq = split.indexOf('=');
  const fraction = Number(split);
  let testSplit: FileRunOptions['testSplit'];
  if (eq > 0) testSplit = { column: split.slice(0, eq), value: split.slice(eq + 1) };
  else if (split.trim() !== '' && fraction > 0 && fraction < 1) testSplit = { fraction };
  else throw new UsageError('train', '--test-split', 'a fraction in (0, 1) or COLUMN=VALUE', `'${split}'`);
  const size = /^(\d+)x(\d+)$/.exec(v['image-size'] as string);
  if (size === null || Number(size[1]) < 1 || Number(size[2]) < 1) throw new UsageError('train', '--image-size', 'HEIGHTxWIDTH, e.g. 28x28', `'${v['image-size']}'`);
  const colorMode = v['color-mode'] as 'grayscale' | 'rgb' | 'rgba';
  if (!['grayscale', 'rgb', 'rgba'].includes(colorMode)) throw new UsageError('train', '--color-mode', 'grayscale, rgb or rgba', `'${colorMode}'`);
  const task = v.task as Task;
  if (!['auto', 'classification', 'regression'].includes(task)) throw new UsageError('train', '--task', 'auto, classification or regression', `'${task}'`);
  return { path, kind, label: v.label ?? null, task, testSplit, imageSize: [Number(size[1]), Number(size[2])], colorMode };
}

/** `weft predict --model DIR --data PATH --out FILE.csv`. */
export function parsePredictArgs(argv: string[]): { model: string; data: string; out: string; help: boolean } {
  const v = parseFlags('predict', argv) as Record<string, string | undefined> & { help?: boolean };
  if (v.help === true) return { model: '', data: '', out: '', help: true };
  if (v.model === undefined) throw new UsageError('predict', '--model', 'the directory weft train --out saved the model in', 'nothing');
  if (v.data === undefined) throw new UsageError('predict', '--data', 'a CSV or JSON-lines file, or an image folder', 'nothing');
  const model = resolve(localPath('model', v.model));
  if (!isDir(model) || !existsSync(join(model, 'model.json'))) throw new UsageError('predict', '--model', 'a directory holding model.json (and weft-data.json)', `'${v.model}'`);
  const data = resolve(localPath('data', v.data));
  if (!existsSync(data)) throw new UsageError('predict', '--data', 'a CSV or JSON-lines file, or an image folder', `'${v.data}' (no such file or directory)`);
  const out = resolve(v.out as string);
  if (!out.toLowerCase().endsWith('.csv')) throw new UsageError('predict', '--out', "a file name ending in '.csv'", `'${v.out}'`);
  return { model, data, out, help: false };
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

/** What `weft launch` starts: this host's ranks of the group, and the command each runs. */
export interface LaunchOptions {
  nnodes: number;
  nodeRank: number;
  nprocPerNode: number;
  masterAddr: string;
  masterPort: number;
  command: string[];
}

/** `weft launch`'s flags and the command after `--`; throws a UsageError. */
export function parseLaunchArgs(argv: string[]): LaunchOptions {
  const { values: v, positionals } = parseCommandLine('launch', argv);
  if (positionals.length === 0) throw new UsageError('launch', 'COMMAND', "a command after '--': a weft command (train ...) or a script (.js, .mjs)", 'none');
  const nnodes = integer('nnodes', v.nnodes as string, 1, Number.MAX_SAFE_INTEGER, 'launch');
  return {
    nnodes,
    nodeRank: integer('node-rank', v['node-rank'] as string, 0, nnodes - 1, 'launch'),
    nprocPerNode: integer('nproc-per-node', v['nproc-per-node'] as string, 1, Number.MAX_SAFE_INTEGER, 'launch'),
    masterAddr: v['master-addr'] as string,
    masterPort: integer('master-port', v['master-port'] as string, 1, 65535, 'launch'),
    command: positionals,
  };
}

/** `weft bench`'s flags, parsed and checked by the same table its help prints; throws a UsageError. */
export const parseBenchFlags = (argv: string[]): Record<string, string | boolean | undefined> => parseFlags('bench', argv);
