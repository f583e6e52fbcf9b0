import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../../src/index.js';
import { ArrayData, ClassLabels } from '../../../src/train/data.js';
import { trainer } from '../../../src/train/trainer.js';
import { disposeAfterEach } from '../../support/dispose.js';

const track = disposeAfterEach();
const IRIS = resolve(import.meta.dirname, '../../../data/tabular/iris.csv');
const dir = mkdtempSync(join(tmpdir(), 'weft-tables-'));
let files = 0;
const file = (text: string | Buffer, ext = 'csv') => {
  const p = join(dir, `f${files++}.${ext}`);
  writeFileSync(p, text);
  return p;
};

const xsOf = async (ds: weft.FileDataset) => {
  const { xs } = await ds.load();
  return Array.from((xs as ArrayData).values);
};

function classifier(features: number, classes: number, loss = 'sparseCategoricalCrossentropy', seed = 1): weft.Model {
  const inputs = weft.input({ shape: [features] });
  const h = weft.layers.dense({ units: 8, activation: 'relu' }).apply(inputs);
  const model = track(weft.model({ inputs, outputs: weft.layers.dense({ units: classes, activation: classes === 1 ? 'sigmoid' : 'softmax' }).apply(h), seed }));
  model.compile({ optimizer: 'adam', loss, metrics: ['accuracy'] });
  return model;
}

