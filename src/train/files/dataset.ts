/**
 * A dataset read from a user's files (a CSV, JSON lines, an image folder): what fit, evaluate
 * and predict take as their data argument, and fitDataset as a stream of {xs, ys} batches.
 * fit loads it into shared memory once when it fits under the memory limit (one copy for every
 * worker); a larger one streams in batches through a bounded, seeded shuffle buffer.
 */
import { checkInteger, checkNumberInRange, invalidArgument, invalidType } from '../../errors.js';
import { fillUniform, foldIn, keyFromSeed } from '../../parallel/random.js';
import { ArrayData, ClassLabels } from '../data.js';
import type { DatasetBatch } from '../stream.js';

export interface SourceInfo {
  /** Examples in the source (before any split). */
  readonly rows: number;
  readonly featureShape: readonly number[];
  /** One name per feature, for tables. */
  readonly featureNames: readonly string[] | null;
  /** Per feature, whether it encodes a category (one-hot or index) rather than a measured number; tables only. */
  readonly categorical?: readonly boolean[];
  /** The label: its name and, for classes, their names (sorted); null when the source has none. */
  readonly label: { readonly name: string; readonly classes: readonly string[] | null } | null;
  /** Lines worth printing once (category vocabularies). */
  readonly notes: readonly string[];
}

/** Where the examples come from: a description, once, and passes over them in file order. */
export interface ExampleSource {
  describe(): Promise<SourceInfo>;
  /** Each example's features (a fresh array) and label (a class index or a value; NaN: none). */
  examples(): AsyncIterable<{ readonly x: Float32Array; readonly label: number }>;
  /** One value per example of a column, for a split by that column (tables only). */
  groups?(column: string): Promise<readonly string[]>;
  /** How records become numbers (tables only): saved beside a model so predict reads a new file alike. */
  schema?(): Promise<unknown>;
  /** Each example's file, in order (image folders). */
  files?(): readonly string[];
}

const MiB = 1024 * 1024;
export const DEFAULT_MEMORY_LIMIT = 512 * MiB;
/** Examples held by a streamed dataset's shuffle buffer unless shuffle() says. */
export const DEFAULT_SHUFFLE_BUFFER = 10_000;

interface Settings {
  readonly batchSize: number;
  readonly shuffle: { readonly buffer: number; readonly seed: number } | null;
  /** Which examples (by index in the source) this dataset holds; null: all. */
  readonly keep: ((index: number) => boolean) | null;
  readonly memoryLimit: number;
}

/** A dataset's memoryLimit option: a whole number of bytes >= 0 (default 512 MiB). */
export function checkMemoryLimit(value: unknown): number {
  if (value === undefined) return DEFAULT_MEMORY_LIMIT;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidArgument('memoryLimit', 'a whole number of bytes >= 0', value);
  return value;
}

const BRAND = Symbol.for('weft.FileDataset');

export function isFileDataset(value: unknown): value is FileDataset {
  return value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[BRAND] === true;
}

export interface DatasetInfo extends SourceInfo {
  /** Examples this dataset holds (after a split). */
  readonly size: number;
  /** Its bytes in memory as float32 features and labels. */
  readonly bytes: number;
}

export class FileDataset implements AsyncIterable<DatasetBatch> {
  readonly [BRAND] = true;
  private described: Promise<SourceInfo> | null = null;

  constructor(private readonly source: ExampleSource, private readonly settings: Settings, private readonly shared?: FileDataset) {}

  static create(source: ExampleSource, memoryLimit = DEFAULT_MEMORY_LIMIT): FileDataset {
    return new FileDataset(source, { batchSize: 32, shuffle: null, keep: null, memoryLimit });
  }

  private with(change: Partial<Settings>): FileDataset {
    return new FileDataset(this.source, { ...this.settings, ...change }, this.shared ?? this);
  }

  /** The batches the stream yields hold `size` examples (tf.data's batch; default 32). */
  batch(size: number): FileDataset {
    return this.with({ batchSize: checkInteger('batchSize', size, 1) });
  }

