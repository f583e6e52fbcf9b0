import type { Column } from '../parallel/batch.js';

/** A dataset already converted and checked: one column per model input, and targets. */
export interface Dataset {
  readonly xs: readonly Column[];
  readonly y: Column | null;
  readonly rows: number;
}

/**
 * Where the steps run. The fit loop decides what to train on and when; an engine computes.
 * The local engine runs in the calling thread; the parallel one spreads each batch over a pool
 * of workers. Both apply the same optimizer to the same flat parameters, so they are
 * interchangeable up to float summation order.
 */
export interface Engine {
  /**
   * One optimizer step on the examples order[start, end) of `epoch` (order null: in place).
   * Resolves to the sums over those examples: [loss, metric 1, ...].
   */
  trainBatch(epoch: number, order: Int32Array | null, start: number, end: number): Promise<Float64Array>;
  /** Inference-mode sums [loss, metrics...] over every example of `data`. */
  evaluate(data: Dataset, batchSize: number): Promise<Float64Array>;
  /** Inference-mode outputs, one row-major array per model output. */
  predict(xs: readonly Column[], rows: number, batchSize: number): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}
