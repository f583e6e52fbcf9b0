/**
 * A block's stats row: its layout (statColumns, which the coordinator and the training state
 * read too), the sums of a metric under sample weights, and the one read that turns a block's
 * tensors and JS numbers into float64 values.
 */
import * as tf from '@tensorflow/tfjs-core';
import { metricWidth, type Metric } from '../graph/metrics.js';
import { readTensor, reshaped } from '../graph/tensor-io.js';

/** One sum of a stats row: what it sums, and for a weighted metric the column of its Σ w. */
export type StatColumn =
  | { readonly kind: 'total' }
  | { readonly kind: 'loss'; readonly output: number }
  | { readonly kind: 'metric'; readonly output: number; readonly index: number }
  | { readonly kind: 'weighted'; readonly output: number; readonly index: number; readonly over: number }
  | { readonly kind: 'weights'; readonly output: number }
  /** A further sum of the metric before it, one of `width` (precision's FP, FN). */
  | { readonly kind: 'part' };

/** How many stats columns a metric (or its spec) takes: its `width`, else 1. */
const widthOf = metricWidth;

/**
 * The layout of a stats row, every entry a sum over the block's examples (so shards add up):
 * the total loss Σ_i λ_i Σ w·loss_i; each output's unweighted-by-λ loss when there are several
 * (Keras's `<output>_loss`); every output's metrics, then every output's weighted metrics (Keras
 * 3's CompileMetrics order), each `width` columns (its column, then width − 1 'part's); last,
 * Σ w of each output with weighted metrics, their divisor.
 */
export function statColumns(outputs: readonly { readonly metrics: readonly unknown[]; readonly weightedMetrics: readonly unknown[] }[]): StatColumn[] {
  const columns: StatColumn[] = [{ kind: 'total' }];
  const parts = (m: unknown) => { for (let k = 1; k < widthOf(m); k++) columns.push({ kind: 'part' }); };
  if (outputs.length > 1) outputs.forEach((_, output) => columns.push({ kind: 'loss', output }));
  outputs.forEach((o, output) => o.metrics.forEach((m, index) => { columns.push({ kind: 'metric', output, index }); parts(m); }));
  const weightedAt = columns.length;
  const weighted = outputs.map((o, output) => ({ output, metrics: o.weightedMetrics })).filter((o) => o.metrics.length > 0);
  const weightedWidth = weighted.reduce((n, w) => n + w.metrics.reduce((k: number, m) => k + widthOf(m), 0), 0);
  const sumAt = new Map(weighted.map((o, k) => [o.output, weightedAt + weightedWidth + k]));
  for (const { output, metrics } of weighted) {
    metrics.forEach((m, index) => { columns.push({ kind: 'weighted', output, index, over: sumAt.get(output) as number }); parts(m); });
  }
  for (const { output } of weighted) columns.push({ kind: 'weights', output });
  return columns;
}

/** A stat of one block: a number computed in JS, or a tensor (a scalar, or a 1-D row of a metric's `width` sums). */
export type Stat = number | tf.Tensor;

/**
 * Each group's stats as float64 values: the tensors among them read back in one kernel and one
 * heap read (none when every stat is a number already), each stat as its values.
 */
export function readStats(...groups: (readonly Stat[])[]): Float64Array[][] {
  const tensors = groups.flat().filter((s): s is tf.Tensor => typeof s !== 'number');
  let values: ArrayLike<number> = [];
  if (tensors.length > 0) {
    const row = tensors.every((t) => t.rank === 0) ? tf.stack(tensors) : tf.concat(tensors.map((t) => reshaped(t, [-1])));
    values = Float64Array.from(readTensor(row));
  }
  let at = 0;
  return groups.map((g) => g.map((s) => {
    if (typeof s === 'number') return Float64Array.of(s);
    const v = Float64Array.from(Array.prototype.slice.call(values, at, at + s.size) as number[]);
    at += s.size;
    return v;
  }));
}

/**
 * Σ_b w_b·m_b for a metric that exposes only its sum over a block: the rows are grouped by
 * their weight, each group's sum taken once and scaled. Class weights and 0/1 masks make a
 * few groups; arbitrary weights one per row (slower, still exact as a sum over examples).
 */
export function weightedSum(metric: Metric, p: tf.Tensor, y: tf.Tensor, w: Float32Array | Int32Array | null): tf.Tensor {
  if (w === null) return metric.sum(p, y);
  const groups = new Map<number, number[]>();
  w.forEach((v, r) => {
    if (v === 0) return;
    const rows = groups.get(v);
    if (rows === undefined) groups.set(v, [r]);
    else rows.push(r);
  });
  let sum: tf.Tensor = widthOf(metric) === 1 ? tf.scalar(0) : tf.zeros([widthOf(metric)]);
  for (const [v, rows] of groups) {
    const idx = tf.tensor1d(rows, 'int32');
    sum = tf.add(sum, tf.mul(metric.sum(tf.gather(p, idx), tf.gather(y, idx)), v));
  }
  return sum;
}
