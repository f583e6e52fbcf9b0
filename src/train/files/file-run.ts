/**
 * `weft train --data FILE` and `weft predict`: a user's CSV, JSON lines or image folder, read
 * as a dataset, split into train / validation / test with a fixed seed, a model chosen for the
 * data (an MLP behind a Normalization layer adapted on the training split for tables, the
 * convnet for images), and the description of the data (columns, categories, classes) saved
 * beside the model so predict reads a new file exactly as training did.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as weft from '../../index.js';
import { malformedFile, missingFile, readFailure } from '../../errors.js';
import { convnet } from '../zoo.js';
import { FileDataset } from './dataset.js';
import { imageFolder } from './images.js';
import { checkReadable, csvRecords, jsonlRecords, type RecordSource } from './records.js';
import type { Schema } from './schema.js';
import { csv, jsonl, TableSource } from './tables.js';

export type Task = 'auto' | 'classification' | 'regression';

export interface FileRunOptions {
  readonly path: string;
  readonly kind: 'table' | 'images';
  readonly label: string | null;
  readonly task: Task;
  /** A fraction of the rows, or the rows whose column holds a value. */
  readonly testSplit: { readonly fraction: number } | { readonly column: string; readonly value: string };
  readonly validationSplit: number;
  readonly imageSize: readonly [number, number];
  readonly colorMode: 'grayscale' | 'rgb' | 'rgba';
}

/** How a new file is read as the model was trained: what weft-data.json holds. */
export interface DataDescription {
  readonly format: 'weft-data';
  readonly version: 1;
  readonly kind: 'table' | 'images';
  readonly task: 'classification' | 'regression';
  /** The class names, in the order of the model's outputs (classification). */
  readonly classes: readonly string[] | null;
  readonly table?: { readonly reader: 'csv' | 'jsonl'; readonly delimiter: string; readonly label: string; readonly schema: Schema };
  readonly images?: { readonly imageSize: readonly [number, number]; readonly colorMode: 'grayscale' | 'rgb' | 'rgba' };
}

export const DESCRIPTION_FILE = 'weft-data.json';
/** Rows go to the test split by this seed whatever --seed is, so every run tests on the same rows. */
const SPLIT_SEED = 42;

const isJsonl = (path: string) => ['.jsonl', '.ndjson'].includes(extname(path).toLowerCase());
const delimiterOf = (path: string) => (extname(path).toLowerCase() === '.tsv' ? '\t' : ',');

function records(path: string): RecordSource {
  return isJsonl(path) ? jsonlRecords(path) : csvRecords(path, { hasHeader: true, columnNames: null, delimiter: delimiterOf(path) });
}

export interface PreparedRun {
  readonly model: weft.Model;
  readonly train: FileDataset;
  readonly validation: FileDataset | null;
  readonly test: FileDataset;
  readonly description: DataDescription;
  /** What was read, for the first line the CLI prints. */
  readonly summary: string;
  readonly notes: readonly string[];
}

