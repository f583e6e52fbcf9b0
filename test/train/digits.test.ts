import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { DataFileError } from '../../src/errors.js';
import { loadDigits } from '../../src/train/datasets/digits.js';
import { disposeAfterEach } from '../support/dispose.js';

const track = disposeAfterEach();
/** The bytes of a typed array: comparing these is fast where toEqual walks 100k elements. */
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

const root = mkdtempSync(join(tmpdir(), 'weft-digits-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const line = (pixels: number, label: number) => `${new Array(64).fill(pixels).join(',')},${label}`;
/** A gzip'd digits file of the given lines. */
function file(name: string, lines: string[], gzip = true): string {
  const path = join(root, name);
  const text = lines.join('\n') + '\n';
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}
/** The DataFileError loading `path` raises. */
function failure(path: string): DataFileError {
  try {
    loadDigits(path);
  } catch (e) {
    expect(e).toBeInstanceOf(DataFileError);
    expect((e as DataFileError).path).toBe(path);
    return e as DataFileError;
  }
  throw new Error(`loadDigits(${path}) did not throw`);
}

describe('loadDigits', () => {
  it('reads the shipped set: 1,797 images scaled to [0, 1], labels 0..9', () => {
    const d = loadDigits();
    expect(d.rows).toBe(1797);
    expect(d.x.length).toBe(1797 * 64);
    expect(Math.max(...d.x)).toBe(1);
    expect(Math.min(...d.x)).toBe(0);
    expect(new Set(d.labels)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  });

  it('reads a copy by path or file: URL', () => {
    const path = file('two.csv.gz', [line(16, 3), line(8, 9)]);
    for (const d of [loadDigits(path), loadDigits(pathToFileURL(path))]) {
      expect(d.rows).toBe(2);
      expect(Array.from(d.labels)).toEqual([3, 9]);
      expect([d.x[0], d.x[64]]).toEqual([1, 0.5]);
    }
  });

  it('a missing file, a file that is not gzip\'d, a bad line: each names the file, the expected and the received', () => {
    const missing = join(root, 'absent.csv.gz');
    expect(failure(missing).message).toBe(
      `Cannot read digits data file '${missing}'. Expected a gzip'd CSV file: lines of 65 comma-separated integers ` +
        `(64 pixels 0..16, then the label 0..9). Received: no such file`,
    );
    expect(failure(file('plain.csv', [line(1, 1)], false)).message).toMatch(/Expected a gzip'd CSV file.*Received: no valid gzip stream \(incorrect header check\)$/);
    expect(failure(file('short.csv.gz', [line(1, 1), '1,2,3'])).message).toMatch(
      /^Invalid digits data file '.*short\.csv\.gz'\. Expected lines of 65 comma-separated integers .*Received: 3 values on line 2$/,
    );
    expect(failure(file('label.csv.gz', [line(1, 10)])).message).toMatch(/Received: "10" in column 65 on line 1$/);
    expect(failure(file('pixel.csv.gz', [line(1, 1).replace(/^1,/, '17,')])).message).toMatch(/Received: "17" in column 1 on line 1$/);
    expect(failure(file('nan.csv.gz', [line(1, 1).replace(/^1,/, 'x,')])).message).toMatch(/Received: "x" in column 1 on line 1$/);
  });

  it('rejects a path that is neither a string, a URL nor an options object', () => {
    expect(() => loadDigits(3 as never)).toThrow(TypeError);
    expect(() => loadDigits(3 as never)).toThrow(/`path`. Expected a file path, a file: URL or an options object \{path\?, tensors\?, image\?\}. Received: path=3/);
    expect(() => loadDigits(null as never)).toThrow(/`path`.*Received: path=null/);
    expect(() => loadDigits({ path: 3 } as never)).toThrow(new TypeError('Invalid type received for argument `options.path`. Expected a file path or a file: URL. Received: options.path=3'));
  });
});

describe('loadDigits({tensors: true})', () => {
  const arrays = loadDigits();

  it('returns x as a float32 [rows, 64] tensor and labels as an int32 [rows] tensor, equal to the arrays', () => {
    const t = weft.loadDigits({ tensors: true });
    expect(t.rows).toBe(1797);
    expect([t.x.shape, t.x.dtype]).toEqual([[1797, 64], 'float32']);
    expect([t.labels.shape, t.labels.dtype]).toEqual([[1797], 'int32']);
    expect(bytes(t.x.dataSync()).equals(bytes(arrays.x))).toBe(true);
    expect(bytes(t.labels.dataSync()).equals(bytes(arrays.labels))).toBe(true);
    tf.dispose([t.x, t.labels]);
  });

  it('with image: true, x is [rows, 8, 8, 1], row-major like the arrays', () => {
    const t = weft.loadDigits({ tensors: true, image: true });
    expect(t.x.shape).toEqual([1797, 8, 8, 1]);
    const pixel = t.x.slice([5, 2, 3, 0], [1, 1, 1, 1]);
    expect(pixel.dataSync()[0]).toBe(arrays.x[5 * 64 + 2 * 8 + 3]);
    tf.dispose([t.x, t.labels, pixel]);
  });

  it('reads a copy given as options.path, and tensors: false keeps the arrays', () => {
    const path = file('tensors.csv.gz', [line(16, 3), line(8, 9)]);
    const t = weft.loadDigits({ path: pathToFileURL(path), tensors: true });
    expect(Array.from(t.labels.dataSync())).toEqual([3, 9]);
    expect(t.x.shape).toEqual([2, 64]);
    tf.dispose([t.x, t.labels]);
    const plain = weft.loadDigits({ path, tensors: false });
    expect(plain.x).toBeInstanceOf(Float32Array);
    expect(plain.labels).toBeInstanceOf(Int32Array);
  });

  it('refuses unknown options, non-boolean flags and image without tensors, naming the option', () => {
    expect(() => loadDigits({ tensor: true } as never)).toThrow(
      new RangeError("Invalid value received for argument `options`. Expected only the options path, tensors, image. Received: options='tensor'"),
    );
    expect(() => loadDigits({ tensors: 'yes' } as never)).toThrow(
      new TypeError("Invalid type received for argument `options.tensors`. Expected a boolean. Received: options.tensors='yes'"),
    );
    expect(() => loadDigits({ tensors: true, image: 1 } as never)).toThrow(/`options.image`. Expected a boolean. Received: options.image=1/);
    expect(() => loadDigits({ image: true })).toThrow(
      new RangeError('Invalid value received for argument `options.image`. Expected true only together with tensors: true (the arrays are flat; only a tensor has an image shape). Received: options.image=true'),
    );
  });

  it('plugs into fit directly: a dense softmax model trains 1 epoch on 1 worker, exactly as on tensors made from the arrays', async () => {
    const build = () => {
      const inputs = weft.input({ shape: [64] });
      const m = track(weft.model({ inputs, outputs: weft.layers.dense({ units: 10, activation: 'softmax' }).apply(inputs), seed: 7 }));
      m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const args = { epochs: 1, batchSize: 64, seed: 3, verbose: 0, workers: 1 } as const;
    const direct = build();
    const before = Float32Array.from(direct.params);
    const { x, labels } = weft.loadDigits({ tensors: true });
    const h = await direct.fit(x, labels, args);
    const byHand = build();
    const hx = tf.tensor2d(arrays.x, [arrays.rows, 64]);
    const hy = tf.tensor1d(arrays.labels, 'int32');
    const reference = await byHand.fit(hx, hy, args);
    expect(h.history.loss).toHaveLength(1);
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
    expect(h.history).toEqual(reference.history);
    expect(direct.params).not.toEqual(before);
    expect(direct.params).toEqual(byHand.params);
    tf.dispose([x, labels, hx, hy]);
  });
});
