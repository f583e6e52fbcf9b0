import { invalidArgument, invalidType } from '../../errors.js';
import type { Logs } from './callback.js';
import { checkCount, checkNonNegative, checkOptions, checkVerbosity } from './callback-options.js';
import { ModelBoundCallback } from './model-bound.js';
import { Monitor, type MonitorOptions } from './monitor.js';

export interface ReduceLROnPlateauOptions extends MonitorOptions {
  /** new rate = rate * factor; in (0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  /** Epochs after a reduction during which no waiting is counted (default 0). */
  cooldown?: number;
  /** The rate never goes below this (default 0). */
  minLr?: number;
  /** 1 prints a line at each reduction (default 0). */
  verbose?: 0 | 1;
}

const OPTIONS = ['monitor', 'factor', 'patience', 'mode', 'minDelta', 'cooldown', 'minLr', 'verbose'];

function checkFactor(value: unknown): number {
  if (value === undefined) return 0.1;
  const expected = 'a number > 0 and < 1 (ReduceLROnPlateau does not support a factor >= 1.0)';
  if (typeof value !== 'number') throw invalidType('factor', expected, value);
  if (!(value > 0 && value < 1)) throw invalidArgument('factor', expected, value);
  return value;
}

/**
 * Keras 3's ReduceLROnPlateau (keras/src/callbacks/reduce_lr_on_plateau.py): multiplies the
 * learning rate by `factor` after `patience` epochs without improvement of the monitor, then
 * waits `cooldown` epochs before counting again; never below `minLr`.
 */
export class ReduceLROnPlateau extends ModelBoundCallback {
  readonly monitor: Monitor;
  readonly factor: number;
  readonly patience: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly verbose: 0 | 1;
  wait = 0;
  cooldownCounter = 0;
  best: number;

  constructor(options?: ReduceLROnPlateauOptions) {
    super('reduceLROnPlateau');
    const o = checkOptions('reduceLROnPlateau', options, OPTIONS);
    this.monitor = new Monitor('Learning rate reduction', o, { monitor: 'val_loss', minDelta: 1e-4 });
    this.factor = checkFactor(o.factor);
    this.patience = checkCount('patience', o.patience, 10);
    this.cooldown = checkCount('cooldown', o.cooldown, 0);
    this.minLr = checkNonNegative('minLr', o.minLr, 0);
    this.verbose = checkVerbosity(o.verbose, 0);
    this.best = this.monitor.worst;
  }

  onTrainBegin(): void {
    this.best = this.monitor.worst;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    if (logs !== undefined) logs.learning_rate = this.model.learningRate;
    const current = this.monitor.read(logs);
    if (current === undefined) return;
    if (this.inCooldown()) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.monitor.isImprovement(current, this.best)) {
      this.best = current;
      this.wait = 0;
      return;
    }
    if (this.inCooldown()) return;
    this.wait += 1;
    if (this.wait < this.patience) return;
    const oldLr = this.model.learningRate;
    // Keras compares the optimizer's float32 rate with float32(min_lr).
    if (Math.fround(oldLr) > Math.fround(this.minLr)) {
      const newLr = Math.max(oldLr * this.factor, this.minLr);
      this.model.learningRate = newLr;
      if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${newLr}.`);
      this.cooldownCounter = this.cooldown;
      this.wait = 0;
    }
  }
}

export function reduceLROnPlateau(options?: ReduceLROnPlateauOptions): ReduceLROnPlateau {
  return new ReduceLROnPlateau(options);
}
