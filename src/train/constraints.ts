/**
 * The math of weight constraints (Keras 3, keras/src/constraints/constraints.py), applied to
 * each constrained weight after every optimizer step, as Keras's optimizer does. A norm over
 * `axis` spans the whole weight, so a constraint runs as its own pass over the finished update,
 * on the thread that adopts it (the coordinator): never split over workers, so it cannot depend
 * on their number. Norms are accumulated in float64; ε is Keras's backend.epsilon(), 1e-7.
 */
import { constraintAxes, type ConstraintSpec } from '../graph/constraints.js';
import type { ParamLayout } from '../graph/param-layout.js';

const EPSILON = 1e-7;

/** One constrained weight: its place in the flat array and, for a norm, each element's group. */
export interface ConstrainedWeight {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly spec: ConstraintSpec;
  /**
   * How elements map to norms. When the normed axes are contiguous the weight is a
   * [pre, reduced, post] block and norm (p, q) spans w[p, :, q] (a Dense kernel under axis 0:
   * pre 1, post units): no map needed. Otherwise groups[i] names element i's norm. Null: NonNeg.
   */
  readonly layout: { readonly pre: number; readonly reduced: number; readonly post: number } | { readonly groups: Int32Array } | null;
  readonly groupCount: number;
}

/**
 * For a row-major weight of `shape`, each element's index over the axes not in `axes` (the
 * keepdims position of its norm): for a Dense kernel [in, units] and axis 0, its column.
 */
export function normGroups(shape: readonly number[], axes: readonly number[]): { groups: Int32Array; count: number } {
  const size = shape.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  const keptStrides = kept.map((_, k) => kept.slice(k + 1).reduce((a, d) => a * shape[d], 1));
  const count = kept.reduce((a, d) => a * shape[d], 1);
  const groups = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    let g = 0;
    for (let k = 0; k < kept.length; k++) {
      const d = kept[k];
      g += (Math.floor(i / strides[d]) % shape[d]) * keptStrides[k];
    }
    groups[i] = g;
  }
  return { groups, count };
}

/** Every constrained trainable weight of a layout, in layout order (a frozen weight never changes, so it is never projected). */
export function weightConstraints(layout: Pick<ParamLayout, 'entries'>): ConstrainedWeight[] {
  const out: ConstrainedWeight[] = [];
  for (const e of layout.entries) {
    if (!e.trainable) continue;
    const spec = e.layer.params[e.index]?.constraint;
    if (spec === undefined || spec === null) continue;
    if (spec.className === 'NonNeg') {
      out.push({ name: e.name, offset: e.offset, size: e.size, spec, layout: null, groupCount: 0 });
      continue;
    }
    const axes = constraintAxes(spec, e.shape.length, `Weight '${e.name}'`);
    const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
    const [first, last] = [axes[0], axes[axes.length - 1]];
    if (last - first + 1 === axes.length) {
      const block = { pre: product(e.shape.slice(0, first)), reduced: product(e.shape.slice(first, last + 1)), post: product(e.shape.slice(last + 1)) };
      out.push({ name: e.name, offset: e.offset, size: e.size, spec, layout: block, groupCount: block.pre * block.post });
      continue;
    }
    const { groups, count } = normGroups(e.shape, axes);
    out.push({ name: e.name, offset: e.offset, size: e.size, spec, layout: { groups }, groupCount: count });
  }
  return out;
}

/** The factor a norm is multiplied by: desired(‖w‖)/(ε + ‖w‖), Keras's formula for each class. */
function scaleFor(spec: ConstraintSpec, norm: number): number {
  const c = spec.config;
  switch (spec.className) {
    case 'MaxNorm':
      return Math.min(norm, c.maxValue as number) / (EPSILON + norm);
    case 'MinMaxNorm': {
      const rate = c.rate as number;
      const desired = rate * Math.min(Math.max(norm, c.minValue as number), c.maxValue as number) + (1 - rate) * norm;
      return desired / (EPSILON + norm);
    }
    default: // UnitNorm
      return 1 / (EPSILON + norm);
  }
}

/** Projects every constrained weight of `params` in place (the norms in float64). */
export function applyConstraints(weights: readonly ConstrainedWeight[], params: Float32Array): void {
  for (const w of weights) {
    const view = params.subarray(w.offset, w.offset + w.size);
    const layout = w.layout;
    if (layout === null) {
      for (let i = 0; i < view.length; i++) if (view[i] < 0) view[i] = 0;
      continue;
    }
    const norms = new Float64Array(w.groupCount);
    if ('groups' in layout) {
      const groups = layout.groups;
      for (let i = 0; i < view.length; i++) norms[groups[i]] += view[i] * view[i];
      for (let k = 0; k < norms.length; k++) norms[k] = scaleFor(w.spec, Math.sqrt(norms[k]));
      for (let i = 0; i < view.length; i++) view[i] *= norms[groups[i]];
      continue;
    }
    // Row by row over the [pre, reduced, post] block: each row of `post` elements adds into
    // `post` consecutive norms (a Dense kernel under axis 0: every row into all the columns').
    const { pre, reduced, post } = layout;
    for (let p = 0, i = 0; p < pre; p++) {
      const g = p * post;
      for (let r = 0; r < reduced; r++, i += post) {
        for (let q = 0; q < post; q++) norms[g + q] += view[i + q] * view[i + q];
      }
    }
    for (let k = 0; k < norms.length; k++) norms[k] = scaleFor(w.spec, Math.sqrt(norms[k]));
    for (let p = 0, i = 0; p < pre; p++) {
      const g = p * post;
      for (let r = 0; r < reduced; r++, i += post) {
        for (let q = 0; q < post; q++) view[i + q] *= norms[g + q];
      }
    }
  }
}
