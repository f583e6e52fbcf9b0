/**
 * What a table's columns hold, found in one pass over the records, and how a record becomes
 * numbers: a numeric column is one feature; a string column is a category, one-hot (or its
 * index) over its sorted vocabulary; a JSON array field is a run of numeric features. Every
 * value that does not fit is refused with the line and the column, never turned into NaN.
 */
import { invalidArgument, malformedFile, unknownName } from '../../errors.js';
import type { RawRecord, RawValue, RecordSource } from './records.js';

/** tf.data.csv's per-column options, plus `oneHot` for a category feature. */
export interface ColumnConfig {
  /** tf.data.csv's: a missing value is an error (weft refuses any missing value that has no default). */
  required?: boolean;
  /** The value a missing field takes. */
  default?: number | string;
  isLabel?: boolean;
  /** 'float32' / 'int32' / 'bool': numbers; 'string': a category (even if its values look numeric). */
  dtype?: 'float32' | 'int32' | 'bool' | 'string';
  /** A category feature as one 0/1 feature per category (default true) or as its index. */
  oneHot?: boolean;
}

export interface ColumnInfo {
  readonly name: string;
  readonly kind: 'number' | 'category' | 'vector';
  /** A category's values, sorted; null for numbers. */
  readonly vocabulary: readonly string[] | null;
  /** How many features it makes. */
  readonly width: number;
  readonly oneHot: boolean;
  readonly default?: number | string;
  readonly integer: boolean;
}

export interface Schema {
  readonly features: readonly ColumnInfo[];
  readonly label: ColumnInfo | null;
  readonly featureSize: number;
  /** One name per feature: 'price', 'color=red', 'pixels[3]'. */
  readonly featureNames: readonly string[];
  /** Examples in the file. */
  readonly rows: number;
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

const isMissing = (v: RawValue) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** A field as a number, or null when it is not one. */
function asNumber(v: RawValue, dtype: ColumnConfig['dtype']): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && Math.abs(v) <= FLOAT32_MAX ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'string') return null;
  if (dtype === 'bool') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return 1;
    if (t === 'false') return 0;
  }
  if (!NUMBER.test(v)) return null;
  const n = Number(v);
  // Beyond float32's range a value would train as Infinity: refused like any other non-number.
  return Math.abs(n) <= FLOAT32_MAX ? n : null;
}

const FLOAT32_MAX = 3.4028234663852886e38;

/** A numeric column's value as the scan accepted it: a number, or true / false for a bool column. */
const numberOrBool = (v: RawValue): number | null => asNumber(v, undefined) ?? asNumber(v, 'bool');

function where(source: RecordSource, line: number, column: string): string {
  return `${source.path} line ${line}, column '${column}'`;
}

/** Orders a vocabulary: numerically when every value is a number, else by code point (Python's sorted). */
function sortVocabulary(values: Iterable<string>): string[] {
  const list = [...values];
  return list.every((v) => NUMBER.test(v)) ? list.sort((a, b) => Number(a) - Number(b)) : list.sort();
}

export interface SchemaOptions {
  readonly columnConfigs: Readonly<Record<string, ColumnConfig>>;
  /** The columns that are features, in order (default: every column but the label and `exclude`). */
  readonly features: readonly string[] | null;
  readonly label: string | null;
  /** Columns read for another purpose (a split column), not features. */
  readonly exclude: readonly string[];
}

interface Tracker {
  name: string;
  config: ColumnConfig;
  kind: ColumnInfo['kind'] | null;
  firstLine: number;
  width: number;
  integer: boolean;
  categories: Set<string>;
}

/** Checks each named column exists, with the file's columns in the error. */
export function checkColumns(source: RecordSource, columns: readonly string[], argument: string, names: readonly string[]): void {
  for (const c of names) if (!columns.includes(c)) throw unknownName(`${argument} (a column of ${source.path})`, c, columns);
}

/**
 * One pass over the records: each used column's kind and vocabulary, the row count, and every
 * error a record could hold (a missing value without a default, a string in a numeric column,
 * a vector of the wrong length). `groups` collects another column's values, one per row.
 */
