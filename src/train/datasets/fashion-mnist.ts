import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { checkOptions, dataNotFound, invalidArgument, invalidType, malformedFile, missingFile, readFailure, unknownName, type PlaceLooked } from '../../errors.js';
import { asRequested, checkTensorOptions, type LabelledTensors, type Loaded, type OptionValue, type TensorOptions } from './digits.js';

/** Where the Debian/Ubuntu package `dataset-fashion-mnist` installs the four gzip'd IDX files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
/** The environment variable naming a directory that holds the four IDX files. */
export const FASHION_MNIST_ENV = 'WEFT_FASHION_MNIST';
/** Label i of Fashion-MNIST is FASHION_MNIST_CLASSES[i]. */
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;
/** Pixels per image (28 x 28). */
export const FASHION_MNIST_FEATURES = 784;

const HOME_PAGE = 'https://github.com/zalandoresearch/fashion-mnist';
const IMAGES_MAGIC = 0x00000803; // unsigned bytes, 3 dimensions
const LABELS_MAGIC = 0x00000801; // unsigned bytes, 1 dimension
const SIDE = 28;

export type FashionMnistSplitName = 'train' | 'test';

export interface FashionMnistSplit {
  /** [rows * 784] pixel intensities scaled to [0, 1], each image 28x28 row-major. */
  x: Float32Array;
  /** [rows] class labels 0..9 (names in FASHION_MNIST_CLASSES). */
  labels: Int32Array;
  rows: number;
}

/** Both splits: flat arrays by default, tensors (`LabelledTensors`) with `tensors: true`. */
export interface FashionMnist<S = FashionMnistSplit> {
  /** 60,000 images in the real data set. */
  train: S;
  /** 10,000 images in the real data set. */
  test: S;
  /** The directory the files were read from. */
  source: string;
}

/**
 * What loadFashionMnist returns for options `O`: arrays by default; with `tensors: true`, x a
 * float32 [rows, 784] tensor ([rows, 28, 28, 1] with `image: true`) and labels int32 [rows].
 */
export type LoadedFashionMnist<O> = [OptionValue<O, 'tensors'>] extends [true] ? FashionMnist<Loaded<O, FashionMnistSplit>>
  : [OptionValue<O, 'tensors'>] extends [false | undefined] ? FashionMnist : FashionMnist | FashionMnist<LabelledTensors>;

export interface FashionMnistOptions extends TensorOptions {
  /** A directory holding the IDX files; tried first. */
  path?: string | URL;
  /** Back `x` and `labels` with SharedArrayBuffers (for weft's worker pool). Default false; not with `tensors`. */
  shared?: boolean;
  /**
   * Directories tried after `path` and $WEFT_FASHION_MNIST, in order.
   * Default: [FASHION_MNIST_DEBIAN_DIR].
   */
  fallbackDirs?: readonly string[];
}

/** The base names of one split's files; each may end in `.gz` or not, and use `-idx` or `.idx`. */
const FILES: Record<FashionMnistSplitName, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

function candidateNames(base: string): string[] {
  const dotted = base.replace('-idx', '.idx'); // the spelling some mirrors (e.g. Kaggle) use
  return [`${base}.gz`, base, `${dotted}.gz`, dotted];
}

interface Location {
  dir: string;
  origin: string;
}

/** What loadFashionMnist's options must be; checked before any file is touched. */
function checkFashionOptions(options: unknown): FashionMnistOptions {
  const o = checkOptions<FashionMnistOptions>('options', options, ['path', 'shared', 'fallbackDirs', 'tensors', 'image']);
  if (o.path !== undefined && typeof o.path !== 'string' && !(o.path instanceof URL)) {
    throw invalidType('options.path', 'a directory path or a file: URL', o.path);
  }
  if (o.shared !== undefined && typeof o.shared !== 'boolean') throw invalidType('options.shared', 'a boolean', o.shared);
  if (o.fallbackDirs !== undefined && !(Array.isArray(o.fallbackDirs) && o.fallbackDirs.every((d) => typeof d === 'string'))) {
    throw invalidType('options.fallbackDirs', 'an array of directory paths', o.fallbackDirs);
  }
  checkTensorOptions(o);
  if (o.shared === true && o.tensors === true) {
    throw invalidArgument('options.shared', 'false when tensors: true (a tensor holds its own copy of the data)', true);
  }
  return o;
}

