import type { ModelSpec } from '../graph/spec.js';
import type { LossSpec } from '../graph/losses.js';
import type { MetricSpec } from '../graph/metrics.js';
import type { Key } from './random.js';
import type { CollectiveBuffers } from './collective.js';

/** A column of the dataset in shared memory: every worker reads its rows in place. */
export interface SharedColumn {
  readonly buffer: SharedArrayBuffer;
  /** Where the column starts in the buffer, in elements (a validation split is a view). */
  readonly offset: number;
  readonly dtype: 'float32' | 'int32';
  readonly rowSize: number;
  readonly rows: number;
}

/** What a worker throws for a task naming a session it has not been given. */
export const MISSING_SESSION = 'weft: worker has no session';

/**
 * Everything a worker needs to run steps for one fit/evaluate/predict call. It travels with
 * the first tasks of a session (a few KB: SharedArrayBuffers are shared, not copied); a worker
 * builds its session once per id and reuses it for every later task.
 */
export interface SessionSetup {
  readonly id: number;
  readonly spec: ModelSpec;
  /** The model's flat parameters: the one copy, updated in place after each complete step. */
  readonly params: SharedArrayBuffer;
  /** How the workers apply the optimizer to their parameter ranges, when they do. */
  readonly update: WorkerUpdate | null;
  /** One gradient slot per rank, each the layout's trainable prefix long. */
  readonly grads: SharedArrayBuffer | null;
  /** The in-step collective's memory, when the model has layers that sum across ranks mid-step. */
  readonly collective: CollectiveBuffers | null;
  /**
   * Where the first rank writes the step's new values of non-trainable weights (moving
   * statistics): `values` mirrors the layout past its trainable prefix, `flags` holds one Int32
   * per layout entry, set for each entry written. The coordinator copies them into the weights
   * once the step has succeeded.
   */
  readonly state: { readonly values: SharedArrayBuffer; readonly flags: SharedArrayBuffer } | null;
  /** One stats row per rank (float64): the sums step.ts's statColumns lays out. */
  readonly stats: SharedArrayBuffer | null;
  /** How each model output is scored, in model.outputs order; null for predict. */
  readonly objective: readonly OutputObjective[] | null;
  readonly xs: readonly SharedColumn[];
  /** One target column per model output (none for predict). */
  readonly ys: readonly SharedColumn[];
  /** Each output's sample weights (one float per example), or null where it has none. */
  readonly weights: readonly (SharedColumn | null)[];
  /** The epoch's example order (Int32), rewritten by the coordinator before each epoch. */
  readonly order: SharedArrayBuffer | null;
  /** predict's output rows, one buffer per model output. */
  readonly outputs: readonly SharedArrayBuffer[];
}

/**
 * How one model output is scored: its loss (times its loss weight in the total), its metrics
 * and its sample-weighted metrics, as specs the worker resolves as compile() did.
 */
export interface OutputObjective {
  readonly loss: LossSpec;
  /** The output's loss weight (Keras's loss_weights; 1 by default). */
  readonly weight: number;
  readonly metrics: readonly MetricSpec[];
  /** Keras's weighted_metrics: means weighted by the sample weights (Σ w·m / Σ w). */
  readonly weightedMetrics: readonly MetricSpec[];
}

/**
 * The optimizer, run by the workers over disjoint parameter ranges. `module` is the URL of a
 * module exporting `optimizerFromSpec` (src/train/optimizers): train hands its optimizer to
 * the workers by reference, so parallel/ never imports train/.
 */
export interface WorkerUpdate {
  readonly module: string;
  readonly spec: { readonly className: string; readonly config: Readonly<Record<string, number | boolean>> };
  /** The optimizer's slots (its state), updated in place beside `params`. */
  readonly slots: readonly SharedArrayBuffer[];
  /**
   * Scratch of the parameters' and slots' size: a rank copies its range here before updating
   * it in place (what a failed step is rolled back from), and a trial step writes its update
   * here instead of into the weights.
   */
  readonly scratch: { readonly params: SharedArrayBuffer; readonly slots: readonly SharedArrayBuffer[] };
  /** One Int32 per rank: set (atomically) once the rank's range is saved and about to change. */
  readonly written: SharedArrayBuffer;
}

