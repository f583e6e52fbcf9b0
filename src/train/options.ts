import { checkInteger, checkNumberInRange, invalidArgument, invalidType } from '../errors.js';
import type { Callback } from './callbacks/callback.js';
import { randomSeed } from '../parallel/random.js';
import { isBatchSource, type BatchSource } from './stream.js';

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Seeds the shuffle and every dropout mask; the same seed gives the same run. */
  seed?: number;
  /** 0 silent, 1 a progress bar (one line per epoch when not on a TTY), 2 one line per epoch. */
  verbose?: 0 | 1 | 2;
  /**
   * Worker threads to spread each batch over, or 'auto' (the default): the count whose trial
   * steps run fastest for this model and batch size, up to os.availableParallelism() (auto-workers.ts).
   */
  workers?: number | 'auto';
  /** The last fraction of x and y, held out and evaluated after each epoch (Keras: before shuffling). */
  validationSplit?: number;
  /** [xVal, yVal] or [xVal, yVal, sampleWeightVal] evaluated after each epoch; takes precedence over validationSplit. */
  validationData?: [unknown, unknown] | [unknown, unknown, unknown];
  /**
   * Keras's sample_weight: one weight per example, which multiplies its loss (the batch's loss
   * is then Σ w·loss / batch size, Keras 3's reduction) and weighs the weighted metrics. With
   * several outputs, one array for all of them, or one per output (an array, or an object keyed
   * by output name).
   */
  sampleWeight?: unknown;
  /** Keras's class_weight (one-output models): {classIndex: weight}; an unlisted class weighs 1. Not with sampleWeight. */
  classWeight?: Readonly<Record<number, number>>;
  /** The epoch to start from (resuming a run): epochs counts from 0, as in Keras. */
  initialEpoch?: number;
  callbacks?: Callback | Callback[];
  /** Stops training at the next step boundary; fit then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface ResolvedFitArgs {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  verbose: 0 | 1 | 2;
  workers: number | 'auto';
  validationSplit: number;
  validationData: [unknown, unknown] | [unknown, unknown, unknown] | null;
  sampleWeight: unknown;
  classWeight: Readonly<Record<number, number>> | null;
  initialEpoch: number;
  callbacks: Callback[];
  signal: AbortSignal | undefined;
}

/** More threads than this is a typo, not a machine. */
export const MAX_WORKERS = 256;

export function checkVerbose(value: unknown): 0 | 1 | 2 {
  if (value !== 0 && value !== 1 && value !== 2) throw invalidArgument('verbose', '0, 1 or 2', value);
  return value;
}

export function checkBatchSize(value: unknown): number {
  return checkInteger('batchSize', value, 1);
}

const WORKER_COUNT = `an integer in [1, ${MAX_WORKERS}]`;

export function checkWorkers(value: unknown, expected = WORKER_COUNT): number {
  const n = checkInteger('workers', value, 1);
  if (n > MAX_WORKERS) throw invalidArgument('workers', expected, value);
  return n;
}

/** A worker count or 'auto' (chosen by measurement). */
export function checkWorkersOrAuto(value: unknown): number | 'auto' {
  const expected = `${WORKER_COUNT} or 'auto'`;
  if (value === 'auto') return 'auto';
  if (typeof value !== 'number') throw invalidType('workers', expected, value);
  return checkWorkers(value, expected);
}

const FIT_OPTIONS = [
  'epochs', 'batchSize', 'shuffle', 'seed', 'verbose', 'workers', 'validationSplit', 'validationData',
  'initialEpoch', 'callbacks', 'signal', 'sampleWeight', 'classWeight',
];

function checkCallbacks(value: unknown): Callback[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  list.forEach((c, i) => {
    if (c === null || typeof c !== 'object') throw invalidType(`callbacks[${i}]`, 'an object with onEpochEnd, onBatchEnd, ... methods', c);
  });
  return list as Callback[];
}

