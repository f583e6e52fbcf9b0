import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../../src/index.js';
import { maskedCrc32c } from '../../../src/train/tfevents.js';
import { trainer } from '../../../src/train/trainer.js';
import { disposeAfterEach } from '../../support/dispose.js';
import { toyClasses } from './fake-target.js';
import { crc32c, readEvents, readRecords, scalarsByTag, type ReadEvent } from '../../support/tfevents-reader.js';

const track = disposeAfterEach();
const tmp = () => mkdtempSync(join(tmpdir(), 'weft-tb-'));

const { X, Y } = toyClasses();

function classifier(): weft.Model {
  const inputs = weft.input({ shape: [4] });
  const h = weft.layers.dense({ units: 8, activation: 'relu', name: 'hidden' }).apply(inputs);
  const model = weft.model({ inputs, outputs: weft.layers.dense({ units: 3, activation: 'softmax', name: 'out' }).apply(h), seed: 5 });
  track(model);
  model.compile({ optimizer: weft.optimizers.adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

async function fit(model: weft.Model, callbacks: weft.Callback[], workers = 1): Promise<weft.History> {
  return model.fit(X, Y, { epochs: 3, batchSize: 8, validationSplit: 0.2, seed: 3, workers, verbose: 0, callbacks });
}

function eventsIn(dir: string): { file: string; events: ReadEvent[] }[] {
  return readdirSync(dir).sort().map((file) => ({ file, events: readEvents(readFileSync(join(dir, file))) }));
}

describe('the event-file encoding', () => {
  it('the test reader\'s CRC32C gives RFC 3720\'s check value, and the writer\'s masked CRC agrees with it', () => {
    const digits = new TextEncoder().encode('123456789');
    expect(crc32c(digits)).toBe(0xe3069283);
    const rotated = ((0xe3069283 >>> 15) | (0xe3069283 << 17)) >>> 0;
    expect(maskedCrc32c(digits)).toBe((rotated + 0xa282ead8) >>> 0);
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255);
    expect(maskedCrc32c(bytes)).toBe(((((crc32c(bytes) >>> 15) | (crc32c(bytes) << 17)) >>> 0) + 0xa282ead8) >>> 0);
  });
});

describe('weft.callbacks.tensorBoard', () => {
  it('writes train and val event files whose epoch scalars are History\'s, with the learning rate, samples/s and workers', async () => {
    const logdir = tmp();
    const model = classifier();
    const history = await fit(model, [weft.callbacks.tensorBoard(logdir)], 2);
    const train = eventsIn(join(logdir, 'train'));
    const val = eventsIn(join(logdir, 'val'));
    expect(train).toHaveLength(1);
    expect(val).toHaveLength(1);
    expect(train[0].file).toMatch(/^events\.out\.tfevents\.\d+\.[^.]+(\.[^.]+)*\.\d+\.\d+\.v2$/);
    expect(train[0].file).toContain(`.${process.pid}.`);
    expect(train[0].events[0].fileVersion).toBe('brain.Event:2');
    expect(val[0].events[0].fileVersion).toBe('brain.Event:2');
    const t = scalarsByTag(train[0].events);
    const v = scalarsByTag(val[0].events);
    const f32 = (xs: number[]) => xs.map((x) => Math.fround(x));
    expect(t.get('epoch_loss')).toEqual([0, 1, 2].map((e) => [e, f32(history.history.loss)[e]]));
    expect(t.get('epoch_accuracy')!.map((p) => p[1])).toEqual(f32(history.history.accuracy));
    expect(v.get('epoch_loss')!.map((p) => p[1])).toEqual(f32(history.history.val_loss));
    expect(v.get('epoch_accuracy')!.map((p) => p[1])).toEqual(f32(history.history.val_accuracy));
    expect([...v.keys()].sort()).toEqual(['epoch_accuracy', 'epoch_loss']);
    expect(t.get('epoch_learning_rate')!.map((p) => p[1])).toEqual([0.01, 0.01, 0.01].map(Math.fround));
    expect(t.get('epoch_workers')!.map((p) => p[1])).toEqual([2, 2, 2]);
    const rates = t.get('epoch_samples_per_sec')!.map((p) => p[1]);
    expect(rates).toHaveLength(3);
    for (const r of rates) expect(r).toBeGreaterThan(0);
    expect([...t.keys()].some((k) => k.startsWith('batch_'))).toBe(false);
  });

  it("updateFreq 'batch' writes every batch's running logs; an integer n every n-th batch", async () => {
    for (const [updateFreq, expected] of [['batch', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]], [5, [5, 10]]] as const) {
      const logdir = tmp();
      const batchLosses: number[] = [];
      const spy: weft.Callback = { onBatchEnd: (_b, logs) => { batchLosses.push(logs!.loss); } };
      await fit(classifier(), [weft.callbacks.tensorBoard(logdir, { updateFreq }), spy]);
      const t = scalarsByTag(eventsIn(join(logdir, 'train'))[0].events);
      // 32 training rows in batches of 8: 4 batches per epoch, 12 in all; steps count from 1.
      expect(t.get('batch_loss')!.map((p) => p[0])).toEqual(expected);
      expect(t.get('batch_loss')!.map((p) => p[1])).toEqual(expected.map((s) => Math.fround(batchLosses[s - 1])));
      expect(t.has('batch_size') || t.has('batch_batch')).toBe(false);
      expect(t.get('epoch_loss')).toHaveLength(3);
    }
  });

  it('histogramFreq writes a histogram of each weight, by name, at those epochs', async () => {
    const logdir = tmp();
    const model = classifier();
    await fit(model, [weft.callbacks.tensorBoard(logdir, { histogramFreq: 2 })]);
    const events = eventsIn(join(logdir, 'train'))[0].events;
    const histos = events.flatMap((e) => e.values.filter((v) => v.histo !== undefined).map((v) => ({ step: e.step, ...v })));
    expect(histos.map((h) => `${h.step}:${h.tag}`)).toEqual(['0', '2'].flatMap((s) => ['hidden/kernel', 'hidden/bias', 'out/kernel', 'out/bias'].map((n) => `${s}:${n}`)));
    const weights = model.getWeights().map((w) => w.dataSync());
    histos.slice(4).forEach((h, i) => {
      const w = Array.from(weights[i]);
      expect(h.histo!.num).toBe(w.length);
      expect(h.histo!.bucket.reduce((a, b) => a + b, 0)).toBe(w.length);
      expect(h.histo!.min).toBe(Math.min(...w));
      expect(h.histo!.max).toBe(Math.max(...w));
      expect(h.histo!.bucketLimit.at(-1)).toBe(Math.max(...w));
    });
  });

  it('runs on the host for a weft.trainer fit, with the same scalars as History and its worker count', async () => {
    const logdir = tmp();
    const csv = join(tmp(), 'log.csv');
    const model = classifier();
    const t = await trainer(model, { optimizer: weft.optimizers.adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    let history: weft.History;
    try {
      history = await t.fit(X, Y, { epochs: 3, batchSize: 8, validationSplit: 0.2, seed: 3, workers: 2, verbose: 0, callbacks: [weft.callbacks.tensorBoard(logdir, { histogramFreq: 1 }), weft.callbacks.csvLogger(csv)] });
    } finally {
      await t.dispose();
    }
    const train = eventsIn(join(logdir, 'train'))[0].events;
    const t1 = scalarsByTag(train);
    expect(t1.get('epoch_loss')!.map((p) => p[1])).toEqual(history.history.loss.map(Math.fround));
    expect(t1.get('epoch_workers')!.map((p) => p[1])).toEqual([2, 2, 2]);
    expect(train.flatMap((e) => e.values.filter((v) => v.histo !== undefined))).toHaveLength(12);
    expect(readFileSync(csv, 'utf8').split('\n')).toHaveLength(5);
  }, 60_000);

  it('two runs into one logdir keep both files', async () => {
    const logdir = tmp();
    const model = classifier();
    const tb = weft.callbacks.tensorBoard(logdir);
    await fit(model, [tb]);
    const first = tb.files.train;
    await fit(model, [weft.callbacks.tensorBoard(logdir)]);
    await fit(model, [tb]);
    const files = eventsIn(join(logdir, 'train'));
    expect(files).toHaveLength(3);
    expect(files.map((f) => f.file)).toContain(first!.split('/').at(-1));
    for (const f of files) expect(scalarsByTag(f.events).get('epoch_loss')).toHaveLength(3);
    expect(readdirSync(join(logdir, 'val'))).toHaveLength(3);
  });

  it('a process killed while writing leaves a file readable up to its last whole record', async () => {
    const dir = tmp();
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../../support/tfevents-writer-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ready')) { child.kill('SIGKILL'); resolve(); }
      });
      child.on('exit', (code) => { if (!out.includes('ready')) reject(new Error(`writer exited ${code} before it was ready`)); });
    });
    await new Promise((r) => child.on('close', r));
    const file = readFileSync(out.split('\n')[0]);
    const { records, trailingBytes } = readRecords(file);
    expect(records.length).toBeGreaterThan(200);
    expect(trailingBytes).toBeLessThan(12 + 200);
    const [first, ...scalars] = readEvents(file);
    expect(first.fileVersion).toBe('brain.Event:2');
    expect(scalars).toHaveLength(records.length - 1);
    scalars.forEach((e, i) => expect(e.values[0].simpleValue).toBe(Math.fround(i / 7)));
  });

  it.skipIf(process.platform !== 'linux')('a fit that fails after writing events leaves no file open, and its events readable', async () => {
    const logdir = tmp();
    const model = classifier();
    const fds = () => readdirSync('/proc/self/fd').length;
    const failing: weft.Callback = { onEpochEnd: (epoch) => { if (epoch === 1) throw new Error('stop here'); } };
    await expect(fit(model, [weft.callbacks.tensorBoard(logdir, { updateFreq: 'batch' }), failing])).rejects.toThrow(/stop here/);
    const before = fds();
    for (let i = 0; i < 5; i++) await expect(fit(model, [weft.callbacks.tensorBoard(logdir, { updateFreq: 'batch' }), failing])).rejects.toThrow(/stop here/);
    expect(fds()).toBeLessThanOrEqual(before);
    for (const f of eventsIn(join(logdir, 'train'))) expect(scalarsByTag(f.events).get('epoch_loss')).toHaveLength(2);
  });

  it('bad logdirs and options are refused by name', () => {
    const file = join(tmp(), 'a-file');
    writeFileSync(file, 'x');
    expect(() => weft.callbacks.tensorBoard('')).toThrow(/logdir/);
    expect(() => weft.callbacks.tensorBoard(42 as unknown as string)).toThrow(/logdir.*42/);
    expect(() => weft.callbacks.tensorBoard(file)).toThrow(/logdir.*a file/);
    expect(() => weft.callbacks.tensorBoard(tmp(), { updateFreq: 'sometimes' as 'batch' })).toThrow(/updateFreq.*'epoch', 'batch' or an integer.*sometimes/);
    expect(() => weft.callbacks.tensorBoard(tmp(), { updateFreq: 0 })).toThrow(/updateFreq/);
    expect(() => weft.callbacks.tensorBoard(tmp(), { histogramFreq: -1 })).toThrow(/histogramFreq/);
    expect(() => weft.callbacks.tensorBoard(tmp(), { profileBatch: 2 } as never)).toThrow(/profileBatch/);
  });

  it('a logdir that cannot be created is refused, or fails the fit with the logdir named before any step', async () => {
    const file = join(tmp(), 'a-file');
    writeFileSync(file, 'x');
    const model = classifier();
    const before = model.params.slice();
    expect(() => weft.callbacks.tensorBoard(join(file, 'below'))).toThrow(/logdir.*a-file\/below.*ENOTDIR/);
    const dir = tmp();
    const tb = weft.callbacks.tensorBoard(join(dir, 'later'));
    writeFileSync(join(dir, 'later'), 'made a file after the callback');
    await expect(fit(model, [tb])).rejects.toThrow(/logdir.*later/);
    expect(model.params).toEqual(before);
  });
});
