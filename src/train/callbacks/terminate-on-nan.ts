import type { Logs } from './callback.js';
import { checkBoolean, checkOptions, checkVerbosity } from './callback-options.js';
import { ModelBoundCallback } from './model-bound.js';

export interface TerminateOnNaNOptions {
  /** Throw at once instead of stopping gracefully: fit rejects and onTrainEnd is not called (default false). */
  raiseError?: boolean;
  /** 1 (default, as Keras always does) prints `Batch N: Invalid loss, terminating training`. */
  verbose?: 0 | 1;
}

/** Where training met a non-finite loss. */
export interface NonFiniteLoss {
  readonly epoch: number;
  readonly batch: number;
  readonly loss: number;
}

/**
 * Keras's TerminateOnNaN: at the end of a batch whose loss is NaN or ±Infinity, sets
 * model.stopTraining (fit ends after that batch; the epoch's logs and onTrainEnd still run).
 */
export class TerminateOnNaN extends ModelBoundCallback {
  readonly raiseError: boolean;
  readonly verbose: 0 | 1;
  /** The batch that stopped the last fit; null when none did. */
  terminatedAt: NonFiniteLoss | null = null;
  private epoch = 0;

  constructor(options?: TerminateOnNaNOptions) {
    super('terminateOnNaN');
    const o = checkOptions('terminateOnNaN', options, ['raiseError', 'verbose']);
    this.raiseError = checkBoolean('raiseError', o.raiseError, false);
    this.verbose = checkVerbosity(o.verbose, 1);
  }

  onTrainBegin(): void {
    this.terminatedAt = null;
  }

  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  onBatchEnd(batch: number, logs?: Logs): void {
    const loss = logs?.loss;
    if (loss === undefined || Number.isFinite(loss)) return;
    if (this.raiseError) throw new Error(`NaN or Inf loss encountered at batch ${batch}. Loss value: ${loss}. Terminating training immediately.`);
    if (this.verbose > 0) console.log(`Batch ${batch}: Invalid loss, terminating training`);
    this.terminatedAt = { epoch: this.epoch, batch, loss };
    this.model.stopTraining = true;
  }
}

export function terminateOnNaN(options?: TerminateOnNaNOptions): TerminateOnNaN {
  return new TerminateOnNaN(options);
}
