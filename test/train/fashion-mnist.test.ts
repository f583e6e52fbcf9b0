import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DataFileError } from '../../src/errors.js';
import {
  FASHION_MNIST_DEBIAN_DIR,
  FASHION_MNIST_ENV,
  loadFashionMnist,
  loadFashionMnistSplit,
} from '../../src/train/datasets/fashion-mnist.js';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'weft-fmnist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const newDir = () => {
  const d = join(root, `d${dirCount++}`);
  mkdirSync(d);
  return d;
};

/** An IDX file: big-endian magic, big-endian dims, then the unsigned bytes. */
function idx(magic: number, dims: number[], data: ArrayLike<number>): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Uint8Array.from(data))]);
}
const images = (pixels: number[]) => idx(0x803, [pixels.length / 784, 28, 28], pixels);
const labelsIdx = (labels: number[]) => idx(0x801, [labels.length], labels);

/** n images: image r has pixel j = (r * 7 + j) % 256. */
function pixelsFor(n: number, offset = 0): number[] {
  return Array.from({ length: n * 784 }, (_, i) => (Math.floor(i / 784) * 7 + (i % 784) + offset) % 256);
}

interface Fixture {
  trainImages?: Buffer;
  trainLabels?: Buffer;
  testImages?: Buffer;
  testLabels?: Buffer;
}
/** Writes a split set into dir, gzip'd (the original names) or raw (the names without .gz). */
function writeSet(dir: string, f: Fixture, gzip = true): string {
  const put = (base: string, buf: Buffer | undefined) => {
    if (buf) writeFileSync(join(dir, gzip ? `${base}.gz` : base), gzip ? gzipSync(buf) : buf);
  };
  put('train-images-idx3-ubyte', f.trainImages);
  put('train-labels-idx1-ubyte', f.trainLabels);
  put('t10k-images-idx3-ubyte', f.testImages);
  put('t10k-labels-idx1-ubyte', f.testLabels);
  return dir;
}
/** A complete small set: 3 train images, 2 test images; `tag` goes into the first train label. */
function goodSet(dir: string, tag = 4, gzip = true): string {
  return writeSet(
    dir,
    {
      trainImages: images(pixelsFor(3)),
      trainLabels: labelsIdx([tag, 0, 9]),
      testImages: images(pixelsFor(2, 100)),
      testLabels: labelsIdx([1, 2]),
    },
    gzip,
  );
}

// Every test controls the environment variable and never falls back to a real installation.
const none = [join(root, 'no-such-fallback')];
beforeEach(() => vi.stubEnv(FASHION_MNIST_ENV, ''));
afterEach(() => vi.unstubAllEnvs());

