/**
 * The Piscina worker entry: one tfjs wasm backend per thread, the model rebuilt from its JSON
 * spec, its weights read straight from the shared parameter buffer. A task names rows; the
 * worker gathers them, runs the step and writes its gradient sum into its own slot — nothing
 * large crosses the message channel.
 */
import { getHeapStatistics } from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../graph/backend.js';
import { getLoss } from '../graph/losses.js';
import { getMetric } from '../graph/metrics.js';
import { GraphModel } from '../graph/model.js';
import { weightPenalties, type WeightPenalty } from '../graph/regularizers.js';
import { graphFromSpec } from '../graph/spec.js';
import { importUserModules } from '../graph/custom/register.js';
import { gatherRows, type Column } from './batch.js';
import { triggerFault } from './faults.js';
import { MISSING_SESSION, type EvaluateTask, type Fault, type SessionSetup, type Task, type TaskTiming, type TrainTask, type UpdateOrder, type WorkerUpdate } from './messages.js';
import { columnView } from './shared.js';
import { abortCollective, SharedCollective, SOLO, type Collective } from './collective.js';
import { StepRunner, type Batch, type Scoring } from './step.js';
import type { MetricSpec } from '../graph/metrics.js';

/**
 * A model rebuilt from its spec, with its step runner and batch buffers: kept across sessions.
 * A model that fits again and again would otherwise rebuild its graph, a parameter array and
 * batch buffers for every fit and every validation pass — garbage that outlives many steps, so
 * it lands in the worker's old generation and stays until V8 gets round to a full collection
 * (the soak benchmark saw up to 11 MB of such ArrayBuffers per worker; now 0.2 MB).
 */
interface Built {
  readonly model: GraphModel;
  readonly runner: StepRunner;
  readonly scratch: { xs: (Float32Array | Int32Array)[]; ys: (Float32Array | Int32Array)[]; weights: (Float32Array | Int32Array | null)[]; rows: number };
}

interface Session {
  readonly id: number;
  readonly setup: SessionSetup;
  readonly model: GraphModel;
  readonly runner: StepRunner;
  /** A view of setup.params: the model's one copy of its weights. */
  readonly params: Float32Array;
  /** Its trainable prefix: what the optimizer updates. */
  readonly trainable: Float32Array;
  /** This thread's view of the in-step collective, when the model sums across ranks mid-step. */
  readonly collective: SharedCollective | null;
  readonly state: { readonly values: Float32Array; readonly flags: Int32Array } | null;
  readonly update: OpenUpdate | null;
  readonly xs: readonly Column[];
  readonly ys: readonly Column[];
  readonly weights: readonly (Column | null)[];
  readonly order: Int32Array | null;
  readonly scratch: Built['scratch'];
}

const ready = initBackend();
/** Recent sessions by id: a fit alternates its training and validation sessions. */
const sessions = new Map<number, Session>();
const MAX_SESSIONS = 4;
/** Built models by spec and objective, most recently used last. */
const built = new Map<string, Built>();
const MAX_BUILT = 4;

/** The optimizer and views of its state, its scratch and the ranks' written flags. */
interface OpenUpdate {
  readonly optimizer: UpdateRule;
  readonly slots: readonly Float32Array[];
  readonly scratch: { readonly params: Float32Array; readonly slots: readonly Float32Array[] };
  readonly written: Int32Array;
}

/** The part of an optimizer the update round needs (src/train/optimizers' Optimizer). */
interface UpdateRule {
  learningRate: number;
  applyFrom(buffers: {
    from: { params: Float32Array; slots: readonly Float32Array[] };
    to: { params: Float32Array; slots: readonly Float32Array[] };
    grads: readonly Float32Array[];
    penalties?: readonly WeightPenalty[];
  }, t: number, gradScale: number, start: number, end: number): boolean;
}

/** Each model's regularized weights, for the update round (their gradient joins the mean gradient there). */
const penaltiesByModel = new WeakMap<GraphModel, WeightPenalty[]>();

