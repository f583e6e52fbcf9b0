import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as weft from '../src/index.js';
import { parseTrainArgs, usage, UsageError } from '../src/cli.js';
import { runMain as run } from './support/run-cli.js';
import { buildNamed, seed1, seed2, seed3, mlp } from '../src/train/zoo.js';

const ROOT = resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'weft-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => {
  const d = join(tmp, `d${dirs++}`);
  mkdirSync(d);
  return d;
};

/** A tiny Fashion-MNIST look-alike: the four raw IDX files, `train` and `test` images. */
function fakeFashionMnist(train: number, test: number): string {
  const dir = freshDir();
  const idx = (magic: number, dims: number[], n: number, value: (i: number) => number) => {
    const header = Buffer.alloc(4 + 4 * dims.length);
    header.writeUInt32BE(magic, 0);
    dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
    return Buffer.concat([header, Buffer.from(Uint8Array.from({ length: n }, (_, i) => value(i)))]);
  };
  const write = (prefix: string, rows: number) => {
    writeFileSync(join(dir, `${prefix}-images-idx3-ubyte`), idx(0x803, [rows, 28, 28], rows * 784, (i) => (Math.floor(i / 784) * 31 + i) % 256));
    writeFileSync(join(dir, `${prefix}-labels-idx1-ubyte`), idx(0x801, [rows], rows, (i) => i % 10));
  };
  write('train', train);
  write('t10k', test);
  return dir;
}

/** Spawns the CLI from its TypeScript sources, as a user of a checkout would. */
const spawnCli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });

const errorOf = (argv: string[]): string => {
  try {
    parseTrainArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`parseTrainArgs(${JSON.stringify(argv)}) did not throw`);
};

