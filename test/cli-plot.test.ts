import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parsePlotArgs, usage, UsageError } from '../src/cli.js';
import { runMain as run } from './support/run-cli.js';
import { attributeOf, expectWellFormedSvg } from './support/svg-reading.js';

const tmp = mkdtempSync(join(tmpdir(), 'weft-cli-plot-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const usageError = (argv: string[]): string => {
  try {
    parsePlotArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`parsePlotArgs(${JSON.stringify(argv)}) did not throw`);
};

describe('weft train --out and weft plot', () => {
  const out = join(tmp, 'run');
  let trained: Awaited<ReturnType<typeof run>>;

  it('train --out writes training.csv, history.json and curves.svg beside the model, all of one history', async () => {
    trained = await run(['train', '--epochs', '3', '--workers', '1', '--verbose', '0', '--seed', '2', '--out', out]);
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    expect(trained.stdout).toContain(`Wrote training.csv, history.json and curves.svg to ${out}`);
    const saved = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')) as { epoch: number[]; history: Record<string, number[]>; params: { epochs: number } };
    expect(saved.epoch).toEqual([0, 1, 2]);
    expect(saved.params.epochs).toBe(3);
    expect(Object.keys(saved.history).sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
    const [header, ...rows] = readFileSync(join(out, 'training.csv'), 'utf8').trimEnd().split('\n').map((l) => l.split(','));
    expect(header).toEqual(['epoch', 'accuracy', 'loss', 'val_accuracy', 'val_loss']);
    for (const [col, key] of header.entries()) if (col > 0) expect(rows.map((r) => Number(r[col]))).toEqual(saved.history[key]);
    const svg = readFileSync(join(out, 'curves.svg'), 'utf8');
    expectWellFormedSvg(svg);
    expect(attributeOf(svg, 'path', 'curve', 'data-key').sort()).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  });

  it('plot history.json draws the same curves again; plot model.json draws the saved model', async () => {
    const again = join(tmp, 'again.svg');
    const r = await run(['plot', join(out, 'history.json'), '--out', again, '--title', 'seed1']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`Drew the training curves of ${join(out, 'history.json')} to ${again}\n`);
    const svg = readFileSync(again, 'utf8');
    expect(attributeOf(svg, 'path', 'curve', 'd')).toEqual(attributeOf(readFileSync(join(out, 'curves.svg'), 'utf8'), 'path', 'curve', 'd'));
    expect(svg).toContain('>seed1<');
    const m = await run(['plot', `file://${join(out, 'model.json')}`, '--show-shapes', '--show-layer-names', '--rankdir', 'LR']);
    expect(m).toMatchObject({ code: 0, stderr: '' });
    const model = readFileSync(join(out, 'model.svg'), 'utf8');
    expectWellFormedSvg(model);
    expect(attributeOf(model, 'g', 'layer', 'data-name')).toEqual(['input_1', 'dense', 'dropout', 'dense_1']);
    expect(model).toContain('>Output shape: (None, 10)<');
  });

  it('plot --help shows FILE and every flag', async () => {
    const r = await run(['plot', '--help']);
    expect(r).toMatchObject({ code: 0, stdout: usage('plot') });
    expect(r.stdout).toMatch(/^Usage: weft plot FILE \[flags\]/);
    for (const flag of ['--out FILE.svg', '--title TEXT', '--show-shapes', '--show-dtype', '--show-layer-names', '--show-trainable', '--show-layer-activations', '--expand-nested', '--rankdir TB|LR|BT|RL']) {
      expect(r.stdout).toContain(`  ${flag} `);
    }
    expect((await run(['--help'])).stdout).toMatch(/^ {2}plot /m);
  });

  it('bad command lines exit 2 naming FILE or the flag', async () => {
    expect(usageError([])).toBe('weft plot: FILE: expected one history.json or model.json, received none; see weft plot --help');
    expect(usageError(['a.json', 'b.json'])).toMatch(/FILE: expected one history\.json or model\.json, received 2 \('a\.json', 'b\.json'\)/);
    expect(usageError(['a.json', '--rankdir', 'up'])).toMatch(/--rankdir: expected TB, LR, BT or RL, received 'up'/);
    expect(usageError(['a.json', '--out', 'a.png'])).toMatch(/--out: expected a file name ending in '\.svg', received 'a\.png'/);
    expect(usageError(['a.json', '--dpi', '96'])).toMatch(/unknown flag.*'--dpi'/);
    const r = await run(['plot']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')).toHaveLength(2);
  });

  it('files that are missing, not JSON, or neither a history nor a model exit 1 with one line', async () => {
    const notJson = join(tmp, 'x.json');
    writeFileSync(notJson, 'not json');
    const other = join(tmp, 'other.json');
    writeFileSync(other, '{"a": 1}');
    for (const [args, message] of [
      [[join(tmp, 'nope.json')], /Cannot read file .*nope\.json.*no such file/],
      [[notJson], /Invalid file .*x\.json.*Expected JSON/],
      [[other], /Expected a history\.json .* or a model\.json .*Received: JSON with keys \[a\]/],
      [[join(out, 'history.json'), '--show-shapes'], /options.*Expected only out and title for a history.*Received: .*showShapes/],
    ] as const) {
      const r = await run(['plot', ...args]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    expect(existsSync(join(tmp, 'curves.svg'))).toBe(false);
  });
});
