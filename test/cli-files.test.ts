import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { parseTrainArgs, UsageError } from '../src/cli.js';
import { runMain as run } from './support/run-cli.js';

const IRIS = resolve(import.meta.dirname, '../data/tabular/iris.csv');
const tmp = mkdtempSync(join(tmpdir(), 'weft-cli-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
const quick = ['--epochs', '20', '--batch-size', '16', '--workers', '1', '--verbose', '0', '--seed', '1'];

const usageError = (argv: string[]): string => {
  try {
    parseTrainArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('weft train --data FILE and weft predict', () => {
  const out = join(tmp, 'iris');

  it('trains the MLP on a CSV with --label, tests on a held-out fifth, saves the model with weft-data.json', async () => {
    const r = await run(['train', '--data', IRIS, '--label', 'species', ...quick, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const accuracy = Number(/^Test on (\d+) examples: loss \d+\.\d{4}, accuracy (\d+\.\d\d)%$/m.exec(r.stdout)![2]);
    expect(accuracy).toBeGreaterThan(70);
    for (const f of ['model.json', 'weights.bin', 'weft-data.json', 'training.csv', 'history.json', 'curves.svg']) expect(existsSync(join(out, f))).toBe(true);
    const d = JSON.parse(readFileSync(join(out, 'weft-data.json'), 'utf8'));
    expect(d).toMatchObject({ format: 'weft-data', kind: 'table', task: 'classification', classes: ['setosa', 'versicolor', 'virginica'], table: { label: 'species' } });
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(JSON.stringify(model.modelTopology)).toContain('"Normalization"');
  });

  it('predict writes a row per input: the class and each probability, with the label column absent', async () => {
    const noLabel = join(tmp, 'new.csv');
    writeFileSync(noLabel, 'sepal_length,sepal_width,petal_length,petal_width\n5.0,3.4,1.5,0.2\n6.7,3.0,5.2,2.3\n');
    const preds = join(tmp, 'p.csv');
    const r = await run(['predict', '--model', out, '--data', noLabel, '--out', preds]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(`Wrote 2 predictions to ${preds}\n`);
    const [header, a, b] = readFileSync(preds, 'utf8').trimEnd().split('\n').map((l) => l.split(','));
    expect(header).toEqual(['predicted', 'p_setosa', 'p_versicolor', 'p_virginica']);
    expect(a[0]).toBe('setosa');
    expect(b[0]).toBe('virginica');
    for (const row of [a, b]) expect(row.slice(1).map(Number).reduce((s, p) => s + p, 0)).toBeCloseTo(1, 4);
    const all = join(tmp, 'all.csv');
    await run(['predict', '--model', out, '--data', IRIS, '--out', all]);
    const rows = readFileSync(all, 'utf8').trimEnd().split('\n').slice(1);
    const truth = readFileSync(IRIS, 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(',')[4]);
    expect(rows).toHaveLength(150);
    expect(rows.filter((row, i) => row.split(',')[0] === truth[i]).length).toBeGreaterThan(120);
  });

  it('a numeric label trains a regression (mae); --test-split COLUMN=VALUE holds out those rows; JSON lines work alike', async () => {
    const reg = await run(['train', '--data', IRIS, '--label', 'petal_width', ...quick]);
    expect(reg.stderr).toBe('');
    expect(reg.stdout).toMatch(/^Test on \d+ examples: loss \d+\.\d{4}, mae \d+\.\d{4}$/m);
    const lines = readFileSync(IRIS, 'utf8').trimEnd().split('\n');
    const withSet = join(tmp, 'set.csv');
    writeFileSync(withSet, [`${lines[0]},set`, ...lines.slice(1).map((l, i) => `${l},${i % 5 === 0 ? 'test' : 'train'}`)].join('\n'));
    const bySet = await run(['train', '--data', withSet, '--label', 'species', '--test-split', 'set=test', ...quick]);
    expect(bySet.stderr).toBe('');
    expect(bySet.stdout).toMatch(/^Test on 30 examples/m);
    const jsonl = join(tmp, 'iris.jsonl');
    writeFileSync(jsonl, lines.slice(1).map((l) => { const f = l.split(','); return JSON.stringify({ sl: +f[0], sw: +f[1], pl: +f[2], pw: +f[3], species: f[4] }); }).join('\n'));
    const j = await run(['train', '--data', jsonl, '--label', 'species', ...quick]);
    expect(j.stderr).toBe('');
    expect(j.stdout).toMatch(/^Test on \d+ examples: loss \d+\.\d{4}, accuracy/m);
  });

  it('an image folder trains the convnet at --image-size; predict reads a folder the same way', async () => {
    const dir = join(tmp, 'images');
    for (const [cls, value] of [['dark', 30], ['light', 220]] as const) {
      mkdirSync(join(dir, cls), { recursive: true });
      for (let i = 0; i < 12; i++) {
        const img = new PNG({ width: 6, height: 6 });
        img.data = Buffer.from(Array.from({ length: 144 }, (_, k) => (k % 4 === 3 ? 255 : value + ((i * 7 + k) % 20))));
        writeFileSync(join(dir, cls, `${i}.png`), PNG.sync.write(img));
      }
    }
    const saved = join(tmp, 'img-model');
    const r = await run(['train', '--data', dir, '--image-size', '10x10', '--color-mode', 'grayscale', '--test-split', '0.25', ...quick, '--out', saved]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Test on \d+ examples: loss \d+\.\d{4}, accuracy/m);
    const preds = join(tmp, 'img.csv');
    expect((await run(['predict', '--model', saved, '--data', dir, '--out', preds])).code).toBe(0);
    const [header, firstRow] = readFileSync(preds, 'utf8').split('\n');
    expect(header).toBe('file,predicted,p_dark,p_light');
    expect(firstRow.startsWith(`${join(dir, 'dark', '0.png')},`)).toBe(true);
    // New images to predict on need no class folders.
    const flat = join(tmp, 'flat');
    mkdirSync(flat);
    writeFileSync(join(flat, 'b.png'), readFileSync(join(dir, 'light', '3.png')));
    writeFileSync(join(flat, 'a.png'), readFileSync(join(dir, 'dark', '3.png')));
    expect((await run(['predict', '--model', saved, '--data', flat, '--out', preds])).code).toBe(0);
    const rows = readFileSync(preds, 'utf8').trimEnd().split('\n').slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r[0])).toEqual([join(flat, 'a.png'), join(flat, 'b.png')]);
  });

  it('bad flags exit 2 naming them; bad data exits 1 with the file and the reason', async () => {
    expect(usageError(['--data', IRIS])).toBe(`weft train: --label: expected the label column of ${IRIS}, received nothing; see weft train --help`);
    expect(usageError(['--data', IRIS, '--label', 'species', '--test-split', '2'])).toMatch(/--test-split: expected a fraction in \(0, 1\) or COLUMN=VALUE, received '2'/);
    expect(usageError(['--data', IRIS, '--label', 'species', '--image-size', '28'])).toMatch(/--image-size: expected HEIGHTxWIDTH/);
    expect(usageError(['--data', IRIS, '--label', 'species', '--model', 'seed2'])).toMatch(/--model: expected mlp or a model\.json path for a table file, received 'seed2'/);
    expect(usageError(['--label', 'species'])).toMatch(/--label: expected a --data file or image folder to apply to, received --data digits/);
    const txt = join(tmp, 'data.txt');
    writeFileSync(txt, 'x');
    expect(usageError(['--data', txt])).toMatch(/--data: expected a \.csv, \.tsv, \.jsonl, \.ndjson file.*a \.txt file/);
    const unknown = await run(['train', '--data', IRIS, '--label', 'price', ...quick]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/--label: expected a column of .*iris\.csv \(sepal_length, sepal_width, petal_length, petal_width, species\), received 'price'/);
    const ragged = join(tmp, 'ragged.csv');
    writeFileSync(ragged, 'a,b\n1,x\n2\n');
    const bad = await run(['train', '--data', ragged, '--label', 'b', ...quick]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/ragged\.csv.*expect 2, got 1 on line 3/);
    expect(bad.stderr.trimEnd().split('\n')).toHaveLength(1);
    const oneClass = join(tmp, 'one.csv');
    writeFileSync(oneClass, 'x,y\n1,yes\n2,yes\n3,yes\n4,yes\n5,yes\n6,yes\n7,yes\n8,yes\n9,yes\n10,yes\n');
    const one = await run(['train', '--data', oneClass, '--label', 'y', ...quick]);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/--label: expected a label of at least 2 classes to classify, received 1 class \('yes'\)/);
    const flatImages = join(tmp, 'flat-images');
    mkdirSync(flatImages);
    writeFileSync(join(flatImages, 'a.png'), 'x');
    expect(usageError(['--data', flatImages])).toMatch(/--data: expected an image folder of one subfolder per class.*images, but no class subfolders/);
    const dirAsCsv = await run(['predict', '--model', out, '--data', tmp, '--out', join(tmp, 'y.csv')]);
    expect(dirAsCsv.code).toBe(1);
    expect(dirAsCsv.stderr).toMatch(/^weft predict: Cannot read CSV file '.*'.*it is a directory\n$/);
    const newLabel = join(tmp, 'new-label.csv');
    writeFileSync(newLabel, 'sepal_length,sepal_width,petal_length,petal_width,species\n5.0,3.4,1.5,0.2,unknown-iris\n');
    expect((await run(['predict', '--model', out, '--data', newLabel, '--out', join(tmp, 'z.csv')])).code).toBe(0);
    const missing = join(tmp, 'missing.csv');
    writeFileSync(missing, 'sepal_length,petal_length\n1,2\n');
    const p = await run(['predict', '--model', out, '--data', missing, '--out', join(tmp, 'x.csv')]);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/the model's feature columns.*'sepal_width'/);
    const noDescription = join(tmp, 'plain');
    mkdirSync(noDescription);
    writeFileSync(join(noDescription, 'model.json'), readFileSync(join(out, 'model.json')));
    expect((await run(['predict', '--model', noDescription, '--data', IRIS])).stderr).toMatch(/Cannot read data description .*weft-data\.json/);
    expect((await run(['predict', '--data', IRIS])).stderr).toMatch(/weft predict: --model: expected the directory weft train --out saved the model in, received nothing/);
  });
});