describe('parseTrainArgs', () => {
  it('has defaults for every flag', () => {
    expect(parseTrainArgs([])).toEqual({
      model: 'seed1', modelPath: null, data: 'digits', dataDir: null, dataFile: null, epochs: 20, batchSize: 32,
      workers: 'auto', seed: undefined, validationSplit: 0.1, out: null, verbose: 1, help: false,
    });
  });

  it('reads each flag, in both --flag value and --flag=value forms', () => {
    const o = parseTrainArgs([
      '--model', 'seed2', '--data=fashion-mnist', '--epochs', '5', '--batch-size', '64', '--workers=3',
      '--seed', '0', '--validation-split', '0.25', '--out', 'some/dir', '--verbose', '2',
    ]);
    expect(o).toEqual({
      model: 'seed2', modelPath: null, data: 'fashion-mnist', dataDir: null, dataFile: null, epochs: 5, batchSize: 64, workers: 3,
      seed: 0, validationSplit: 0.25, out: resolve('some/dir'), verbose: 2, help: false,
    });
    expect(parseTrainArgs(['--model', 'mlp']).model).toBe('mlp');
    expect(parseTrainArgs(['--seed', '9007199254740991']).seed).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseTrainArgs(['--validation-split', '0']).validationSplit).toBe(0);
    expect(parseTrainArgs(['--verbose', '0']).verbose).toBe(0);
    expect(parseTrainArgs(['-h']).help).toBe(true);
    expect(parseTrainArgs(['--help']).help).toBe(true);
  });

  it('takes file:// URLs in --model, --data and --out, as model.save and weft.loadModel do', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'model.json'), '{}');
    expect(parseTrainArgs(['--model', `file://${dir}`, '--data', `file://${dir}`, '--out', `file://${join(dir, 'out')}`])).toMatchObject({
      model: null, modelPath: join(dir, 'model.json'), data: null, dataDir: dir, out: join(dir, 'out'),
    });
    expect(parseTrainArgs(['--model', `file://${join(dir, 'model.json')}`]).modelPath).toBe(join(dir, 'model.json'));
    // file://rel is the relative path rel (tfjs-node's reading), never ./file:/rel
    expect(parseTrainArgs(['--out', 'file://some/dir']).out).toBe(resolve('some/dir'));
  });

  it('checks --out before training: an existing directory, or one that can be created', () => {
    const dir = freshDir();
    expect(parseTrainArgs(['--out', dir]).out).toBe(dir);
    expect(parseTrainArgs(['--out', join(dir, 'a', 'b')]).out).toBe(join(dir, 'a', 'b'));
    expect(existsSync(join(dir, 'a'))).toBe(false); // checking creates nothing
    const file = join(dir, 'file.txt');
    writeFileSync(file, 'x');
    expect(errorOf(['--out', file])).toBe(
      `weft train: --out: expected a directory to save the model in (writable, or one that can be created), received '${file}' (it is a file); see weft train --help`,
    );
    expect(errorOf(['--out', `file://${join(file, 'sub')}`])).toBe(
      `weft train: --out: expected a directory to save the model in (writable, or one that can be created), received 'file://${join(file, 'sub')}' (it cannot be created: ${file} is a file); see weft train --help`,
    );
    expect(errorOf(['--out', 'file://'])).toBe("weft train: --out: expected a path after 'file://', received 'file://'; see weft train --help");
  });

  // root may write anywhere, so the permission check is only observable for other users.
  it.skipIf(process.getuid?.() === 0)('refuses an --out under a directory it cannot write', () => {
    const ro = freshDir();
    chmodSync(ro, 0o555);
    try {
      expect(errorOf(['--out', join(ro, 'saved')])).toMatch(new RegExp(`received '${join(ro, 'saved')}' \\(it cannot be created: ${ro} is not writable\\)`));
    } finally {
      chmodSync(ro, 0o755);
    }
  });

  it('takes a model.json path or its directory, and a directory of IDX files', () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'model.json'), '{}');
    expect(parseTrainArgs(['--model', join(dir, 'model.json')])).toMatchObject({ model: null, modelPath: join(dir, 'model.json') });
    expect(parseTrainArgs(['--model', dir])).toMatchObject({ model: null, modelPath: join(dir, 'model.json') });
    expect(parseTrainArgs(['--data', dir])).toMatchObject({ data: null, dataDir: dir });
  });

  const see = '; see weft train --help';
  it.each([
    [['--epoch', '3'], "weft train: unknown flag: expected one of --model, --data, --label, --task, --test-split, --image-size, --color-mode, --epochs, --batch-size, --workers, --seed, --validation-split, --out, --verbose, --help, received '--epoch'"],
    [['-x'], "weft train: unknown flag: expected one of --model, --data, --label, --task, --test-split, --image-size, --color-mode, --epochs, --batch-size, --workers, --seed, --validation-split, --out, --verbose, --help, received '-x'"],
    [['digits'], "weft train: unexpected argument: expected flags only (--model, --data, --label, --task, --test-split, --image-size, --color-mode, --epochs, --batch-size, --workers, --seed, --validation-split, --out, --verbose, --help), received 'digits'"],
    [['--epochs'], 'weft train: --epochs: expected a value (N), received nothing'],
    [['--epochs', '--workers', '2'], 'weft train: --epochs: expected a value (N), received nothing'],
    [['--seed', '-1'], "weft train: --seed: expected a value (N), received '-1' (write --seed=-1 for a value starting with '-')"],
    [['--help=yes'], 'weft train: --help: expected no value, received a value'],
    [['--epochs', '2.5'], "weft train: --epochs: expected an integer >= 1, received '2.5'"],
    [['--epochs', 'ten'], "weft train: --epochs: expected an integer >= 1, received 'ten'"],
    [['--epochs', '0'], "weft train: --epochs: expected an integer >= 1, received '0'"],
    [['--epochs', '1e3'], "weft train: --epochs: expected an integer >= 1, received '1e3'"],
    [['--batch-size', '0'], "weft train: --batch-size: expected an integer >= 1, received '0'"],
    [['--workers', '0'], "weft train: --workers: expected an integer in [1, 256] or 'auto', received '0'"],
    [['--workers', 'many'], "weft train: --workers: expected an integer in [1, 256] or 'auto', received 'many'"],
    [['--workers', '257'], "weft train: --workers: expected an integer in [1, 256] or 'auto', received '257'"],
    [['--seed=-1'], "weft train: --seed: expected an integer >= 0, received '-1'"],
    [['--seed', '1.5'], "weft train: --seed: expected an integer >= 0, received '1.5'"],
    [['--seed', '9007199254740992'], "weft train: --seed: expected an integer >= 0, received '9007199254740992'"],
    [['--validation-split', '1'], "weft train: --validation-split: expected a number in [0, 1), received '1'"],
    [['--validation-split=-0.1'], "weft train: --validation-split: expected a number in [0, 1), received '-0.1'"],
    [['--validation-split', 'half'], "weft train: --validation-split: expected a number in [0, 1), received 'half'"],
    [['--validation-split', ''], "weft train: --validation-split: expected a number in [0, 1), received ''"],
    [['--verbose', '3'], "weft train: --verbose: expected 0, 1 or 2, received '3'"],
    [['--out', ''], "weft train: --out: expected a directory path, received ''"],
    [['--model', 'seed9'], "weft train: --model: expected seed1, seed2, mlp, convnet or the path of a model.json or its directory, received 'seed9' (no such model or file)"],
    [['--model', 'seed3'], "weft train: --model: expected seed1, seed2, mlp, convnet or a model.json path (seed3 reads int token sequences; every --data is images), received 'seed3'"],
    [['--data', 'mnist'], "weft train: --data: expected digits, fashion-mnist, a .csv / .tsv / .jsonl / .ndjson file, an image folder or a directory holding the 4 Fashion-MNIST IDX files, received 'mnist' (no such dataset, file or directory)"],
  ])('%j: %s', (argv, message) => {
    expect(errorOf(argv)).toBe(message + see);
  });
});

