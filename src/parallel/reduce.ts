/**
 * The seam between the coordinator and "the reduction": sum these ranks' gradient slots into
 * this buffer, in this fixed order. The shared-memory version below is the only one today; a
 * multi-process or multi-host transport can implement the same interface later without
 * touching graph or train code.
 */
export interface Reduction {
  /** out = Σ slot[k] for k in `ranks`, added in the order given. */
  sum(ranks: readonly number[], out: Float32Array): void;
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

  sum(ranks: readonly number[], out: Float32Array): void {
    out.set(this.slot(ranks[0]));
    for (let r = 1; r < ranks.length; r++) {
      const src = this.slot(ranks[r]);
      for (let i = 0; i < out.length; i++) out[i] += src[i];
    }
  }
}
