/**
 * weft.data.csv and weft.data.jsonl: a table file as a dataset. The first pass (on first use)
 * finds each column's kind, the categories and the row count and checks every value; each
 * later pass encodes the records as it reads them, so memory holds a batch, not the file.
 */
import { invalidArgument, invalidType } from '../../errors.js';
import { checkBoolean, checkOptions } from '../callbacks/callback-options.js';
import { checkMemoryLimit, FileDataset, type ExampleSource, type SourceInfo } from './dataset.js';
import { checkReadable, csvRecords, jsonlRecords, type RecordSource } from './records.js';
import { checkColumns, describeVocabulary, encodeRecord, scanSchema, type ColumnConfig, type Schema, type SchemaOptions } from './schema.js';

export type { ColumnConfig } from './schema.js';

export interface CsvOptions {
  /** The first line names the columns (default true). */
  hasHeader?: boolean;
  /** The column names (overriding the header, or for a file without one). */
  columnNames?: string[];
  /** Per column: dtype, default, isLabel, oneHot, required (tf.data.csv's names). */
  columnConfigs?: Record<string, ColumnConfig>;
  /** Between fields (default ','). */
  delimiter?: string;
  /** The label column: the same as columnConfigs: {name: {isLabel: true}}. */
  labelColumn?: string;
  /** Columns that are neither features nor the label (an id, a split column). */
  ignoreColumns?: string[];
  /** fit loads the data when it takes at most this many bytes, else streams it (default 512 MiB). */
  memoryLimit?: number;
}

export interface JsonlOptions {
  /** The feature fields, in order, or one field holding an array of numbers (default: every field but y). */
  x?: string | string[];
  /** The label field. */
  y?: string;
  columnConfigs?: Record<string, ColumnConfig>;
  memoryLimit?: number;
}

function checkStringList(argument: string, value: unknown): string[] | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v === '')) {
    throw invalidType(argument, 'a non-empty array of column names', value);
  }
  return value as string[];
}

function checkName(argument: string, value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value === '') throw invalidType(argument, 'a column name', value);
  return value;
}

const CONFIG_KEYS = ['required', 'default', 'isLabel', 'dtype', 'oneHot'];
const DTYPES = ['float32', 'int32', 'bool', 'string'];

function checkColumnConfigs(value: unknown): Record<string, ColumnConfig> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidType('columnConfigs', 'an object of column name → {dtype, default, isLabel, oneHot, required}', value);
  for (const [name, config] of Object.entries(value)) {
    const c = checkOptions(`columnConfigs['${name}']`, config, CONFIG_KEYS);
    if (c.dtype !== undefined && !DTYPES.includes(c.dtype as string)) throw invalidArgument(`columnConfigs['${name}'].dtype`, `one of ${DTYPES.join(', ')}`, c.dtype);
    if (c.default !== undefined && typeof c.default !== 'number' && typeof c.default !== 'string') throw invalidType(`columnConfigs['${name}'].default`, 'a number or a string', c.default);
    checkBoolean(`columnConfigs['${name}'].isLabel`, c.isLabel, false);
    checkBoolean(`columnConfigs['${name}'].oneHot`, c.oneHot, true);
    checkBoolean(`columnConfigs['${name}'].required`, c.required, false);
  }
  return value as Record<string, ColumnConfig>;
}

/** The label: labelColumn, or the one column marked isLabel; both naming different columns is refused. */
function labelOf(configs: Record<string, ColumnConfig>, labelColumn: string | null): string | null {
  const marked = Object.entries(configs).filter(([, c]) => c.isLabel === true).map(([n]) => n);
  if (marked.length > 1) throw invalidArgument('columnConfigs', 'at most one column with isLabel: true (weft trains one label column)', marked.join(', '));
  if (labelColumn !== null && marked.length === 1 && marked[0] !== labelColumn) {
    throw invalidArgument('labelColumn', `the column marked isLabel ('${marked[0]}') or no isLabel`, labelColumn);
  }
  return labelColumn ?? marked[0] ?? null;
}

/** A table's records as examples, under a schema found on the first pass. */
export class TableSource implements ExampleSource {
  private scanned: Promise<{ schema: Schema; groups: string[] | null }> | null = null;

  constructor(readonly records: RecordSource, private readonly options: SchemaOptions, private readonly fixed: Schema | null = null) {}