function penaltiesOf(model: GraphModel): WeightPenalty[] {
  let known = penaltiesByModel.get(model);
  if (known === undefined) penaltiesByModel.set(model, (known = weightPenalties(model.layout)));
  return known;
}

async function openUpdate(update: WorkerUpdate | null): Promise<OpenUpdate | null> {
  if (update === null) return null;
  const { optimizerFromSpec } = (await import(update.module)) as { optimizerFromSpec: (spec: WorkerUpdate['spec']) => UpdateRule };
  const view = (b: SharedArrayBuffer) => new Float32Array(b);
  return {
    optimizer: optimizerFromSpec(update.spec), slots: update.slots.map(view),
    scratch: { params: view(update.scratch.params), slots: update.scratch.slots.map(view) }, written: new Int32Array(update.written),
  };
}

/**
 * The model a session runs, built once per (spec, loss, metrics). Sharing it is safe: a thread
 * runs one task at a time, and the runner is handed the session's parameters on every call, so
 * nothing of one session's data stays in it.
 */
function buildFor(setup: SessionSetup): Built {
  const key = JSON.stringify([setup.spec, setup.objective]);
  const known = built.get(key);
  if (known !== undefined) {
    built.delete(key);
    built.set(key, known);
    return known;
  }
  const model = new GraphModel(graphFromSpec(setup.spec));
  const scoring = setup.objective === null ? null : setup.objective.map((o, i): Scoring => {
    const loss = getLoss(o.loss);
    const units = model.outputs[i].shape[model.outputs[i].shape.length - 1] as number;
    const resolve = (m: MetricSpec) => getMetric(m, loss, units);
    return { loss, weight: o.weight, metrics: o.metrics.map(resolve), weightedMetrics: o.weightedMetrics.map(resolve) };
  });
  const entry: Built = { model, runner: new StepRunner(model, scoring), scratch: { xs: [], ys: [], weights: [], rows: 0 } };
  built.set(key, entry);
  if (built.size > MAX_BUILT) built.delete(built.keys().next().value as string);
  return entry;
}

async function openSession(task: Task): Promise<Session> {
  const known = sessions.get(task.session);
  if (known !== undefined) return known;
  const setup = task.setup;
  if (setup === null) throw new Error(`${MISSING_SESSION} ${task.session}`);
  // A user's layer classes, losses and metrics: their modules, imported here before the graph is built.
  const objective = setup.objective ?? [];
  await importUserModules(setup.spec, objective.map((o) => o.loss), objective.flatMap((o) => [...o.metrics, ...o.weightedMetrics]));
  const { model, runner, scratch } = buildFor(setup);
  const xs = setup.xs.map(columnView);
  const ys = setup.ys.map(columnView);
  const weights = setup.weights.map((w) => (w === null ? null : columnView(w)));
  const params = new Float32Array(setup.params);
  const session: Session = {
    id: setup.id, setup, model, runner, params, trainable: params.subarray(0, model.layout.trainableSize), update: await openUpdate(setup.update), xs, ys, weights,
    order: setup.order === null ? null : new Int32Array(setup.order), scratch,
    collective: setup.collective === null ? null : new SharedCollective(setup.collective),
    state: setup.state === null ? null : { values: new Float32Array(setup.state.values), flags: new Int32Array(setup.state.flags) },
  };
  sessions.set(setup.id, session);
  // Oldest first in a Map: drop it so finished fits release their shared buffers.
  if (sessions.size > MAX_SESSIONS) sessions.delete(sessions.keys().next().value as number);
  return session;
}