/** Validates fit's options once, before any work, with Keras's defaults. */
export function resolveFitArgs(args: FitArgs | undefined): ResolvedFitArgs {
  if (args !== undefined && (args === null || typeof args !== 'object')) throw invalidType('args', 'an options object', args);
  const a = args ?? {};
  for (const key of Object.keys(a)) {
    if (!FIT_OPTIONS.includes(key)) throw invalidArgument('args', `only the options ${FIT_OPTIONS.join(', ')}`, key);
  }
  if (a.shuffle !== undefined && typeof a.shuffle !== 'boolean') throw invalidType('shuffle', 'a boolean', a.shuffle);
  if (a.seed !== undefined && !(Number.isSafeInteger(a.seed) && a.seed >= 0)) throw invalidArgument('seed', 'a non-negative integer', a.seed);
  // epochs: 0 trains nothing and returns an empty History, as in tfjs-layers.
  const epochs = a.epochs === undefined ? 1 : checkInteger('epochs', a.epochs, 0);
  const initialEpoch = a.initialEpoch === undefined ? 0 : checkInteger('initialEpoch', a.initialEpoch, 0);
  if (initialEpoch >= epochs && !(epochs === 0 && initialEpoch === 0)) throw invalidArgument('initialEpoch', `an integer < epochs (${epochs})`, initialEpoch);
  const validationSplit = a.validationSplit === undefined ? 0 : checkNumberInRange('validationSplit', a.validationSplit, 0, 1, true);
  if (a.validationData !== undefined && !(Array.isArray(a.validationData) && (a.validationData.length === 2 || a.validationData.length === 3))) {
    throw invalidType('validationData', 'an array [xVal, yVal] or [xVal, yVal, sampleWeightVal]', a.validationData);
  }
  // Keras's own words (trainers/data_adapters/array_data_adapter.py).
  if (a.sampleWeight != null && a.classWeight != null) throw new RangeError('You cannot `class_weight` and `sample_weight` at the same time.');
  if (a.signal !== undefined && !(a.signal instanceof AbortSignal)) throw invalidType('signal', 'an AbortSignal', a.signal);
  return {
    epochs,
    batchSize: a.batchSize === undefined ? 32 : checkBatchSize(a.batchSize),
    shuffle: a.shuffle ?? true,
    seed: a.seed ?? randomSeed(),
    verbose: a.verbose === undefined ? 1 : checkVerbose(a.verbose),
    workers: a.workers === undefined ? 'auto' : checkWorkersOrAuto(a.workers),
    validationSplit,
    validationData: a.validationData ?? null,
    sampleWeight: a.sampleWeight ?? null,
    classWeight: a.classWeight ?? null,
    initialEpoch,
    callbacks: checkCallbacks(a.callbacks),
    signal: a.signal,
  };
}

/** fitDataset's options: fit's, less those the dataset decides, plus batchesPerEpoch. */
export interface FitDatasetArgs extends Omit<FitArgs, 'batchSize' | 'shuffle' | 'validationSplit' | 'validationData' | 'sampleWeight'> {
  /** Batches per epoch, drawn from one iterator across epochs; default: iterate the dataset to its end each epoch. */
  batchesPerEpoch?: number;
  /** [xVal, yVal] arrays, or a dataset of {xs, ys} batches (as tfjs-layers takes it), evaluated after each epoch. */
  validationData?: [unknown, unknown] | BatchSource;
  /** Batch size for [xVal, yVal] validation arrays (default 32). */
  validationBatchSize?: number;
  /** Batches drawn from a validation dataset after each epoch (tfjs-layers' validationBatches); default: all. */
  validationBatches?: number;
}

export interface ResolvedFitDatasetArgs extends Omit<ResolvedFitArgs, 'validationData'> {
  batchesPerEpoch: number | undefined;
  /** An [x, y] pair, a dataset, or null. */
  validationData: [unknown, unknown] | BatchSource | null;
  validationBatches: number | undefined;
}

export function resolveFitDatasetArgs(args: FitDatasetArgs | undefined): ResolvedFitDatasetArgs {
  const { batchesPerEpoch, validationBatchSize, validationBatches, validationData, ...rest } = args ?? {};
  for (const key of ['batchSize', 'shuffle', 'validationSplit']) {
    if (key in rest) throw invalidArgument('args', 'fitDataset options without batchSize, shuffle or validationSplit (the dataset decides those)', key);
  }
  if ('sampleWeight' in rest) throw invalidArgument('args', 'fitDataset options without sampleWeight (a batch carries its own: {xs, ys, sampleWeight})', 'sampleWeight');
  const stream = validationData !== undefined && isBatchSource(validationData);
  const base = resolveFitArgs({ ...rest, batchSize: validationBatchSize, ...(stream ? {} : { validationData: validationData as [unknown, unknown] | undefined }) });
  return {
    ...base,
    validationData: stream ? validationData : (base.validationData as [unknown, unknown] | null),
    batchesPerEpoch: batchesPerEpoch === undefined ? undefined : checkInteger('batchesPerEpoch', batchesPerEpoch, 1),
    validationBatches: validationBatches === undefined ? undefined : checkInteger('validationBatches', validationBatches, 1),
  };
}
