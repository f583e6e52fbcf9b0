import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { probeTorch, torchFashion, torchRate, type TorchEpoch } from '../../bench/peers/pytorch.js';
import { KERAS_CONVNET } from '../../bench/models.js';
import type { Architecture } from '../../bench/results.js';

const root = mkdtempSync(join(tmpdir(), 'weft-torch-peer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An executable stand-in for python: a shell script, so these cases need no Python at all. */
function fakePython(name: string, body: string): string {
  const path = join(root, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const tiny: Architecture = { input: { kind: 'features', size: 20 }, hidden: [16], dropout: 0.1, classes: 10 };
const rateOpts = { batch: 32, threads: 1, repeats: 2, warmupMs: 20, minRepeatMs: 50 };

describe('the PyTorch peer when torch is absent', () => {
  it('reports a python command that does not exist, naming it', () => {
    const probe = probeTorch('weft-no-such-python-3');
    expect(probe.available).toBe(false);
    if (!probe.available) expect(probe.reason).toContain('weft-no-such-python-3');
  });

  it('reports a python that cannot import torch, with the import error', () => {
    const python = fakePython('no-torch-python', `echo "ModuleNotFoundError: No module named 'torch'" >&2; exit 1`);
    const probe = probeTorch(python);
    expect(probe).toEqual({ available: false, reason: `${python} cannot import torch: ModuleNotFoundError: No module named 'torch'` });
  });

  it('rejects a failed run with the tail of its stderr', async () => {
    const python = fakePython('failing-python', 'echo "pytorch_peer: the loss is nan after 3 steps" >&2; exit 1');
    await expect(torchRate(tiny, { ...rateOpts, python })).rejects.toThrow(/exited with 1:\npytorch_peer: the loss is nan after 3 steps/);
  });

  it('rejects stdout that is not the JSON-lines protocol', async () => {
    const python = fakePython('chatty-python', 'echo "hello"');
    await expect(torchRate(tiny, { ...rateOpts, python })).rejects.toThrow(/not JSON: hello/);
  });

  it('kills the child and rejects with the reason when aborted', async () => {
    const python = fakePython('slow-python', 'exec sleep 30');
    const controller = new AbortController();
    const t0 = performance.now();
    const run = torchRate(tiny, { ...rateOpts, python, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('bench cancelled')), 100);
    await expect(run).rejects.toThrow('bench cancelled');
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('validates its options before spawning anything', async () => {
    await expect(torchRate(tiny, { ...rateOpts, repeats: 0, python: 'weft-no-such-python-3' })).rejects.toThrow(
      'Invalid value received for argument `repeats`. Expected a positive integer. Received: repeats=0',
    );
  });
});

/** An IDX file of unsigned bytes: big-endian magic (type 0x08, rank), dims, then the data, gzipped. */
function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(0x800 + dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, data]));
}

/** n 10×10 images whose class c lights row c, over faint deterministic noise. */
function easyImages(n: number, offset: number): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(n * 100);
  const labels = new Uint8Array(n);
  for (let r = 0; r < n; r++) {
    const c = (r * 3 + offset) % 10;
    labels[r] = c;
    for (let j = 0; j < 100; j++) images[r * 100 + j] = Math.floor(j / 10) === c ? 255 : ((r * 31 + j * 17) % 40);
  }
  return { images, labels };
}

function writeDataset(dir: string): void {
  const train = easyImages(256, 0);
  const test = easyImages(64, 1);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), idx([256, 10, 10], train.images));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), idx([256], train.labels));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), idx([64, 10, 10], test.images));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), idx([64], test.labels));
}

const torch = probeTorch();

/** An MLP on the test files' 10×10 images, flattened. */
const mlp10x10 = (hidden: number[], dropout: number): Architecture => ({ input: { kind: 'features', size: 100 }, hidden, dropout, classes: 10 });

