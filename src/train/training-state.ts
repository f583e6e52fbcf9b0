import type { Loss } from '../graph/losses.js';
import type { Metric } from '../graph/metrics.js';
import type { OptimizerHandle } from '../parallel/coordinator.js';
import { sharedFloat32 } from '../parallel/shared.js';
import { clipMeanGradient } from './clipping.js';
import type { Optimizer, OptimizerSpec } from './optimizers.js';

/** Where workers import the optimizers from: this module's sibling, .ts under tsx, .js in dist. */
const OPTIMIZERS_MODULE = new URL(import.meta.url.endsWith('.ts') ? './optimizers.ts' : './optimizers.js', import.meta.url).href;

/**
 * What compile() fixes and what persists across fit() calls, as in Keras: the loss, the
 * metrics, the optimizer with its slots (Adam's m and v, in shared memory beside the
 * parameters) and its step count.
 */
export class TrainingState implements OptimizerHandle {
  slots: Float32Array[];
  readonly module = OPTIMIZERS_MODULE;
  private steps = 0;

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
    this.slots = Array.from({ length: optimizer.slotCount }, (_, k) => sharedFloat32(paramCount).fill(optimizer.initialSlotValues[k]));
    optimizer.iterations = 0;
  }

  /**
   * Optimizer steps applied (Keras's `optimizer.iterations`). Kept on the optimizer too, whose
   * `learningRate` reads its schedule there, so callbacks and logs see the rate of the next step.
   */
  get iterations(): number {
    return this.steps;
  }

  set iterations(value: number) {
    this.steps = value;
    this.optimizer.iterations = value;
  }

  /** Clipping needs the whole reduced gradient: the workers cannot update ranges on their own. */
  get needsWholeGradient(): boolean {
    return this.optimizer.clipping !== null;
  }

  /** The rate of the next step, at the step count before it: what a sharded update task carries. */
  get learningRate(): number {
    return this.optimizer.learningRateAt(this.steps);
  }

  /** The whole optimizer, its schedule included: what a checkpoint records. */
  spec(): OptimizerSpec {
    return { className: this.optimizer.className, config: this.optimizer.getConfig() };
  }

  /**
   * What the workers of a sharded update rebuild the optimizer from: each update task carries
   * its step's rate (computed here, so both update paths use one number), so a schedule is
   * left out and the rate stands in as a plain number the task overwrites.
   */
  updateSpec(): { className: string; config: Record<string, number | boolean> } {
    const config = this.optimizer.getConfig();
    const plain = Object.fromEntries(Object.entries(config).filter(([, v]) => typeof v !== 'object')) as Record<string, number | boolean>;
    return { className: this.optimizer.className, config: { ...plain, learningRate: this.learningRate } };
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
