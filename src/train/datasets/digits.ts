import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export interface DigitsSplit {
  /** [rows * 64] pixel intensities scaled to [0, 1]. */
  x: Float32Array;
  /** [rows] class labels 0..9. */
  labels: Int32Array;
  rows: number;
}

/** data/digits.csv.gz at the package root, found by walking up from this module (src/ or dist/src/). */
function defaultPath(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'data', 'digits.csv.gz');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error('digits: data/digits.csv.gz not found above ' + fileURLToPath(import.meta.url));
  }
}

/**
 * The embedded UCI optical digits set (Alpaydin & Kaynak 1998, CC BY 4.0): 1,797 8x8 images
 * with values 0..16, read from the copy shipped in data/. Intensities are scaled to [0, 1].
 */
export function loadDigits(path: string | URL = defaultPath()): DigitsSplit {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').trim().split('\n');
  const rows = lines.length;
  const x = new Float32Array(rows * 64);
  const labels = new Int32Array(rows);
  lines.forEach((line, r) => {
    const cells = line.split(',').map(Number);
    if (cells.length !== 65 || cells.some((v) => !Number.isFinite(v))) throw new Error(`digits: malformed line ${r + 1} in ${String(path)}`);
    for (let j = 0; j < 64; j++) x[r * 64 + j] = cells[j] / 16;
    labels[r] = cells[64];
  });
  return { x, labels, rows };
}
