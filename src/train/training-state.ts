import type { Layer } from '../graph/layer.js';
import type { Loss } from '../graph/losses.js';
import type { Metric } from '../graph/metrics.js';
import type { OptimizerHandle } from '../parallel/coordinator.js';
import type { Scoring } from '../parallel/step.js';
import { statColumns } from '../parallel/step-stats.js';
import { sharedFloat32 } from '../parallel/shared.js';
import { clipMeanGradient } from './clipping.js';
import { applyConstraints, weightConstraints, type ConstrainedWeight } from './constraints.js';
import type { Optimizer, OptimizerSpec } from './optimizers.js';
import { addPenaltyGradient, penaltyValue, weightPenalties, type WeightPenalty } from './regularizers.js';

/** A weight's range of the flat arrays; a model's layout also names its layer (for regularizers and constraints). */
interface LayoutEntry {
  readonly offset: number;
  readonly size: number;
  readonly layer?: Layer;
  readonly index?: number;
  readonly name?: string;
  readonly shape?: readonly number[];
  readonly trainable?: boolean;
}

/** Where workers import the optimizers from: this module's sibling, .ts under tsx, .js in dist. */
const OPTIMIZERS_MODULE = new URL(import.meta.url.endsWith('.ts') ? './optimizers.ts' : './optimizers.js', import.meta.url).href;

/**
 * What compile() fixes and what persists across fit() calls, as in Keras: the loss, the
 * metrics, the optimizer with its slots (Adam's m and v, in shared memory beside the
 * parameters) and its step count.
 */
export class TrainingState implements OptimizerHandle {
  /** The optimizer's state: updated in place, never replaced (workers hold views of it). */
  readonly slots: Float32Array[];
  readonly module = OPTIMIZERS_MODULE;
  private steps = 0;

  /** Each weight's range of the flat arrays, for per-weight gradient clipping. */
  private readonly entries: readonly { offset: number; size: number }[];
  /** The regularized weights: their penalty joins the loss and its gradient the mean gradient, once per step. */
  readonly penalties: readonly WeightPenalty[];
  /** The constrained weights, projected after every step. */
  readonly constraints: readonly ConstrainedWeight[];

  constructor(
    readonly optimizer: Optimizer,
    readonly loss: Loss,
    readonly metrics: readonly Metric[],
    /** A model's layout (the optimizer covers its trainable prefix), or a plain parameter count. */
    layout: number | { readonly size: number; readonly trainableSize?: number; readonly entries: readonly LayoutEntry[] },
  ) {
    const paramCount = typeof layout === 'number' ? layout : layout.trainableSize ?? layout.size;
    this.entries = typeof layout === 'number' ? [{ offset: 0, size: layout }] : layout.entries.filter((e) => e.trainable !== false);
    const named = typeof layout === 'number' || layout.entries.some((e) => e.layer === undefined) ? null : (layout as unknown as Parameters<typeof weightPenalties>[0]);
    this.penalties = named === null ? [] : weightPenalties(named);
    this.constraints = named === null ? [] : weightConstraints(named);
    this.slots = optimizer.init(paramCount, sharedFloat32);
    optimizer.iterations = 0;
  }

  /**
   * Optimizer steps applied (Keras's `optimizer.iterations`). Kept on the optimizer too, whose
   * `learningRate` reads its schedule there, so callbacks and logs see the rate of the next step.
   */
  get iterations(): number {
    return this.steps;
  }

  set iterations(value: number) {
    this.steps = value;
    this.optimizer.iterations = value;
  }

  /** Clipping needs the whole reduced gradient: the workers cannot update ranges on their own. */
  get needsWholeGradient(): boolean {
    return this.optimizer.clipping !== null;
  }

  /** The rate of the next step, at the step count before it: what a sharded update task carries. */
  get learningRate(): number {
    return this.optimizer.learningRateAt(this.steps);
  }

  /** The whole optimizer, its schedule included: what a checkpoint records. */
  spec(): OptimizerSpec {
    return { className: this.optimizer.className, config: this.optimizer.getConfig() };
  }

  /**
   * What the workers of a sharded update rebuild the optimizer from: each update task carries
   * its step's rate (computed here, so both update paths use one number), so a schedule is
   * left out and the rate stands in as a plain number the task overwrites.
   */
  updateSpec(): { className: string; config: Record<string, number | boolean> } {
    const config = this.optimizer.getConfig();
    const plain = Object.fromEntries(Object.entries(config).filter(([, v]) => typeof v !== 'object')) as Record<string, number | boolean>;
    return { className: this.optimizer.className, config: { ...plain, learningRate: this.learningRate } };
  }

  /**
   * Step iterations + 1 from a gradient that sums `batchRows` examples' gradients: the
   * regularizers' gradient joins the mean gradient (before clipping, as in Keras, where it is
   * part of the loss's gradient), then the update, in place or into `into` (a trial). The
   * caller applies the constraints and commits the step.
   */
  applyGradients(params: Float32Array, gradSum: Float32Array, batchRows: number, into?: { params: Float32Array; slots: readonly Float32Array[] }): void {
    const t = this.steps + 1;
    const clipping = this.optimizer.clipping;
    const own = { params, slots: this.slots };
    const to = into ?? own;
    if (clipping === null) {
      this.optimizer.applyFrom({ from: own, to, grads: [gradSum], penalties: this.penalties }, t, 1 / batchRows);
    } else {
      addPenaltyGradient(this.penalties, params, gradSum, 1 / batchRows);
      clipMeanGradient(gradSum, 1 / batchRows, this.entries, clipping);
      this.optimizer.applyFrom({ from: own, to, grads: [gradSum] }, t, 1);
    }
  }

