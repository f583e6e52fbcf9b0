import type { Logs } from './callback.js';
import { checkBoolean, checkCount, checkOptionalFinite, checkOptions, checkVerbosity } from './callback-options.js';
import { ModelBoundCallback } from './model-bound.js';
import { Monitor, type MonitorOptions } from './monitor.js';

export interface EarlyStoppingOptions extends MonitorOptions {
  /** Epochs without improvement after which training stops (default 0). */
  patience?: number;
  /** Training stops unless the monitor beats this value (and its best) within `patience` epochs. */
  baseline?: number;
  /** At the end of training, put back the weights of the best epoch (default false). */
  restoreBestWeights?: boolean;
  /** Epochs to wait before monitoring starts: a warm-up (default 0). */
  startFromEpoch?: number;
  /** 1 prints a line when it stops and when it restores weights (default 0). */
  verbose?: 0 | 1;
}

const OPTIONS = ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights', 'startFromEpoch', 'verbose'];

/**
 * Keras 3's EarlyStopping (keras/src/callbacks/early_stopping.py): stops training when the
 * monitored quantity has not improved for `patience` epochs, by setting model.stopTraining.
 */
export class EarlyStopping extends ModelBoundCallback {
  readonly monitor: Monitor;
  readonly patience: number;
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly verbose: 0 | 1;
  /** Epochs since the last improvement (one that also beats the baseline). */
  wait = 0;
  /** The epoch (0-based) at which it stopped training; 0 when it did not. */
  stoppedEpoch = 0;
  /** The best monitored value so far; null before the first. */
  best: number | null = null;
  bestEpoch = 0;
  private bestWeights: Float32Array | null = null;

  constructor(options?: EarlyStoppingOptions) {
    super('earlyStopping');
    const o = checkOptions('earlyStopping', options, OPTIONS);
    this.monitor = new Monitor('Early stopping', o, { monitor: 'val_loss', minDelta: 0 });
    this.patience = checkCount('patience', o.patience, 0);
    this.baseline = checkOptionalFinite('baseline', o.baseline);
    this.restoreBestWeights = checkBoolean('restoreBestWeights', o.restoreBestWeights, false);
    this.startFromEpoch = checkCount('startFromEpoch', o.startFromEpoch, 0);
    this.verbose = checkVerbosity(o.verbose, 0);
  }

  /** Resets, so one instance may serve several fits. */
  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = null;
    this.bestWeights = null;
    this.bestEpoch = 0;
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    const current = this.monitor.read(logs);
    if (current === undefined || epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) {
      // The first monitored epoch is the best one until another beats it.
      this.bestWeights = this.model.getWeightValues();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.monitor.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = this.model.getWeightValues();
      // Only beating both the previous best and the baseline restarts the wait.
      if (this.baseline === undefined || this.monitor.isImprovement(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  /** Keras 3 restores the best weights at the end of training whenever it kept them, stopped early or not. */
  onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.model.setWeightValues(this.bestWeights);
    }
  }
}

export function earlyStopping(options?: EarlyStoppingOptions): EarlyStopping {
  return new EarlyStopping(options);
}
