import { invalidArgument, invalidType } from '../../errors.js';
import type { Logs } from './callback.js';
import { checkOptions, checkVerbosity } from './callback-options.js';
import { ModelBoundCallback } from './model-bound.js';

/** The learning rate for `epoch` (0-based), given the current one. */
export type Schedule = (epoch: number, learningRate: number) => number;

export interface LearningRateSchedulerOptions {
  /** 1 prints the learning rate set at each epoch (default 0). */
  verbose?: 0 | 1;
}

/**
 * Keras's LearningRateScheduler: at the start of each epoch sets the optimizer's learning
 * rate to schedule(epoch, currentRate), and adds 'learning_rate' to the epoch's logs.
 */
export class LearningRateScheduler extends ModelBoundCallback {
  readonly schedule: Schedule;
  readonly verbose: 0 | 1;

  constructor(schedule: Schedule, options?: LearningRateSchedulerOptions) {
    super('learningRateScheduler');
    if (typeof schedule !== 'function') throw invalidType('schedule', 'a function (epoch, learningRate) => number', schedule);
    this.schedule = schedule;
    this.verbose = checkVerbosity(checkOptions('learningRateScheduler', options, ['verbose']).verbose, 0);
  }

  onEpochBegin(epoch: number): void {
    const current = this.model.learningRate;
    const next: unknown = this.schedule(epoch, current);
    const argument = `schedule(${epoch}, ${current})`;
    const expected = `a finite number >= 0: the learning rate for epoch ${epoch}`;
    if (typeof next !== 'number') throw invalidType(argument, expected, next);
    if (!(Number.isFinite(next) && next >= 0)) throw invalidArgument(argument, expected, next);
    this.model.learningRate = next;
    if (this.verbose > 0) console.log(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${next}.`);
  }

  onEpochEnd(_epoch: number, logs?: Logs): void {
    if (logs !== undefined) logs.learning_rate = this.model.learningRate;
  }
}

export function learningRateScheduler(schedule: Schedule, options?: LearningRateSchedulerOptions): LearningRateScheduler {
  return new LearningRateScheduler(schedule, options);
}
