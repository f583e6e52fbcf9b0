import type { GraphModel } from '../graph/model.js';
import { exampleSize } from '../graph/shape.js';
import { sliceRows, type Column } from '../parallel/batch.js';
import { StepRunner, type Batch } from '../parallel/step.js';
import type { Dataset, InferenceEngine } from './engine.js';
import type { TrainingState } from './training-state.js';

function sliceBatch(data: Dataset, start: number, end: number): Batch {
  const ys = (data.ys ?? (data.y === null ? [] : [data.y])).map((c) => sliceRows(c, start, end).data);
  return {
    xs: data.xs.map((c) => sliceRows(c, start, end).data),
    y: ys[0] ?? null,
    ys,
    weights: (data.weights ?? []).map((w) => (w === null ? null : sliceRows(w, start, end).data)),
    rows: end - start,
    firstExample: start,
  };
}

/**
 * Inference in the calling thread, for a model that has no worker pool: predicting a few rows
 * should not start threads. Runs the same StepRunner the workers run.
 */
export class LocalEngine implements InferenceEngine {
  private readonly runner: StepRunner;

  constructor(
    private readonly model: GraphModel,
    /** What evaluate scores; null: the engine only predicts. */
    state: TrainingState | null,
  ) {
    this.runner = new StepRunner(model, state === null ? null : state.scoring);
  }

  async evaluate(data: Dataset, batchSize: number): Promise<Float64Array> {
    const sums = new Float64Array(this.runner.columns.length);
    for (let start = 0; start < data.rows; start += batchSize) {
      const s = this.runner.evaluate(this.model.params, sliceBatch(data, start, Math.min(data.rows, start + batchSize)));
      s.forEach((v, i) => (sums[i] += v));
    }
    return sums;
  }

  async predict(xs: readonly Column[], rows: number, batchSize: number): Promise<Float32Array[]> {
    const outs = this.model.outputs.map((o) => new Float32Array(rows * exampleSize(o.shape)));
    for (let start = 0; start < rows; start += batchSize) {
      const end = Math.min(rows, start + batchSize);
      const parts = this.runner.predict(this.model.params, sliceBatch({ xs, y: null, rows }, start, end));
      parts.forEach((p, i) => outs[i].set(p, start * (p.length / (end - start))));
    }
    return outs;
  }

  async dispose(): Promise<void> {}
}