export async function scanSchema(source: RecordSource, o: SchemaOptions, groupColumn: string | null = null): Promise<{ schema: Schema; groups: string[] | null }> {
  const columns = await source.columns();
  const configured = Object.keys(o.columnConfigs);
  checkColumns(source, columns, 'columnConfigs', configured);
  if (o.label !== null) checkColumns(source, columns, 'labelColumn', [o.label]);
  if (o.features !== null) checkColumns(source, columns, 'x', o.features);
  checkColumns(source, columns, 'ignoreColumns', o.exclude);
  const featureNames = o.features ?? columns.filter((c) => c !== o.label && !o.exclude.includes(c));
  if (featureNames.length === 0) throw invalidArgument('columns', `at least one feature column besides the label in ${source.path}`, columns.join(', '));
  const track = (name: string): Tracker => ({ name, config: o.columnConfigs[name] ?? {}, kind: null, firstLine: 0, width: 1, integer: true, categories: new Set() });
  const features = featureNames.map(track);
  const label = o.label === null ? null : track(o.label);
  const groups: string[] | null = groupColumn === null ? null : [];
  let rows = 0;
  for await (const record of source.records()) {
    for (const t of features) observe(source, t, record, false);
    if (label !== null) observe(source, label, record, true);
    if (groups !== null) groups.push(String(record.fields[groupColumn as string] ?? ''));
    rows++;
  }
  if (rows === 0) throw malformedFile(source.what, source.path, 'at least one row of data', 'none');
  const finish = (t: Tracker): ColumnInfo => {
    const kind = t.kind ?? 'number';
    const vocabulary = kind === 'category' ? sortVocabulary(t.categories) : null;
    const oneHot = kind === 'category' && t.config.oneHot !== false && t !== label;
    return { name: t.name, kind, vocabulary, width: kind === 'vector' ? t.width : oneHot ? vocabulary!.length : 1, oneHot, integer: t.integer, ...(t.config.default === undefined ? {} : { default: t.config.default }) };
  };
  const infos = features.map(finish);
  const names = infos.flatMap((c) => (c.kind === 'vector' ? Array.from({ length: c.width }, (_, i) => `${c.name}[${i}]`) : c.oneHot ? c.vocabulary!.map((v) => `${c.name}=${v}`) : [c.name]));
  return { schema: { features: infos, label: label === null ? null : finish(label), featureSize: names.length, featureNames: names, rows }, groups };
}

function observe(source: RecordSource, t: Tracker, record: RawRecord, isLabel: boolean): void {
  let v = record.fields[t.name];
  if (isMissing(v)) {
    if (t.config.default === undefined) {
      throw malformedFile(source.what, source.path, `a value in every row (or a default: columnConfigs: {'${t.name}': {default: ...}})`, `a missing value at ${where(source, record.line, t.name)}`);
    }
    v = t.config.default;
  }
  if (Array.isArray(v)) {
    if (isLabel) throw malformedFile(source.what, source.path, 'a single value in the label column', `an array at ${where(source, record.line, t.name)}`);
    if (t.kind === null) Object.assign(t, { kind: 'vector', width: v.length, firstLine: record.line });
    if (t.kind !== 'vector' || v.length !== t.width) {
      throw malformedFile(source.what, source.path, t.kind === 'vector' ? `an array of ${t.width} numbers (as on line ${t.firstLine})` : `a ${t.kind === 'number' ? 'number' : 'string'} (as on line ${t.firstLine})`, `${JSON.stringify(v).slice(0, 60)} at ${where(source, record.line, t.name)}`);
    }
    v.forEach((e, i) => {
      if (typeof e !== 'number' || !Number.isFinite(e)) throw malformedFile(source.what, source.path, 'finite numbers in the array', `${JSON.stringify(e)} at index ${i}, ${where(source, record.line, t.name)}`);
    });
    return;
  }
  const dtype = t.config.dtype;
  if (t.kind === null) {
    t.firstLine = record.line;
    t.kind = dtype === 'string' ? 'category' : dtype !== undefined || asNumber(v, dtype) !== null ? 'number' : 'category';
  }
  if (t.kind === 'number') {
    const n = asNumber(v, dtype);
    if (n === null) {
      const expected = dtype === undefined ? `a number (the column is numeric from line ${t.firstLine}; give columnConfigs: {'${t.name}': {dtype: 'string'}} for a category)` : `a ${dtype} value`;
      throw malformedFile(source.what, source.path, expected, `${JSON.stringify(v)} at ${where(source, record.line, t.name)}`);
    }
    if (dtype === 'int32' && !Number.isInteger(n)) throw malformedFile(source.what, source.path, 'an integer (the column is int32)', `${n} at ${where(source, record.line, t.name)}`);
    if (!Number.isInteger(n)) t.integer = false;
    return;
  }
  if (typeof v === 'object') throw malformedFile(source.what, source.path, 'a string or a number', `${JSON.stringify(v).slice(0, 60)} at ${where(source, record.line, t.name)}`);
  t.categories.add(String(v).trim());
}

