/**
 * How fit, evaluate and predict take a file dataset as their data argument (Keras's
 * `fit(dataset, epochs=...)`): loaded into memory when it fits under its memory limit, then
 * trained as arrays (shuffling, validationSplit and every fit option work as with arrays);
 * otherwise streamed through fitDataset in batches of batchSize with a seeded shuffle buffer.
 */
import { invalidArgument, invalidType } from '../../errors.js';
import type { FitArgs } from '../options.js';
import { DEFAULT_SHUFFLE_BUFFER, isFileDataset, type FileDataset } from './dataset.js';

/** fit(dataset, args) or fit(dataset, undefined, args): the options object, wherever it came. */
export function argsAfterDataset<T extends object>(method: string, second: unknown, third: T | undefined): T {
  if (second === undefined || second === null) return (third ?? {}) as T;
  if (typeof second !== 'object' || Array.isArray(second) || ArrayBuffer.isView(second) || isFileDataset(second)) {
    throw invalidType(`${method}(dataset, args)`, 'the options object as the second argument (a dataset holds its own targets)', second);
  }
  // evaluate defaults its third argument to {}: only a real second options object is refused.
  if (third !== undefined && Object.keys(third).length > 0) throw invalidArgument(`${method}(dataset, args, more)`, 'one options object after a dataset', third);
  return second as T;
}

/** Features and targets of a dataset in memory, or a named error when it has no label. */
export async function loadWithTargets(method: string, dataset: FileDataset): Promise<{ xs: unknown; ys: unknown; notes: readonly string[] }> {
  const [{ xs, ys }, info] = await Promise.all([dataset.load(), dataset.info()]);
  if (ys === null) {
    throw invalidArgument(`${method}(dataset)`, 'a dataset with a label on every example (labelColumn / columnConfigs isLabel / y, or an image folder)', 'a dataset without labels');
  }
  return { xs, ys, notes: info.notes };
}

export interface FileFitPlan {
  /** Loaded: train as arrays with these args. */
  readonly arrays?: { xs: unknown; ys: unknown; args: FitArgs };
  /** Too large: stream through fitDataset with these args. */
  readonly stream?: { dataset: FileDataset; args: Record<string, unknown> };
}

/** What fit(dataset, args) runs: the arrays path or the stream path, with the args each takes. */
export async function planFileFit(dataset: FileDataset, args: FitArgs): Promise<FileFitPlan> {
  const v = args.validationData as unknown;
  const verbose = args.verbose ?? 1;
  if (await dataset.fitsInMemory()) {
    const { xs, ys, notes } = await loadWithTargets('fit', dataset);
    if (verbose > 0) for (const n of notes) console.log(n);
    let validationData = args.validationData;
    if (isFileDataset(v)) {
      const loaded = await loadWithTargets('fit validationData', v);
      validationData = [loaded.xs, loaded.ys];
    }
    return { arrays: { xs, ys, args: { ...args, ...(validationData === undefined ? {} : { validationData }) } } };
  }
  const { batchSize, shuffle, validationSplit, sampleWeight, ...rest } = args;
  if (validationSplit !== undefined && validationSplit !== 0) {
    throw invalidArgument('validationSplit', 'no validationSplit for a dataset larger than its memoryLimit (it streams): use const [train, val] = dataset.split(0.1) and validationData: val', validationSplit);
  }
  if (sampleWeight !== undefined) throw invalidArgument('sampleWeight', 'no sampleWeight with a dataset (its examples weigh 1)', sampleWeight);
  const info = await dataset.info();
  if (verbose > 0) for (const n of info.notes) console.log(n);
  let stream = dataset.batch(batchSize ?? 32);
  // The buffer holds at most a quarter of the memory limit, and never more examples than the default.
  const perExample = info.bytes / Math.max(1, info.size);
  const buffer = Math.max(1, Math.min(DEFAULT_SHUFFLE_BUFFER, info.size, Math.floor(dataset.memoryLimitBytes / 4 / perExample)));
  if (shuffle !== false) stream = stream.shuffle(buffer, args.seed ?? 0);
  const validation = isFileDataset(v) ? v.batch(batchSize ?? 32) : v;
  return { stream: { dataset: stream, args: { ...rest, ...(validation === undefined ? {} : { validationData: validation }) } } };
}
