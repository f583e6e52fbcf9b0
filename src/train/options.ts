import { checkInteger, invalidArgument, invalidType } from '../errors.js';
import { availableParallelism } from 'node:os';
import { randomSeed } from '../parallel/random.js';

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Seeds the shuffle and every dropout mask; the same seed gives the same run. */
  seed?: number;
  verbose?: 0 | 1 | 2;
  /** Worker threads to spread each batch over (default: os.availableParallelism()). */
  workers?: number;
}

export interface ResolvedFitArgs {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  seed: number;
  verbose: 0 | 1 | 2;
  workers: number;
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

export function checkWorkers(value: unknown): number {
  const n = checkInteger('workers', value, 1);
  if (n > MAX_WORKERS) throw invalidArgument('workers', `an integer in [1, ${MAX_WORKERS}]`, value);
  return n;
}

/** Validates fit's options once, before any work, with Keras's defaults. */
export function resolveFitArgs(args: FitArgs | undefined): ResolvedFitArgs {
  if (args !== undefined && (args === null || typeof args !== 'object')) throw invalidType('args', 'an options object', args);
  const a = args ?? {};
  const known = new Set(['epochs', 'batchSize', 'shuffle', 'seed', 'verbose', 'workers']);
  for (const key of Object.keys(a)) {
    if (!known.has(key)) throw invalidArgument('args', `only the options ${[...known].join(', ')}`, key);
  }
  if (a.shuffle !== undefined && typeof a.shuffle !== 'boolean') throw invalidType('shuffle', 'a boolean', a.shuffle);
  if (a.seed !== undefined && !(Number.isSafeInteger(a.seed) && a.seed >= 0)) throw invalidArgument('seed', 'a non-negative integer', a.seed);
  return {
    epochs: a.epochs === undefined ? 1 : checkInteger('epochs', a.epochs, 1),
    batchSize: a.batchSize === undefined ? 32 : checkBatchSize(a.batchSize),
    shuffle: a.shuffle ?? true,
    seed: a.seed ?? randomSeed(),
    verbose: a.verbose === undefined ? 1 : checkVerbose(a.verbose),
    workers: a.workers === undefined ? availableParallelism() : checkWorkers(a.workers),
  };
}