/** Batch buffers for `rows` examples, grown when a larger shard arrives. */
function scratchFor(s: Session, rows: number): Session['scratch'] {
  // Sessions of one built model share the buffers; predict's has no targets, evaluate's has,
  // and sessions may differ in which outputs have sample weights.
  const shapeChanged = s.scratch.ys.length !== s.ys.length || s.scratch.weights.length !== s.weights.length
    || s.weights.some((w, i) => (w === null) !== (s.scratch.weights[i] === null));
  if (s.scratch.rows < rows || shapeChanged) {
    const n = Math.max(rows, s.scratch.rows);
    const make = (c: Column) => (c.data instanceof Int32Array ? new Int32Array(n * c.rowSize) : new Float32Array(n * c.rowSize));
    s.scratch.xs = s.xs.map(make);
    s.scratch.ys = s.ys.map(make);
    s.scratch.weights = s.weights.map((w) => (w === null ? null : make(w)));
    s.scratch.rows = n;
  }
  return s.scratch;
}

function rowsOf(s: Session, order: Int32Array | null, start: number, end: number, firstExample = start): Batch {
  const scratch = scratchFor(s, end - start);
  const ys = s.ys.map((c, i) => gatherRows(c, order, start, end, scratch.ys[i]));
  return {
    xs: s.xs.map((c, i) => gatherRows(c, order, start, end, scratch.xs[i])),
    y: ys[0] ?? null,
    ys,
    weights: s.weights.map((w, i) => (w === null ? null : gatherRows(w, order, start, end, scratch.weights[i] as Float32Array))),
    rows: end - start,
    firstExample,
  };
}

/**
 * Returns whether the rank's update, where its task carries one, read only finite gradients (the
 * coordinator refuses the step otherwise). The loss alone cannot tell: wasm's fused matMul+relu
 * clamps a NaN pre-activation to 0, so a NaN weight can leave the loss finite while the
 * gradients of the layers below it are NaN.
 */
function train(s: Session, task: TrainTask): boolean {
  const setup = s.setup;
  try {
    triggerFault(task.fault, task.step, task.rank, 'gradients');
    const grads = gradientSlot(s, task.rank);
    const batch = rowsOf(s, task.shuffled ? s.order : null, task.start, task.end, task.firstExample);
    const stats = s.runner.train(s.params, batch, { runKey: task.runKey, epoch: task.epoch }, grads, collectiveFor(s, task));
    new Float64Array(setup.stats as SharedArrayBuffer, task.rank * stats.length * 8, stats.length).set(stats);
    if (task.rank === 0) writeState(s);
    return finishTrain(s, task, stats);
  } catch (err) {
    // The other ranks may be waiting for this one in the collective: release them.
    if (setup.collective !== null) abortCollective(setup.collective);
    throw err;
  }
}

/** The step's collective for this rank, with the test hook that fails inside it. */
function collectiveFor(s: Session, task: TrainTask): Collective {
  // One rank alone sums nothing, unless the sum spans hosts (the coordinator relays it).
  if (task.peers === 1 && s.collective?.acrossHosts !== true) return SOLO;
  // No layer declared a collectiveLength, so the engine made no collective: a sum over this
  // rank alone would be silently wrong.
  if (s.collective === null) {
    return { ranks: task.peers, sum: () => { throw new Error('ctx.allSum was called by a layer whose collectiveLength is 0: a layer that sums across ranks must declare the longest vector it sums (Layer.collectiveLength)'); } };
  }
  const shared = s.collective.begin(task.rank, task.peers);
  const fault = task.fault;
  if (fault === null || fault.phase !== 'exchange') return shared;
  return { ranks: shared.ranks, sum: (p) => {
    triggerFault(fault, task.step, task.rank, 'exchange');
    return shared.sum(p);
  } };
}

/** The first rank's new non-trainable values (every rank computed the same), for the coordinator to apply. */
function writeState(s: Session): void {
  const assigned = s.runner.assignments;
  if (assigned.size === 0) return;
  if (s.state === null) throw new Error('a layer assigned a non-trainable weight, but the session has no state buffer');
  const entries = s.model.layout.entries;
  const t = s.model.layout.trainableSize;
  for (const [i, value] of assigned) {
    s.state.values.set(value, entries[i].offset - t);
    Atomics.store(s.state.flags, i, 1);
  }
}