describe('main', () => {
  afterEach(() => vi.restoreAllMocks());

  it('--help lists the commands; no command prints it to stderr with exit 2', async () => {
    const help = await run(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/Usage: weft <command>/);
    expect(help.stdout).toMatch(/^ {2}train /m);
    expect(help.stdout).toMatch(/^ {2}bench /m);
    expect(await run(['-h'])).toMatchObject({ code: 0, stdout: help.stdout });
    expect(await run([])).toMatchObject({ code: 2, stdout: '', stderr: help.stdout });
  });

  it('train --help lists every flag with its default', async () => {
    const { code, stdout } = await run(['train', '--help']);
    expect(code).toBe(0);
    expect(stdout).toBe(usage('train'));
    const flat = stdout.replace(/\n {28}/g, ' '); // one line per flag
    for (const [flag, dflt] of [
      ['--model NAME|PATH', 'seed1; mlp for a CSV or JSON-lines file, convnet for an image folder'], ['--data NAME|PATH', 'digits'], ['--epochs N', '20'], ['--batch-size N', '32'],
      ['--workers N|auto', `auto: the fastest of 1..${availableParallelism()} in trial steps`], ['--seed N', 'random, printed'],
      ['--validation-split F', '0.1'], ['--out DIR', 'not saved'], ['--verbose 0|1|2', '1'],
    ]) {
      expect(flat).toMatch(new RegExp(`^ {2}${flag.replace(/[|]/g, '\\|')} .*\\(default: ${dflt}\\)`, 'm'));
    }
    expect(stdout).toMatch(/^ {2}-h, --help /m);
    for (const line of stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect((await run(['train', '-h'])).stdout).toBe(stdout);
  });

  it('bench --help lists every flag of bench/suite with its default', async () => {
    const { code, stdout } = await run(['bench', '--help']);
    expect(code).toBe(0);
    for (const flag of ['--quick', '--models', '--workers', '--peers', '--repeats', '--steps', '--warmup-ms', '--sharded', '--peer-budget-s', '--out', '--help']) {
      expect(stdout).toMatch(new RegExp(`^ {2}(-h, )?${flag} .*`, 'm'));
    }
    const flat = stdout.replace(/\n {28}/g, ' ');
    expect(flat).toMatch(/--models A,B,\.\.\. .*\(default: mlp@128,mlp@512,seed1,seed3,wide,convnet@128,convnet@512; quick: mlp,seed1\)/);
    expect(flat).toMatch(/--peers A,B,\.\.\.\|none .*\(default: tfjs-layers-wasm,tfjs-layers-cpu,pytorch\)/);
    for (const line of stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('an unknown command or flag exits 2 with one line on stderr', async () => {
    expect(await run(['trian'])).toEqual({ code: 2, stdout: '', stderr: "weft: unknown command: expected train, predict, plot, launch or bench, received 'trian'; see weft --help\n" });
    const bench = await run(['bench', '--worker', '2']);
    expect(bench.code).toBe(2);
    expect(bench.stderr).toBe(
      "weft bench: unknown flag: expected one of --quick, --models, --workers, --peers, --repeats, --steps, --warmup-ms, --sharded, --peer-budget-s, --out, --help, received '--worker'; see weft bench --help\n",
    );
    const train = await run(['train', '--epochs', '2.5']);
    expect(train).toEqual({ code: 2, stdout: '', stderr: "weft train: --epochs: expected an integer >= 1, received '2.5'; see weft train --help\n" });
  });

  it('a directory without the IDX files exits 1 with the loader message in CLI terms (--data, not the API option) and no stack', async () => {
    const dir = freshDir();
    const { code, stdout, stderr } = await run(['train', '--data', dir, '--verbose', '0']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^weft train: Cannot find Fashion-MNIST\. Expected one directory holding train-images-idx3-ubyte\.gz/);
    expect(stderr).toContain(`  - ${dir} (--data): missing train-images-idx3-ubyte.gz`);
    expect(stderr).toMatch(/ and pass --data <dir> or set WEFT_FASHION_MNIST=<dir>\.\n$/);
    expect(stderr).not.toMatch(/path. option|\{ path/);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('an --out that is a file exits 2 with one line before any epoch runs', async () => {
    const file = join(freshDir(), 'taken');
    writeFileSync(file, 'not a directory');
    const { code, stdout, stderr } = await run(['train', '--epochs', '1', '--workers', '1', '--out', file]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toBe(
      `weft train: --out: expected a directory to save the model in (writable, or one that can be created), received '${file}' (it is a file); see weft train --help\n`,
    );
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
  });

  it('saves to, trains from and reads data at file:// URLs (never under ./file:)', async () => {
    const base = freshDir();
    const saved = join(base, 'saved');
    const first = await run(['train', '--model', 'mlp', '--data', `file://${fakeFashionMnist(40, 20)}`, '--epochs', '1', '--workers', '1', '--verbose', '0', '--seed', '4', '--out', `file://${saved}`]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Saved the model to ${join(saved, 'model.json')}\n`);
    expect(existsSync(join(saved, 'weights.bin'))).toBe(true);
    expect(existsSync(join(process.cwd(), 'file:'))).toBe(false);
    const again = await run(['train', '--model', `file://${saved}`, '--data', `file://${fakeFashionMnist(40, 20)}`, '--epochs', '1', '--workers', '1', '--verbose', '0']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^Test on 20 examples: loss \d+\.\d{4}, accuracy \d+\.\d{2}%\n$/);
  });

  it('trains mlp on a directory of IDX files, evaluating on its test split', async () => {
    const dir = fakeFashionMnist(40, 20);
    const { code, stdout, stderr } = await run(['train', '--model', 'mlp', '--data', dir, '--epochs', '1', '--workers', '1', '--verbose', '0', '--seed', '3']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Test on 20 examples: loss \d+\.\d{4}, accuracy \d+\.\d{2}%\n$/);
  });

  describe('a saved model as --model', () => {
    let uncompiled: string;
    beforeAll(async () => {
      uncompiled = freshDir();
      await seed1(64, 1).save(uncompiled);
    });

    it('an uncompiled model.json is compiled with adam + sparseCategoricalCrossentropy + accuracy', async () => {
      const { code, stdout, stderr } = await run(['train', '--model', join(uncompiled, 'model.json'), '--epochs', '1', '--workers', '1', '--verbose', '0']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Test on 359 examples: loss \d+\.\d{4}, accuracy \d+\.\d{2}%\n$/);
    });

    it('a checkpoint keeps its own compile config (categorical crossentropy: one-hot labels)', async () => {
      const dir = freshDir();
      const model = seed2(64, 2);
      model.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
      await model.save(dir, { includeOptimizer: true });
      const { code, stdout, stderr } = await run(['train', '--model', dir, '--epochs', '1', '--workers', '1', '--verbose', '0']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Test on 359 examples: loss \d+\.\d{4}, accuracy \d+\.\d{2}%\n$/);
    });

    it("a model whose input does not fit the data exits 2 naming --model", async () => {
      const { code, stderr } = await run(['train', '--model', uncompiled, '--data', fakeFashionMnist(2, 2), '--verbose', '0']);
      expect(code).toBe(2);
      expect(stderr).toBe(
        `weft train: --model: expected one float32 input of shape [null,784] or [null,28,28,1] and 10 outputs for --data fashion-mnist (${tmp}/d${dirs - 1}), ` +
          `received ${join(uncompiled, 'model.json')} with inputs [[null,64]], outputs [[null,10]]; see weft train --help\n`,
      );
    });

    it('an int32-input model (seed3) is refused before training', async () => {
      const dir = freshDir();
      await seed3({ sequenceLength: 64 }).save(dir);
      const { code, stderr } = await run(['train', '--model', dir, '--verbose', '0']);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^weft train: --model: expected one float32 input of shape \[null,64\] .* with inputs \[\[null,64\]\] \(int32\), outputs \[\[null,10\]\]; see weft train --help\n$/);
    });
  });
});

describe('zoo', () => {
  it('sizes seed1, seed2 and mlp to the feature count; seed3 reads int sequences', () => {
    expect(seed1(64).inputs[0].shape).toEqual([null, 64]);
    expect(seed1(64).countParams()).toBe(64 * 128 + 128 + 128 * 10 + 10);
    expect(seed2(784).inputs[0].shape).toEqual([null, 784]);
    expect(mlp(64, [32]).countParams()).toBe(64 * 32 + 32 + 32 * 10 + 10);
    expect(seed3().inputs[0]).toMatchObject({ shape: [null, 50], dtype: 'int32' });
    for (const m of [seed1(8), seed2(8), seed3(), mlp(8)]) expect(m.outputs[0].shape).toEqual([null, 10]);
  });

  it('buildNamed rejects seed3 for image data and an unknown name', () => {
    expect(buildNamed('seed2', { features: 64, input: 'features' }).inputs[0].shape).toEqual([null, 64]);
    expect(() => buildNamed('seed3', { features: 64, input: 'features' })).toThrow(
      'seed3 reads int32 token sequences (an Embedding input), but the data holds images (float features)',
    );
    expect(() => buildNamed('resnet' as never, { features: 64, input: 'features' })).toThrow("Unknown model: 'resnet'");
    expect(() => seed1(0)).toThrow('seed1: inputFeatures must be an integer >= 1; received 0');
  });
});

describe('the CLI as a process (from sources)', () => {
  it('trains seed1 on digits, prints the test accuracy and saves a model weft.loadModel reads', async () => {
    const out = join(freshDir(), 'saved');
    const r = spawnCli(['train', '--epochs', '2', '--workers', '1', '--verbose', '2', '--seed', '7', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^weft train: seed1 on digits: 1438 training examples \(144 held out for validation\), 359 test$/m);
    expect(r.stdout).toMatch(/^Epoch 2\/2 - .*val_accuracy: /m);
    expect(r.stdout).toMatch(/^Test on 359 examples: loss \d+\.\d{4}, accuracy \d+\.\d{2}%$/m);
    expect(r.stdout).toContain(`Saved the model to ${join(out, 'model.json')}`);
    expect(existsSync(join(out, 'weights.bin'))).toBe(true);
    const model = await weft.loadModel(join(out, 'model.json'));
    expect(model.inputs[0].shape).toEqual([null, 64]);
    expect(model.countParams()).toBe(9610);
    const y = (await model.predict(weft.tf.zeros([3, 64]))) as weft.tf.Tensor;
    expect(y.shape).toEqual([3, 10]);
    const sums = (await weft.tf.sum(y, 1).data()) as Float32Array;
    for (const s of sums) expect(s).toBeCloseTo(1, 5);
  });

  it('trains the convnet on the digits as 8×8 images, says which pooling it left out, and trains its saved model again', () => {
    const out = join(freshDir(), 'convnet');
    const r = spawnCli(['train', '--model', 'convnet', '--epochs', '2', '--workers', '1', '--verbose', '2', '--seed', '3', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^convnet: the 1×1 maps after convolution 2 are too small for MaxPooling2D\(2\): left out$/m);
    expect(r.stdout).toMatch(/conv2d \(Conv2D\) +\(None, 6, 6, 32\) +320/);
    expect(r.stdout).toMatch(/^Test on 359 examples: loss \d+\.\d{4}, accuracy \d+\.\d{2}%$/m);
    // Its file reads [null, 8, 8, 1] images: --model PATH feeds them as such.
    const again = spawnCli(['train', '--model', join(out, 'model.json'), '--epochs', '1', '--workers', '1', '--verbose', '0', '--seed', '3']);
    expect(again.stderr).toBe('');
    expect(again.stdout).toMatch(/^Test on 359 examples: loss \d+\.\d{4}, accuracy \d+\.\d{2}%$/m);
  });

  it('ends quietly when its reader goes away (weft train | head -2): no EPIPE stack', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'train', '--epochs', '20', '--workers', '1', '--verbose', '2', '--seed', '1'], { cwd: ROOT });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => void (stderr += chunk));
    const first = await new Promise<string>((done) => child.stdout.once('data', (chunk: Buffer) => done(chunk.toString())));
    child.stdout.destroy(); // as head does after its lines: later writes fail with EPIPE
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => child.once('close', (c, s) => done([c, s])));
    expect(first).toMatch(/^weft train: seed1 on digits/);
    expect(stderr).toBe('');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });

  it('a bad flag exits 2 with the message on stderr and nothing on stdout', () => {
    const r = spawnCli(['train', '--validation-split', '1.5']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("weft train: --validation-split: expected a number in [0, 1), received '1.5'; see weft train --help\n");
  });

  it('bench runs the suite with the arguments given and writes its JSON, Markdown and SVG, never over an earlier record', () => {
    const out = mkdtempSync(join(tmpdir(), 'weft-bench-'));
    try {
      const r = spawnCli(['bench', '--models', 'seed1@64', '--workers', '1', '--repeats', '1', '--steps', '2', '--warmup-ms', '0', '--peers', 'none', '--out', out]);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/seed example 1 .*global batch 64/);
      expect(r.stdout).toMatch(/weft N=1: [\d,]+ samples\/s/);
      const files = readdirSync(out).sort();
      expect(files.map((f) => f.replace(/^\d{4}-\d\d-\d\d-[a-z0-9-]+c\./, 'X.'))).toEqual(['X.json', 'X.md', 'X.svg']);
      const json = JSON.parse(readFileSync(join(out, files[0]), 'utf8'));
      expect(json.models[0].key).toBe('seed1@64');
      expect(json.models[0].weft[0].samplesPerSec.median).toBeGreaterThan(0);
      expect(json.models[0].peers).toEqual([]);
      // A second run the same day keeps the first record and writes beside it.
      expect(spawnCli(['bench', '--models', 'seed1@64', '--workers', '1', '--repeats', '1', '--steps', '2', '--warmup-ms', '0', '--peers', 'none', '--out', out]).status).toBe(0);
      const again = readdirSync(out).sort();
      expect(again.length).toBe(6);
      expect(again.filter((f) => /-2\.(json|md|svg)$/.test(f)).length).toBe(3);
      expect(readFileSync(join(out, files[0]), 'utf8')).toBe(JSON.stringify(json, null, 2) + '\n');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('bench with a bad value exits 2 with one line naming the flag', () => {
    const r = spawnCli(['bench', '--models', 'mpl', '--out', 'none']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^weft bench: --models: expected NAME or NAME@BATCH .* received 'mpl'\n$/);
  });
});
