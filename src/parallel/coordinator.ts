import type { GraphModel } from '../graph/model.js';
import { exampleSize } from '../graph/shape.js';
import type { LossSpec } from '../graph/losses.js';
import type { MetricSpec } from '../graph/metrics.js';
import { shardRanges, type Column } from './batch.js';
import { float32From, freshMemory, type SharedAllocator } from './memory.js';
import { statColumns } from './step-stats.js';
import { MISSING_SESSION, type Fault, type OutputObjective, type SessionSetup, type SharedColumn, type ShardedUpdate, type Task, type TaskTiming } from './messages.js';
import type { WorkerPool } from './pool.js';
import type { Key } from './random.js';
import { SharedMemoryReduction } from './reduce.js';
import { shareColumn } from './shared.js';

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
  reduceMs: number;
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

/** The optimizer and its state, as train/ hands them over (TrainingState implements it). */
export interface OptimizerHandle {
  /** URL of the module exporting optimizerFromSpec, for the workers. */
  readonly module: string;
  /** The rate of the next step (a schedule's value at `iterations`), sent with each update task. */
  readonly learningRate: number;
  /** What the workers rebuild the update rule from; the rate comes with each task, so no schedule. */
  updateSpec(): ShardedUpdate['spec'];
  /** True when the update needs the whole gradient at once (clipping by norm): no sharding. */
  readonly needsWholeGradient: boolean;
  /** The slots, in shared memory; a sharded update swaps in its other buffer set. */
  slots: Float32Array[];
  iterations: number;
  /** One optimizer step in this thread, in place (regularizers' gradient and constraints included). */
  applyGradients(params: Float32Array, gradSum: Float32Array, batchRows: number): void;
  /** The weight regularizers' penalty at `params` (joins each step's mean loss); absent or 0 without regularizers. */
  regularizationLoss?(params: Float32Array): number;
  /** Projects the constrained weights of one parameter buffer set in place, after an update. */
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

export interface TrainSpec {
  readonly data: TrainData;
  readonly runKey: Key;
  readonly optimizer: OptimizerHandle;
  /** Force the update round on (true) or off (false); by default on for large models and N > 1. */
  readonly shardedUpdate?: boolean;
  readonly fault?: Fault | null;
}

/**
 * Below this many parameters the optimizer step costs less than a second round of tasks, so
 * the coordinator applies it itself; above, the workers reduce and update disjoint ranges.
 */
export const SHARDED_UPDATE_MIN_PARAMS = 65_536;

/** The two parameter/slot buffer sets a sharded update flips between. */
interface BufferSets {
  params: [Float32Array, Float32Array];
  slots: [Float32Array[], Float32Array[]];
  current: number;
}

let nextSession = 1;

const bufferOf = (a: Float32Array): SharedArrayBuffer => a.buffer as SharedArrayBuffer;

/**
 * The coordinator of DESIGN.md's "one training step": splits each batch into contiguous shards,
 * runs one task per shard, sums the ranks' gradient slots in rank order and applies one
 * optimizer step to the shared parameters. Workers only ever write their own slots, and the
 * parameters change only after every shard succeeded, so a failed step changes nothing.
 */
export class ParallelEngine {
  private setup: SessionSetup | null;
  private readonly reduction: SharedMemoryReduction | null;
  private readonly order: Int32Array | null;
  private readonly sets: BufferSets | null = null;
  /** Every session's setup by id, and the ids already sent to the workers. */
  private readonly setups = new Map<number, SessionSetup>();
  private readonly introduced = new Set<number>();
  /** The validation data's session, kept across epochs: fit evaluates the same data after each. */
  private evaluation: { data: object; setup: SessionSetup } | null = null;
  private orderEpoch = -1;
  private step = 0;
  lastTiming: StepTiming | null = null;
  /** The slowest worker's time inside its last update task. */
  updateWorkerMs = 0;
  /** Live tfjs tensors in each worker that ran the last step, by rank (leak checks). */
  workerTensors: number[] = [];
  /** The V8 heap of each worker that ran the last step, by rank (the soak benchmark). */
  workerHeap: TaskTiming['heap'][] = [];

