import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { dataNotFound, invalidType, malformedFile, missingFile, readFailure } from '../../errors.js';

export interface DigitsSplit {
  /** [rows * 64] pixel intensities scaled to [0, 1]. */
  x: Float32Array;
  /** [rows] class labels 0..9. */
  labels: Int32Array;
  rows: number;
}

const FILE = 'digits data file';
const FORMAT = 'lines of 65 comma-separated integers (64 pixels 0..16, then the label 0..9)';

/** data/digits.csv.gz at the package root, found by walking up from this module (src/ or dist/src/). */
function defaultPath(): string {
  const here = fileURLToPath(import.meta.url);
  for (let dir = dirname(here); ; dir = dirname(dir)) {
    const candidate = join(dir, 'data', 'digits.csv.gz');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) {
      throw dataNotFound('the digits data set', "data/digits.csv.gz in weft's package directory",
        [{ path: dirname(here), finding: 'no data/digits.csv.gz in it or in any directory above it' }],
        'It ships with weft: reinstall the package, or pass the path of a copy to loadDigits(path).');
    }
  }
}

function readLines(path: string): string[] {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    throw missingFile(FILE, path, `a gzip'd CSV file: ${FORMAT}`, readFailure(e), e);
  }
  try {
    return gunzipSync(raw).toString('utf8').trim().split('\n');
  } catch (e) {
    throw malformedFile(FILE, path, `a gzip'd CSV file: ${FORMAT}`, `no valid gzip stream (${(e as Error).message})`, e);
  }
}

/** A line's 64 pixels and label, or what is wrong with it. */
function parseLine(line: string): { cells: number[] } | { wrong: string } {
  const cells = line.split(',').map(Number);
  if (cells.length !== 65) return { wrong: `${cells.length} values` };
  const bad = cells.findIndex((v, j) => !Number.isInteger(v) || v < 0 || v > (j === 64 ? 9 : 16));
  return bad < 0 ? { cells } : { wrong: `${JSON.stringify(line.split(',')[bad])} in column ${bad + 1}` };
}

/**
 * The embedded UCI optical digits set (Alpaydin & Kaynak 1998, CC BY 4.0): 1,797 8x8 images
 * with values 0..16, read from the copy shipped in data/. Intensities are scaled to [0, 1].
 * A missing or malformed file is a DataFileError naming the file and the line.
 */
export function loadDigits(path: string | URL = defaultPath()): DigitsSplit {
  if (typeof path !== 'string' && !(path instanceof URL)) throw invalidType('path', 'a file path or a file: URL', path);
  const file = path instanceof URL ? fileURLToPath(path) : path;
  const lines = readLines(file);
  const rows = lines.length;
  const x = new Float32Array(rows * 64);
  const labels = new Int32Array(rows);
  lines.forEach((line, r) => {
    const parsed = parseLine(line);
    if ('wrong' in parsed) {
      throw malformedFile(FILE, file, FORMAT, `${parsed.wrong} on line ${r + 1}`);
    }
    for (let j = 0; j < 64; j++) x[r * 64 + j] = parsed.cells[j] / 16;
    labels[r] = parsed.cells[64];
  });
  return { x, labels, rows };
}