/** The datasets, the model (built or loaded, compiled) and the description for a run on a user's file. */
export async function prepareFileRun(o: FileRunOptions, model: { path: string | null; seed: number }, note: (line: string) => void): Promise<PreparedRun> {
  let all: FileDataset;
  let ignore: string[] = [];
  if ('column' in o.testSplit) ignore = [o.testSplit.column];
  if (o.kind === 'images') {
    all = imageFolder(o.path, { imageSize: [o.imageSize[0], o.imageSize[1]], colorMode: o.colorMode, seed: SPLIT_SEED });
  } else {
    const columns = await records(o.path).columns();
    if (o.label === null) throw new RangeError(`--label: expected the label column of ${o.path}, one of: ${columns.join(', ')}`);
    if (!columns.includes(o.label)) throw new RangeError(`--label: expected a column of ${o.path} (${columns.join(', ')}), received '${o.label}'`);
    const read = (configs: Record<string, weft.ColumnConfig>) => isJsonl(o.path)
      ? jsonl(o.path, { y: o.label as string, columnConfigs: configs, x: columns.filter((c) => c !== o.label && !ignore.includes(c)) })
      : csv(o.path, { labelColumn: o.label as string, columnConfigs: configs, delimiter: delimiterOf(o.path), ...(ignore.length === 0 ? {} : { ignoreColumns: ignore }) });
    all = read({});
    // A numeric label trains a regression unless --task classification says its values are classes.
    if (o.task === 'classification' && (await all.info()).label?.classes === null) all = read({ [o.label]: { dtype: 'string' } });
  }
  const info = await all.info();
  const classes = info.label?.classes ?? null;
  const task = o.task === 'auto' ? (classes === null ? 'regression' : 'classification') : o.task;
  if (task === 'classification' && (classes === null || classes.length < 2)) {
    throw new RangeError(`--label: expected a label of at least 2 classes to classify, received ${classes === null ? 'numbers' : `1 class ('${classes[0]}')`} in '${info.label?.name ?? o.path}'`);
  }
  if (task === 'regression' && classes !== null) throw new RangeError(`--task: regression needs a numeric label; '${info.label!.name}' holds categories (${classes.join(', ')})`);
  const [rest, test] = 'column' in o.testSplit ? await all.splitBy(o.testSplit.column, o.testSplit.value) : all.split(o.testSplit.fraction, { seed: SPLIT_SEED });
  const [train, validation] = o.validationSplit > 0 ? rest.split(o.validationSplit, { seed: SPLIT_SEED + 1 }) : [rest, null];
  const sizes = await Promise.all([train, validation ?? train, test].map(async (d) => (await d.info()).size));
  if (sizes.some((n) => n === 0)) throw new RangeError(`the splits of ${o.path} leave a part empty (train ${sizes[0]}, validation ${validation === null ? 0 : sizes[1]}, test ${sizes[2]}): use more data or other --test-split / --validation-split`);
  const units = task === 'regression' ? 1 : (classes as readonly string[]).length;
  const built = model.path === null ? await buildFor(o, info, train, units, model.seed, note) : await weft.loadModel(model.path);
  const expected = [null, ...info.featureShape];
  if (JSON.stringify(built.inputs[0].shape) !== JSON.stringify(expected) || built.inputs.length !== 1 || built.outputs.length !== 1 || built.outputs[0].shape.at(-1) !== units) {
    await built.dispose();
    throw new RangeError(`--model: expected one input of shape ${JSON.stringify(expected)} and ${units} outputs for ${o.path}, received inputs ${JSON.stringify(built.inputs.map((t) => t.shape))}, outputs ${JSON.stringify(built.outputs.map((t) => t.shape))}`);
  }
  if (task === 'regression') built.compile({ optimizer: 'adam', loss: 'meanSquaredError', metrics: ['mae'] });
  else built.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const schema = (await all.schema()) as Schema | null;
  const description: DataDescription = {
    format: 'weft-data', version: 1, kind: o.kind, task, classes,
    ...(schema === null ? { images: { imageSize: o.imageSize, colorMode: o.colorMode } } : { table: { reader: isJsonl(o.path) ? 'jsonl' : 'csv', delimiter: delimiterOf(o.path), label: o.label as string, schema } }),
  };
  const summary = `${o.path}: ${info.rows} examples of ${info.featureShape.join('×')} features, ${task}${classes === null ? '' : ` of ${classes.length} classes`}; ${sizes[0]} train, ${validation === null ? 0 : sizes[1]} validation, ${sizes[2]} test`;
  return { model: built, train, validation, test, description, summary, notes: info.notes };
}