  constructor(
    private readonly pool: WorkerPool,
    private readonly model: GraphModel,
    private readonly objective: Objective | null,
    private readonly train: TrainSpec | null,
    /**
     * Where the gradient slots, stats, order and buffer copies come from: the model's recycled
     * memory (see memory.ts). The caller returns it only after dispose(), when no task runs.
     */
    private readonly memory: SharedAllocator = freshMemory,
  ) {
    const size = model.layout.size;
    if (train === null || objective === null) {
      this.setup = null;
      this.reduction = null;
      this.order = null;
      return;
    }
    const grads = float32From(memory, pool.size * size);
    this.reduction = new SharedMemoryReduction(grads, size);
    this.order = new Int32Array(memory.buffer(train.data.rows * 4));
    const opt = train.optimizer;
    if (!opt.needsWholeGradient && (train.shardedUpdate ?? (pool.size > 1 && size >= SHARDED_UPDATE_MIN_PARAMS))) {
      // Fresh, not recycled: between steps model.params may be this second set, and a view a
      // callback kept of it must not later become another call's scratch memory.
      const copy = (a: Float32Array) => {
        const b = float32From(freshMemory, a.length);
        b.set(a);
        return b;
      };
      this.sets = { params: [model.params, copy(model.params)], slots: [opt.slots, opt.slots.map(copy)], current: 0 };
    }
    const sets = this.sets;
    this.setup = this.session({
      objective: outputObjectives(objective), ...this.sharedData(train.data),
      grads: grads.buffer as SharedArrayBuffer, order: this.order.buffer as SharedArrayBuffer, outputs: [],
      update: sets === null ? null : { module: opt.module, spec: opt.updateSpec(), slots: sets.slots.map((set) => set.map(bufferOf)) },
    }, sets === null ? [model.params] : sets.params);
  }

  /** A dataset's columns in shared memory: inputs, one target column per output, sample weights. */
  private sharedData(data: EvaluateData): Pick<SessionSetup, 'xs' | 'ys' | 'weights'> {
    const share = (c: Column) => shareColumn(c, this.memory);
    const ys = data.ys ?? (data.y === null ? [] : [data.y]);
    return { xs: data.xs.map(share), ys: ys.map(share), weights: (data.weights ?? []).map((w) => (w === null ? null : share(w))) };
  }

  private session(parts: Omit<SessionSetup, 'id' | 'spec' | 'params' | 'stats'>, params = [this.model.params]): SessionSetup {
    const width = parts.objective === null ? 1 : statColumns(parts.objective).length;
    const setup = {
      ...parts, id: nextSession++, spec: this.model.toJSON(), params: params.map(bufferOf),
      stats: this.memory.buffer(this.pool.size * width * 8),
    };
    this.setups.set(setup.id, setup);
    return setup;
  }

  /**
   * Points training at other data columns of the same example shapes (fitDataset's staging,
   * grown for a larger batch): a new session for the workers, which they learn of with their
   * next task; the gradient slots, stats, optimizer and update buffers stay as they are.
   */
  replaceTrainingData(data: TrainSpec['data']): void {
    const old = this.setup;
    if (old === null) throw new Error('replaceTrainingData needs a training engine');
    this.setups.delete(old.id);
    this.setup = this.session({ ...old, ...this.sharedData(data) }, old.params.map((b) => new Float32Array(b)));
  }

  /** Runs one task; a worker new to the session gets it again with the setup attached. */
  private async runOne(task: Task): Promise<TaskTiming> {
    const setup = this.introduced.has(task.session) ? null : this.setups.get(task.session) ?? null;
    try {
      return await this.pool.run(setup === null ? task : { ...task, setup });
    } catch (err) {
      if (!String((err as Error)?.message).startsWith(MISSING_SESSION)) throw err;
      return this.pool.run({ ...task, setup: this.setups.get(task.session) ?? null });
    }
  }

  /** Runs tasks, waits for all of them (never leaving one running), and throws the first failure. */
  private async runAll(tasks: Task[], what: string): Promise<TaskTiming[]> {
    this.pool.hold();
    const settled = await Promise.allSettled(tasks.map((t) => this.runOne(t)));
    // Every worker that ran a task of these sessions has them now; later tasks go without.
    if (settled.every((r) => r.status === 'fulfilled')) for (const t of tasks) this.introduced.add(t.session);
    const failed = settled.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      const reason = (settled[failed] as PromiseRejectedResult).reason as Error;
      throw new WorkerError(`Worker rank ${tasks[failed].rank} failed ${what}: ${reason?.message ?? String(reason)}`, { cause: reason });
    }
    return settled.map((r) => (r as PromiseFulfilledResult<TaskTiming>).value);
  }