  /** Streams through a buffer of `bufferSize` examples, drawn at random with `seed` (a new order each pass). */
  shuffle(bufferSize: number, seed = 0): FileDataset {
    return this.with({ shuffle: { buffer: checkInteger('bufferSize', bufferSize, 1), seed: checkInteger('seed', seed, 0) } });
  }

  /** How many bytes fit may load into memory at once; above it, training streams (default 512 MiB). */
  memoryLimit(bytes: number): FileDataset {
    return this.with({ memoryLimit: checkInteger('memoryLimit', bytes, 0) });
  }

  /**
   * Two disjoint datasets: [the rest, a `fraction` of the examples] chosen at random with
   * `seed` (the same seed, the same split), e.g. `const [train, test] = ds.split(0.2)`.
   */
  split(fraction: number, options: { seed?: number } = {}): [FileDataset, FileDataset] {
    checkNumberInRange('fraction', fraction, 0, 1, true);
    if (fraction === 0) throw invalidArgument('fraction', 'a number in (0, 1)', fraction);
    const seed = options.seed === undefined ? 0 : checkInteger('seed', options.seed, 0);
    const inPart = (i: number) => unitHash(seed, i) < fraction;
    const prior = this.settings.keep;
    return [this.with({ keep: (i) => (prior === null || prior(i)) && !inPart(i) }), this.with({ keep: (i) => (prior === null || prior(i)) && inPart(i) })];
  }

  /** The examples whose `column` equals `value` and the others: [others, matching] (a test split by a column). */
  async splitBy(column: string, value: string): Promise<[FileDataset, FileDataset]> {
    if (this.source.groups === undefined) throw invalidArgument('column', 'a dataset read from a table (CSV or JSON lines)', column);
    const groups = await this.source.groups(column);
    const prior = this.settings.keep;
    const matches = (i: number) => groups[i] === value;
    if (!groups.includes(value)) throw invalidArgument('value', `a value of column '${column}' (${[...new Set(groups)].slice(0, 10).join(', ')})`, value);
    return [this.with({ keep: (i) => (prior === null || prior(i)) && !matches(i) }), this.with({ keep: (i) => (prior === null || prior(i)) && matches(i) })];
  }

  /** The file of each example this dataset holds, in order (image folders); null for tables. */
  files(): string[] | null {
    const all = this.source.files?.();
    if (all === undefined) return null;
    const keep = this.settings.keep;
    return keep === null ? [...all] : all.filter((_, i) => keep(i));
  }

  /** A table's schema (its columns, categories and label), or null for images. */
  async schema(): Promise<unknown> {
    return this.source.schema === undefined ? null : this.source.schema();
  }

  /** What the source holds (read once, shared by the datasets split or batched from it). */
  private describeSource(): Promise<SourceInfo> {
    if (this.shared !== undefined) return this.shared.describeSource();
    this.described ??= this.source.describe();
    return this.described;
  }

  /** Its size, shape, label classes and bytes. */
  async info(): Promise<DatasetInfo> {
    const info = await this.describeSource();
    let size = info.rows;
    const keep = this.settings.keep;
    if (keep !== null) {
      size = 0;
      for (let i = 0; i < info.rows; i++) if (keep(i)) size++;
    }
    const features = info.featureShape.reduce((a, b) => a * b, 1);
    return { ...info, size, bytes: size * (features + 1) * 4 };
  }

  /** Whether fit loads it whole (under the memory limit) rather than streaming it. */
  async fitsInMemory(): Promise<boolean> {
    return (await this.info()).bytes <= this.settings.memoryLimit;
  }

  get batchSize(): number {
    return this.settings.batchSize;
  }

  get memoryLimitBytes(): number {
    return this.settings.memoryLimit;
  }

  /** Every example in memory: features [size, ...featureShape], labels as ClassLabels, values, or null (no label). */
  async load(): Promise<{ xs: ArrayData; ys: ArrayData | ClassLabels | null; size: number }> {
    const info = await this.info();
    const features = info.featureShape.reduce((a, b) => a * b, 1);
    const x = new Float32Array(info.size * features);
    const labels = new Float64Array(info.size);
    let n = 0;
    for await (const e of this.kept()) {
      x.set(e.x, n * features);
      labels[n++] = e.label;
    }
    return { xs: new ArrayData(x, [n, ...info.featureShape]), ys: toLabels(info, labels.subarray(0, n)), size: n };
  }