/** The locations searched, in order, with where each came from (for the not-found message). */
function locations(options: FashionMnistOptions): { tried: Location[]; notes: string[] } {
  const tried: Location[] = [];
  const notes: string[] = [];
  if (options.path !== undefined) {
    // An explicit path is the only place looked in: falling back elsewhere would hide a typo.
    const p = options.path instanceof URL ? fileURLToPath(options.path) : options.path;
    return { tried: [{ dir: resolve(p), origin: 'the `path` option' }], notes };
  }
  const env = process.env[FASHION_MNIST_ENV];
  if (env) tried.push({ dir: resolve(env), origin: `$${FASHION_MNIST_ENV}` });
  else notes.push(`$${FASHION_MNIST_ENV} is not set`);
  for (const dir of options.fallbackDirs ?? [FASHION_MNIST_DEBIAN_DIR]) {
    tried.push({
      dir: resolve(dir),
      origin: dir === FASHION_MNIST_DEBIAN_DIR ? 'the Debian dataset-fashion-mnist package location' : 'a fallback directory',
    });
  }
  return { tried, notes };
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The first location holding every file in `bases`, with the path found for each; or a
 * DataFileError naming every location looked in, what was missing there, and how to get the data.
 */
function resolveFiles(bases: string[], options: FashionMnistOptions): { dir: string; files: string[] } {
  const { tried, notes } = locations(options);
  const looked: PlaceLooked[] = [];
  for (const { dir, origin } of tried) {
    if (!isDirectory(dir)) {
      looked.push({ path: dir, origin, finding: existsSync(dir) ? 'not a directory' : 'does not exist' });
      continue;
    }
    const files = bases.map((base) => candidateNames(base).map((n) => join(dir, n)).find((f) => existsSync(f)));
    const missing = bases.filter((_, i) => files[i] === undefined);
    if (missing.length === 0) return { dir, files: files as string[] };
    looked.push({ path: dir, origin, finding: `missing ${missing.map((b) => `${b}.gz`).join(', ')}` });
  }
  throw dataNotFound(
    'Fashion-MNIST',
    `one directory holding ${bases.map((b) => `${b}.gz`).join(', ')} (gzip'd or not)`,
    looked,
    (notes.length ? `  (${notes.join('; ')})\n` : '') +
      `To get the data: on Debian/Ubuntu run \`sudo apt-get install dataset-fashion-mnist\` ` +
      `(installs to ${FASHION_MNIST_DEBIAN_DIR}); elsewhere download the four .gz files ` +
      `(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) ` +
      `from ${HOME_PAGE} and pass { path: '<dir>' } or set ${FASHION_MNIST_ENV}=<dir>.`,
  );
}

/** What the errors call the files. */
const IDX_FILE = 'Fashion-MNIST IDX file';

/** The file's bytes, gunzipped when they start with the gzip magic (whatever the name says). */
function readBytes(file: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw missingFile(IDX_FILE, file, 'a readable file', readFailure(e), e);
  }
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw);
    } catch (e) {
      throw malformedFile(IDX_FILE, file, 'a valid gzip stream', `a truncated or corrupt one (${(e as Error).message})`, e);
    }
  }
  return raw;
}

/** Checks an IDX header's magic and size; returns the dimensions. */
function readHeader(file: string, bytes: Buffer, magic: number, ndim: number): number[] {
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw malformedFile(IDX_FILE, file, `at least the ${headerBytes}-byte IDX header`, `${bytes.length} bytes (truncated)`);
  }
  const got = bytes.readUInt32BE(0);
  if (got !== magic) {
    const hex = (v: number) => '0x' + v.toString(16).padStart(8, '0');
    const kind = ndim === 3 ? 'unsigned-byte images, 3 dimensions' : 'unsigned-byte labels, 1 dimension';
    throw malformedFile(IDX_FILE, file, `IDX magic number ${hex(magic)} (${kind})`, `magic number ${hex(got)}`);
  }
  const dims = Array.from({ length: ndim }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  const expected = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    throw malformedFile(IDX_FILE, file, `${expected} bytes for dimensions [${dims.join(', ')}]`,
      `${bytes.length} bytes (${bytes.length < expected ? 'truncated' : 'trailing data'})`);
  }
  return dims;
}

