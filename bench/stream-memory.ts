/**
 * Peak resident memory of fit on a CSV file larger than its memory limit (streamed through the
 * bounded shuffle buffer) against the same file loaded whole, each in a fresh child process,
 * with the process's baseline (weft imported, the pool started, no data) measured the same way.
 *   npm run bench:stream-memory [-- --rows 200000 --features 50]
 * The stream should hold a batch and its shuffle buffer (≤ 10,000 examples), not the file.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { child: { type: 'string' }, file: { type: 'string' }, rows: { type: 'string', default: '200000' }, features: { type: 'string', default: '50' } } });
const features = Number(args.features);

async function child(mode: 'baseline' | 'stream' | 'load', file: string): Promise<void> {
  const weft = await import('../src/index.js');
  const inputs = weft.input({ shape: [features] });
  const h = weft.layers.dense({ units: 64, activation: 'relu' }).apply(inputs);
  const model = weft.model({ inputs, outputs: weft.layers.dense({ units: 2, activation: 'softmax' }).apply(h), seed: 1 });
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const ds = weft.data.csv(file, { labelColumn: 'y' });
  const started = performance.now();
  if (mode === 'baseline') await model.fit([new Array<number>(features).fill(0)], [0], { epochs: 1, workers: 1, verbose: 0 });
  else await model.fit(mode === 'stream' ? ds.memoryLimit(0) : ds, { epochs: 1, batchSize: 256, workers: 1, seed: 1, verbose: 0 });
  const seconds = (performance.now() - started) / 1000;
  await model.dispose();
  console.log(JSON.stringify({ mode, peak: process.resourceUsage().maxRSS * 1024, seconds }));
}

function measure(mode: string, file: string): { peak: number; seconds: number } {
  const script = fileURLToPath(import.meta.url);
  const runner = script.endsWith('.ts') ? ['--import', 'tsx', script] : [script];
  const out = execFileSync(process.execPath, [...runner, '--child', mode, '--file', file, '--features', String(features)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${Array.from({ length: features }, (_, j) => `f${j}`).join(',')},y\n`);
  for (let r = 0; r < rows; r++) {
    const line = `${Array.from({ length: features }, (_, j) => (((r * 31 + j * 17) % 997) / 997).toFixed(4)).join(',')},${r % 2 === 0 ? 'even' : 'odd'}\n`;
    if (!out.write(line)) await new Promise<void>((r2) => out.once('drain', () => r2()));
  }
  await new Promise<void>((done) => out.end(done));
}

if (args.child !== undefined) {
  await child(args.child as 'baseline' | 'stream' | 'load', args.file as string);
} else {
  const dir = mkdtempSync(join(tmpdir(), 'weft-stream-'));
  const file = join(dir, 'big.csv');
  const rows = Number(args.rows);
  await writeCsv(file, rows);
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MB`;
  console.log(`${rows.toLocaleString('en-US')} rows × ${features} features + a label: a ${mb(statSync(file).size)} CSV, ${mb(rows * (features + 1) * 4)} as float32`);
  const base = measure('baseline', file);
  const stream = measure('stream', file);
  const load = measure('load', file);
  console.log(`peak RSS: baseline ${mb(base.peak)}; streamed ${mb(stream.peak)} (+${mb(stream.peak - base.peak)}, ${stream.seconds.toFixed(1)} s); loaded ${mb(load.peak)} (+${mb(load.peak - base.peak)}, ${load.seconds.toFixed(1)} s)`);
  rmSync(dir, { recursive: true, force: true });
}
