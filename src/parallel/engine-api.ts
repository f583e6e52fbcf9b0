/**
 * What the engine (coordinator.ts) takes and raises: its errors, the objective, the optimizer
 * handle train/ gives it, the data shapes and the step timing. Kept apart so the coordinator's
 * file holds the step itself.
 */
import type { LossSpec } from '../graph/losses.js';
import type { MetricSpec } from '../graph/metrics.js';
import { shardRanges, type Column } from './batch.js';
import type { Fault, OutputObjective, WorkerUpdate } from './messages.js';
import type { Key } from './random.js';

/** A worker failed: the message names the rank, the step and the worker's own error. */
export class WorkerError extends Error {
  override name = 'WorkerError';
}

/**
 * A step whose loss or gradient was NaN or infinite. Its update was not applied: the weights
 * are those of the last finite step. `stats` are the step's sums, for the logs; when only the
 * gradient was non-finite (`source` 'gradient'), their loss is NaN, so the logs, the History and
 * terminateOnNaN see the step as they see a NaN loss, and `loss` keeps the value computed.
 */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  /** The fit's History up to and including the failing epoch, when fit raised it. */
  history: unknown = null;
  /** The loss sum the step computed (finite when only the gradient was not). */
  readonly loss: number;

  constructor(
    readonly stats: Float64Array,
    readonly step: number,
    readonly epoch: number,
    advice = 'the update was not applied',
    readonly source: 'loss' | 'gradient' = 'loss',
    loss = stats[0],
  ) {
    super(source === 'loss'
      ? `The loss became ${stats[0]} at step ${step} (epoch ${epoch + 1}): ${advice}`
      : `The gradient became non-finite (NaN or Infinity) at step ${step} (epoch ${epoch + 1}) while the loss sum was ${loss}: ${advice}`);
    this.loss = loss;
  }
}

/** Where one step's time went, for the benchmarks' breakdown. */
export interface StepTiming {
  /** From dispatch until the last shard's result arrived. */
  dispatchAndWaitMs: number;
  /** The slowest worker's time inside its task (copy-in, compute, gradient export). */
  workerComputeMs: number;
  /** That worker's parameter and row copy into its backend. */
  copyInMs: number;
  /** That worker's gradient copy out of its backend. */
  exportMs: number;
  /**
   * The in-step collective (BatchNormalization's two exchanges per layer): the slowest rank's
   * time in it — its wait for the others included — and its number of calls.
   */
  collectiveMs: number;
  collectiveCalls: number;
  reduceMs: number;
  /** Across hosts: the time in the all-reduces of the step's gradient and stats (0 on one host). */
  crossHostMs: number;
  optimizerMs: number;
}

/**
 * What evaluate and fit score: one loss and its metrics (a one-output model), or how each
 * output is scored.
 */
export type Objective =
  | { readonly loss: LossSpec; readonly metrics: readonly MetricSpec[] }
  | { readonly outputs: readonly OutputObjective[] };

/** Each output's scoring, whichever form the objective came in. */
export function outputObjectives(objective: Objective): readonly OutputObjective[] {
  return 'outputs' in objective ? objective.outputs : [{ loss: objective.loss, weight: 1, metrics: objective.metrics, weightedMetrics: [] }];
}

/**
 * The optimizer and its state as train/ hands them over (TrainingState implements it). The
 * state lives in buffers that keep their identity: the coordinator and the workers update them
 * in place, and report a committed step through `commit`, so parallel/ never reassigns train/'s fields.
 */
export interface OptimizerHandle {
  /** URL of the module exporting optimizerFromSpec, for the workers. */
  readonly module: string;
  /** The rate of the next step (a schedule's value at `iterations`), sent with each update task. */
  readonly learningRate: number;
  /** What the workers rebuild the update rule from; the rate comes with each task, so no schedule. */
  updateSpec(): WorkerUpdate['spec'];
  /** True when the update needs the whole gradient at once (clipping by norm): no ranges. */
  readonly needsWholeGradient: boolean;
  /** The slots (the optimizer's state), in shared memory. */
  readonly slots: readonly Float32Array[];
  /** Steps committed so far; the next one is iterations + 1. */
  readonly iterations: number;
  /**
   * Step iterations + 1 in this thread over the whole buffer (regularizers' gradient included):
   * in place, or from `params` and the slots into `into` (a trial), without counting it.
   */
  applyGradients(params: Float32Array, gradSum: Float32Array, batchRows: number, into?: { params: Float32Array; slots: readonly Float32Array[] }): void;
  /** Counts the step just applied, once every range of it succeeded and the constraints ran. */
  commit(): void;
  /** The weight regularizers' penalty at `params` (joins each step's mean loss); absent or 0 without regularizers. */
  regularizationLoss?(params: Float32Array): number;
  /** Projects the constrained weights of `params` in place, after an update. */
  applyConstraints?(params: Float32Array): void;
}

/** Training data: `y` is the first output's targets; `ys` (one per output) and `weights` when given. */
export interface TrainData {
  readonly xs: readonly Column[];
  readonly y: Column;
  readonly ys?: readonly Column[];
  readonly weights?: readonly (Column | null)[];
  readonly rows: number;
}

/** Data to evaluate, in the same form (targets required). */
export interface EvaluateData {
  readonly xs: readonly Column[];
  readonly y: Column | null;
  readonly ys?: readonly Column[];
  readonly weights?: readonly (Column | null)[];
  readonly rows: number;
}

/**
 * The sum across hosts (gloo/group.ts's HostGroup): each host's reduced gradient and stats
 * become every host's total, in place. `rank` of `size` says which part of a batch is this host's.
 */
export interface CrossHostSum {
  readonly rank: number;
  readonly size: number;
  allreduce(values: Float32Array | Float64Array, what: string): Promise<void>;
  /** This host failed its part of a step: break the group so the others stop waiting for it. */
  abandon?(reason: Error): void;
}

/** This host's part [start, end) of rows [start, end): contiguous by global example index, as the workers' shards. */
export function hostPart(start: number, end: number, hosts: CrossHostSum | null | undefined): [number, number] {
  if (hosts == null || hosts.size === 1) return [start, end];
  const [a, b] = shardRanges(end - start, hosts.size)[hosts.rank] as [number, number];
  return [start + a, start + b];
}

export interface TrainSpec {
  readonly data: TrainData;
  readonly runKey: Key;
  readonly optimizer: OptimizerHandle;
  /**
   * Where the update runs: on the workers, over disjoint ranges (true), or on the coordinator
   * (false). By default the workers for large models, and with one worker always (fused into its task).
   */
  readonly shardedUpdate?: boolean;
  readonly fault?: Fault | null;
  /**
   * Other hosts training the same model (null: this host alone). Each step then trains this
   * host's part of the batch, sums gradients and stats across hosts after the host's own
   * reduction, and applies the same update on every host (on the coordinator).
   */
  readonly hosts?: CrossHostSum | null;
}