  /** The kept examples in file order. */
  private async *kept(): AsyncGenerator<{ x: Float32Array; label: number }> {
    const keep = this.settings.keep;
    let i = 0;
    for await (const e of this.source.examples()) {
      if (keep === null || keep(i)) yield e;
      i++;
    }
  }

  private passes = 0;

  /** The kept examples, through the shuffle buffer when there is one (a new order each pass). */
  private async *ordered(): AsyncGenerator<{ x: Float32Array; label: number }> {
    const shuffle = this.settings.shuffle;
    if (shuffle === null) {
      yield* this.kept();
      return;
    }
    const key = foldIn(keyFromSeed(shuffle.seed), this.passes++);
    const draws = new Float32Array(4096);
    let used = draws.length;
    let block = 0;
    const random = () => {
      if (used === draws.length) {
        fillUniform(key, draws, 0, 1, block++);
        used = 0;
      }
      return draws[used++];
    };
    const buffer: { x: Float32Array; label: number }[] = [];
    for await (const e of this.kept()) {
      if (buffer.length < shuffle.buffer) {
        buffer.push(e);
        continue;
      }
      const j = Math.min(buffer.length - 1, Math.floor(random() * buffer.length));
      yield buffer[j];
      buffer[j] = e;
    }
    while (buffer.length > 0) {
      const j = Math.min(buffer.length - 1, Math.floor(random() * buffer.length));
      yield buffer[j];
      buffer[j] = buffer[buffer.length - 1];
      buffer.pop();
    }
  }

  /** Batches of {xs, ys}: what fitDataset and evaluateDataset read. */
  async *[Symbol.asyncIterator](): AsyncGenerator<DatasetBatch> {
    const info = await this.info();
    const features = info.featureShape.reduce((a, b) => a * b, 1);
    const size = this.settings.batchSize;
    let x = new Float32Array(size * features);
    let labels = new Float64Array(size);
    let n = 0;
    const flush = (): DatasetBatch => {
      const batch = { xs: new ArrayData(x.subarray(0, n * features), [n, ...info.featureShape]), ys: toLabels(info, labels.subarray(0, n)) };
      x = new Float32Array(size * features);
      labels = new Float64Array(size);
      n = 0;
      return batch as DatasetBatch;
    };
    for await (const e of this.ordered()) {
      x.set(e.x, n * features);
      labels[n++] = e.label;
      if (n === size) yield flush();
    }
    if (n > 0) yield flush();
  }

  /** tf.data's form of the same stream. */
  async iterator(): Promise<AsyncIterator<DatasetBatch>> {
    return this[Symbol.asyncIterator]();
  }
}

/** A uniform number in [0, 1) for example `index` under `seed` (murmur3's finaliser): a split that needs no state. */
function unitHash(seed: number, index: number): number {
  let h = (index + Math.imul(seed + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) / 4294967296;
}

/** The labels as the model will want them: ClassLabels for classes, float values otherwise, null without a label. */
function toLabels(info: SourceInfo, labels: Float64Array): ArrayData | ClassLabels | null {
  if (info.label === null || labels.some((v) => Number.isNaN(v))) return null;
  if (info.label.classes !== null) return new ClassLabels(Int32Array.from(labels), info.label.classes, info.label.name);
  return new ArrayData(Float32Array.from(labels), [labels.length, 1]);
}

/** A dataset as fit's x, with no y: fit(dataset, args) as Keras's fit(dataset). */
export function checkNoTargets(method: string, y: unknown): void {
  if (y !== undefined && (y === null || typeof y !== 'object' || Array.isArray(y) || y instanceof Float32Array)) {
    throw invalidType(`${method}(dataset, args)`, 'the options object as the second argument (a dataset holds its own targets)', y);
  }
}
