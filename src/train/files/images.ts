/**
 * weft.data.imageFolder: Keras's image_dataset_from_directory. One subfolder per class (names
 * sorted, as Keras sorts them); PNG through pngjs and JPEG through jpeg-js, resized bilinearly
 * (half-pixel centres, as tf.image.resize) and scaled to [0, 1].
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { checkInteger, checkNumberInRange, invalidArgument, invalidType, malformedFile, missingFile, readFailure } from '../../errors.js';
import { fillUniform, keyFromSeed } from '../../parallel/random.js';
import { checkOptions } from '../callbacks/callback-options.js';
import { checkMemoryLimit, FileDataset, type ExampleSource, type SourceInfo } from './dataset.js';

export interface ImageFolderOptions {
  /** [height, width] every image is resized to (required). */
  imageSize: [number, number];
  /** 'grayscale' (1 channel), 'rgb' (3, the default) or 'rgba' (4). */
  colorMode?: 'grayscale' | 'rgb' | 'rgba';
  /**
   * 'int' (class indices), 'categorical' (one-hot), 'binary' (0/1, two classes) as Keras; left
   * out, the labels take the form the model's loss needs.
   */
  labelMode?: 'int' | 'categorical' | 'binary';
  /** The fraction held out as the 'validation' subset (Keras: the last files after the seeded shuffle). */
  validationSplit?: number;
  /** With validationSplit: 'training', 'validation' or 'both' ([training, validation]). */
  subset?: 'training' | 'validation' | 'both';
  /** Seeds the file order (default 0: the same order each time). */
  seed?: number;
  /** 'inferred' (default): one subfolder per class; null: every image under dir, unlabelled (to predict on). */
  labels?: 'inferred' | null;
  /** Shuffle the file order once, before splitting (default true, as Keras). */
  shuffle?: boolean;
  memoryLimit?: number;
}

const FORMATS = ['.png', '.jpg', '.jpeg'];
const CHANNELS = { grayscale: 1, rgb: 3, rgba: 4 } as const;
const WHAT = 'image';

interface Listing {
  readonly classes: readonly string[];
  readonly files: readonly { path: string; label: number }[];
}

/** The images under `dir`, its subfolders walked too, in sorted order. */
function imagesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...imagesUnder(p));
    else if (FORMATS.includes(extname(e).toLowerCase())) out.push(p);
  }
  return out;
}

/** Runs `read`, turning a file-system failure into a named error about the folder. */
function reading<T>(dir: string, expected: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw missingFile('image folder', dir, expected, readFailure(err), err);
  }
}

/** Every image under `dir` (its root, then each subfolder), sorted, unlabelled. */
function listAll(dir: string): Listing {
  const files = reading(dir, `a directory of ${FORMATS.join(', ')} files`, () => imagesUnder(dir)).map((path) => ({ path, label: Number.NaN }));
  if (files.length === 0) throw malformedFile('image folder', dir, `${FORMATS.join(', ')} files`, 'none');
  return { classes: [], files };
}

/** One class per subfolder (sorted names), each holding its images at any depth, as Keras walks them. */
function list(dir: string): Listing {
  const expected = 'a directory with one subfolder of images per class';
  const { entries, classes, files } = reading(dir, expected, () => {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('it is a file, not a directory'), { code: 'ENOTDIR' });
    const names = readdirSync(dir).sort();
    const folders = names.filter((e) => statSync(join(dir, e)).isDirectory());
    return { entries: names, classes: folders, files: folders.flatMap((c, label) => imagesUnder(join(dir, c)).map((path) => ({ path, label }))) };
  });
  if (classes.length === 0 || files.length === 0) {
    throw malformedFile('image folder', dir, `one subfolder per class holding ${FORMATS.join(', ')} files`, classes.length === 0 ? `no subfolders (${entries.length} entries)` : `no images in ${classes.length} subfolders`);
  }
  return { classes, files };
}

/** RGBA bytes of a PNG or JPEG file, or a named error with the file. */
function decode(path: string): { width: number; height: number; data: Uint8Array } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw missingFile(WHAT, path, 'a readable PNG or JPEG file', readFailure(err), err);
  }
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) return PNG.sync.read(bytes);
    if (bytes[0] === 0xff && bytes[1] === 0xd8) return jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
  } catch (err) {
    throw malformedFile(WHAT, path, 'a PNG or JPEG file that decodes', (err as Error).message, err);
  }
  throw malformedFile(WHAT, path, 'a PNG or JPEG file', `bytes starting ${bytes.subarray(0, 4).toString('hex') || '(empty)'}`);
}

/** Bilinear resize of RGBA bytes to [h, w, channels] floats in [0, 1] (grayscale: ITU-R 601 luma, as tf.image.rgb_to_grayscale). */
export function resizeToFloats(img: { width: number; height: number; data: Uint8Array }, h: number, w: number, channels: 1 | 3 | 4): Float32Array {
  const out = new Float32Array(h * w * channels);
  const sy = img.height / h;
  const sx = img.width / w;
  const px = (y: number, x: number, c: number) => img.data[(y * img.width + x) * 4 + c];
  for (let y = 0; y < h; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, img.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, img.width - 1);
      const wx = fx - x0;
      const sample = (c: number) =>
        (px(y0, x0, c) * (1 - wx) + px(y0, x1, c) * wx) * (1 - wy) + (px(y1, x0, c) * (1 - wx) + px(y1, x1, c) * wx) * wy;
      const o = (y * w + x) * channels;
      if (channels === 1) out[o] = (0.2989 * sample(0) + 0.587 * sample(1) + 0.114 * sample(2)) / 255;
      else for (let c = 0; c < channels; c++) out[o + c] = sample(c) / 255;
    }
  }
  return out;
}

