import type { ModelSpec } from '../graph/spec.js';
import type { LossName } from '../graph/losses.js';
import type { Key } from './random.js';

/** A column of the dataset in shared memory: every worker reads its rows in place. */
export interface SharedColumn {
  readonly buffer: SharedArrayBuffer;
  readonly dtype: 'float32' | 'int32';
  readonly rowSize: number;
  readonly rows: number;
}

/**
 * Everything a worker needs to run steps for one fit/evaluate/predict call. It travels with
 * every task (a few KB: SharedArrayBuffers are shared, not copied); a worker builds its
 * session once per id and reuses it for every later task.
 */
export interface SessionSetup {
  readonly id: number;
  readonly spec: ModelSpec;
  /** The model's flat parameters: the only copy of the weights. */
  readonly params: SharedArrayBuffer;
  /** One gradient slot per rank, each `paramCount` floats. */
  readonly grads: SharedArrayBuffer | null;
  /** One row of [loss, metric...] sums per rank (float64). */
  readonly stats: SharedArrayBuffer | null;
  readonly loss: LossName | null;
  /** Metric names as the user wrote them; the worker resolves them as compile() did. */
  readonly metrics: readonly string[];
  readonly xs: readonly SharedColumn[];
  readonly y: SharedColumn | null;
  /** The epoch's example order (Int32), rewritten by the coordinator before each epoch. */
  readonly order: SharedArrayBuffer | null;
  /** predict's output rows, one buffer per model output. */
  readonly outputs: readonly SharedArrayBuffer[];
}

/** Test hook: make rank `rank` fail at training step `step` (see faults.ts). */
export interface Fault {
  readonly step: number;
  readonly rank: number;
  readonly kind: 'throw' | 'exit';
}

interface TaskBase {
  readonly setup: SessionSetup;
  readonly rank: number;
  /** Rows [start, end) of the epoch order (train) or of the dataset (evaluate, predict). */
  readonly start: number;
  readonly end: number;
}

export interface TrainTask extends TaskBase {
  readonly kind: 'train';
  readonly step: number;
  readonly epoch: number;
  readonly runKey: Key;
  /** Whether rows come through the order buffer (shuffled) or in place. */
  readonly shuffled: boolean;
  readonly fault: Fault | null;
}

export interface EvaluateTask extends TaskBase {
  readonly kind: 'evaluate' | 'predict';
  readonly batchSize: number;
}

export type Task = TrainTask | EvaluateTask;

/** What a task reports back besides what it wrote to shared memory: where its time went. */
export interface TaskTiming {
  readonly rank: number;
  /** Milliseconds inside the task: gathering rows, copy-in, forward/backward, export. */
  readonly computeMs: number;
  /** Of which: weights and rows copied into the backend. */
  readonly copyInMs: number;
  /** Of which: gradients copied out of the backend into the rank's slot. */
  readonly exportMs: number;
}