describe('weft.data.csv', () => {
  it('reads the vendored iris: named features, the label as sorted classes, the vocabulary noted', async () => {
    const info = await weft.data.csv(IRIS, { labelColumn: 'species' }).info();
    expect(info).toMatchObject({ rows: 150, size: 150, featureShape: [4], featureNames: ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] });
    expect(info.label).toEqual({ name: 'species', classes: ['setosa', 'versicolor', 'virginica'] });
    expect(info.notes).toEqual(["'species' is a category of 3: setosa=0, versicolor=1, virginica=2"]);
    const { xs, ys } = await weft.data.csv(IRIS, { labelColumn: 'species' }).load();
    expect(Array.from((xs as ArrayData).values.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    expect((ys as ClassLabels).indices[0]).toBe(0);
    expect((ys as ClassLabels).indices[149]).toBe(2);
  });

  it('parses quoting, CRLF, a BOM and a newline inside quotes; a category feature is one-hot or its index', async () => {
    const text = '\uFEFFsize,"colour, name",y\r\n1.5,"red, dark",a\r\n2,"blue\nish",b\r\n3,"red, dark",a\r\n';
    const p = file(text);
    const ds = weft.data.csv(p, { labelColumn: 'y' });
    const info = await ds.info();
    expect(info.rows).toBe(3);
    expect(info.featureNames).toEqual(['size', 'colour, name=blue\nish', 'colour, name=red, dark']);
    expect(await xsOf(ds)).toEqual([1.5, 0, 1, 2, 1, 0, 3, 0, 1]);
    const indexed = weft.data.csv(p, { labelColumn: 'y', columnConfigs: { 'colour, name': { oneHot: false } } });
    expect(await xsOf(indexed)).toEqual([1.5, 1, 2, 0, 3, 1]);
  });

  it('columnNames for a file without a header, another delimiter, dtype string for numeric categories, defaults for missing values', async () => {
    const p = file('1;10;x\n2;;y\n3;10;x\n');
    const ds = weft.data.csv(p, { hasHeader: false, columnNames: ['a', 'code', 'label'], delimiter: ';', labelColumn: 'label', columnConfigs: { code: { dtype: 'string', default: '20' } } });
    const info = await ds.info();
    expect(info.featureNames).toEqual(['a', 'code=10', 'code=20']);
    expect(await xsOf(ds)).toEqual([1, 1, 0, 2, 0, 1, 3, 1, 0]);
  });

  it('refuses bad files with the path, the line and the column', async () => {
    await expect(weft.data.csv(file('a,b\n1,2\n3\n'), { labelColumn: 'b' }).info()).rejects.toThrow(/f\d+\.csv.*the same number of fields on every row.*expect 2, got 1 on line 3$/);
    await expect(weft.data.csv(file('a,b\n1,x\n2,3\nabc,y\n'), { labelColumn: 'b' }).info()).rejects.toThrow(/f\d+\.csv.*a number \(the column is numeric from line 2.*"abc" at .*line 4, column 'a'/);
    await expect(weft.data.csv(file('a,b\r\n1,"x\r\ny"\r\nabc,z\r\n'), { labelColumn: 'a' }).info()).rejects.toThrow(/"abc" at .*line 4, column 'a'/);
    await expect(weft.data.csv(file('a,b\n1,"p\nq"\n2,r\n1e999,s\n'), { labelColumn: 'b' }).info()).rejects.toThrow(/"1e999" at .*line 5, column 'a'/);
    await expect(weft.data.csv(file('a,b\n1,x\n,y\n'), { labelColumn: 'b' }).info()).rejects.toThrow(/a value in every row \(or a default.*missing value at .*line 3, column 'a'/);
    await expect(weft.data.csv(file('a,b\n1,"x\n'), { labelColumn: 'b' }).info()).rejects.toThrow(/Invalid CSV file .*quotes closed/);
    await expect(weft.data.csv(file('a,b\n1,2\n'), { labelColumn: 'price' }).info()).rejects.toThrow(/Unknown labelColumn \(a column of .*f\d+\.csv\): 'price'. Expected one of: 'a', 'b'/);
    await expect(weft.data.csv(file('a,b\n'), { labelColumn: 'b' }).info()).rejects.toThrow(/at least one row of data/);
    expect(() => weft.data.csv(join(dir, 'nope.csv'))).toThrow(/Cannot read CSV file '.*nope\.csv'.*no such file/);
    expect(() => weft.data.csv(dir)).toThrow(/it is a directory/);
    expect(() => weft.data.csv(IRIS, { delimiter: '' })).toThrow(/delimiter/);
    expect(() => weft.data.csv(IRIS, { columnConfigs: { species: { dtype: 'float64' as 'float32' } } })).toThrow(/columnConfigs\['species'\]\.dtype/);
    expect(() => weft.data.csv(IRIS, { labelColumn: 'species', columnConfigs: { petal_width: { isLabel: true } } })).toThrow(/labelColumn/);
    expect(() => weft.data.csv(IRIS, { label: 'x' } as never)).toThrow(/label/);
  });

  it('fit(dataset) trains exactly as fit on the same arrays; evaluate and predict take it too', async () => {
    const ds = weft.data.csv(IRIS, { labelColumn: 'species' });
    const { xs, ys } = await ds.load();
    const args = { epochs: 2, batchSize: 16, seed: 4, workers: 1, verbose: 0 } as const;
    const a = classifier(4, 3);
    const b = classifier(4, 3);
    const ha = await a.fit(ds, args);
    const hb = await b.fit(xs, ys, args);
    expect(ha.history).toEqual(hb.history);
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
    const [loss] = (await a.evaluate(ds)) as weft.tf.Scalar[];
    const [lossB] = (await b.evaluate(xs, ys)) as weft.tf.Scalar[];
    expect(loss.dataSync()[0]).toBe(lossB.dataSync()[0]);
    expect(((await a.predict(ds)) as weft.tf.Tensor).shape).toEqual([150, 3]);
  });

  it('a weft.trainer takes a dataset within its memory limit, training as model.fit does', async () => {
    const ds = weft.data.csv(IRIS, { labelColumn: 'species' });
    const args = { epochs: 2, batchSize: 16, seed: 4, workers: 1, verbose: 0 } as const;
    const direct = await classifier(4, 3).fit(ds, args);
    const model = classifier(4, 3);
    const t = await trainer(model, { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    try {
      expect((await t.fit(ds, args)).history).toEqual(direct.history);
      expect(((await t.evaluate(ds)) as weft.tf.Scalar[]).length).toBe(2);
      expect(((await t.predict(ds)) as weft.tf.Tensor).shape).toEqual([150, 3]);
      await expect(t.fit(ds.memoryLimit(10), args)).rejects.toThrow(/dataset.*within its memoryLimit \(10 bytes\) for a weft\.trainer/);
    } finally {
      await t.dispose();
    }
  }, 60_000);

  it('the label takes the form the loss needs: indices, one-hot, or 0/1 for one unit; a mismatch names the label column', async () => {
    const ds = weft.data.csv(IRIS, { labelColumn: 'species' });
    const h = await classifier(4, 3, 'categoricalCrossentropy').fit(ds, { epochs: 1, verbose: 0, workers: 1 });
    expect(h.history.loss).toHaveLength(1);
    const two = weft.data.csv(file('x,y\n1,no\n2,yes\n3,no\n4,yes\n'), { labelColumn: 'y' });
    expect((await classifier(1, 1, 'binaryCrossentropy').fit(two, { epochs: 1, verbose: 0, workers: 1 })).history.loss).toHaveLength(1);
    await expect(classifier(4, 2).fit(ds, { epochs: 1, verbose: 0, workers: 1 })).rejects.toThrow(/the 3 classes of 'species'.*an output of 3 units.*2 units/);
    await expect(classifier(4, 2, 'categoricalCrossentropy').fit(ds, { epochs: 1, verbose: 0, workers: 1 })).rejects.toThrow(/the 3 classes of 'species'.*an output of 3 units.*2 units/);
    await expect(classifier(4, 3).fit(weft.data.csv(IRIS), { epochs: 1, verbose: 0 })).rejects.toThrow(/fit\(dataset\).*label/);
  });

  it('split is disjoint, covers every row and is the same for the same seed; splitBy takes a column', async () => {
    const ds = weft.data.csv(IRIS, { labelColumn: 'species' });
    const [train, test] = ds.split(0.2, { seed: 5 });
    const [a, b] = [await xsOf(train), await xsOf(test)];
    expect((a.length + b.length) / 4).toBe(150);
    expect(b.length / 4).toBeGreaterThan(15);
    expect(b.length / 4).toBeLessThan(45);
    expect(await xsOf(ds.split(0.2, { seed: 5 })[1])).toEqual(b);
    expect(await xsOf(ds.split(0.2, { seed: 6 })[1])).not.toEqual(b);
    const p = file('f,set,y\n1,train,a\n2,test,b\n3,train,b\n4,test,a\n');
    const [rest, held] = await weft.data.csv(p, { labelColumn: 'y', columnConfigs: { set: { dtype: 'string' } } }).splitBy('set', 'test');
    expect((await held.info()).size).toBe(2);
    expect((await rest.info()).size).toBe(2);
    expect(() => ds.split(1)).toThrow(/fraction/);
  });

  it('streams a file larger than its memory limit: every row once per epoch, shuffled by a seeded buffer, reproducibly', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `${i},${i % 3 === 0 ? 'a' : 'b'}`);
    const p = file(`x,y\n${rows.join('\n')}\n`);
    const ds = weft.data.csv(p, { labelColumn: 'y' });
    const order = async (d: weft.FileDataset) => {
      const out: number[] = [];
      for await (const batch of d) out.push(...(batch.xs as ArrayData).values);
      return out;
    };
    const shuffled = ds.batch(8).shuffle(7, 3);
    const first = await order(shuffled);
    const second = await order(shuffled);
    expect([...first].sort((a, b) => a - b)).toEqual(rows.map((_, i) => i));
    expect(first).not.toEqual(rows.map((_, i) => i));
    expect(second).not.toEqual(first);
    expect(await order(ds.batch(8).shuffle(7, 3))).toEqual(first);
    const fitOnce = async () => {
      const model = classifier(1, 2);
      const sizes: number[] = [];
      const h = await model.fit(ds.memoryLimit(0), { epochs: 2, batchSize: 8, seed: 9, verbose: 0, workers: 1, callbacks: [{ onBatchEnd: (_b: number, l?: weft.Logs) => { sizes.push(l!.size); } }] });
      expect(sizes.reduce((s, n) => s + n, 0)).toBe(100);
      return { h: h.history, params: Array.from(model.params) };
    };
    expect(await fitOnce()).toEqual(await fitOnce());
    // evaluate scores a dataset over its limit batch by batch: the same loss as loaded whole.
    const scorer = classifier(1, 2);
    const [whole] = (await scorer.evaluate(ds)) as weft.tf.Scalar[];
    const [streamed] = (await scorer.evaluate(ds.memoryLimit(0), { batchSize: 7 })) as weft.tf.Scalar[];
    expect(streamed.dataSync()[0]).toBeCloseTo(whole.dataSync()[0], 5);
    await expect(classifier(1, 2).fit(ds.memoryLimit(0), { epochs: 1, validationSplit: 0.1, verbose: 0 })).rejects.toThrow(/validationSplit.*dataset\.split/);
  });
});

describe('file handles', () => {
  it.skipIf(process.platform !== 'linux')('a pass left early (reading the header) or failing closes its file', async () => {
    const fds = () => readdirSync('/proc/self/fd').length;
    const bad = file('a,b\n1,x\nzz,y\n');
    const jl = file('{"a": 1, "y": 0}\n{"a": 2, "y": 1}\n', 'jsonl');
    await weft.data.csv(IRIS, { labelColumn: 'species' }).info();
    const before = fds();
    for (let i = 0; i < 20; i++) {
      await weft.data.csv(IRIS, { labelColumn: 'species' }).info();
      await weft.data.csv(bad, { labelColumn: 'b' }).info().catch(() => undefined);
      await weft.data.jsonl(jl, { y: 'y' }).info();
    }
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(fds()).toBeLessThanOrEqual(before + 2);
  });

  it('a stream a fit leaves early (training stopped mid-epoch) is ended: its generator finishes', async () => {
    let finished = 0;
    async function* batches() {
      try {
        for (let i = 0; i < 100; i++) yield { xs: [[i / 100]], ys: [i % 2] };
      } finally {
        finished++;
      }
    }
    const model = classifier(1, 2);
    const stop: weft.Callback = { onBatchEnd: (b) => { if (b === 2) model.stopTraining = true; } };
    await model.fitDataset(batches(), { epochs: 1, verbose: 0, workers: 1, callbacks: [stop] });
    expect(finished).toBe(1);
  });
});

describe('weft.data.jsonl', () => {
  it('reads fields, an array field and the label; refuses a bad line with its number', async () => {
    const p = file('\uFEFF{"a": 1, "v": [1, 2], "kind": "cat"}\n\n{"a": 2.5, "v": [3, 4], "kind": "dog"}\n', 'jsonl');
    const ds = weft.data.jsonl(p, { x: ['a', 'v'], y: 'kind' });
    expect(await ds.info()).toMatchObject({ rows: 2, featureNames: ['a', 'v[0]', 'v[1]'], label: { name: 'kind', classes: ['cat', 'dog'] } });
    expect(await xsOf(ds)).toEqual([1, 1, 2, 2.5, 3, 4]);
    await expect(weft.data.jsonl(file('{"a": 1, "y": 0}\n{"a": oops}\n', 'jsonl'), { y: 'y' }).info()).rejects.toThrow(/JSON-lines file .*one JSON object per line.*line 2/);
    await expect(weft.data.jsonl(file('{"a": [1, 2], "y": 0}\n{"a": [1], "y": 1}\n', 'jsonl'), { y: 'y' }).info()).rejects.toThrow(/an array of 2 numbers.*line 2, column 'a'/);
    await expect(weft.data.jsonl(file('{"a": 1}\n', 'jsonl'), { y: 'y' }).info()).rejects.toThrow(/y.*a/);
    expect(() => weft.data.jsonl(p, { x: ['a', 'kind'], y: 'kind' })).toThrow(/x.*other than the label/);
  });
});