  /** Counts a step whose update every range applied (the optimizer's schedule moves on). */
  commit(): void {
    this.iterations += 1;
  }

  /** The regularizers' penalty at `params` (Keras adds it to the loss of each step), in float64; 0 without regularizers. */
  regularizationLoss(params: Float32Array): number {
    return this.penalties.length === 0 ? 0 : penaltyValue(this.penalties, params);
  }

  /** Projects the constrained weights of `params` (one buffer set of the model) in place. */
  applyConstraints(params: Float32Array): void {
    if (this.constraints.length > 0) applyConstraints(this.constraints, params);
  }

  private outputScoring: readonly Scoring[] | null = null;
  private outputNames: readonly string[] = [];

  /**
   * Scores each of several outputs (compile for a model with more than one, or with loss
   * weights or weighted metrics): `names` are the outputs' names, for the log keys.
   */
  scoreOutputs(scoring: readonly Scoring[], names: readonly string[]): void {
    this.outputScoring = scoring;
    this.outputNames = names;
  }

  /** How each output is scored: by default the one loss and its metrics. */
  get scoring(): readonly Scoring[] {
    return this.outputScoring ?? [{ loss: this.loss, weight: 1, metrics: this.metrics, weightedMetrics: [] }];
  }

  /** The stats row's columns with their log keys (null: a divisor only) and divisors. */
  get logColumns(): LogColumn[] {
    return logColumns(this.scoring, this.outputNames);
  }

  /** Log keys in order: 'loss', each output's loss (several outputs), the metrics, the weighted metrics. */
  get logKeys(): string[] {
    return this.logColumns.flatMap((c) => (c.key === null ? [] : [c.key]));
  }
}

/** A stats column as the logs read it: its key (null: only a divisor) and which column divides it (null: the example count). */
export interface LogColumn {
  readonly key: string | null;
  readonly over: number | null;
  /** A metric of several columns (precision's counts): how many, and its value from their totals and the example count (or Σ w). */
  readonly width?: number;
  readonly result?: (totals: Float64Array, examples: number) => number;
}

/**
 * Keras 3's names (trainers/compile_utils.py): 'loss'; with several outputs '<output>_loss'
 * and '<output>_<metric>'; a weighted metric named like a plain one becomes 'weighted_<metric>';
 * a name taken twice gets '_1', '_2'.
 */
export function logColumns(scoring: readonly Scoring[], names: readonly string[]): LogColumn[] {
  const several = scoring.length > 1;
  const prefix = (output: number) => (several ? `${names[output]}_` : '');
  const taken = new Map<string, number>();
  const unique = (name: string): string => {
    const n = taken.get(name);
    taken.set(name, (n ?? 0) + 1);
    return n === undefined ? name : `${name}_${n}`;
  };
  const plainKeys = new Set<string>();
  return statColumns(scoring).map((c): LogColumn => {
    switch (c.kind) {
      case 'total': return { key: unique('loss'), over: null };
      case 'loss': return { key: unique(`${names[c.output]}_loss`), over: null };
      case 'metric': {
        const key = unique(prefix(c.output) + scoring[c.output].metrics[c.index].key);
        plainKeys.add(key);
        return { key, over: null, ...combined(scoring[c.output].metrics[c.index]) };
      }
      case 'weighted': {
        const name = prefix(c.output) + scoring[c.output].weightedMetrics[c.index].key;
        const key = plainKeys.has(name) ? unique(`${prefix(c.output)}weighted_${scoring[c.output].weightedMetrics[c.index].key}`) : unique(name);
        return { key, over: c.over, ...combined(scoring[c.output].weightedMetrics[c.index]) };
      }
      case 'weights':
      case 'part': return { key: null, over: null };
    }
  });
}

/** A metric's width and result, where it combines its columns itself. */
const combined = (m: Metric): Pick<LogColumn, 'width' | 'result'> =>
  m.result === undefined ? {} : { width: m.width ?? 1, result: (t, e) => (m.result as NonNullable<Metric['result']>)(t, e) };

/** The logged values of a stats row over `count` examples, in column order (divisor-only columns left out): means, or a metric's result. */
export function logMeans(columns: readonly LogColumn[], sums: Float64Array, count: number): number[] {
  // A weighted mean over weights that sum to 0 is 0, as Keras's Mean (divide_no_nan).
  const mean = (sum: number, over: number) => (over === 0 ? 0 : sum / over);
  return columns.flatMap((c, i) => {
    if (c.key === null) return [];
    const examples = c.over === null ? count : sums[c.over];
    if (c.result !== undefined) return [c.result(sums.subarray(i, i + (c.width ?? 1)), examples)];
    return [c.over === null ? sums[i] / count : mean(sums[i], sums[c.over])];
  });
}
