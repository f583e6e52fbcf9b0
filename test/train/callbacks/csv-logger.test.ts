import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../../src/index.js';
import { disposeAfterEach } from '../../support/dispose.js';
import { drive, FakeTarget, toyClasses } from './fake-target.js';

const track = disposeAfterEach();
const tmp = () => mkdtempSync(join(tmpdir(), 'weft-csv-'));

const { X, Y } = toyClasses();

function classifier(): weft.Model {
  const inputs = weft.input({ shape: [4] });
  const model = weft.model({ inputs, outputs: weft.layers.dense({ units: 3, activation: 'softmax' }).apply(inputs), seed: 5 });
  track(model);
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

const fit = (model: weft.Model, callbacks: weft.Callback[], epochs = 3, initialEpoch = 0) =>
  model.fit(X, Y, { epochs, initialEpoch, batchSize: 8, validationSplit: 0.2, seed: 3, workers: 1, verbose: 0, callbacks });

/** The CSV as a header and rows of fields (no quoting in these files). */
function parse(path: string, separator = ','): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').split('\n');
  expect(lines.pop()).toBe('');
  const [header, ...rest] = lines.map((l) => l.split(separator));
  return { header, rows: rest };
}

describe('weft.callbacks.csvLogger', () => {
  it('writes one row per epoch: epoch, then the sorted log keys, equal to History', async () => {
    const path = join(tmp(), 'sub', 'log.csv');
    const history = await fit(classifier(), [weft.callbacks.csvLogger(path)]);
    const { header, rows: body } = parse(path);
    expect(header).toEqual(['epoch', 'accuracy', 'loss', 'val_accuracy', 'val_loss']);
    expect(body.map((r) => Number(r[0]))).toEqual(history.epoch);
    for (const [col, key] of header.entries()) {
      if (col > 0) expect(body.map((r) => Number(r[col]))).toEqual(history.history[key]);
    }
  });

  it('replaces the file by default and, with append, adds rows under the one header', async () => {
    const path = join(tmp(), 'log.csv');
    writeFileSync(path, 'old contents\n');
    const model = classifier();
    await fit(model, [weft.callbacks.csvLogger(path)], 2);
    expect(parse(path).rows.map((r) => r[0])).toEqual(['0', '1']);
    await fit(model, [weft.callbacks.csvLogger(path, { append: true })], 4, 2);
    const { header, rows: body } = parse(path);
    expect(header[0]).toBe('epoch');
    expect(body.map((r) => r[0])).toEqual(['0', '1', '2', '3']);
    await fit(model, [weft.callbacks.csvLogger(path)], 1);
    expect(parse(path).rows.map((r) => r[0])).toEqual(['0']);
  });

  it('append to a missing or empty file writes the header first', async () => {
    const path = join(tmp(), 'new.csv');
    await fit(classifier(), [weft.callbacks.csvLogger(path, { append: true })], 1);
    expect(parse(path).header).toEqual(['epoch', 'accuracy', 'loss', 'val_accuracy', 'val_loss']);
  });

  it('uses the separator, writes NA for a key missing later, and nan / inf as Python prints them', async () => {
    const path = join(tmp(), 'log.tsv');
    await drive(weft.callbacks.csvLogger(path, { separator: '\t' }), new FakeTarget(), [{ loss: 0.5, acc: 0.25 }, { loss: Number.NaN }, { loss: Infinity, acc: -Infinity }]);
    expect(readFileSync(path, 'utf8')).toBe('epoch\tacc\tloss\n0\t0.25\t0.5\n1\tNA\tnan\n2\t-inf\tinf\n');
  });

  it('bad paths and options are refused by name', () => {
    const dir = tmp();
    const file = join(dir, 'f');
    writeFileSync(file, '');
    expect(() => weft.callbacks.csvLogger('')).toThrow(/path/);
    expect(() => weft.callbacks.csvLogger(dir)).toThrow(/path.*a directory/);
    expect(() => weft.callbacks.csvLogger(join(file, 'x.csv'))).toThrow(/path.*ENOTDIR/);
    expect(() => weft.callbacks.csvLogger(join(dir, 'a.csv'), { separator: '' })).toThrow(/separator/);
    expect(() => weft.callbacks.csvLogger(join(dir, 'a.csv'), { separator: 1 as unknown as string })).toThrow(/separator.*1/);
    expect(() => weft.callbacks.csvLogger(join(dir, 'a.csv'), { append: 'yes' as unknown as boolean })).toThrow(/append.*yes/);
    expect(() => weft.callbacks.csvLogger(join(dir, 'a.csv'), { sep: ';' } as never)).toThrow(/sep/);
  });
});