  /** Sums the stats rows (step.ts's statColumns) of the ranks that ran, in rank order. */
  private sumStats(setup: SessionSetup, ranks: readonly number[]): Float64Array {
    const width = statColumns(setup.objective ?? []).length;
    const all = new Float64Array(setup.stats as SharedArrayBuffer);
    const out = new Float64Array(width);
    for (const r of ranks) for (let i = 0; i < width; i++) out[i] += all[r * width + i];
    return out;
  }

  /** The threads a step spreads over: the pool's (a trial step may use fewer). */
  get workers(): number {
    return this.pool.size;
  }

  /** The gradient tasks of one step over `workers` ranks: contiguous shards of rows [start, end). */
  private trainTasks(epoch: number, order: Int32Array | null, start: number, end: number, firstExample: number, workers: number, fault: Fault | null): Task[] {
    const train = this.train as TrainSpec;
    const setup = this.setup as SessionSetup;
    if (order !== null && this.orderEpoch !== epoch) {
      (this.order as Int32Array).set(order);
      this.orderEpoch = epoch;
    }
    return shardRanges(end - start, workers).map(([a, b], rank) => ({ rank, start: start + a, end: start + b }))
      .filter((s) => s.end > s.start)
      .map((s) => ({
        kind: 'train', session: setup.id, setup: null, rank: s.rank, start: s.start, end: s.end, firstExample: firstExample + s.start - start, step: this.step, epoch,
        paramsIndex: this.sets?.current ?? 0, runKey: train.runKey, shuffled: order !== null, fault,
      }));
  }

  /**
   * A trial of one step on `workers` ranks that changes nothing: the gradients, their
   * reduction and (for the sharded update) the update into the spare buffer set, which is
   * never adopted; the step count, weights and optimizer state stay as they were. What
   * `workers: 'auto'` times to choose the count.
   */
  async trialStep(workers: number, start: number, end: number): Promise<void> {
    if (workers < 1 || workers > this.pool.size) throw new RangeError(`a trial needs 1 to ${this.pool.size} workers, not ${workers}`);
    const tasks = this.trainTasks(0, null, start, end, start, workers, null);
    await this.runAll(tasks, 'in a trial step (workers: auto)');
    const ranks = tasks.map((t) => t.rank);
    if (this.sets === null) (this.reduction as SharedMemoryReduction).sum(ranks);
    else await this.runAll(this.updateTasks(ranks, end - start, workers, null), 'in a trial update (workers: auto)');
  }

  async trainBatch(epoch: number, order: Int32Array | null, start: number, end: number, firstExample = start): Promise<Float64Array> {
    const train = this.train as TrainSpec;
    const setup = this.setup as SessionSetup;
    const step = this.step;
    const tasks = this.trainTasks(epoch, order, start, end, firstExample, this.pool.size, train.fault ?? null);
    const where = `at step ${step} (epoch ${epoch + 1})`;
    const t0 = performance.now();
    const timings = await this.runAll(tasks, where);
    const t1 = performance.now();
    const ranks = tasks.map((t) => t.rank);
    const stats = this.sumStats(setup, ranks);
    // The regularizers' penalty, once per step at the weights the step started from: stats are
    // sums over examples, so the mean loss the logs show is mean data loss + penalty, as Keras's.
    stats[0] += (train.optimizer.regularizationLoss?.(this.model.params) ?? 0) * (end - start);
    // A non-finite loss means non-finite gradients: applying them would ruin every weight. A
    // finite loss does not prove finite gradients (a NaN weight behind a fused relu), so each
    // rank checked its own slot too.
    if (!Number.isFinite(stats[0])) throw new NonFiniteLossError(stats, step, epoch);
    if (timings.some((t) => !t.finiteGradient)) {
      const loss = stats[0];
      stats[0] = NaN;
      throw new NonFiniteLossError(stats, step, epoch, undefined, 'gradient', loss);
    }
    let t2 = t1;
    if (this.sets === null) {
      const gradSum = (this.reduction as SharedMemoryReduction).sum(ranks);
      t2 = performance.now();
      train.optimizer.applyGradients(this.model.params, gradSum, end - start);
    } else {
      await this.shardedUpdate(ranks, end - start, where);
    }
    const t3 = performance.now();
    this.step += 1;
    this.workerTensors = timings.map((t) => t.tensors);
    this.workerHeap = timings.map((t) => t.heap);
    const slowest = timings.reduce((a, b) => (b.computeMs > a.computeMs ? b : a));
    this.lastTiming = {
      dispatchAndWaitMs: t1 - t0, workerComputeMs: slowest.computeMs, copyInMs: slowest.copyInMs,
      exportMs: slowest.exportMs, reduceMs: t2 - t1, optimizerMs: t3 - t2,
    };
    return stats;
  }

