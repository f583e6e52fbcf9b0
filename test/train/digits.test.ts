import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataFileError } from '../../src/errors.js';
import { loadDigits } from '../../src/train/datasets/digits.js';

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

  it('rejects a path that is neither a string nor a URL', () => {
    expect(() => loadDigits(3 as never)).toThrow(TypeError);
    expect(() => loadDigits(3 as never)).toThrow(/`path`. Expected a file path or a file: URL. Received: path=3/);
  });
});
