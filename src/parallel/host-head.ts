/**
 * The loss and metrics of a small head, computed in JavaScript from views of the wasm heap
 * instead of as a dozen tfjs kernels. A small model's step is dispatch, not math (DESIGN.md):
 * softmax crossentropy and accuracy cost ~17 kernel launches for a 32×10 head that JS scores in
 * a microsecond, and their stats then need no tensor read at all. Sums run in float64.
 *
 * Only the common case is here — categorical and sparse categorical crossentropy (softmax output
 * or fromLogits, no label smoothing) with the categorical accuracies; any other loss or metric,
 * or a head over HOST_HEAD_MAX values, takes the kernel path, which computes the same values.
 */
import type { Loss } from '../graph/losses.js';
import type { Metric } from '../graph/metrics.js';

/** Above this many output values per block, the kernels' SIMD beats a JS loop. */
export const HOST_HEAD_MAX = 16_384;

/** One block's head as the JS scorer reads it: row-major values, `width` per row. */
export interface HostHead {
  readonly output: ArrayLike<number>;
  /** The pre-softmax values (the fused form); null when the loss reads the output as logits. */
  readonly logits: ArrayLike<number> | null;
  readonly rows: number;
  readonly width: number;
}

export interface HostLossResult {
  /** Each example's loss. */
  readonly perExample: Float64Array;
  /** dL/dz per row (z: the logits, or the output for fromLogits), rows × width. */
  readonly grad: Float32Array | null;
}

/** A head's loss and metrics in JS; `grad` only when asked for. */
export interface HostScorer {
  /** True when the gradient is with respect to the logits of the output's own layer (the fused form). */
  readonly gradIsLogits: boolean;
  loss(head: HostHead, y: ArrayLike<number>, withGrad: boolean): HostLossResult;
  /** One per metric, in order: each example's value (1 or 0 for an accuracy). */
  readonly metrics: readonly ((head: HostHead, y: ArrayLike<number>) => Float64Array)[];
}

/** Index of the first largest value of row r (tf.argMax's tie rule). */
function argMaxRow(v: ArrayLike<number>, r: number, width: number): number {
  let best = 0;
  let max = v[r * width];
  for (let j = 1; j < width; j++) {
    const x = v[r * width + j];
    if (x > max) [max, best] = [x, j];
  }
  return best;
}

/** The target row r as weights over classes: a one-hot row, or class index y[r] (sparse). */
type TargetAt = (y: ArrayLike<number>, r: number, j: number, width: number) => number;

const denseTarget: TargetAt = (y, r, j, width) => y[r * width + j];
const sparseTarget: TargetAt = (y, r, j) => (Math.trunc(y[r]) === j ? 1 : 0);

/**
 * −Σ y·log softmax(z) per row and its gradient softmax(z)·Σy − y, in float64: the form the
 * kernel path computes (crossentropy.ts, categoricalFromLogits). `p` is softmax(z) when the
 * layer already computed it.
 */
function softmaxCrossentropy(z: ArrayLike<number>, p: ArrayLike<number> | null, y: ArrayLike<number>, rows: number, width: number, target: TargetAt, withGrad: boolean): HostLossResult {
  const perExample = new Float64Array(rows);
  const grad = withGrad ? new Float32Array(rows * width) : null;
  const e = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let max = -Infinity;
    for (let j = 0; j < width; j++) max = Math.max(max, z[o + j]);
    let sumExp = 0;
    for (let j = 0; j < width; j++) sumExp += (e[j] = Math.exp(z[o + j] - max));
    const lse = max + Math.log(sumExp);
    let loss = 0;
    let mass = 0;
    for (let j = 0; j < width; j++) {
      const t = target(y, r, j, width);
      if (t !== 0) loss -= t * (z[o + j] - lse);
      mass += t;
    }
    perExample[r] = loss;
    if (grad !== null) {
      for (let j = 0; j < width; j++) grad[o + j] = (p === null ? e[j] / sumExp : p[o + j]) * mass - target(y, r, j, width);
    }
  }
  return { perExample, grad };
}

const accuracyOf = (target: 'dense' | 'sparse') => (head: HostHead, y: ArrayLike<number>): Float64Array => {
  const { output, rows, width } = head;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const predicted = argMaxRow(output, r, width);
    out[r] = (target === 'sparse' ? Math.trunc(y[r]) : argMaxRow(y, r, width)) === predicted ? 1 : 0;
  }
  return out;
};

const HOST_METRICS: Readonly<Record<string, (head: HostHead, y: ArrayLike<number>) => Float64Array>> = {
  categoricalAccuracy: accuracyOf('dense'),
  sparseCategoricalAccuracy: accuracyOf('sparse'),
};

/**
 * The JS scorer of one output, or null when its loss, an option or a metric has no JS form.
 * `activation` is the output layer's; `fusedLogits` whether the step can hand its logits over.
 */
export function hostScorer(loss: Loss, metrics: readonly Metric[], activation: string, fusedLogits: boolean): HostScorer | null {
  const sparse = loss.name === 'sparseCategoricalCrossentropy';
  if (!sparse && loss.name !== 'categoricalCrossentropy') return null;
  if (loss.spec.module !== undefined || (loss.spec.config.labelSmoothing ?? 0) !== 0) return null;
  const fromLogits = loss.spec.config.fromLogits === true;
  if (!fromLogits && !(activation === 'softmax' && fusedLogits)) return null;
  const scores = metrics.map((m) => (m.spec.module === undefined && m.width === undefined ? HOST_METRICS[m.name] : undefined));
  if (scores.some((s) => s === undefined)) return null;
  const target = sparse ? sparseTarget : denseTarget;
  return {
    gradIsLogits: !fromLogits,
    loss: (head, y, withGrad) => fromLogits
      ? softmaxCrossentropy(head.output, null, y, head.rows, head.width, target, withGrad)
      : softmaxCrossentropy(head.logits as ArrayLike<number>, head.output, y, head.rows, head.width, target, withGrad),
    metrics: scores as ((head: HostHead, y: ArrayLike<number>) => Float64Array)[],
  };
}
