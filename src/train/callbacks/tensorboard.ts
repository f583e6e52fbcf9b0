import { join } from 'node:path';
import { invalidArgument, invalidType } from '../../errors.js';
import { EventFileWriter, histogramOf } from '../tfevents.js';
import type { Logs } from './callback.js';
import { checkCount, checkOptions, checkPath, pathKind } from './callback-options.js';
import { ModelBoundCallback } from './model-bound.js';

export interface TensorBoardOptions {
  /**
   * 'epoch' (default): scalars at each epoch end; 'batch': also after every batch; an integer n:
   * also every n batches (Keras's update_freq).
   */
  updateFreq?: 'epoch' | 'batch' | number;
  /** Every how many epochs to write a histogram of each weight (0, the default: never). */
  histogramFreq?: number;
}

/** Keys of the batch logs that describe the batch rather than measure it. */
const NOT_SCALARS = new Set(['batch', 'size']);

function checkUpdateFreq(value: unknown): number {
  if (value === undefined || value === 'epoch') return 0;
  if (value === 'batch') return 1;
  const expected = "'epoch', 'batch' or an integer >= 1 (a number of batches)";
  if (typeof value !== 'number') throw invalidType('updateFreq', expected, value);
  if (!(Number.isInteger(value) && value >= 1)) throw invalidArgument('updateFreq', expected, value);
  return value;
}

/**
 * Keras's TensorBoard callback, with tfjs-node's `tf.node.tensorBoard(logdir)` layout: event
 * files under `logdir/train` and `logdir/val`, scalars tagged `epoch_<key>` (and `batch_<key>`
 * with updateFreq), the 'val_' keys written to the val run under their plain names, as both
 * write them. Each epoch also gets `epoch_learning_rate`, `epoch_samples_per_sec` (training
 * examples over the time from the epoch's start to its last batch) and `epoch_workers`. Every
 * fit opens new files, so runs into one logdir sit side by side.
 */
export class TensorBoard extends ModelBoundCallback {
  /** It writes files: across hosts, rank 0 alone runs it. */
  readonly rankZeroOnly = true;

  readonly logdir: string;
  /** 0: epoch scalars only; n: batch scalars every n batches too. */
  readonly updateFreq: number;
  readonly histogramFreq: number;
  private train: EventFileWriter | null = null;
  private val: EventFileWriter | null = null;
  private batchesSeen = 0;
  private epochStart = 0;
  private epochEnd = 0;
  private samples = 0;

  constructor(logdir: string, options?: TensorBoardOptions) {
    super('tensorBoard');
    this.logdir = checkPath('logdir', logdir);
    const o = checkOptions('tensorBoard', options, ['updateFreq', 'histogramFreq']);
    this.updateFreq = checkUpdateFreq(o.updateFreq);
    this.histogramFreq = checkCount('histogramFreq', o.histogramFreq, 0);
    const kind = pathKind(logdir);
    if (kind === 'file') throw invalidArgument('logdir', 'a directory (or a path to create one at)', `${logdir} (a file)`);
    if (typeof kind === 'object') throw invalidArgument('logdir', 'a directory (or a path to create one at)', `${logdir} (${kind.error})`);
  }

  /** The event files of the latest fit (null before a fit, and val without validation). */
  files: { train: string | null; val: string | null } = { train: null, val: null };

  onTrainBegin(): void {
    this.closeWriters();
    try {
      this.train = new EventFileWriter(join(this.logdir, 'train'));
      this.files = { train: this.train.path, val: null };
    } catch (err) {
      throw invalidArgument('logdir', 'a directory weft can create and write event files in', `${this.logdir} (${(err as Error).message})`);
    }
    this.batchesSeen = 0;
  }

  onEpochBegin(): void {
    this.epochStart = performance.now();
    this.epochEnd = this.epochStart;
    this.samples = 0;
  }

  onBatchEnd(_batch: number, logs?: Logs): void {
    this.batchesSeen += 1;
    this.samples += logs?.size ?? 0;
    this.epochEnd = performance.now();
    if (this.updateFreq > 0 && logs !== undefined && this.batchesSeen % this.updateFreq === 0) {
      this.writeScalars(logs, 'batch_', this.batchesSeen);
    }
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    const train = this.writer('train');
    this.writeScalars(logs ?? {}, 'epoch_', epoch);
    if (logs?.learning_rate === undefined) train.scalar('epoch_learning_rate', this.model.learningRate, epoch);
    const seconds = (this.epochEnd - this.epochStart) / 1000;
    if (seconds > 0 && this.samples > 0) train.scalar('epoch_samples_per_sec', this.samples / seconds, epoch);
    if (this.model.workers !== undefined) train.scalar('epoch_workers', this.model.workers, epoch);
    if (this.histogramFreq > 0 && epoch % this.histogramFreq === 0 && this.model.namedWeights !== undefined) {
      for (const w of this.model.namedWeights()) train.histogram(w.name, histogramOf(w.values), epoch);
    }
  }

  onTrainEnd(): void {
    this.closeWriters();
  }

  /** The logs' values as scalars, the val_ ones in the val run: one write per run. */
  private writeScalars(logs: Logs, prefix: string, step: number): void {
    const train: [string, number][] = [];
    const val: [string, number][] = [];
    for (const [key, value] of Object.entries(logs)) {
      if (NOT_SCALARS.has(key) || typeof value !== 'number') continue;
      if (key.startsWith('val_')) val.push([prefix + key.slice(4), value]);
      else train.push([prefix + key, value]);
    }
    if (train.length > 0) this.writer('train').scalars(train, step);
    if (val.length > 0) this.writer('val').scalars(val, step);
  }

  /** The run's writer; the val run's file is made when there is a first val_ value to write. */
  private writer(run: 'train' | 'val'): EventFileWriter {
    if (run === 'train') {
      if (this.train === null) this.onTrainBegin();
      return this.train!;
    }
    if (this.val === null) {
      this.val = new EventFileWriter(join(this.logdir, 'val'));
      this.files = { ...this.files, val: this.val.path };
    }
    return this.val;
  }

  private closeWriters(): void {
    this.train?.close();
    this.val?.close();
    this.train = null;
    this.val = null;
  }
}

export function tensorBoard(logdir: string, options?: TensorBoardOptions): TensorBoard {
  return new TensorBoard(logdir, options);
}
