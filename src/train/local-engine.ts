import type { GraphModel } from '../graph/model.js';
import { gatherRows, type Column } from '../parallel/batch.js';
import type { Key } from '../parallel/random.js';
import { StepRunner, type Batch } from '../parallel/step.js';
import type { Dataset, Engine } from './engine.js';
import type { TrainingState } from './training-state.js';

/** Scratch buffers for one batch of a column, allocated once per fit. */
function scratchFor(column: Column, rows: number): Float32Array | Int32Array {
  return column.data instanceof Int32Array ? new Int32Array(rows * column.rowSize) : new Float32Array(rows * column.rowSize);
}

function sliceBatch(data: Dataset, start: number, end: number): Batch {
  const take = (c: Column) => gatherRows(c, null, start, end, c.data);
  return { xs: data.xs.map(take), y: data.y === null ? null : take(data.y), rows: end - start, firstExample: start };
}

/** Every step in the calling thread: the reference the parallel engine is checked against. */
export class LocalEngine implements Engine {
  private readonly runner: StepRunner;
  private readonly grads: Float32Array;
  private readonly xScratch: (Float32Array | Int32Array)[];
  private readonly yScratch: Float32Array | Int32Array | null;

  constructor(
    private readonly model: GraphModel,
    private readonly state: TrainingState,
    private readonly data: Dataset | null,
    private readonly runKey: Key,
    batchSize: number,
  ) {
    this.runner = new StepRunner(model, state.loss, state.metrics);
    this.grads = new Float32Array(model.layout.size);
    this.xScratch = data?.xs.map((c) => scratchFor(c, batchSize)) ?? [];
    this.yScratch = data?.y ? scratchFor(data.y, batchSize) : null;
  }

  async trainBatch(epoch: number, order: Int32Array | null, start: number, end: number): Promise<Float64Array> {
    const data = this.data as Dataset;
    const batch: Batch = {
      xs: data.xs.map((c, i) => gatherRows(c, order, start, end, this.xScratch[i])),
      y: gatherRows(data.y as Column, order, start, end, this.yScratch as Float32Array),
      rows: end - start,
      firstExample: start,
    };
    const stats = this.runner.train(this.model.params, batch, { runKey: this.runKey, epoch }, this.grads);
    this.state.applyGradients(this.model.params, this.grads, end - start);
    return stats;
  }

  async evaluate(data: Dataset, batchSize: number): Promise<Float64Array> {
    let sums: Float64Array | null = null;
    for (let start = 0; start < data.rows; start += batchSize) {
      const s = this.runner.evaluate(this.model.params, sliceBatch(data, start, Math.min(data.rows, start + batchSize)));
      if (sums === null) sums = s;
      else s.forEach((v, i) => ((sums as Float64Array)[i] += v));
    }
    return sums as Float64Array;
  }

  async predict(xs: readonly Column[], rows: number, batchSize: number): Promise<Float32Array[]> {
    const outs = this.model.outputs.map((o) => new Float32Array(rows * (o.shape.slice(1) as number[]).reduce((a, b) => a * b, 1)));
    for (let start = 0; start < rows; start += batchSize) {
      const end = Math.min(rows, start + batchSize);
      const parts = this.runner.predict(this.model.params, sliceBatch({ xs, y: null, rows }, start, end));
      parts.forEach((p, i) => outs[i].set(p, start * (p.length / (end - start))));
    }
    return outs;
  }

  async dispose(): Promise<void> {}
}
