import { sliceRows, type Column } from '../parallel/batch.js';

/**
 * A dataset already converted and checked: one column per model input, and targets: `y` the
 * first output's, `ys` one per output (several outputs), `weights` each output's sample weights
 * (null where it has none; absent: none at all).
 */
export interface Dataset {
  readonly xs: readonly Column[];
  readonly y: Column | null;
  readonly ys?: readonly Column[];
  readonly weights?: readonly (Column | null)[];
  readonly rows: number;
}

/** Rows [a, b) of every column of `data`. */
export function sliceDataset(data: Dataset, a: number, b: number): Dataset {
  return {
    xs: data.xs.map((c) => sliceRows(c, a, b)), y: data.y === null ? null : sliceRows(data.y, a, b),
    ...(data.ys === undefined ? {} : { ys: data.ys.map((c) => sliceRows(c, a, b)) }),
    ...(data.weights === undefined ? {} : { weights: data.weights.map((c) => (c === null ? null : sliceRows(c, a, b))) }),
    rows: b - a,
  };
}

/** Inference-mode sums (a stats row: step.ts's statColumns) and the number of examples they sum over. */
export interface Evaluated {
  readonly sums: Float64Array;
  readonly rows: number;
}

/** Where inference runs: the calling thread (LocalEngine) or the model's pool (ParallelEngine). */
export interface InferenceEngine {
  /** Inference-mode sums [loss, metrics...] over every example of `data`. */
  evaluate(data: Dataset, batchSize: number): Promise<Float64Array>;
  /** Inference-mode outputs, one row-major array per model output. */
  predict(xs: readonly Column[], rows: number, batchSize: number): Promise<Float32Array[]>;
  dispose(): Promise<void>;
}

/**
 * Where training steps run. The fit loop decides what to train on and when; the engine
 * computes and applies the optimizer to the model's flat parameters.
 */
export interface Engine extends InferenceEngine {
  /**
   * One optimizer step on the rows order[start, end) of the engine's data (order null: in
   * place). `firstExample` is the index within the epoch of the first row, the dropout key of
   * each example (default `start`). Resolves to the sums over those rows: [loss, metric...].
   */
  trainBatch(epoch: number, order: Int32Array | null, start: number, end: number, firstExample?: number): Promise<Float64Array>;
  /** Trains on these columns from the next step on (same example shapes; fitDataset grows its staging). */
  replaceTrainingData(data: Dataset & { readonly y: Column }): void;
}