function finishTrain(s: Session, task: TrainTask, stats: Float64Array): boolean {
  // One worker's step: the update follows at once, unless the coordinator will refuse the step.
  if (task.update !== null && Number.isFinite(stats[0] + task.update.penalty)) return applyUpdate(s, task.update, task.rank, task.fault, task.step);
  return true;
}

function gradientSlot(s: Session, rank: number): Float32Array {
  const size = s.model.layout.trainableSize;
  return new Float32Array(s.setup.grads as SharedArrayBuffer, rank * size * 4, size);
}

/**
 * One rank's range of the optimizer update, in place: the range of the weights and slots is
 * first saved to the scratch and the rank's flag set, so the coordinator can put it back if
 * any rank fails; the kernel then reads the saved copy and writes the one buffer. A trial
 * reads the buffer and writes the scratch, changing nothing. The gradient is the ranks' slots
 * summed in rank order: bitwise what reducing into one slot first would give.
 */
function applyUpdate(s: Session, order: UpdateOrder, rank: number, fault: Fault | null, step: number): boolean {
  const { optimizer, slots, scratch, written } = s.update as OpenUpdate;
  const { start, end } = order;
  const own = { params: s.trainable, slots };
  const grads = order.ranks.map((r) => gradientSlot(s, r));
  optimizer.learningRate = order.learningRate;
  const penalties = penaltiesOf(s.model);
  if (order.trial) return optimizer.applyFrom({ from: own, to: scratch, grads, penalties }, order.iteration, order.gradScale, start, end);
  scratch.params.set(s.trainable.subarray(start, end), start);
  slots.forEach((slot, k) => scratch.slots[k].set(slot.subarray(start, end), start));
  Atomics.store(written, rank, 1);
  // A non-finite gradient leaves garbage in the range: the coordinator restores it from the scratch.
  const finite = optimizer.applyFrom({ from: scratch, to: own, grads, penalties }, order.iteration, order.gradScale, start, end);
  // After the writes: a failure here is what the rollback must undo.
  triggerFault(fault, step, rank, 'update');
  return finite;
}

function evaluate(s: Session, task: EvaluateTask): void {
  const width = s.runner.columns.length;
  const sums = new Float64Array(width);
  for (let start = task.start; start < task.end; start += task.batchSize) {
    const stats = s.runner.evaluate(s.params, rowsOf(s, null, start, Math.min(task.end, start + task.batchSize)));
    stats.forEach((v, i) => (sums[i] += v));
  }
  new Float64Array(s.setup.stats as SharedArrayBuffer, task.rank * width * 8, width).set(sums);
}

function predict(s: Session, task: EvaluateTask): void {
  const outs = s.setup.outputs.map((b) => new Float32Array(b));
  for (let start = task.start; start < task.end; start += task.batchSize) {
    const end = Math.min(task.end, start + task.batchSize);
    s.runner.predict(s.params, rowsOf(s, null, start, end)).forEach((p, i) => outs[i].set(p, start * (p.length / (end - start))));
  }
}


export default async function runTask(task: Task): Promise<TaskTiming> {
  await ready;
  const began = performance.now();
  const s = await openSession(task);
  let finiteGradient = true;
  if (task.kind === 'train') finiteGradient = train(s, task);
  else if (task.kind === 'update') finiteGradient = applyUpdate(s, task.update, task.rank, task.fault, task.step);
  else if (task.kind === 'evaluate') evaluate(s, task);
  else predict(s, task);
  const { copyInMs, exportMs, collectiveMs, collectiveCalls } = s.runner.timing;
  const { used_heap_size: used, total_heap_size: committed } = getHeapStatistics();
  return { rank: task.rank, computeMs: performance.now() - began, copyInMs, exportMs, collectiveMs, collectiveCalls, tensors: tf.memory().numTensors, heap: { used, committed }, finiteGradient };
}
