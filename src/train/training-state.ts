import type { Loss } from '../graph/losses.js';
import type { Metric } from '../graph/metrics.js';
import { sharedFloat32 } from '../parallel/shared.js';
import type { Optimizer } from './optimizers.js';

/**
 * What compile() fixes and what persists across fit() calls, as in Keras: the loss, the
 * metrics, the optimizer with its slots (Adam's m and v) and its step count.
 */
export class TrainingState {
  slots: Float32Array[];
  iterations = 0;

  constructor(
    readonly optimizer: Optimizer,
    readonly loss: Loss,
    readonly metrics: readonly Metric[],
    paramCount: number,
  ) {
    this.slots = Array.from({ length: optimizer.slotCount }, () => sharedFloat32(paramCount));
  }

  /** One optimizer step from a gradient that sums `batchRows` examples' gradients. */
  applyGradients(params: Float32Array, gradSum: Float32Array, batchRows: number): void {
    this.iterations += 1;
    this.optimizer.applyInPlace(params, gradSum, this.slots, this.iterations, 1 / batchRows);
  }

  /** Log keys in order: 'loss', then each metric as the user named it. */
  get logKeys(): string[] {
    return ['loss', ...this.metrics.map((m) => m.key)];
  }
}