/** One rank's share of a step's optimizer update: what an update task or a fused train task applies. */
export interface UpdateOrder {
  /** The gradient slots to sum, in this order (the reduction's fixed order). */
  readonly ranks: readonly number[];
  /** The parameter range [start, end) this rank updates. */
  readonly start: number;
  readonly end: number;
  /** The step t (1-based) and its learning rate, computed once by train/ for every range. */
  readonly iteration: number;
  readonly learningRate: number;
  /** 1 / batch rows: the gradient slots hold sums over examples. */
  readonly gradScale: number;
  /**
   * The weight penalty's part of the step's loss sum: a fused task refuses to update when the
   * loss with it is not finite, as the coordinator refuses the step.
   */
  readonly penalty: number;
  /** A trial (workers: 'auto'): write the update into the scratch, leave weights and state alone. */
  readonly trial: boolean;
}

/** Test hook: make rank `rank` fail at training step `step` (see faults.ts). */
export interface Fault {
  readonly step: number;
  readonly rank: number;
  /** throw an Error, exit the thread, or allocate until the thread's memory limit kills it. */
  readonly kind: 'throw' | 'exit' | 'oom';
  /**
   * Before the step's gradients (default), or after the rank's optimizer update wrote its range
   * of the weights (an update task, or a one-worker step's fused update): what must be rolled
   * back; or inside the in-step collective, where the other ranks are waiting for this one.
   */
  readonly phase?: 'gradients' | 'update' | 'exchange';
}

interface TaskBase {
  readonly session: number;
  /**
   * The session's setup, sent only until the workers know it: a step's messages are then a
   * few numbers. A worker that has not seen the session answers MISSING_SESSION and the
   * coordinator resends that task with the setup.
   */
  readonly setup: SessionSetup | null;
  readonly rank: number;
  /** Rows [start, end) of the epoch order (train) or of the dataset (evaluate, predict). */
  readonly start: number;
  readonly end: number;
}

export interface TrainTask extends TaskBase {
  readonly kind: 'train';
  /** One worker's step: its update follows its gradients in the same task (null: another round or the coordinator). */
  readonly update: UpdateOrder | null;
  /** Index within the epoch of row `start`: the dropout key of its examples. */
  readonly firstExample: number;
  readonly step: number;
  readonly epoch: number;
  readonly runKey: Key;
  /** Whether rows come through the order buffer (shuffled) or in place. */
  readonly shuffled: boolean;
  readonly fault: Fault | null;
  /** How many ranks run this step (ranks 0..peers-1): the in-step collective's size. */
  readonly peers: number;
}

export interface EvaluateTask extends TaskBase {
  readonly kind: 'evaluate' | 'predict';
  readonly batchSize: number;
}

/**
 * Second round of a step: sum the ranks' gradient slots over params [start, end) in rank order
 * and apply the optimizer there in place, after saving the range to the scratch (the
 * coordinator restores it from there if any rank fails, so a failed step changes nothing).
 */
export interface UpdateTask extends TaskBase {
  readonly kind: 'update';
  readonly update: UpdateOrder;
  readonly step: number;
  readonly fault: Fault | null;
}

export type Task = TrainTask | EvaluateTask | UpdateTask;

/** What a task reports back besides what it wrote to shared memory: where its time went. */
export interface TaskTiming {
  readonly rank: number;
  /** Milliseconds inside the task: gathering rows, copy-in, forward/backward, export. */
  readonly computeMs: number;
  /** Of which: weights and rows copied into the backend. */
  readonly copyInMs: number;
  /** Of which: gradients copied out of the backend into the rank's slot. */
  readonly exportMs: number;
  /** Of which: inside the in-step collective (writing, waiting for the other ranks, summing), and how many calls. */
  readonly collectiveMs: number;
  readonly collectiveCalls: number;
  /** Live tfjs tensors in the worker after the task: constant from step to step, or a leak. */
  readonly tensors: number;
  /**
   * The worker's V8 heap after the task, in bytes: `used` counts garbage not yet collected,
   * `committed` is what the heap holds from the OS (what resident memory sees). For the soak
   * benchmark, which cannot otherwise look inside a worker.
   */
  readonly heap: { readonly used: number; readonly committed: number };
  /** The task's update (an update task, a fused train task) summed only finite gradients; true where it ran none. */
  readonly finiteGradient: boolean;
}