/** [0..255] → [0, 1] as float32, looked up rather than divided per pixel. */
const SCALE = new Float32Array(256).map((_, i) => i / 255);

function floats(n: number, shared: boolean): Float32Array {
  return shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
}
function ints(n: number, shared: boolean): Int32Array {
  return shared ? new Int32Array(new SharedArrayBuffer(n * 4)) : new Int32Array(n);
}

function decodeSplit(imagesFile: string, labelsFile: string, shared: boolean): FashionMnistSplit {
  const img = readBytes(imagesFile);
  const [rows, height, width] = readHeader(imagesFile, img, IMAGES_MAGIC, 3);
  if (height !== SIDE || width !== SIDE) {
    throw malformedFile(IDX_FILE, imagesFile, `${SIDE}x${SIDE} images`, `${height}x${width} images`);
  }
  const lab = readBytes(labelsFile);
  const [count] = readHeader(labelsFile, lab, LABELS_MAGIC, 1);
  if (count !== rows) {
    throw malformedFile(IDX_FILE, labelsFile, `${rows} labels, one per image of ${imagesFile}`, `${count} labels`);
  }

  const labels = ints(rows, shared);
  for (let i = 0; i < rows; i++) {
    const v = lab[8 + i];
    if (v > 9) throw malformedFile(IDX_FILE, labelsFile, 'labels 0..9', `label ${v} at index ${i}`);
    labels[i] = v;
  }
  const n = rows * FASHION_MNIST_FEATURES;
  const x = floats(n, shared);
  for (let i = 0, j = 16; i < n; i++, j++) x[i] = SCALE[img[j]];
  return { x, labels, rows };
}

/**
 * Zalando Research's Fashion-MNIST (MIT license): 28x28 grey images of 10 clothing classes, read
 * from the four IDX files (gzip'd or not). The directory is, in order of precedence: `path`,
 * $WEFT_FASHION_MNIST, then `fallbackDirs` (default: where Debian's dataset-fashion-mnist package
 * installs them, /usr/share/datasets/fashion-mnist); the first holding all four files is used.
 * Pixels are scaled to [0, 1]. Each split is `{x, labels, rows}`: flat arrays by default (x a
 * Float32Array [rows * 784], labels an Int32Array); with `tensors: true`, tf tensors ready for
 * fit (x float32 [rows, 784], or [rows, 28, 28, 1] with `image: true`; labels int32 [rows]).
 * A missing or malformed file is a DataFileError naming the file, what was expected and what
 * was found.
 */
export function loadFashionMnist<const O extends FashionMnistOptions = Record<never, never>>(options?: O): LoadedFashionMnist<O> {
  const opts = checkFashionOptions(options === undefined ? {} : options);
  const { train, test } = FILES;
  const { dir, files } = resolveFiles([train.images, train.labels, test.images, test.labels], opts);
  const shared = opts.shared ?? false;
  // Both splits are decoded before either becomes tensors, so a bad test file leaves no tensors behind.
  const splits = [decodeSplit(files[0], files[1], shared), decodeSplit(files[2], files[3], shared)];
  const [trainSplit, testSplit] = splits.map((s) => asRequested(s, opts, SIDE, SIDE));
  return { train: trainSplit, test: testSplit, source: dir } as LoadedFashionMnist<O>;
}

/** One split of Fashion-MNIST, with the same options; only that split's two files need to be present. */
export function loadFashionMnistSplit<const O extends FashionMnistOptions = Record<never, never>>(
  split: FashionMnistSplitName,
  options?: O,
): Loaded<O, FashionMnistSplit> & { source: string } {
  if (typeof split !== 'string') throw invalidType('split', "'train' or 'test'", split);
  if (!Object.hasOwn(FILES, split)) throw unknownName('Fashion-MNIST split', split, Object.keys(FILES));
  const opts = checkFashionOptions(options === undefined ? {} : options);
  const names = FILES[split];
  const { dir, files } = resolveFiles([names.images, names.labels], opts);
  const decoded = { ...decodeSplit(files[0], files[1], opts.shared ?? false), source: dir };
  return asRequested(decoded, opts, SIDE, SIDE) as Loaded<O, FashionMnistSplit> & { source: string };
}