/**
 * Writes a record's features into `out` at `offset` and returns its label (a class index or the
 * value; NaN when the record has no label field, as a file to predict on). Values were checked
 * by the scan; a record from another file (predict) is checked here: a category not in the
 * vocabulary is refused with its row.
 */
export function encodeRecord(schema: Schema, source: RecordSource, record: RawRecord, out: Float32Array, offset: number, labelOptional = false): number {
  let k = offset;
  for (const c of schema.features) {
    let v = record.fields[c.name];
    if (isMissing(v)) {
      if (c.default === undefined) throw malformedFile(source.what, source.path, `a value in every row`, `a missing value at ${where(source, record.line, c.name)}`);
      v = c.default;
    }
    if (c.kind === 'vector') {
      if (!Array.isArray(v) || v.length !== c.width) throw malformedFile(source.what, source.path, `an array of ${c.width} numbers`, `${JSON.stringify(v).slice(0, 60)} at ${where(source, record.line, c.name)}`);
      for (const e of v) out[k++] = e as number;
    } else if (c.kind === 'number') {
      const n = numberOrBool(v);
      if (n === null) throw malformedFile(source.what, source.path, 'a number', `${JSON.stringify(v)} at ${where(source, record.line, c.name)}`);
      out[k++] = n;
    } else {
      const index = categoryIndex(source, c, v, record.line);
      if (c.oneHot) {
        out.fill(0, k, k + c.width);
        out[k + index] = 1;
        k += c.width;
      } else {
        out[k++] = index;
      }
    }
  }
  const label = schema.label;
  if (label === null) return Number.NaN;
  const v = record.fields[label.name];
  if (isMissing(v) && label.default === undefined) return Number.NaN;
  const value = isMissing(v) ? label.default : v;
  // A file to predict on may hold labels the model never saw: they are not read.
  if (labelOptional && label.kind === 'category' && !label.vocabulary!.includes(String(value).trim())) return Number.NaN;
  if (label.kind === 'category') return categoryIndex(source, label, value, record.line);
  const n = numberOrBool(value);
  if (n === null && labelOptional) return Number.NaN;
  if (n === null) throw malformedFile(source.what, source.path, 'a number', `${JSON.stringify(value)} at ${where(source, record.line, label.name)}`);
  return n;
}

function categoryIndex(source: RecordSource, c: ColumnInfo, v: RawValue, line: number): number {
  const index = c.vocabulary!.indexOf(String(v).trim());
  if (index < 0) throw malformedFile(source.what, source.path, `one of the categories of '${c.name}' (${c.vocabulary!.join(', ')})`, `${JSON.stringify(v)} at ${where(source, line, c.name)}`);
  return index;
}

/** The line printed for each category column: its vocabulary and the index each value maps to. */
export function describeVocabulary(c: ColumnInfo): string {
  return `'${c.name}' is a category of ${c.vocabulary!.length}: ${c.vocabulary!.map((v, i) => `${v}=${i}`).join(', ')}${c.oneHot ? ' (one-hot)' : ''}`;
}
