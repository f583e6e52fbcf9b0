/**
 * `weft.trainer(model, compileArgs)`: the coordinator (fit loop, optimizer step, worker pool) in a
 * dedicated worker thread, driven through Comlink, so the host's event loop stays free while a
 * model trains (a server keeps answering, a job runner keeps its heartbeats).
 *
 * What crosses the thread boundary, and how:
 * - the weights do not: the thread's model adopts the host model's parameter SharedArrayBuffer,
 *   so they exist once and the host model reads the trained weights as they are;
 * - data reaches the thread in SharedArrayBuffers, not cloned: a tensor's values are copied
 *   once, straight off the host's wasm heap, into memory the thread allocated (model.fit then
 *   checks them in the thread, with its usual errors); nested arrays are converted and checked
 *   on the host, as model.fit would (that part of the work cannot leave the host's heap);
 * - callbacks stay on the host: the thread calls one Comlink proxy per fit, which runs the
 *   hooks (awaited) and reports back what they asked for (model.stopTraining, a new learning
 *   rate, entries added to the logs); model.params there are the current weights;
 * - an AbortSignal stays on the host: aborting it calls trainer.abort in the thread, whose own
 *   AbortController the fit loop checks at every step boundary.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as Comlink from 'comlink';
import { ShapeError, StateError, checkInteger, invalidArgument, invalidType } from '../errors.js';
import { getLoss } from '../graph/losses.js';
import type { Column } from '../parallel/batch.js';
import { readTensor } from '../graph/tensor-io.js';
import { toInputColumns, toSampleWeights, toTargetColumns } from './data.js';
import { scoringOf, specsOf, splitObjective } from './compile-args.js';
import { History } from './history.js';
import type { EvaluateArgs, Model, PredictArgs } from './model.js';
import type { Optimizer, OptimizerSpec } from './optimizers.js';
import { resolveFitArgs, type FitArgs } from './options.js';
import { HostCallbackRunner } from './trainer-callbacks.js';
import { isFileDataset, type FileDataset } from './files/dataset.js';
import { argsAfterDataset, loadWithTargets, planFileFit } from './files/file-data-args.js';
import {
  nodeEndpoint, type NodeEndpoint, type TrainerCompileArgs, type TrainerOptions, type TrainerThreadApi, type WireArray,
  type WireCompileArgs, type WireData, type WireFit, type WireFitArgs,
} from './trainer-wire.js';

export type { TrainerCompileArgs, TrainerOptions } from './trainer-wire.js';

/** The thread's module: compiled JS next to this one in dist/, or a shim that runs the .ts through tsx. */
function threadEntry(): URL {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './tsx-trainer-thread.mjs' : './trainer-thread.js', here);
}

const wire = (c: Column, exampleShape: readonly number[]): WireArray => ({
  data: c.data, shape: [c.rows, ...exampleShape], dtype: c.data instanceof Int32Array ? 'int32' : 'float32',
});