describe('loadFashionMnist on synthetic IDX files', () => {
  it('decodes gzip\'d files: shapes, [0,1] float32 scaling, int32 labels', () => {
    const dir = goodSet(newDir());
    const data = loadFashionMnist({ path: dir, fallbackDirs: none });
    expect(data.source).toBe(dir);
    expect(data.train.rows).toBe(3);
    expect(data.test.rows).toBe(2);
    expect(data.train.x).toBeInstanceOf(Float32Array);
    expect(data.train.labels).toBeInstanceOf(Int32Array);
    expect(data.train.x.length).toBe(3 * 784);
    expect(data.test.x.length).toBe(2 * 784);
    expect(Array.from(data.train.labels)).toEqual([4, 0, 9]);
    expect(Array.from(data.test.labels)).toEqual([1, 2]);
    const want = pixelsFor(3);
    for (let i = 0; i < want.length; i++) {
      if (data.train.x[i] !== Math.fround(want[i] / 255)) throw new Error(`pixel ${i}: ${data.train.x[i]} vs ${want[i]}/255`);
    }
    expect(data.train.x[255]).toBe(1); // pixel value 255
    expect(data.train.x[0]).toBe(0);
    expect(data.train.x[51]).toBe(Math.fround(0.2));
    expect(data.test.x[0]).toBe(Math.fround(100 / 255));
    expect(Math.min(...data.train.x)).toBe(0);
    expect(Math.max(...data.train.x)).toBe(1);
    expect(data.train.x.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('reads uncompressed files and the dotted names, and accepts a file: URL', () => {
    const raw = goodSet(newDir(), 4, false);
    expect(Array.from(loadFashionMnist({ path: raw, fallbackDirs: none }).train.labels)).toEqual([4, 0, 9]);
    expect(loadFashionMnist({ path: pathToFileURL(raw), fallbackDirs: none }).source).toBe(raw);

    const dotted = newDir();
    writeFileSync(join(dotted, 'train-images.idx3-ubyte'), images(pixelsFor(1)));
    writeFileSync(join(dotted, 'train-labels.idx1-ubyte'), labelsIdx([7]));
    writeFileSync(join(dotted, 't10k-images.idx3-ubyte.gz'), gzipSync(images(pixelsFor(1))));
    writeFileSync(join(dotted, 't10k-labels.idx1-ubyte.gz'), gzipSync(labelsIdx([3])));
    const d = loadFashionMnist({ path: dotted, fallbackDirs: none });
    expect([d.train.labels[0], d.test.labels[0]]).toEqual([7, 3]);
  });

  it('decompresses by content, not by name', () => {
    const dir = goodSet(newDir(), 4, false);
    // An uncompressed file under the .gz name is read as it is.
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), labelsIdx([5, 5, 5]));
    expect(Array.from(loadFashionMnist({ path: dir, fallbackDirs: none }).train.labels)).toEqual([5, 5, 5]);
  });

  it('backs the arrays with SharedArrayBuffer when asked', () => {
    const dir = goodSet(newDir());
    const data = loadFashionMnist({ path: dir, shared: true, fallbackDirs: none });
    for (const s of [data.train, data.test]) {
      expect(s.x.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(s.labels.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
    expect(Array.from(data.train.labels)).toEqual([4, 0, 9]);
    expect(data.train.x[255]).toBe(1);
  });

  it('loadFashionMnistSplit needs only that split\'s two files', () => {
    const dir = writeSet(newDir(), { testImages: images(pixelsFor(2)), testLabels: labelsIdx([8, 6]) });
    const test = loadFashionMnistSplit('test', { path: dir, fallbackDirs: none });
    expect(test.rows).toBe(2);
    expect(test.source).toBe(dir);
    expect(Array.from(test.labels)).toEqual([8, 6]);
    expect(() => loadFashionMnistSplit('train', { path: dir, fallbackDirs: none })).toThrow(/train-images-idx3-ubyte\.gz/);
    expect(() => loadFashionMnist({ path: dir, fallbackDirs: none })).toThrow(/missing train-images-idx3-ubyte\.gz, train-labels-idx1-ubyte\.gz/);
    expect(() => loadFashionMnistSplit('valid' as 'test', { path: dir })).toThrow(/Unknown Fashion-MNIST split: 'valid'. Expected one of: 'train', 'test'/);
  });
});

describe('loadFashionMnist({tensors: true})', () => {
  it('returns each split as x float32 [rows, 784] and labels int32 [rows] tensors, equal to the arrays', () => {
    const dir = goodSet(newDir());
    const arrays = loadFashionMnist({ path: dir, fallbackDirs: none });
    const t = weft.loadFashionMnist({ path: dir, fallbackDirs: none, tensors: true });
    expect(t.source).toBe(dir);
    for (const name of ['train', 'test'] as const) {
      const { x, labels, rows } = t[name];
      expect(rows).toBe(arrays[name].rows);
      expect([x.shape, x.dtype]).toEqual([[rows, 784], 'float32']);
      expect([labels.shape, labels.dtype]).toEqual([[rows], 'int32']);
      expect(x.dataSync()).toEqual(arrays[name].x);
      expect(labels.dataSync()).toEqual(arrays[name].labels);
      tf.dispose([x, labels]);
    }
  });

  it('with image: true, x is [rows, 28, 28, 1]; loadFashionMnistSplit takes the same options', () => {
    const dir = goodSet(newDir());
    const t = weft.loadFashionMnist({ path: dir, fallbackDirs: none, tensors: true, image: true });
    expect([t.train.x.shape, t.test.x.shape]).toEqual([[3, 28, 28, 1], [2, 28, 28, 1]]);
    // Image 1, row 2, column 5 is pixel (1 * 7 + 2 * 28 + 5) % 256 of the fixture.
    const pixel = t.train.x.slice([1, 2, 5, 0], [1, 1, 1, 1]);
    expect(pixel.dataSync()[0]).toBe(Math.fround(68 / 255));
    const split = weft.loadFashionMnistSplit('test', { path: dir, fallbackDirs: none, tensors: true, image: true });
    expect(split.source).toBe(dir);
    expect(split.x.shape).toEqual([2, 28, 28, 1]);
    expect(Array.from(split.labels.dataSync())).toEqual([1, 2]);
    const flat = weft.loadFashionMnistSplit('train', { path: dir, fallbackDirs: none, tensors: true });
    expect([flat.x.shape, flat.labels.dtype]).toEqual([[3, 784], 'int32']);
    tf.dispose([t.train.x, t.train.labels, t.test.x, t.test.labels, pixel, split.x, split.labels, flat.x, flat.labels]);
  });

  it('refuses non-boolean flags, image without tensors and shared with tensors, before touching a file', () => {
    const absent = join(root, 'never-read');
    expect(() => loadFashionMnist({ path: absent, tensors: 1 } as never)).toThrow(
      new TypeError('Invalid type received for argument `options.tensors`. Expected a boolean. Received: options.tensors=1'),
    );
    expect(() => loadFashionMnist({ path: absent, image: true })).toThrow(/`options.image`. Expected true only together with tensors: true.*Received: options.image=true/);
    expect(() => loadFashionMnistSplit('test', { path: absent, tensors: true, shared: true })).toThrow(
      new RangeError('Invalid value received for argument `options.shared`. Expected false when tensors: true (a tensor holds its own copy of the data). Received: options.shared=true'),
    );
    expect(() => loadFashionMnist({ tensor: true } as never)).toThrow(/Expected only the options path, shared, fallbackDirs, tensors, image. Received: options='tensor'/);
  });
});

describe('loadFashionMnist errors name the file, what was expected and what was found', () => {
  const base = () => ({
    trainImages: images(pixelsFor(3)),
    trainLabels: labelsIdx([1, 2, 3]),
    testImages: images(pixelsFor(1)),
    testLabels: labelsIdx([0]),
  });
  /** The DataFileError loading `dir` raises, checked to name `file` in its message and its path. */
  const failure = (dir: string, file: string): DataFileError => {
    let error: unknown = null;
    try {
      loadFashionMnist({ path: dir, fallbackDirs: none });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataFileError);
    const e = error as DataFileError;
    expect(e.path).toBe(join(dir, file));
    expect(e.message).toContain(`Invalid Fashion-MNIST IDX file '${join(dir, file)}'.`);
    return e;
  };

  it('bad magic number', () => {
    const dir = writeSet(newDir(), { ...base(), trainImages: idx(0x801, [3 * 784], pixelsFor(3)) });
    expect(failure(dir, 'train-images-idx3-ubyte.gz').message).toMatch(
      /Expected IDX magic number 0x00000803 \(unsigned-byte images, 3 dimensions\)\. Received: magic number 0x00000801$/,
    );
    const dir2 = writeSet(newDir(), { ...base(), testLabels: idx(0x803, [1, 1, 1], [0]) });
    expect(failure(dir2, 't10k-labels-idx1-ubyte.gz').message).toMatch(
      /Expected IDX magic number 0x00000801 \(unsigned-byte labels, 1 dimension\)\. Received: magic number 0x00000803$/,
    );
  });

  it('image and label counts differ', () => {
    const dir = writeSet(newDir(), { ...base(), trainLabels: labelsIdx([1, 2]) });
    expect(failure(dir, 'train-labels-idx1-ubyte.gz').message).toMatch(
      /Expected 3 labels, one per image of .*train-images-idx3-ubyte\.gz\. Received: 2 labels$/,
    );
  });

  it('truncated data, truncated header, truncated gzip stream, trailing bytes', () => {
    const short = base().trainImages.subarray(0, 16 + 2 * 784 + 10);
    expect(failure(writeSet(newDir(), { ...base(), trainImages: short }), 'train-images-idx3-ubyte.gz').message).toMatch(
      /Expected 2368 bytes for dimensions \[3, 28, 28\]\. Received: 1594 bytes \(truncated\)$/,
    );
    expect(failure(writeSet(newDir(), { ...base(), testLabels: Buffer.from([0, 0, 8, 1, 0]) }), 't10k-labels-idx1-ubyte.gz').message).toMatch(
      /Expected at least the 8-byte IDX header\. Received: 5 bytes \(truncated\)$/,
    );
    const long = Buffer.concat([base().testLabels, Buffer.from([0])]);
    expect(failure(writeSet(newDir(), { ...base(), testLabels: long }), 't10k-labels-idx1-ubyte.gz').message).toMatch(
      /Expected 9 bytes for dimensions \[1\]\. Received: 10 bytes \(trailing data\)$/,
    );

    const dir = writeSet(newDir(), base());
    const gz = gzipSync(base().trainImages);
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gz.subarray(0, gz.length >> 1));
    const e = failure(dir, 'train-images-idx3-ubyte.gz');
    expect(e.message).toMatch(/Expected a valid gzip stream\. Received: a truncated or corrupt one \(unexpected end of file\)$/);
    expect(e.cause).toBeInstanceOf(Error);
  });

  it('label out of range and wrong image size', () => {
    expect(failure(writeSet(newDir(), { ...base(), trainLabels: labelsIdx([1, 10, 3]) }), 'train-labels-idx1-ubyte.gz').message).toMatch(
      /Expected labels 0\.\.9\. Received: label 10 at index 1$/,
    );
    expect(failure(writeSet(newDir(), { ...base(), testImages: idx(0x803, [1, 8, 8], new Array(64).fill(0)) }), 't10k-images-idx3-ubyte.gz').message).toMatch(
      /Expected 28x28 images\. Received: 8x8 images$/,
    );
  });

  it('checks its options before touching a file', () => {
    expect(() => loadFashionMnist({ path: 3 } as never)).toThrow(TypeError);
    expect(() => loadFashionMnist({ path: 3 } as never)).toThrow(/`options.path`. Expected a directory path or a file: URL. Received: options.path=3/);
    expect(() => loadFashionMnist({ shared: 'yes' } as never)).toThrow(/`options.shared`. Expected a boolean/);
    expect(() => loadFashionMnist({ fallbackDirs: '/data' } as never)).toThrow(/`options.fallbackDirs`. Expected an array of directory paths/);
    expect(() => loadFashionMnist({ dir: '/data' } as never)).toThrow(RangeError);
    expect(() => loadFashionMnistSplit(1 as never)).toThrow(/`split`. Expected 'train' or 'test'. Received: split=1/);
  });

  it('no location has the files: lists every place searched and how to get the data', () => {
    const missing = join(root, 'absent-path');
    const envDir = join(root, 'absent-env');
    const partial = writeSet(newDir(), { trainImages: images(pixelsFor(1)) });
    const fallback = join(root, 'absent-fallback');
    vi.stubEnv(FASHION_MNIST_ENV, envDir);
    // An explicit path is the only place looked in.
    expect(() => loadFashionMnist({ path: missing, fallbackDirs: [partial, fallback] })).toThrow(`${missing} (the \`path\` option): does not exist`);
    let message = '';
    try {
      loadFashionMnist({ fallbackDirs: [partial, fallback] });
    } catch (e) {
      expect(e).toBeInstanceOf(DataFileError);
      expect((e as DataFileError).path).toBe(envDir);
      message = (e as Error).message;
    }
    expect(message).toMatch(/^Cannot find Fashion-MNIST\. Expected one directory holding train-images-idx3-ubyte\.gz, train-labels-idx1-ubyte\.gz, t10k-images-idx3-ubyte\.gz, t10k-labels-idx1-ubyte\.gz \(gzip'd or not\)\. Received, in the order looked in:\n/);
    expect(message).not.toContain(missing);
    expect(message).toContain(`${envDir} ($WEFT_FASHION_MNIST): does not exist`);
    expect(message).toContain(`${partial} (a fallback directory): missing train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz`);
    expect(message).toContain(`${fallback} (a fallback directory): does not exist`);
    expect(message).toContain('apt-get install dataset-fashion-mnist');
    expect(message).toContain('github.com/zalandoresearch/fashion-mnist');
    expect(message).toContain('WEFT_FASHION_MNIST=<dir>');
    expect(message).toContain("{ path: '<dir>' }");
    // The order searched is the order listed.
    expect(message.indexOf(envDir)).toBeLessThan(message.indexOf(partial));

    // A file where a directory is expected; an unset env var is mentioned.
    vi.stubEnv(FASHION_MNIST_ENV, '');
    const file = join(partial, 'train-images-idx3-ubyte.gz');
    expect(() => loadFashionMnist({ path: file, fallbackDirs: [] })).toThrow(/\(the `path` option\): not a directory/);
    expect(() => loadFashionMnist({ fallbackDirs: [file] })).toThrow(/WEFT_FASHION_MNIST is not set/);
  });
});

describe('loadFashionMnist search order', () => {
  it('path alone when given; else $WEFT_FASHION_MNIST, then the fallback directories', () => {
    const fromPath = goodSet(newDir(), 1);
    const fromEnv = goodSet(newDir(), 2);
    const fromFallback = goodSet(newDir(), 3);
    const tag = (d: { train: { labels: Int32Array } }) => d.train.labels[0];

    vi.stubEnv(FASHION_MNIST_ENV, fromEnv);
    const a = loadFashionMnist({ path: fromPath, fallbackDirs: [fromFallback] });
    expect([tag(a), a.source]).toEqual([1, fromPath]);
    const b = loadFashionMnist({ fallbackDirs: [fromFallback] });
    expect([tag(b), b.source]).toEqual([2, fromEnv]);
    // A path without the files is an error: an explicit choice does not fall through.
    expect(() => loadFashionMnist({ path: join(root, 'nowhere'), fallbackDirs: [fromFallback] })).toThrow(/the `path` option\): does not exist/);
    expect(loadFashionMnistSplit('train', { fallbackDirs: [fromFallback] }).source).toBe(fromEnv);

    vi.stubEnv(FASHION_MNIST_ENV, '');
    const d = loadFashionMnist({ fallbackDirs: [join(root, 'nowhere'), fromFallback] });
    expect([tag(d), d.source]).toEqual([3, fromFallback]);
    vi.stubEnv(FASHION_MNIST_ENV, join(root, 'nowhere-env'));
    expect(loadFashionMnist({ fallbackDirs: [fromFallback] }).source).toBe(fromFallback);
  });
});

// The only test allowed to skip: it needs `apt-get install dataset-fashion-mnist`.
const debianImages = join(FASHION_MNIST_DEBIAN_DIR, 'train-images-idx3-ubyte.gz');
describe('the real Fashion-MNIST from the Debian package', () => {
  it.skipIf(!existsSync(debianImages))('loads 60,000 + 10,000 balanced, scaled images from the default location', () => {
    const data = loadFashionMnist();
    expect(data.source).toBe(FASHION_MNIST_DEBIAN_DIR);
    expect(data.train.rows).toBe(60_000);
    expect(data.test.rows).toBe(10_000);
    expect(data.train.x.length).toBe(60_000 * 784);
    expect(data.test.x.length).toBe(10_000 * 784);
    const histogram = (labels: Int32Array) => {
      const h = new Array(10).fill(0);
      for (const l of labels) h[l]++;
      return h;
    };
    expect(histogram(data.train.labels)).toEqual(new Array(10).fill(6000));
    expect(histogram(data.test.labels)).toEqual(new Array(10).fill(1000));
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of data.train.x) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    expect([lo, hi]).toEqual([0, 1]);
    // The first training image is an ankle boot (label 9) in the published data.
    expect(data.train.labels[0]).toBe(9);
  });
});
