/**
 * The seam between the coordinator and "the reduction": sum these ranks' gradient slots into
 * this buffer, in this fixed order. The shared-memory version below is the only one today; a
 * multi-process or multi-host transport can implement the same interface later without
 * touching graph or train code.
 */
export interface Reduction {
  /**
   * Σ slot[k] for k in `ranks`, added in the order given. Returns the array holding the sum:
   * the first rank's slot itself (slots are rewritten every step, so no copy is needed).
   */
  sum(ranks: readonly number[]): Float32Array;
}

/**
 * True when every value is finite. x·0 is ±0 for a finite x and NaN for NaN or ±Infinity, so
 * the sum is 0 exactly when all are finite: one multiply-add per element and no branch, ~4x
 * faster in V8 than calling Number.isFinite on each (a gradient check sits on every step).
 */
export function allFinite(values: Float32Array, start = 0, end = values.length): boolean {
  let acc = 0;
  for (let i = start; i < end; i++) acc += values[i] * 0;
  return acc === 0;
}

/** All ranks' slots in one SharedArrayBuffer-backed array, `size` floats each. */
export class SharedMemoryReduction implements Reduction {
  constructor(
    private readonly slots: Float32Array,
    private readonly size: number,
  ) {}

  slot(rank: number): Float32Array {
    return this.slots.subarray(rank * this.size, (rank + 1) * this.size);
  }

  sum(ranks: readonly number[]): Float32Array {
    const out = this.slot(ranks[0]);
    for (let r = 1; r < ranks.length; r++) {
      const src = this.slot(ranks[r]);
      for (let i = 0; i < out.length; i++) out[i] += src[i];
    }
    return out;
  }
}