const usable = (t: unknown): t is tf.Tensor =>
  t instanceof tf.Tensor && !t.isDisposed && (t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool');

/**
 * An input or target on its way to the thread: already in shared memory (nested arrays, converted
 * and checked on the host), or a tensor whose values are copied when the call runs.
 */
type Staged = WireArray | tf.Tensor;

/**
 * Copies a tensor's values into `buffer`: straight from the wasm heap (readTensor), at memcpy
 * speed, into memory the thread has already touched, so the host pays neither dataSync's copy
 * nor the first-touch page faults of fresh memory (together ~0.2 s per 32 MB here).
 */
function copyTensor(t: tf.Tensor, buffer: SharedArrayBuffer): WireArray {
  const dtype = t.dtype as WireArray['dtype'];
  const data = dtype === 'int32' ? new Int32Array(buffer) : dtype === 'bool' ? new Uint8Array(buffer) : new Float32Array(buffer);
  data.set(dtype === 'bool' ? t.dataSync() : readTensor(t));
  return { data, shape: t.shape, dtype };
}

/** Errors crossing Comlink arrive as plain Errors carrying name, message and stack: give weft's own back their class. */
function reviveError(err: unknown): unknown {
  if (!(err instanceof Error) || err.constructor !== Error) return err;
  const make: Record<string, (m: string) => Error> = {
    ShapeError: (m) => new ShapeError(m), StateError: (m) => new StateError(m), RangeError: (m) => new RangeError(m),
    TypeError: (m) => new TypeError(m), AbortError: (m) => new DOMException(m, 'AbortError'),
  };
  const revived = Object.hasOwn(make, err.name) ? make[err.name](err.message) : err;
  if (revived !== err && err.stack !== undefined) {
    try {
      Object.defineProperty(revived, 'stack', { value: err.stack, configurable: true, writable: true });
    } catch {
      // A DOMException's stack may not be redefinable; the message is what matters.
    }
  }
  return revived;
}

function toWireCompile(model: Model, args: TrainerCompileArgs): WireCompileArgs {
  if (args === null || typeof args !== 'object') throw invalidType('compileArgs', '{optimizer, loss, metrics?}', args);
  const opt = args.optimizer;
  let optimizer: string | OptimizerSpec;
  if (typeof opt === 'string') optimizer = opt;
  else if (opt !== null && typeof opt === 'object' && typeof (opt as Optimizer).getConfig === 'function') {
    optimizer = { className: (opt as Optimizer).className, config: (opt as Optimizer).getConfig() };
  } else if (opt !== null && typeof opt === 'object' && typeof (opt as OptimizerSpec).className === 'string') {
    optimizer = { className: (opt as OptimizerSpec).className, config: { ...(opt as OptimizerSpec).config } };
  } else {
    throw invalidType('optimizer', "an optimizer name ('adam', 'sgd', 'adamw', ...), a weft.optimizers.* optimizer or {className, config}", opt);
  }
  // One entry per output; configured losses and metrics cross as their specs, checked here
  // against the model's outputs as compile checks them.
  const outputs = splitObjective(model, args);
  return { optimizer, ...specsOf(outputs, scoringOf(model, outputs)) };
}

/** A column as it crosses: class indices are one value per example, anything else keeps its example shape. */
const wireTarget = (c: Column, out: readonly (number | null)[]): WireArray => wire(c, c.rowSize === 1 && out[out.length - 1] !== 1 ? [] : out.slice(1) as number[]);

/** Staged inputs, targets and sample weights, flattened for materialize and split back after. */
interface StagedData {
  xs: Staged[];
  ys: Staged[];
  weights: (Staged | null)[] | null;
}

/**
 * A model trained in its own thread. The host model stays the one to read weights from (they
 * are shared); while a trainer exists, train it only through the trainer. Calls run one at a
 * time, in the order they were made.
 */
export class Trainer {
  private readonly remote: Comlink.Remote<TrainerThreadApi>;
  private queue: Promise<unknown> = Promise.resolve();
  private busy = 0;
  private disposed = false;
  /** Set when dispose is called: later calls are refused, and dispose returns it again. */
  private closed: Promise<void> | null = null;
  private nextFit = 1;
  /** The fit running in the thread, which dispose aborts rather than waits for. */
  private activeFit: number | null = null;
  /** Rejects (and stays rejected) when the thread dies: every pending call races it. */
  private readonly died: Promise<never>;

  private constructor(
    /** The host model: its `params` are the weights the thread trains. */
    readonly model: Model,
    private readonly worker: Worker,
    private readonly compileArgs: WireCompileArgs | null,
  ) {
    this.remote = Comlink.wrap<TrainerThreadApi>(nodeEndpoint(worker as unknown as NodeEndpoint));
    this.died = new Promise<never>((_, reject) => {
      worker.once('error', (err) => reject(err));
      worker.once('exit', (code) => reject(new StateError(`the weft trainer thread exited (code ${code})${this.disposed ? ': the trainer was disposed' : ''}`)));
    });
    this.died.catch(() => undefined);
  }

  /** Starts the thread and rebuilds the model there around the host model's weights. */
  static async create(model: Model, compileArgs?: TrainerCompileArgs, options: TrainerOptions = {}): Promise<Trainer> {
    if (model === null || typeof model !== 'object' || typeof model.toJSON !== 'function' || !(model.params instanceof Float32Array)) {
      throw invalidType('model', 'a weft Model', model);
    }
    if (options === null || typeof options !== 'object') throw invalidType('options', '{ priority? }', options);
    const priority = options.priority === undefined ? 0 : checkInteger('priority', options.priority, -20);
    if (priority > 19) throw invalidArgument('priority', 'an integer in [-20, 19] (a nice value)', priority);
    // Checked here, where the error is most useful (and keeps its class).
    const compile = compileArgs === undefined ? null : toWireCompile(model, compileArgs);
    // The thread compiles the model: which weights train is fixed now, from the current flags.
    model.relayout();
    if (!(model.params.buffer instanceof SharedArrayBuffer)) {
      const shared = new Float32Array(new SharedArrayBuffer(model.params.byteLength));
      model.adoptParams(shared, true);
    }
    const worker = new Worker(threadEntry());
    const trainer = new Trainer(model, worker, compile);
    try {
      await trainer.call(() => trainer.remote.init({ spec: model.toJSON(), params: model.params, compile, priority }));
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    return trainer;
  }

  /** Runs one remote call after the previous ones, holding the process open only meanwhile. */
  private call<T>(body: () => Promise<T>): Promise<T> {
    if (this.closed !== null) return Promise.reject(new StateError('This trainer was disposed: create a new one with weft.trainer(model, compileArgs)'));
    return this.enqueue(body);
  }

  private enqueue<T>(body: () => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.busy += 1;
      this.worker.ref();
      try {
        return await Promise.race([body(), this.died]);
      } finally {
        this.busy -= 1;
        if (this.busy === 0 && !this.disposed) this.worker.unref();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private compiled(call: string): void {
    if (this.compileArgs === null) {
      throw new StateError(`You must pass compile args before ${call}(): weft.trainer(model, { optimizer, loss, metrics }) (the trainer cannot read them from the model)`);
    }
  }

  /**
   * Model inputs for the thread: tensors as they are (their checks run in the thread, in
   * model.fit, with the same errors), anything else converted and checked here.
   */
  private inputs(x: unknown): Staged[] {
    const n = this.model.inputs.length;
    // The same reading of `x` as model.fit's: one input may be given bare.
    const list = n === 1 && !(Array.isArray(x) && x.length === 1 && x[0] instanceof tf.Tensor) ? [x] : x;
    if (Array.isArray(list) && list.length === n && list.every(usable)) return list;
    return toInputColumns(this.model, x).map((c, i) => wire(c, this.model.inputs[i].shape.slice(1) as number[]));
  }

  private dataset(x: unknown, y: unknown, sampleWeight: unknown = null): StagedData {
    const xs = this.inputs(x);
    const rows = xs[0].shape[0];
    const outs = this.model.outputs;
    let weights: StagedData['weights'] = null;
    if (sampleWeight != null) weights = toSampleWeights(this.model, sampleWeight, rows).map((c) => (c === null ? null : wire(c, [])));
    if (outs.length === 1 && usable(y)) return { xs, ys: [y], weights };
    const losses = (this.compileArgs as WireCompileArgs).loss.map((l) => getLoss(l));
    const ys = toTargetColumns(this.model, losses, y, rows).map((c, i) => (losses[i].sparseTargets ? wire(c, []) : wireTarget(c, outs[i].shape)));
    return { xs, ys, weights };
  }

  /** The staged data of several calls, materialized, as WireData each. */
  private async materializeAll(parts: StagedData[]): Promise<WireData[]> {
    const flat = parts.flatMap((p) => [...p.xs, ...p.ys, ...(p.weights ?? []).filter((w): w is Staged => w !== null)]);
    const done = await this.materialize(flat);
    let k = 0;
    const take = (n: number) => done.slice(k, (k += n));
    return parts.map((p) => {
      const xs = take(p.xs.length);
      const ys = take(p.ys.length);
      const weights = p.weights === null ? null : p.weights.map((w) => (w === null ? null : take(1)[0]));
      return { xs, ys, weights };
    });
  }

  /** The staged tensors copied into shared memory the thread allocates (and touches) for them. */
  private async materialize(items: Staged[]): Promise<WireArray[]> {
    const tensors = items.filter((i): i is tf.Tensor => i instanceof tf.Tensor);
    if (tensors.length === 0) return items as WireArray[];
    const buffers = await this.remote.allocate(tensors.map((t) => t.size * (t.dtype === 'bool' ? 1 : 4)));
    let k = 0;
    return items.map((item) => {
      if (!(item instanceof tf.Tensor)) return item;
      if (item.isDisposed) throw invalidArgument('x', 'a live tensor until the call starts', 'a disposed tensor');
      return copyTensor(item, buffers[k++]);
    });
  }

  /**
   * model.fit, run in the trainer thread. Resolves to a History; rejects with the signal's
   * reason when `args.signal` aborts (at the next step boundary: the weights are those after the
   * last whole step, and the thread's pool is closed, as with model.fit).
   */
  fit(dataset: FileDataset, args?: FitArgs): Promise<History>;
  fit(x: unknown, y: unknown, args?: FitArgs): Promise<History>;
  async fit(x: unknown, y?: unknown, args?: FitArgs): Promise<History> {
    if (isFileDataset(x)) {
      // The thread gets the data in shared memory: a file dataset is loaded here, within its limit.
      const plan = await planFileFit(x, argsAfterDataset('fit', y, args));
      if (plan.arrays === undefined) throw tooLargeForTrainer(x);
      return this.fit(plan.arrays.xs, plan.arrays.ys, plan.arrays.args);
    }
    this.compiled('fit');
    // The model's weights are claimed from the first pending fit to the last: the trainer's
    // own fits queue one after another, anyone else's training of this model is refused.
    if (this.pendingFits === 0) this.releaseModel = this.model.claimTraining("a weft.trainer's fit()");
    this.pendingFits += 1;
    try {
      return await this.runFit(x, y, args);
    } finally {
      if (--this.pendingFits === 0) this.releaseModel();
    }
  }

  private pendingFits = 0;
  private releaseModel = (): void => undefined;

  private async runFit(x: unknown, y: unknown, args?: FitArgs): Promise<History> {
    const opts = resolveFitArgs(args);
    const train = this.dataset(x, y, opts.classWeight === null ? opts.sampleWeight : null);
    const v = opts.validationData;
    const validation = v === null ? null : this.dataset(v[0], v[1], v[2] ?? null);
    // The options as given (checked above), less what cannot cross; the seed as resolved here.
    const { callbacks: _c, signal: _s, validationData: _v, sampleWeight: _w, ...rest } = args ?? {};
    const wireArgs: WireFitArgs = { ...rest, seed: opts.seed };
    const host = new HostCallbackRunner(this.model, opts.callbacks, (path) => this.remote.save(path, { includeOptimizer: true }));
    const id = this.nextFit++;
    const signal = opts.signal;
    const onAbort = () => {
      this.remote.abort(id).catch(() => undefined);
    };
    try {
      const result = await this.call(async () => {
        this.activeFit = id;
        signal?.addEventListener('abort', onAbort, { once: true });
        const [data, validationData = null] = await this.materializeAll(validation === null ? [train] : [train, validation]);
        const port = host.open();
        const call: WireFit = {
          id, data, validationData,
          args: wireArgs, hooks: host.hooks, callbacks: port, aborted: signal?.aborted ?? false,
        };
        return this.remote.fit(port === null ? call : Comlink.transfer(call, [port] as never));
      });
      const history = new History(result.params);
      result.epoch.forEach((epoch, i) => history.record(epoch, Object.fromEntries(Object.entries(result.history).map(([k, v]) => [k, v[i]]))));
      return history;
    } catch (err) {
      if (host.error !== undefined) throw host.error;
      if (signal?.aborted) throw signal.reason ?? new DOMException('fit was aborted', 'AbortError');
      throw reviveError(err);
    } finally {
      if (this.activeFit === id) this.activeFit = null;
      signal?.removeEventListener('abort', onAbort);
      host.close();
    }
  }

  /** model.evaluate in the thread: a Scalar, or [loss, ...metrics] when compiled with metrics. */
  evaluate(dataset: FileDataset, args?: EvaluateArgs): Promise<tf.Scalar | tf.Scalar[]>;
  evaluate(x: unknown, y: unknown, args?: EvaluateArgs): Promise<tf.Scalar | tf.Scalar[]>;
  async evaluate(x: unknown, y?: unknown, args: EvaluateArgs = {}): Promise<tf.Scalar | tf.Scalar[]> {
    if (isFileDataset(x)) {
      if (!(await x.fitsInMemory())) throw tooLargeForTrainer(x);
      const { xs, ys } = await loadWithTargets('evaluate', x);
      return this.evaluate(xs, ys, argsAfterDataset('evaluate', y, args));
    }
    this.compiled('evaluate');
    const { sampleWeight, ...rest } = args;
    const staged = this.dataset(x, y, sampleWeight ?? null);
    try {
      const values = await this.call(async () => {
        const [data] = await this.materializeAll([staged]);
        return this.remote.evaluate(data, rest);
      });
      const scalars = values.map((v) => tf.scalar(v));
      return scalars.length === 1 ? scalars[0] : scalars;
    } catch (err) {
      throw reviveError(err);
    }
  }

  /** model.predict in the thread: a Tensor (an array of Tensors for a multi-output model). */
  async predict(x: unknown, args: PredictArgs = {}): Promise<tf.Tensor | tf.Tensor[]> {
    if (isFileDataset(x)) return this.predict((await x.load()).xs, args);
    const staged = this.inputs(x);
    try {
      const outs = await this.call(async () => this.remote.predict(await this.materialize(staged), args));
      const tensors = outs.map((o) => tf.tensor(o.data, o.shape));
      return tensors.length === 1 ? tensors[0] : tensors;
    } catch (err) {
      throw reviveError(err);
    }
  }

  /**
   * model.save, run in the thread: with includeOptimizer, a checkpoint that holds the trainer's
   * optimizer state and position (the host model has neither).
   */
  async save(url: string, options: { includeOptimizer?: boolean } = {}): Promise<{ modelJsonPath: string; weightsPath: string }> {
    try {
      return await this.call(() => this.remote.save(url, options));
    } catch (err) {
      throw reviveError(err);
    }
  }

  /** @internal For tests: whether the thread's pool is open and how many tfjs tensors it holds. */
  inspect(): Promise<{ poolOpen: boolean; tensors: number }> {
    return this.call(() => this.remote.inspect());
  }

  /**
   * Closes the thread's worker pool and ends the thread; the host model keeps the trained
   * weights. Calls made before it still run; a fit in progress stops at its next step boundary
   * (rejecting with an AbortError). Later calls reject with a StateError.
   */
  dispose(): Promise<void> {
    if (this.closed !== null) return this.closed;
    if (this.activeFit !== null) this.remote.abort(this.activeFit).catch(() => undefined);
    this.closed = (async () => {
      try {
        await this.enqueue(() => this.remote.dispose());
      } catch {
        // A thread that already died has nothing left to close.
      } finally {
        this.disposed = true;
        await this.worker.terminate();
      }
    })();
    return this.closed;
  }
}

/**
 * Starts a trainer thread for `model`, whose weights it trains in place (shared memory). Pass
 * the compile args the thread compiles its copy of the model with (they cannot be read back
 * from a compiled model, and functions cannot cross threads); without them only predict works.
 */
export function trainer(model: Model, compileArgs?: TrainerCompileArgs, options?: TrainerOptions): Promise<Trainer> {
  return Trainer.create(model, compileArgs, options);
}

/** A trainer's thread reads its data from shared memory: a dataset over its memory limit is refused by name. */
function tooLargeForTrainer(dataset: FileDataset): RangeError {
  return invalidArgument('dataset', `a dataset within its memoryLimit (${dataset.memoryLimitBytes} bytes) for a weft.trainer, which loads it into shared memory; raise it with dataset.memoryLimit(bytes), or stream it with model.fit`, 'a larger dataset');
}