  /** The schema: given (a saved model's, to predict with), or found by scanning the file once. */
  async schema(): Promise<Schema> {
    if (this.fixed !== null) {
      // A saved model's schema: the file must hold every feature column it was trained on.
      checkColumns(this.records, await this.records.columns(), 'the model\'s feature columns', this.fixed.features.map((c) => c.name));
      return this.fixed;
    }
    this.scanned ??= scanSchema(this.records, this.options);
    return this.scanned.then((s) => s.schema);
  }

  async describe(): Promise<SourceInfo> {
    const schema = await this.schema();
    const rows = this.fixed === null ? schema.rows : await this.count();
    const label = schema.label === null ? null : { name: schema.label.name, classes: schema.label.kind === 'category' ? schema.label.vocabulary : null };
    const notes = [...schema.features, ...(schema.label === null ? [] : [schema.label])].filter((c) => c.kind === 'category').map(describeVocabulary);
    const categorical = schema.features.flatMap((c) => new Array<boolean>(c.width).fill(c.kind === 'category'));
    return { rows, featureShape: [schema.featureSize], featureNames: schema.featureNames, categorical, label, notes };
  }

  private async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.records.records()) n++;
    return n;
  }

  async *examples(): AsyncGenerator<{ x: Float32Array; label: number }> {
    const schema = await this.schema();
    for await (const record of this.records.records()) {
      const x = new Float32Array(schema.featureSize);
      const label = encodeRecord(schema, this.records, record, x, 0, this.fixed !== null);
      yield { x, label };
    }
  }

  async groups(column: string): Promise<readonly string[]> {
    const columns = await this.records.columns();
    if (!columns.includes(column)) throw invalidArgument('column', `a column of ${this.records.path} (${columns.join(', ')})`, column);
    const out: string[] = [];
    for await (const r of this.records.records()) out.push(String(r.fields[column] ?? ''));
    return out;
  }
}

/** tf.data.csv: a CSV file as a dataset of features and (with labelColumn or isLabel) its label. */
export function csv(path: string, options?: CsvOptions): FileDataset {
  if (typeof path !== 'string' || path === '') throw invalidType('path', 'the path of a CSV file', path);
  const o = checkOptions('csv', options, ['hasHeader', 'columnNames', 'columnConfigs', 'delimiter', 'labelColumn', 'ignoreColumns', 'memoryLimit']);
  const ignore = checkStringList('ignoreColumns', o.ignoreColumns) ?? [];
  const hasHeader = checkBoolean('hasHeader', o.hasHeader, true);
  const columnNames = checkStringList('columnNames', o.columnNames);
  const delimiter = o.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter.length === 0 || /["\r\n]/.test(delimiter)) throw invalidArgument('delimiter', 'a non-empty string without quotes or line breaks', delimiter);
  const columnConfigs = checkColumnConfigs(o.columnConfigs);
  const label = labelOf(columnConfigs, checkName('labelColumn', o.labelColumn));
  checkReadable('CSV file', path, 'a readable CSV file');
  const records = csvRecords(path, { hasHeader, columnNames, delimiter });
  return FileDataset.create(new TableSource(records, { columnConfigs, features: null, label, exclude: ignore }), checkMemoryLimit(o.memoryLimit));
}

/** One JSON object per line as a dataset: `x` the feature fields (or one array field), `y` the label. */
export function jsonl(path: string, options?: JsonlOptions): FileDataset {
  if (typeof path !== 'string' || path === '') throw invalidType('path', 'the path of a JSON-lines file', path);
  const o = checkOptions('jsonl', options, ['x', 'y', 'columnConfigs', 'memoryLimit']);
  const x = typeof o.x === 'string' ? [o.x] : checkStringList('x', o.x);
  const columnConfigs = checkColumnConfigs(o.columnConfigs);
  const label = labelOf(columnConfigs, checkName('y', o.y));
  if (label !== null && x?.includes(label)) throw invalidArgument('x', `feature fields other than the label '${label}'`, x.join(', '));
  checkReadable('JSON-lines file', path, 'a readable JSON-lines file');
  return FileDataset.create(new TableSource(jsonlRecords(path), { columnConfigs, features: x, label, exclude: [] }), checkMemoryLimit(o.memoryLimit));
}