class ImageSource implements ExampleSource {
  constructor(
    private readonly dir: string,
    private readonly listing: Listing,
    private readonly list: readonly { path: string; label: number }[],
    private readonly size: readonly [number, number],
    private readonly channels: 1 | 3 | 4,
    private readonly labelMode: ImageFolderOptions['labelMode'] | undefined,
  ) {}

  async describe(): Promise<SourceInfo> {
    const classes = this.listing.classes;
    const label = { name: `the folders of ${this.dir}`, classes };
    return {
      rows: this.list.length, featureShape: [this.size[0], this.size[1], this.channels], featureNames: null,
      label: this.listing.classes.length === 0 ? null : this.labelMode === 'int' || this.labelMode === 'binary' ? { ...label, classes: null } : label,
      notes: [`Found ${this.list.length} files belonging to ${classes.length} classes: ${classes.join(', ')}.`],
    };
  }

  files(): readonly string[] {
    return this.list.map((f) => f.path);
  }

  async *examples(): AsyncGenerator<{ x: Float32Array; label: number }> {
    for (const f of this.list) {
      const x = resizeToFloats(decode(f.path), this.size[0], this.size[1], this.channels);
      yield { x, label: f.label };
    }
  }
}

/** Keras's image_dataset_from_directory; with subset 'both', [training, validation]. */
export function imageFolder(dir: string, options: ImageFolderOptions & { subset: 'both' }): [FileDataset, FileDataset];
export function imageFolder(dir: string, options: ImageFolderOptions): FileDataset;
export function imageFolder(dir: string, options: ImageFolderOptions): FileDataset | [FileDataset, FileDataset] {
  if (typeof dir !== 'string' || dir === '') throw invalidType('dir', 'the path of a folder of class subfolders', dir);
  const o = checkOptions('imageFolder', options, ['imageSize', 'colorMode', 'labelMode', 'labels', 'validationSplit', 'subset', 'seed', 'shuffle', 'memoryLimit']);
  if (o.labels !== undefined && o.labels !== null && o.labels !== 'inferred') throw invalidArgument('labels', "'inferred' (a subfolder per class) or null (unlabelled)", o.labels);
  const size = o.imageSize;
  if (!Array.isArray(size) || size.length !== 2) throw invalidType('imageSize', '[height, width] (required: every image is resized to it)', size);
  const [h, w] = [checkInteger('imageSize[0]', size[0], 1), checkInteger('imageSize[1]', size[1], 1)];
  const colorMode = (o.colorMode ?? 'rgb') as keyof typeof CHANNELS;
  if (!(colorMode in CHANNELS)) throw invalidArgument('colorMode', "'grayscale', 'rgb' or 'rgba'", colorMode);
  const labelMode = o.labelMode as ImageFolderOptions['labelMode'];
  if (labelMode !== undefined && !['int', 'categorical', 'binary'].includes(labelMode)) throw invalidArgument('labelMode', "'int', 'categorical' or 'binary'", labelMode);
  const split = o.validationSplit === undefined ? 0 : checkNumberInRange('validationSplit', o.validationSplit, 0, 1, true);
  const subset = o.subset as ImageFolderOptions['subset'];
  if (subset !== undefined && !['training', 'validation', 'both'].includes(subset)) throw invalidArgument('subset', "'training', 'validation' or 'both'", subset);
  if ((split > 0) !== (subset !== undefined)) throw invalidArgument(split > 0 ? 'subset' : 'validationSplit', 'validationSplit and subset together (or neither)', split > 0 ? subset : split);
  const seed = o.seed === undefined ? 0 : checkInteger('seed', o.seed, 0);
  const memoryLimit = checkMemoryLimit(o.memoryLimit);
  const listing = o.labels === null ? listAll(dir) : list(dir);
  if (labelMode === 'binary' && listing.classes.length !== 2) throw invalidArgument('labelMode', `'binary' only for 2 classes`, `${listing.classes.length} classes (${listing.classes.join(', ')})`);
  const files = [...listing.files];
  if (o.shuffle !== false) {
    // A seeded Fisher–Yates over the file list, once, as Keras shuffles before it splits.
    const u = new Float32Array(files.length);
    fillUniform(keyFromSeed(seed), u, 0, 1, 0x1f);
    for (let i = files.length - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(u[i] * (i + 1)));
      [files[i], files[j]] = [files[j], files[i]];
    }
  }
  const held = Math.floor(split * files.length);
  const channels = CHANNELS[colorMode];
  const make = (part: typeof files) => {
    if (part.length === 0) throw invalidArgument('validationSplit', `a fraction that leaves images on both sides of ${files.length}`, split);
    return FileDataset.create(new ImageSource(dir, listing, part, [h, w], channels, labelMode), memoryLimit);
  };
  const training = () => make(files.slice(0, files.length - held));
  const validation = () => make(files.slice(files.length - held));
  if (subset === 'both') return [training(), validation()];
  if (subset === 'validation') return validation();
  return training();
}