/** An MLP behind a Normalization adapted on the training split (tables), or the convnet (images). */
async function buildFor(o: FileRunOptions, info: Awaited<ReturnType<FileDataset['info']>>, train: FileDataset, units: number, seed: number, note: (line: string) => void): Promise<weft.Model> {
  if (o.kind === 'images') {
    const [h, w, c] = info.featureShape;
    return convnet([h, w], seed, note, { channels: c, classes: units });
  }
  const norm = weft.layers.normalization() as weft.Layer & { adapt(data: unknown): Promise<void> };
  await norm.adapt(train);
  const inputs = weft.input({ shape: [info.featureShape[0]] });
  let x = norm.apply(inputs);
  for (const width of [64, 64]) x = weft.layers.dense({ units: width, activation: 'relu' }).apply(x);
  const outputs = weft.layers.dense({ units, activation: units === 1 ? 'linear' : 'softmax' }).apply(x);
  const model = weft.model({ inputs, outputs, seed, name: 'mlp' });
  // Normalization is for measured numbers: a one-hot or index column keeps its 0/1 (mean 0, variance 1).
  const [mean, variance, count] = norm.getWeights().map((t) => Float32Array.from(t.dataSync()));
  info.categorical?.forEach((isCategory, j) => {
    if (isCategory) [mean[j], variance[j]] = [0, 1];
  });
  norm.setWeights([weft.tf.tensor1d(mean), weft.tf.tensor1d(variance), weft.tf.scalar(count[0])]);
  return model;
}

/** Reads the description saved beside a model by `weft train --data FILE --out DIR`. */
export function readDescription(dir: string): DataDescription {
  const path = join(dir, DESCRIPTION_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw missingFile('data description', path, `the ${DESCRIPTION_FILE} that weft train --data FILE --out DIR writes beside the model`, readFailure(err), err);
  }
  let d: DataDescription;
  try {
    d = JSON.parse(text) as DataDescription;
  } catch (err) {
    throw malformedFile('data description', path, 'JSON', (err as Error).message, err);
  }
  if (d.format !== 'weft-data' || d.version !== 1) throw malformedFile('data description', path, 'format weft-data, version 1', `${d.format} ${d.version}`);
  return d;
}

/** A new file as the saved model reads it: the table under the saved schema, or an image folder at the saved size. */
export function datasetFor(description: DataDescription, path: string): FileDataset {
  if (description.images !== undefined) return imageFolder(path, { imageSize: [...description.images.imageSize] as [number, number], colorMode: description.images.colorMode, shuffle: false, labels: null });
  const t = description.table!;
  checkReadable(t.reader === 'jsonl' ? 'JSON-lines file' : 'CSV file', path, `a readable ${t.reader === 'jsonl' ? 'JSON-lines' : 'CSV'} file`);
  const source = t.reader === 'jsonl' ? jsonlRecords(path) : csvRecords(path, { hasHeader: true, columnNames: null, delimiter: t.delimiter });
  return FileDataset.create(new TableSource(source, { columnConfigs: {}, features: null, label: t.label, exclude: [] }, t.schema));
}

/** Writes one row per example: the predicted class and each class's probability, or the predicted value. */
export async function writePredictions(model: weft.Model, description: DataDescription, data: FileDataset, out: string): Promise<number> {
  const y = (await model.predict(data, { batchSize: 256 })) as weft.tf.Tensor;
  const values = await y.data();
  const [rows, units] = y.shape as [number, number];
  y.dispose();
  const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  // Images are named by their file (tables keep the input's row order).
  const files = data.files();
  const first = (r: number) => (files === null ? [] : [quote(files[r])]);
  const lines: string[] = [];
  if (description.task === 'regression') {
    lines.push([...(files === null ? [] : ['file']), `predicted_${description.table?.label ?? 'value'}`].join(','));
    for (let r = 0; r < rows; r++) lines.push([...first(r), String(values[r])].join(','));
  } else {
    const classes = description.classes as readonly string[];
    lines.push([...(files === null ? [] : ['file']), 'predicted', ...classes.map((c) => `p_${c}`)].map(quote).join(','));
    for (let r = 0; r < rows; r++) {
      const p = Array.from(values.subarray(r * units, (r + 1) * units));
      const best = p.indexOf(Math.max(...p));
      lines.push([...first(r), quote(classes[best]), ...p.map((v) => v.toPrecision(6))].join(','));
    }
  }
  writeFileSync(out, `${lines.join('\n')}\n`);
  return rows;
}