  /**
   * The second round: each worker reduces and updates one range of the parameters into the
   * other buffer set; only when every range succeeded does the model flip to it.
   */
  /** The update round's tasks: `workers` ranks each reduce and update one range into the spare buffer set. */
  private updateTasks(ranks: readonly number[], batchRows: number, workers: number, fault: Fault | null): Task[] {
    const sets = this.sets as BufferSets;
    const opt = (this.train as TrainSpec).optimizer;
    return shardRanges(this.model.layout.size, workers).map(([start, end], rank) => ({
      kind: 'update', session: (this.setup as SessionSetup).id, setup: null, rank, start, end, from: sets.current, ranks,
      iteration: opt.iterations + 1, learningRate: opt.learningRate, gradScale: 1 / batchRows, step: this.step, fault,
    }));
  }

  private async shardedUpdate(ranks: readonly number[], batchRows: number, where: string): Promise<void> {
    const sets = this.sets as BufferSets;
    const opt = (this.train as TrainSpec).optimizer;
    const iteration = opt.iterations + 1;
    const tasks = this.updateTasks(ranks, batchRows, this.pool.size, this.train?.fault ?? null);
    const timings = await this.runAll(tasks, `in the optimizer update ${where}`);
    this.updateWorkerMs = Math.max(...timings.map((t) => t.computeMs));
    // Constraints span whole weights, so they run here on the finished set, before it is adopted.
    opt.applyConstraints?.(sets.params[1 - sets.current]);
    sets.current = 1 - sets.current;
    this.model.adoptParams(sets.params[sets.current], false);
    opt.slots = sets.slots[sets.current];
    opt.iterations = iteration;
  }

  /** Contiguous ranges of `rows`, one per rank, as inference tasks. */
  private inferenceTasks(kind: 'evaluate' | 'predict', setup: SessionSetup, rows: number, batchSize: number): Task[] {
    return shardRanges(rows, this.pool.size).map(([start, end], rank) => ({ kind, session: setup.id, setup: null, rank, start, end, batchSize }))
      .filter((t) => t.end > t.start);
  }

  async evaluate(data: EvaluateData, batchSize: number): Promise<Float64Array> {
    const setup = this.evaluation?.data === data ? this.evaluation.setup : this.evaluationSession(data);
    const tasks = this.inferenceTasks('evaluate', setup, data.rows, batchSize);
    await this.runAll(tasks, 'in evaluate');
    return this.sumStats(setup, tasks.map((t) => t.rank));
  }

  private evaluationSession(data: EvaluateData): SessionSetup {
    // One evaluation session at a time: a streamed validation set brings new data every batch.
    if (this.evaluation !== null) this.setups.delete(this.evaluation.setup.id);
    const setup = this.session({
      objective: outputObjectives(this.objective as Objective), ...this.sharedData(data), grads: null, order: null, outputs: [], update: null,
    });
    this.evaluation = { data, setup };
    return setup;
  }

  async predict(xs: readonly Column[], rows: number, batchSize: number): Promise<Float32Array[]> {
    const outputs = this.model.outputs.map((o) => this.memory.buffer(rows * exampleSize(o.shape) * 4));
    const shared: SharedColumn[] = xs.map((c) => shareColumn(c, this.memory));
    const setup = this.session({ objective: null, xs: shared, ys: [], weights: [], grads: null, order: null, outputs, update: null });
    await this.runAll(this.inferenceTasks('predict', setup, rows, batchSize), 'in predict');
    // Copied out of shared memory: the caller keeps the result, the buffers go back for reuse.
    return outputs.map((b) => new Float32Array(b).slice());
  }

  /**
   * Lets the process exit while the pool idles (the pool belongs to the model), and leaves the
   * weights and optimizer state in the buffers they were in before fit, so a reference to
   * model.params taken before training still sees the trained weights.
   */
  async dispose(): Promise<void> {
    this.pool.release();
    const sets = this.sets;
    if (sets === null || sets.current === 0) return;
    sets.params[0].set(sets.params[1]);
    sets.slots[0].forEach((slot, k) => slot.set(sets.slots[1][k]));
    sets.current = 0;
    this.model.adoptParams(sets.params[0], false);
    (this.train as TrainSpec).optimizer.slots = sets.slots[0];
  }
}
