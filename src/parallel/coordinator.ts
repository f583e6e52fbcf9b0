import type { GraphModel } from '../graph/model.js';
import { exampleSize } from '../graph/shape.js';
import { shardRanges, type Column } from './batch.js';
import { hostPart, NonFiniteLossError, outputObjectives, WorkerError, type CrossHostSum, type EvaluateData, type Objective, type StepTiming, type TrainSpec } from './engine-api.js';
import { float32From, freshMemory, type SharedAllocator } from './memory.js';
import { statColumns } from './step-stats.js';
import { MISSING_SESSION, type Fault, type SessionSetup, type SharedColumn, type Task, type TaskTiming, type UpdateOrder } from './messages.js';
import type { WorkerPool } from './pool.js';
import { allFinite, SharedMemoryReduction } from './reduce.js';
import { shareColumn } from './shared.js';
import { abortCollective, COLLECTIVE_ABORTED, collectiveBuffers, relayAcrossHosts, resetCollective, type CollectiveBuffers } from './collective.js';

export { NonFiniteLossError, outputObjectives, WorkerError } from './engine-api.js';
export type { CrossHostSum, EvaluateData, Objective, OptimizerHandle, StepTiming, TrainData, TrainSpec } from './engine-api.js';

/**
 * Below this many parameters the optimizer step costs less than a second round of tasks, so
 * with several workers the coordinator applies it itself; above, the workers reduce and update
 * disjoint ranges.
 */
export const SHARDED_UPDATE_MIN_PARAMS = 65_536;

/**
 * Where a step's update runs. One path in three places: the same in-place kernel over the
 * whole buffer (the coordinator, after the reduction), over each rank's range (a second round
 * of tasks), or at the end of the one worker's gradient task.
 */
type UpdatePlan = 'coordinator' | 'workers' | 'fused';

/** A range [start, end) of the parameters. */
type Range = readonly [number, number];

/** The scratch a step saves each updated range to (the rollback), and the ranks' written flags. */
interface Scratch {
  readonly params: Float32Array;
  readonly slots: readonly Float32Array[];
  readonly written: Int32Array;
}

/** Where the first rank leaves a step's new non-trainable values (see SessionSetup.state). */
interface StateOut {
  readonly values: Float32Array;
  readonly flags: Int32Array;
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
  private readonly scratch: Scratch | null = null;
  private readonly collective: CollectiveBuffers | null = null;
  private readonly stateOut: StateOut | null = null;
  /** The weights the optimizer updates: the layout's trainable prefix of the model's array. */
  private readonly trainable: Float32Array;
  /** Every session's setup by id, and the ids already sent to the workers. */
  private readonly setups = new Map<number, SessionSetup>();
  private readonly introduced = new Set<number>();
  /** The validation data's session, kept across epochs: fit evaluates the same data after each. */
  private evaluation: { data: object; setup: SessionSetup } | null = null;
  private orderEpoch = -1;
  private step = 0;
  /** The last step's reduction on this thread (0 where the workers summed their slots). */
  private reduceMs = 0;
  /** The last step's time in all-reduces across hosts. */
  private crossHostMs = 0;

