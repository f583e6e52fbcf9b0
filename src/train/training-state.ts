import type { Loss } from '../graph/losses.js';
import type { Metric } from '../graph/metrics.js';
import type { OptimizerHandle } from '../parallel/coordinator.js';
import { sharedFloat32 } from '../parallel/shared.js';
import { clipMeanGradient } from './clipping.js';
import type { Optimizer } from './optimizers.js';

/** Where workers import the optimizers from: this module's sibling, .ts under tsx, .js in dist. */
const OPTIMIZERS_MODULE = new URL(import.meta.url.endsWith('.ts') ? './optimizers.ts' : './optimizers.js', import.meta.url).href;

/**
 * What compile() fixes and what persists across fit() calls, as in Keras: the loss, the
 * metrics, the optimizer with its slots (Adam's m and v, in shared memory beside the
 * parameters) and its step count.
 */
export class TrainingState implements OptimizerHandle {
  slots: Float32Array[];
  iterations = 0;
  readonly module = OPTIMIZERS_MODULE;

  /** Each weight's range of the flat arrays, for per-weight gradient clipping. */
  private readonly entries: readonly { offset: number; size: number }[];

  constructor(
    readonly optimizer: Optimizer,
    readonly loss: Loss,
    readonly metrics: readonly Metric[],
    layout: number | { readonly size: number; readonly entries: readonly { offset: number; size: number }[] },
  ) {
    const paramCount = typeof layout === 'number' ? layout : layout.size;
    this.entries = typeof layout === 'number' ? [{ offset: 0, size: layout }] : layout.entries;
    this.slots = Array.from({ length: optimizer.slotCount }, () => sharedFloat32(paramCount));
  }

  /** Clipping needs the whole reduced gradient: the workers cannot update ranges on their own. */
  get needsWholeGradient(): boolean {
    return this.optimizer.clipping !== null;
  }

  get learningRate(): number {
    return this.optimizer.learningRate;
  }

  spec(): { className: string; config: Record<string, number | boolean> } {
    return { className: this.optimizer.className, config: this.optimizer.getConfig() };
  }

  /** One optimizer step from a gradient that sums `batchRows` examples' gradients. */
  applyGradients(params: Float32Array, gradSum: Float32Array, batchRows: number): void {
    this.iterations += 1;
    const clipping = this.optimizer.clipping;
    if (clipping === null) {
      this.optimizer.applyInPlace(params, gradSum, this.slots, this.iterations, 1 / batchRows);
      return;
    }
    clipMeanGradient(gradSum, 1 / batchRows, this.entries, clipping);
    this.optimizer.applyInPlace(params, gradSum, this.slots, this.iterations, 1);
  }

  /** Log keys in order: 'loss', then each metric as the user named it. */
  get logKeys(): string[] {
    return ['loss', ...this.metrics.map((m) => m.key)];
  }
}