describe('the PyTorch peer when torch is present', () => {
  it.skipIf(!torch.available)('torchRate trains a tiny MLP at positive, finite rates (needs python3 torch)', async () => {
    const r = await torchRate(tiny, rateOpts);
    for (const v of [r.samplesPerSec.min, r.samplesPerSec.median, r.samplesPerSec.max]) {
      expect(Number.isFinite(v) && v > 0).toBe(true);
    }
    expect(r.threads).toBe(1);
    expect(r.params).toBe(20 * 16 + 16 + 16 * 10 + 10);
    expect(r.version).toBe(torch.available ? torch.version : '');
    expect(r.blas).not.toBe('');
  });

  it.skipIf(!torch.available)("torchRate builds Keras's MNIST convnet with its 34,826 parameters and trains it (needs python3 torch)", async () => {
    const r = await torchRate(KERAS_CONVNET, { ...rateOpts, batch: 8 });
    expect(r.params).toBe(34_826);
    expect(r.samplesPerSec.median).toBeGreaterThan(0);
  });

  it.skipIf(!torch.available)('torchRate trains an Embedding model too (needs python3 torch)', async () => {
    const tokens: Architecture = { input: { kind: 'tokens', vocab: 50, length: 6, embed: 4 }, hidden: [8], dropout: 0, classes: 10 };
    const r = await torchRate(tokens, rateOpts);
    expect(r.samplesPerSec.median).toBeGreaterThan(0);
  });

  it.skipIf(!torch.available)('torchFashion streams one record per epoch with increasing times (needs python3 torch)', async () => {
    const dir = mkdtempSync(join(root, 'idx-'));
    writeDataset(dir);
    const streamed: TorchEpoch[] = [];
    const r = await torchFashion({ dataDir: dir, architecture: mlp10x10([16], 0.1), batch: 32, epochs: 3, threads: 1, seed: 2 }, (e) => streamed.push(e));
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(streamed).toEqual(r.epochs);
    expect(r.threads).toBe(1);
    for (const [i, e] of r.epochs.entries()) {
      expect(e.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(e.testAccuracy).toBeLessThanOrEqual(1);
      expect(Number.isFinite(e.loss)).toBe(true);
      expect(e.wallSeconds).toBeGreaterThanOrEqual(e.trainSeconds);
      if (i > 0) {
        expect(e.trainSeconds).toBeGreaterThan(r.epochs[i - 1].trainSeconds);
        expect(e.wallSeconds).toBeGreaterThan(r.epochs[i - 1].wallSeconds);
      }
    }
  });

  it.skipIf(!torch.available)('torchFashion stops at the target accuracy when given one (needs python3 torch)', async () => {
    const dir = mkdtempSync(join(root, 'idx-'));
    writeDataset(dir);
    const r = await torchFashion({ dataDir: dir, architecture: mlp10x10([16], 0), batch: 16, epochs: 20, threads: 1, target: 0.5 });
    expect(r.epochs.length).toBeLessThan(20);
    expect(r.epochs.at(-1)!.testAccuracy).toBeGreaterThanOrEqual(0.5);
  });

  it.skipIf(!torch.available)('torchFashion trains a convnet on the images as NCHW (needs python3 torch)', async () => {
    const dir = mkdtempSync(join(root, 'idx-'));
    writeDataset(dir);
    const conv: Architecture = {
      input: { kind: 'image', height: 10, width: 10, channels: 1, conv: [{ filters: 4, kernel: 3, pool: 2 }] }, hidden: [], dropout: 0.5, classes: 10,
    };
    const r = await torchFashion({ dataDir: dir, architecture: conv, batch: 16, epochs: 2, threads: 1 });
    expect(r.params).toBe(3 * 3 * 4 + 4 + 4 * 4 * 4 * 10 + 10);
    expect(r.epochs).toHaveLength(2);
  });

  it.skipIf(!torch.available)("torchFashion rejects an architecture that does not read the files' images (needs python3 torch)", async () => {
    const dir = mkdtempSync(join(root, 'idx-'));
    writeDataset(dir);
    await expect(torchFashion({ dataDir: dir, architecture: KERAS_CONVNET, batch: 16, epochs: 1, threads: 1 })).rejects.toThrow(
      /train-images-idx3-ubyte.gz holds 10x10 images; the architecture reads/,
    );
  });
});