  /** An all-reduce across hosts, its time counted into the step's crossHostMs. */
  private async acrossHosts(hosts: CrossHostSum, values: Float32Array | Float64Array, what: string): Promise<void> {
    const t0 = performance.now();
    await hosts.allreduce(values, what);
    this.crossHostMs += performance.now() - t0;
  }
  lastTiming: StepTiming | null = null;
  /** The slowest worker's time inside its last update task (0: the update ran elsewhere). */
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
    const size = model.layout.trainableSize;
    this.trainable = model.params.subarray(0, size);
    if (train === null || objective === null) {
      this.setup = null;
      this.reduction = null;
      this.order = null;
      return;
    }
    const collectiveLength = Math.max(0, ...model.layers.map((l) => l.collectiveLength));
    // Across hosts even one worker takes part: the coordinator relays its sums to the other hosts.
    if (collectiveLength > 0 && (pool.size > 1 || this.hosts !== null)) {
      this.collective = collectiveBuffers(pool.size, collectiveLength, (bytes) => memory.buffer(bytes), this.hosts !== null);
    }
    const stateSize = model.layout.size - size;
    if (stateSize > 0) {
      this.stateOut = { values: float32From(memory, stateSize), flags: new Int32Array(memory.buffer(model.layout.entries.length * 4)) };
    }
    const grads = float32From(memory, pool.size * size);
    this.reduction = new SharedMemoryReduction(grads, size);
    this.order = new Int32Array(memory.buffer(train.data.rows * 4));
    const opt = train.optimizer;
    const floats = () => float32From(memory, size);
    const scratch = { params: floats(), slots: opt.slots.map(floats), written: new Int32Array(memory.buffer(pool.size * 4)) };
    this.scratch = scratch;
    const workersUpdate = !opt.needsWholeGradient && train.shardedUpdate !== false;
    this.setup = this.session({
      objective: outputObjectives(objective), ...this.sharedData(train.data),
      grads: grads.buffer as SharedArrayBuffer, order: this.order.buffer as SharedArrayBuffer, outputs: [],
      collective: this.collective,
      state: this.stateOut === null ? null : { values: bufferOf(this.stateOut.values), flags: this.stateOut.flags.buffer as SharedArrayBuffer },
      update: workersUpdate
        ? {
            module: opt.module, spec: opt.updateSpec(), slots: opt.slots.map(bufferOf),
            scratch: { params: bufferOf(scratch.params), slots: scratch.slots.map(bufferOf) }, written: scratch.written.buffer as SharedArrayBuffer,
          }
        : null,
    });
  }

  /** Other hosts of the step, or null: this host alone. */
  private get hosts(): CrossHostSum | null {
    const hosts = this.train?.hosts ?? null;
    return hosts !== null && hosts.size > 1 ? hosts : null;
  }

  /** Where the update of a step over `workers` ranks runs (see UpdatePlan). */
  private planFor(workers: number): UpdatePlan {
    if ((this.setup as SessionSetup).update === null) return 'coordinator';
    // Across hosts the update waits for the hosts' sum, which only the coordinator sees: never fused.
    if (workers === 1) return this.hosts === null ? 'fused' : 'coordinator';
    const sharded = (this.train as TrainSpec).shardedUpdate ?? this.model.layout.trainableSize >= SHARDED_UPDATE_MIN_PARAMS;
    return sharded ? 'workers' : 'coordinator';
  }

  /** A dataset's columns in shared memory: inputs, one target column per output, sample weights. */
  private sharedData(data: EvaluateData): Pick<SessionSetup, 'xs' | 'ys' | 'weights'> {
    const share = (c: Column) => shareColumn(c, this.memory);
    const ys = data.ys ?? (data.y === null ? [] : [data.y]);
    return { xs: data.xs.map(share), ys: ys.map(share), weights: (data.weights ?? []).map((w) => (w === null ? null : share(w))) };
  }

  private session(parts: Omit<SessionSetup, 'id' | 'spec' | 'params' | 'stats'>): SessionSetup {
    const width = parts.objective === null ? 1 : statColumns(parts.objective).length;
    const setup = {
      ...parts, id: nextSession++, spec: this.model.toJSON(), params: bufferOf(this.model.params),
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
    this.setup = this.session({ ...old, ...this.sharedData(data) });
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

  /**
   * Runs tasks, waits for all of them (never leaving one running), and throws the first failure.
   * A failed task aborts the in-step collective: ranks waiting there for it return with an
   * error instead of waiting for a rank that will never arrive (a thread that died included).
   */
  private async runAll(tasks: Task[], what: string): Promise<TaskTiming[]> {
    this.pool.hold();
    const collective = this.collective;
    const settled = await Promise.allSettled(tasks.map((t) => this.runOne(t).catch((err: unknown) => {
      if (collective !== null) abortCollective(collective);
      throw err;
    })));
    // Every worker that ran a task of these sessions has them now; later tasks go without.
    if (settled.every((r) => r.status === 'fulfilled')) for (const t of tasks) this.introduced.add(t.session);
    // The cause, not a rank the abort released: the first failure that is not the collective's abort.
    const isAbort = (r: PromiseSettledResult<TaskTiming>) => r.status === 'rejected' && String((r.reason as Error)?.message).includes(COLLECTIVE_ABORTED);
    const cause = settled.findIndex((r) => r.status === 'rejected' && !isAbort(r));
    const failed = cause >= 0 ? cause : settled.findIndex((r) => r.status === 'rejected');
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

  /**
   * The gradient tasks of one step over `workers` ranks: contiguous shards of rows [start, end).
   * `fused` (one worker) is the update its task applies after its gradients.
   */
  private trainTasks(epoch: number, order: Int32Array | null, start: number, end: number, firstExample: number, workers: number, fault: Fault | null, fused: UpdateOrder | null): Task[] {
    const train = this.train as TrainSpec;
    const setup = this.setup as SessionSetup;
    if (order !== null && this.orderEpoch !== epoch) {
      (this.order as Int32Array).set(order);
      this.orderEpoch = epoch;
    }
    const shards = shardRanges(end - start, workers).map(([a, b], rank) => ({ rank, start: start + a, end: start + b })).filter((s) => s.end > s.start);
    return shards.map((s): Task => ({
      kind: 'train', session: setup.id, setup: null, rank: s.rank, start: s.start, end: s.end, firstExample: firstExample + s.start - start, step: this.step, epoch,
      update: fused, runKey: train.runKey, shuffled: order !== null, fault, peers: shards.length,
    }));
  }

  /** What every range of the next step's update shares: its step, rate and gradient scale. */
  private updateOrder(ranks: readonly number[], batchRows: number, penalty: number, trial: boolean): UpdateOrder {
    const opt = (this.train as TrainSpec).optimizer;
    return { ranks, start: 0, end: this.model.layout.trainableSize, iteration: opt.iterations + 1, learningRate: opt.learningRate, gradScale: 1 / batchRows, penalty, trial };
  }

  /** The update round's tasks: `workers` ranks each reduce and update one range of the parameters. */
  private updateTasks(order: UpdateOrder, workers: number, fault: Fault | null): Task[] {
    return shardRanges(this.model.layout.trainableSize, workers).map(([start, end], rank) => ({
      kind: 'update', session: (this.setup as SessionSetup).id, setup: null, rank, start, end, update: { ...order, start, end }, step: this.step, fault,
    }));
  }

  /**
   * Runs one step's tasks: gradients, and the update where `plan` puts it. A failure anywhere
   * puts back every range a rank had begun to update, so the weights and the optimizer state
   * are exactly those of the last complete step.
   */
  private async runStep(plan: UpdatePlan, epoch: number, order: Int32Array | null, start: number, end: number, firstExample: number, workers: number,
    trial: boolean, where: string, batchRows = end - start): Promise<{ ranks: number[]; timings: TaskTiming[]; stats: Float64Array; t1: number }> {
    const train = this.train as TrainSpec;
    const setup = this.setup as SessionSetup;
    const rows = end - start;
    const scratch = this.scratch as Scratch;
    // A trial times this host alone; a real step sums across the hosts (their parts make the batch).
    const hosts = trial ? null : this.hosts;
    // The regularizers' penalty, once per step at the weights the step started from: stats are
    // sums over examples, so the mean loss the logs show is mean data loss + penalty, as Keras's.
    const penalty = (train.optimizer.regularizationLoss?.(this.trainable) ?? 0) * batchRows;
    const fault = trial ? null : train.fault ?? null;
    const ranks = shardRanges(rows, workers).flatMap(([a, b], rank) => (b > a ? [rank] : []));
    const fused = plan === 'fused' ? this.updateOrder(ranks, batchRows, penalty, trial) : null;
    scratch.written.fill(0);
    this.crossHostMs = 0;
    if (this.collective !== null) resetCollective(this.collective);
    this.stateOut?.flags.fill(0);
    const tasks = this.trainTasks(epoch, order, start, end, firstExample, workers, fault, fused);
    const whole: Range[] = [[0, this.model.layout.trainableSize]];
    const timings = tasks.length === 0 ? [] : await this.guarded(() => this.runTrainTasks(tasks, hosts, where), whole);
    const t1 = performance.now();
    const stats = this.sumStats(setup, ranks);
    if (hosts !== null) await this.acrossHosts(hosts, stats, `summing the loss ${where}`);
    stats[0] += penalty;
    // A non-finite loss means non-finite gradients: applying them would ruin every weight (a
    // fused update skipped itself). A finite loss does not prove finite gradients (a NaN weight
    // behind a fused relu), so every update path checks the summed gradient as it reads it.
    if (!trial && !Number.isFinite(stats[0])) throw new NonFiniteLossError(stats, this.step, epoch);
    let finite = timings.every((t) => t.finiteGradient);
    let written = whole;
    this.updateWorkerMs = 0;
    this.reduceMs = 0;
    if (plan === 'coordinator') {
      finite = await this.centralUpdate(ranks, batchRows, hosts, where, trial ? { params: scratch.params, slots: scratch.slots } : undefined);
    } else if (plan === 'workers') {
      // Across hosts the coordinator sums the host's slots into slot 0 and all-reduces that;
      // the workers then update their ranges from slot 0 alone.
      const from = hosts === null ? ranks : [0];
      if (hosts !== null) await this.acrossHosts(hosts, this.localSum(ranks), `summing the gradient ${where}`);
      const updates = this.updateTasks(this.updateOrder(from, batchRows, penalty, trial), workers, fault);
      written = updates.map((t) => [t.start, t.end]);
      const done = await this.guarded(() => this.runAll(updates, `in the optimizer update ${where}`), written);
      this.updateWorkerMs = Math.max(...done.map((t) => t.computeMs));
      finite = done.every((t) => t.finiteGradient);
    }
    if (!trial && !finite) {
      this.restore(written);
      const loss = stats[0];
      stats[0] = NaN;
      throw new NonFiniteLossError(stats, this.step, epoch, undefined, 'gradient', loss);
    }
    return { ranks, timings, stats, t1 };
  }

  /**
   * A step's gradient tasks; across hosts, with the coordinator relaying the in-step
   * collective's sums to the other hosts while they run (a trial's: back to its own ranks). A failed relay is the step's cause:
   * the ranks it released with an abort only echo it.
   */
  private async runTrainTasks(tasks: Task[], hosts: CrossHostSum | null, where: string): Promise<TaskTiming[]> {
    const collective = this.collective;
    if (collective === null || !collective.acrossHosts) return this.runAll(tasks, where);
    // A trial (hosts null) times this host alone: its relay hands the host's sums straight back.
    const relay = relayAcrossHosts(collective, tasks.length, hosts === null
      ? async () => {}
      : (sum) => hosts.allreduce(sum, `in the in-step statistics (BatchNormalization) ${where}`));
    const run = this.runAll(tasks, where);
    const settled = await Promise.allSettled([run]);
    relay.stop();
    await relay.done;
    if (settled[0].status === 'rejected') throw settled[0].reason;
    return settled[0].value;
  }

  /**
   * The update on this thread: the reduction, then the kernel over the whole buffer (in place,
   * or into a trial's scratch). False, and nothing written, when the summed gradient is not finite.
   */
  private async centralUpdate(ranks: readonly number[], rows: number, hosts: CrossHostSum | null, where: string,
    into?: { params: Float32Array; slots: readonly Float32Array[] }): Promise<boolean> {
    const t0 = performance.now();
    const gradSum = this.localSum(ranks);
    this.reduceMs = performance.now() - t0;
    // Across hosts: this host's sum becomes every host's, in place in shared memory. A failure
    // throws here, before anything was written: the weights stay those of the last whole step.
    if (hosts !== null) await this.acrossHosts(hosts, gradSum, `summing the gradient ${where}`);
    // Checked before: the in-place update leaves no copy to restore from.
    if (!allFinite(gradSum)) return false;
    (this.train as TrainSpec).optimizer.applyGradients(this.trainable, gradSum, rows, into);
    return true;
  }

  /** The host's gradient: its ranks' slots summed into the first (zeros in slot 0 for a host with no rows this batch). */
  private localSum(ranks: readonly number[]): Float32Array {
    const reduction = this.reduction as SharedMemoryReduction;
    return ranks.length === 0 ? reduction.slot(0).fill(0) : reduction.sum(ranks);
  }

  /** Runs `round`; if it fails, restores the ranges its ranks had written, then rethrows. */
  private async guarded<T>(round: () => Promise<T>, ranges: readonly Range[]): Promise<T> {
    try {
      return await round();
    } catch (err) {
      this.restore(ranges);
      throw err;
    }
  }

  /** Puts back from the scratch each rank's range (`ranges` by rank) that the rank had begun to write. */
  private restore(ranges: readonly Range[]): void {
    const { params, slots, written } = this.scratch as Scratch;
    const opt = (this.train as TrainSpec).optimizer;
    ranges.forEach(([start, end], rank) => {
      if (Atomics.load(written, rank) !== 1) return;
      this.trainable.set(params.subarray(start, end), start);
      opt.slots.forEach((slot, k) => slot.set(slots[k].subarray(start, end), start));
    });
  }

  /**
   * A trial of one step on `workers` ranks that changes nothing: the gradients, their
   * reduction and the update, written to the scratch instead of the weights; the step count,
   * weights and optimizer state stay as they were. What `workers: 'auto'` times to choose the count.
   */
  async trialStep(workers: number, start: number, end: number): Promise<void> {
    if (workers < 1 || workers > this.pool.size) throw new RangeError(`a trial needs 1 to ${this.pool.size} workers, not ${workers}`);
    // Across hosts, the rows this host would train of such a batch.
    const part = hostPart(start, end, this.hosts);
    const [from, to] = part[1] > part[0] ? part : [start, start + 1];
    await this.runStep(this.planFor(workers), 0, null, from, to, from, workers, true, 'in a trial step (workers: auto)');
  }

  async trainBatch(epoch: number, order: Int32Array | null, start: number, end: number, firstExample = start): Promise<Float64Array> {
    const opt = (this.train as TrainSpec).optimizer;
    const where = `at step ${this.step} (epoch ${epoch + 1})`;
    const t0 = performance.now();
    const plan = this.planFor(this.pool.size);
    // Across hosts, this host trains its part of the batch; dropout keys stay global example indices.
    const [from, to] = hostPart(start, end, this.hosts);
    if (this.collective !== null && this.hosts !== null && end - start < this.hosts.size) {
      // Every host must take part in each in-step sum; a host without rows would leave the others waiting.
      throw new RangeError(`a batch of ${end - start} rows across ${this.hosts.size} hosts ${where} leaves a host without rows, and the model's ` +
        'in-step statistics (BatchNormalization) need every host in every step: use a batch size (and a dataset size) whose batches have at least one row per host');
    }
    let step: Awaited<ReturnType<ParallelEngine['runStep']>>;
    try {
      step = await this.runStep(plan, epoch, order, from, to, firstExample + from - start, this.pool.size, false, where, end - start);
    } catch (err) {
      // A failure of this host alone (not a non-finite loss, which every host sees alike)
      // leaves the others waiting in the step: the group breaks at once, naming this rank.
      if (this.hosts !== null && !(err instanceof NonFiniteLossError)) this.hosts.abandon?.(err as Error);
      throw err;
    }
    const { timings, stats, t1 } = step;
    // Constraints span whole weights, so they run here on the finished update.
    opt.applyConstraints?.(this.trainable);
    this.applyState();
    opt.commit();
    const t3 = performance.now();
    this.step += 1;
    this.workerTensors = timings.map((t) => t.tensors);
    this.workerHeap = timings.map((t) => t.heap);
    const idle = { computeMs: 0, copyInMs: 0, exportMs: 0, collectiveMs: 0, collectiveCalls: 0 } as TaskTiming;
    const slowest = timings.reduce((a, b) => (b.computeMs > a.computeMs ? b : a), idle);
    this.lastTiming = {
      dispatchAndWaitMs: t1 - t0, workerComputeMs: slowest.computeMs, copyInMs: slowest.copyInMs,
      exportMs: slowest.exportMs, reduceMs: this.reduceMs, crossHostMs: this.crossHostMs, optimizerMs: t3 - t1 - this.reduceMs - this.crossHostMs,
      collectiveMs: Math.max(0, ...timings.map((t) => t.collectiveMs)), collectiveCalls: slowest.collectiveCalls,
    };
    return stats;
  }

  /**
   * The step's new values of non-trainable weights (moving statistics), copied from where the
   * first rank left them into the weights: once, after the whole step succeeded.
   */
  private applyState(): void {
    const out = this.stateOut;
    if (out === null) return;
    const t = this.model.layout.trainableSize;
    this.model.layout.entries.forEach((e, i) => {
      if (out.flags[i] === 1) this.model.params.set(out.values.subarray(e.offset - t, e.offset - t + e.size), e.offset);
    });
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
      objective: outputObjectives(this.objective as Objective), ...this.sharedData(data), grads: null, order: null, outputs: [], update: null, collective: null, state: null,
    });
    this.evaluation = { data, setup };
    return setup;
  }

  async predict(xs: readonly Column[], rows: number, batchSize: number): Promise<Float32Array[]> {
    const outputs = this.model.outputs.map((o) => this.memory.buffer(rows * exampleSize(o.shape) * 4));
    const shared: SharedColumn[] = xs.map((c) => shareColumn(c, this.memory));
    const setup = this.session({ objective: null, xs: shared, ys: [], weights: [], grads: null, order: null, outputs, update: null, collective: null, state: null });
    await this.runAll(this.inferenceTasks('predict', setup, rows, batchSize), 'in predict');
    // Copied out of shared memory: the caller keeps the result, the buffers go back for reuse.
    return outputs.map((b) => new Float32Array(b).slice());
  }

  /** Lets the process exit while the pool idles (the pool belongs to the model). */
  async dispose(): Promise<void> {
    this.pool.release();
  }
}
