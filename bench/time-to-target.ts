/** Time-to-accuracy: the first epoch whose test accuracy reaches the target. */
export interface EpochRecord {
  readonly epoch: number;
  /** Cumulative training time up to the end of this epoch, evaluation excluded. */
  readonly trainSeconds: number;
  /** Cumulative wall time, evaluation included. */
  readonly wallSeconds: number;
  readonly testAccuracy: number;
  readonly loss: number;
}

/** The first record at or above `target`, or undefined when none reached it. */
export function timeToTarget(records: readonly EpochRecord[], target: number): EpochRecord | undefined {
  return records.find((r) => r.testAccuracy >= target);
}
