import type { ResourceLimits } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, checkOptions, invalidArgument, StateError } from '../errors.js';
import { GraphModel, type GraphModelConfig } from '../graph/model.js';
import { ParallelEngine } from '../parallel/coordinator.js';
import { takeFault } from '../parallel/faults.js';
import { checkResourceLimits, WorkerPool } from '../parallel/pool.js';
import { SharedBufferCache, type SharedAllocator } from '../parallel/memory.js';
import { keyFromSeed, randomSeed } from '../parallel/random.js';
import { sharedFloat32 } from '../parallel/shared.js';
import type { Column } from '../parallel/batch.js';
import { exampleSize } from '../graph/shape.js';
import { acrossHosts, activeHostGroup, checkBatchesForHosts, joinRun, type HostGroup } from './hosts.js';
import { sliceDataset, type Dataset, type Evaluated, type InferenceEngine } from './engine.js';
import type { SymbolicTensor } from '../graph/symbolic.js';
import { classWeightsToSampleWeights, outputNames, toInputColumns, toSampleWeights, toTargetColumns } from './data.js';
import { scoringOf, specsOf, splitObjective, type LossArg, type ObjectiveArgs, type OutputArgs, type PerOutput } from './compile-args.js';
import type { Scoring } from '../parallel/step.js';
import type { Objective } from '../parallel/coordinator.js';
import { isModelAware, type Callback, type TrainingTarget } from './callbacks/callback.js';
import { isFileDataset, type FileDataset } from './files/dataset.js';
import { argsAfterDataset, loadWithTargets, planFileFit } from './files/file-data-args.js';
import { arraySteps, runEpochs, validateArrays } from './fit-loop.js';
import { autoPoolSize, candidateCounts, chooseWorkers, describeChoice, type AutoChoice } from './auto-workers.js';
import type { History, HistoryParams } from './history.js';
import { progressCallback } from './progress.js';
import { initializeParams } from './initialize.js';
import { LocalEngine } from './local-engine.js';
import { getOptimizer, optimizerFromSpec, type Optimizer } from './optimizers.js';
import { saveModel, type TrainingConfig, type TrainingSnapshot } from './save.js';
import { checkBatchSize, checkVerbose, checkWorkers, resolveFitArgs, resolveFitDatasetArgs, type FitArgs, type FitDatasetArgs, type ResolvedFitArgs } from './options.js';
import { convertBatch, evaluateStream, isBatchSource, openIterator, stagingFor, streamSteps, type BatchSource } from './stream.js';
import { logMeans, TrainingState } from './training-state.js';

export interface ModelConfig extends GraphModelConfig {
  /** Seeds the initial weights (weft's addition; Keras draws them from its global seed). */
  seed?: number;
  /**
   * Memory caps for each worker thread (Node's Worker resourceLimits, e.g.
   * {maxOldGenerationSizeMb: 512}): a worker over them dies and fit rejects with the cause,
   * leaving the weights of the last complete step, instead of the process running out.
   */
  resourceLimits?: ResourceLimits;
}

export interface CompileArgs extends ObjectiveArgs {
  optimizer: string | Optimizer;
  /**
   * A name, or a configured loss (`weft.losses.huber({delta: 0.5})`) or its spec: for every
   * output; or one per output, as an array (model.outputs order) or an object keyed by output name.
   */
  loss: LossArg | PerOutput<LossArg>;
}

export interface EvaluateDatasetArgs {
  /** How many batches to draw from the dataset (default: until it ends). */
  batches?: number;
  verbose?: 0 | 1 | 2;
  workers?: number;
}

/** predict's options. `verbose` is accepted as tfjs-layers takes it; predict prints nothing either way. */
export interface PredictArgs {
  batchSize?: number;
  verbose?: 0 | 1 | 2 | boolean;
  workers?: number;
}

export interface EvaluateArgs {
  batchSize?: number;
  /** Per-example weights, as fit's sampleWeight. */
  sampleWeight?: unknown;
  verbose?: 0 | 1 | 2;
  /** Spread over this many workers; by default the model's pool if it has one, else this thread. */
  workers?: number;
}

/** A functional model that trains: Keras's compile / fit / evaluate / predict over the graph. */
export class Model extends GraphModel {
  private state: TrainingState | null = null;
  private pool: WorkerPool | null = null;
  /** Shared buffers of finished calls, reused by the next (see parallel/memory.ts for why). */
  private readonly memory = new SharedBufferCache();
  /** Set by a callback to end fit after the current batch (Keras's stop_training). */
  stopTraining = false;

  private readonly resourceLimits: ResourceLimits | undefined;

  /** `emptyAllowed`: a Sequential model, whose graph its add() calls make. */
  constructor(config: ModelConfig, emptyAllowed = false) {
    super(checkOptions<ModelConfig>('config', config, ['inputs', 'outputs', 'name', 'seed', 'resourceLimits']), emptyAllowed);
    if (config.seed !== undefined) checkInteger('seed', config.seed, 0);
    this.resourceLimits = checkResourceLimits(config.resourceLimits);
    this.initSeed = config.seed ?? randomSeed();
    // The weights live in shared memory from the start: workers read this very buffer (copied:
    // layers from another model brought their values).
    this.adoptParams(sharedFloat32(this.layout.size));
    initializeParams(this, this.initSeed);
  }

  /**
   * A layout made from changed flags outside compile (save, a trainer) leaves the optimizer
   * state of the old one behind: the model must be compiled again before it trains here.
   */
  override relayout(): boolean {
    if (this.trainingBy !== null) throw new StateError(`the trainable flags cannot take effect while ${this.trainingBy} is training the model`);
    const moved = super.relayout();
    if (moved) this.state = null;
    return moved;
  }

  /** A relaid-out model's weights live in shared memory too. */
  protected override freshParams(size: number): Float32Array {
    return sharedFloat32(size);
  }

  /** The seed the initial weights were drawn from. */
  private readonly initSeed: number;

  /**
   * Gives the model a new graph (a Sequential's add): weights drawn afresh from the model's seed,
   * as if built in one go, then every layer that was already there gets its weights back.
   */
  protected override setGraph(inputs: SymbolicTensor | SymbolicTensor[], outputs: SymbolicTensor | SymbolicTensor[]): void {
    const kept = new Map(this.layout.entries.map((e) => [e.layer.params[e.index], this.params.slice(e.offset, e.offset + e.size)]));
    super.setGraph(inputs, outputs);
    if (this.initSeed === undefined) return; // the constructor's own call: it shares and initialises next
    if (this.state !== null) throw new StateError('Layers cannot be added after compile(): add every layer, then compile');
    this.adoptParams(sharedFloat32(this.layout.size), false);
    initializeParams(this, this.initSeed);
    for (const e of this.layout.entries) {
      const values = kept.get(e.layer.params[e.index]);
      if (values !== undefined) this.params.set(values, e.offset);
    }
  }

  /** The model's pool of `workers` threads, created on first use and kept across calls. */
  private async poolOf(workers: number): Promise<WorkerPool> {
    if (this.pool !== null && this.pool.size !== workers) await this.closePool();
    this.pool ??= new WorkerPool(workers, this.resourceLimits);
    return this.pool;
  }

  /**
   * Closes the worker pool and frees its recycled memory. The model stays usable: the next call
   * starts a new pool. A fit running meanwhile stops as an abort, rejecting with a StateError
   * (the weights are those of its last complete step), not with a worker's failure.
   */
  async dispose(): Promise<void> {
    this.runStop?.abort(new StateError('The model was disposed while it was training: fit stopped, and the weights are those of the last complete step'));
    await this.closePool();
  }

  private async closePool(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.memory.clear();
    await pool?.destroy();
  }

  /**
   * Runs one public call with shared memory leased from the model's cache; the buffers go back
   * when the call has settled, after its engine's dispose, when no task can touch them.
   */
  private async withMemory<T>(body: (memory: SharedAllocator) => Promise<T>): Promise<T> {
    const lease = this.memory.lease();
    try {
      return await body(lease);
    } finally {
      lease.end();
    }
  }

  /** A failed call closes the pool (its threads may be dead or mid-task) and rethrows. */
  private async withEngine<E extends InferenceEngine, T>(engine: E, body: (e: E) => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await body(engine);
    } catch (err) {
      // dispose() mid-call closed the pool under the running tasks: that is the reason, not
      // their failure.
      if (this.runStop?.signal.aborted) throw this.runStop.signal.reason;
      // An abort stops between steps and leaves every thread idle and sound: the pool is kept
      // for the next call, as after a normal fit. Anything else may have broken a thread.
      const aborted = signal?.aborted === true && err === signal.reason;
      if (engine instanceof ParallelEngine && !aborted) await this.closePool();
      throw err;
    } finally {
      await engine.dispose();
    }
  }

  /** Where the last fit stood after its last completed epoch (what a checkpoint records). */
  private position: { epoch: number; seed: number; workers?: number } | null = null;

  /**
   * Set by weft.loadModel for a checkpoint: pass these to fit (`{...model.resumeFrom, epochs}`)
   * to resume the run exactly, on the worker count it ran on.
   */
  resumeFrom: { initialEpoch: number; seed: number; workers?: number } | null = null;

  /**
   * As Keras: fixes the loss, metrics and optimizer, and which weights train — `layer.trainable`
   * and `model.trainable` as they are now (a change after compile takes effect at the next one).
   */
  compile(args: CompileArgs): void {
    checkOptions('args', args, ['optimizer', 'loss', 'lossWeights', 'metrics', 'weightedMetrics']);
    const optimizer = getOptimizer(args.optimizer);
    const outputs = splitObjective(this, args);
    const scoring = scoringOf(this, outputs);
    if (this.trainingBy !== null) throw new StateError(`compile() while ${this.trainingBy} is training the model: wait for it to finish`);
    this.relayout();
    const state = new TrainingState(optimizer, scoring[0].loss, scoring[0].metrics, this.layout);
    state.scoreOutputs(scoring, outputNames(this));
    this.state = state;
    this.autoWorkers.clear();
    this.trainingConfig = checkpointConfig(this, outputs, scoring);
  }

  private trainingConfig: Pick<TrainingConfig, 'loss' | 'metrics'> | null = null;

  /**
   * Saves in the TensorFlow.js layers format (model.json + weights.bin) to `file://dir` or a
   * path. With includeOptimizer, a checkpoint: the compile config, the optimizer state and the
   * run's position are saved too, atomically, and weft.loadModel restores them all.
   */
  async save(url: string, options: { includeOptimizer?: boolean } = {}): Promise<{ modelJsonPath: string; weightsPath: string }> {
    checkOptions('options', options, ['includeOptimizer']);
    // The trainable flags as they are now, as Keras saves them (a checkpoint, written during fit, keeps the run's).
    if (this.trainingBy === null && this.state === null) this.relayout();
    if (!options.includeOptimizer) return saveModel(this, url);
    const state = this.compiled('save');
    const config = this.trainingConfig as Pick<TrainingConfig, 'loss' | 'metrics'>;
    const { className, config: optimizerConfig } = state.spec();
    return saveModel(this, url, {
      config: { ...config, optimizer_config: { class_name: className, config: optimizerConfig } },
      slots: state.slots.map((s) => s.slice()),
      position: { epoch: this.position?.epoch ?? 0, seed: this.position?.seed ?? 0, iterations: state.iterations, ...(this.position?.workers === undefined ? {} : { workers: this.position.workers }) },
    });
  }

  /** Restores a checkpoint's optimizer state and position (weft.loadModel calls this). */
  restoreTraining(snapshot: TrainingSnapshot): void {
    const { config, slots, position } = snapshot;
    this.compile({
      optimizer: optimizerFromSpec({ className: config.optimizer_config.class_name, config: config.optimizer_config.config }),
      loss: config.loss, metrics: config.metrics,
      ...(config.loss_weights === undefined ? {} : { lossWeights: config.loss_weights }),
      ...(config.weighted_metrics === undefined ? {} : { weightedMetrics: config.weighted_metrics }),
    } as CompileArgs);
    const state = this.state as TrainingState;
    if (slots.length !== state.slots.length) throw invalidArgument('optimizer weights', `${state.slots.length} slots`, slots.length);
    slots.forEach((s, i) => state.slots[i].set(s));
    state.iterations = position.iterations;
    const workers = position.workers === undefined ? {} : { workers: position.workers };
    this.position = { epoch: position.epoch, seed: position.seed, ...workers };
    this.resumeFrom = { initialEpoch: position.epoch, seed: position.seed, ...workers };
  }

  private compiled(call: string): TrainingState {
    if (this.state === null) throw new StateError(`You must call compile() before ${call}(): the model has no loss or optimizer yet`);
    return this.state;
  }

  /**
   * Inputs, one target column per output and the sample weights (classWeight's, for a
   * one-output model), converted and checked. `names`: x, y and sampleWeight as the user knows them.
   */
  private toDataset(
    x: unknown, y: unknown, state: TrainingState, memory: SharedAllocator, names = ['x', 'y', 'sampleWeight'],
    weighting: { sampleWeight?: unknown; classWeight?: unknown } = {},
  ): Dataset {
    const xs = toInputColumns(this, x, names[0], memory);
    const rows = xs[0].rows;
    const ys = toTargetColumns(this, state.scoring.map((s) => s.loss), y, rows, names[1], names[0], memory);
    let weights: (Column | null)[] | undefined;
    if (weighting.classWeight != null) {
      if (this.outputs.length !== 1) throw invalidArgument('classWeight', 'a one-output model (`class_weight` is only supported for Models with a single output.)', weighting.classWeight);
      weights = [classWeightsToSampleWeights(weighting.classWeight, ys[0], memory)];
    } else if (weighting.sampleWeight != null) {
      weights = toSampleWeights(this, weighting.sampleWeight, rows, names[2], memory);
    }
    return { xs, y: ys[0], ys, ...(weights === undefined ? {} : { weights }), rows };
  }

  /** validationData, checked under its own name: [x, y] or [x, y, sampleWeight]. */
  private validationSet(v: readonly unknown[], state: TrainingState, memory: SharedAllocator): Dataset {
    return this.toDataset(v[0], v[1], state, memory, ['validationData[0]', 'validationData[1]', 'validationData[2]'], { sampleWeight: v[2] });
  }

  /** One training call at a time per model: its optimizer state and pool serve one run. */
  private async exclusive<T>(call: string, body: () => Promise<T>): Promise<T> {
    const release = this.claimTraining(`${call}()`);
    this.runStop = new AbortController();
    try {
      return await body();
    } finally {
      this.runStop = null;
      release();
    }
  }

  /** Aborted by dispose() during a training call: the call stops at once, as an abort. */
  private runStop: AbortController | null = null;

  /** The user's signal, joined with the one dispose() aborts. */
  private runSignal(user: AbortSignal | undefined): AbortSignal | undefined {
    const own = this.runStop?.signal;
    if (own === undefined) return user;
    return user === undefined ? own : AbortSignal.any([user, own]);
  }

  /** Which call is training this model's weights now (fit, fitDataset, a trainer's fit), if any. */
  private trainingBy: string | null = null;

  /**
   * @internal Claims the model's weights for one training run and returns the release. A
   * weft.trainer trains these very weights from its thread (shared memory), so its fit claims
   * them too: two runs at once would race on every weight.
   */
  claimTraining(call: string): () => void {
    if (this.trainingBy !== null) {
      throw new StateError(`${call} was called while ${this.trainingBy} is training this model: train a model with one call at a time (its weights and optimizer state serve one run)`);
    }
    this.trainingBy = call;
    return () => {
      this.trainingBy = null;
    };
  }

  /** Keras's fit(dataset): a weft.data dataset holds its own targets, so the options come second. */
  fit(dataset: FileDataset, args?: FitArgs): Promise<History>;
  fit(x: unknown, y: unknown, args?: FitArgs): Promise<History>;
  async fit(x: unknown, y?: unknown, args?: FitArgs): Promise<History> {
    if (isFileDataset(x)) {
      // Keras's fit(dataset, ...): loaded as arrays when it fits its memory limit, else streamed.
      const plan = await planFileFit(x, argsAfterDataset('fit', y, args));
      if (plan.stream !== undefined) return this.fitDataset(plan.stream.dataset, plan.stream.args as FitDatasetArgs);
      return this.fit(plan.arrays!.xs, plan.arrays!.ys, plan.arrays!.args);
    }
    return this.exclusive('fit', () => this.withMemory((memory) => this.fitArrays(x, y, memory, args)));
  }

  private async fitArrays(x: unknown, y: unknown, memory: SharedAllocator, args?: FitArgs): Promise<History> {
    const state = this.compiled('fit');
    const resolved = resolveFitArgs(args);
    const data = this.toDataset(x, y, state, memory, undefined, { sampleWeight: resolved.sampleWeight, classWeight: resolved.classWeight });
    const { train, validation } = this.splitValidation(data, resolved, state, memory);
    const hosts = await activeHostGroup();
    if (hosts !== null) checkBatchesForHosts(hosts, this, train.rows, resolved.batchSize);
    const given = await this.joinHosts(hosts, state, resolved, { rows: train.rows, validationRows: validation?.rows ?? 0 });
    const runKey = keyFromSeed(given.seed);
    const objective = objectiveOf(state);
    const fault = takeFault();
    const { engine, workers } = await this.trainingEngine(given, Math.min(given.batchSize, train.rows), (pool) => new ParallelEngine(pool, this, objective, {
      data: { ...train, y: train.y as Column }, runKey, optimizer: state, fault, hosts,
    }, memory));
    const opts = { ...given, workers };
    const callbacks = this.callbacksFor(opts, state, Math.ceil(train.rows / opts.batchSize));
    const validate = this.penalized(state, validateArrays(this.splitAcross(engine, hosts), validation, opts.batchSize));
    const shape = { steps: Math.ceil(train.rows / opts.batchSize), samples: train.rows, batchSize: opts.batchSize };
    const plan = { ...opts, signal: this.runSignal(opts.signal), callbacks, validate, logColumns: state.logColumns, params: historyParams(opts, shape, state.logKeys, validate !== null) };
    const steps = arraySteps(engine, train.rows, opts.batchSize, opts.shuffle, runKey);
    return this.withEngine(engine, () => runEpochs(steps, plan, this), plan.signal);
  }

  /**
   * Held-out sums with the weight regularizers' penalty at the current weights in the total
   * loss, as Keras 3 scores them (its test step adds the model's losses as its train step does;
   * tfjs-layers leaves them out). The activity regularizers' share the step already added.
   */
  private withPenalty(state: TrainingState, sums: Float64Array, rows: number): Float64Array {
    const penalty = state.regularizationLoss(this.params);
    if (penalty !== 0) sums[0] += penalty * rows;
    return sums;
  }

  /** A validation run whose total loss includes the weight penalty (withPenalty). */
  private penalized(state: TrainingState, validate: (() => Promise<Evaluated>) | null): (() => Promise<Evaluated>) | null {
    if (validate === null) return null;
    return async () => {
      const { sums, rows } = await validate();
      return { sums: this.withPenalty(state, sums, rows), rows };
    };
  }

  /**
   * tfjs-layers' fitDataset: trains on a stream of {xs, ys} batches (an async iterable, a
   * generator, a tf.data Dataset) through the same shared-memory step as fit, holding one
   * batch at a time.
   */
  async fitDataset(dataset: BatchSource, args?: FitDatasetArgs): Promise<History> {
    return this.exclusive('fitDataset', () => this.withMemory((memory) => this.fitStream(dataset, memory, args)));
  }

  private async fitStream(dataset: BatchSource, memory: SharedAllocator, args?: FitDatasetArgs): Promise<History> {
    const state = this.compiled('fitDataset');
    const given = resolveFitDatasetArgs(args);
    const iterator = await openIterator(dataset);
    const head = await iterator.next();
    if (head.done) throw invalidArgument('dataset', 'at least one {xs, ys} batch', 'an empty dataset');
    const losses = state.scoring.map((s) => s.loss);
    const convert = (batch: unknown, index: number) => convertBatch(this, losses, batch, index, 'dataset', given.classWeight);
    const first = convert(head.value, 0);
    const staging = stagingFor(first, first.rows, memory);
    const v = given.validationData;
    const validation = v === null || isBatchSource(v) ? null : this.validationSet(v, state, memory);
    const objective = objectiveOf(state);
    const fault = takeFault();
    const hosts = await activeHostGroup();
    const joined = await this.joinHosts(hosts, state, given, { firstBatchRows: first.rows, validationRows: validation?.rows ?? 0 });
    const { engine, workers } = await this.trainingEngine(joined, first.rows, (pool) => new ParallelEngine(pool, this, objective, {
      data: { ...staging, y: staging.y as Column }, runKey: keyFromSeed(joined.seed), optimizer: state, fault, hosts,
    }, memory));
    const opts = { ...joined, workers };
    const callbacks = this.callbacksFor(opts, state, opts.batchesPerEpoch);
    const scoring = this.splitAcross(engine, hosts);
    const validate = this.penalized(state, v !== null && isBatchSource(v)
      ? () => evaluateStream(scoring, v, (b, i) => convertBatch(this, losses, b, i, 'validationData'), opts.validationBatches)
      : validateArrays(scoring, validation, opts.batchSize));
    const shape = { steps: opts.batchesPerEpoch ?? null, samples: null, batchSize: null };
    const plan = { ...opts, signal: this.runSignal(opts.signal), callbacks, validate, logColumns: state.logColumns, params: historyParams(opts, shape, state.logKeys, validate !== null) };
    const steps = streamSteps(engine, staging, first, dataset, iterator, convert, opts.batchesPerEpoch, memory);
    return this.withEngine(engine, () => runEpochs(steps, plan, this), plan.signal);
  }

  /**
   * Across hosts: checks that every rank trains this same run and takes rank 0's weights,
   * optimizer state and seed (hosts.ts's joinRun); alone, the options as they are.
   */
  private async joinHosts<T extends Pick<ResolvedFitArgs, 'seed' | 'verbose' | 'callbacks'>>(hosts: HostGroup | null, state: TrainingState, given: T,
    data: Record<string, number>): Promise<T> {
    if (hosts === null) return given;
    // The options every rank must share; the data itself is described by its row counts.
    // workers: each host's own pool (its sums differ in order only, as 'auto' may choose per host).
    const local = ['callbacks', 'signal', 'verbose', 'seed', 'validationData', 'sampleWeight', 'workers'];
    const options = Object.fromEntries(Object.entries(given).filter(([k]) => !local.includes(k)));
    const description = {
      model: this.toJSON(), optimizer: state.spec(), iterations: state.iterations, objective: objectiveOf(state), options, ...data,
    };
    return joinRun(hosts, description, this.params, state, given);
  }

  /** Inference split across the hosts (hosts.ts's acrossHosts), or the engine itself alone. */
  private splitAcross(engine: InferenceEngine, hosts: HostGroup | null): InferenceEngine {
    return acrossHosts(engine, hosts, this.outputs.map((o) => exampleSize(o.shape)));
  }

  /** `workers: 'auto'` choices by batch size, for the compile they were made under (compile() clears them). */
  private readonly autoWorkers = new Map<number, AutoChoice>();

  /**
   * A fit's engine and the worker count it runs on: the count given, or for 'auto' the fastest
   * in trial steps of `rows` rows (auto-workers.ts), measured once per batch size and compile on
   * a pool of every core and printed at verbose >= 1. The engine runs on a pool of exactly that
   * many threads (a larger pool with idle threads measured slower: tasks wander between them).
   */
  private async trainingEngine(
    opts: { workers: number | 'auto'; verbose: number }, rows: number, make: (pool: WorkerPool) => ParallelEngine,
  ): Promise<{ engine: ParallelEngine; workers: number }> {
    const known = opts.workers === 'auto' ? this.autoWorkers.get(rows)?.workers : opts.workers;
    if (known !== undefined) return { engine: make(await this.poolOf(known)), workers: known };
    const probe = make(await this.poolOf(autoPoolSize()));
    let choice: AutoChoice;
    try {
      choice = await chooseWorkers(candidateCounts(probe.workers, rows), (k) => probe.trialStep(k, 0, rows));
    } catch (err) {
      // A worker failed in a trial: as a failed fit, the pool goes (its threads may be broken).
      await probe.dispose();
      await this.closePool();
      throw err;
    }
    this.autoWorkers.set(rows, choice);
    if (opts.verbose > 0) console.log(describeChoice(choice));
    if (choice.workers === probe.workers) return { engine: probe, workers: choice.workers };
    await probe.dispose();
    return { engine: make(await this.poolOf(choice.workers)), workers: choice.workers };
  }

  /** The user's callbacks bound to this model, then the progress display for `verbose`. */
  private callbacksFor(opts: Pick<ResolvedFitArgs, 'seed' | 'callbacks' | 'verbose' | 'epochs'> & { workers: number }, state: TrainingState, steps: number | undefined): Callback[] {
    // First, so a checkpoint saved by a later callback at the same epoch end records it.
    const track: Callback = { onEpochEnd: (epoch) => { this.position = { epoch: epoch + 1, seed: opts.seed, workers: opts.workers }; } };
    const callbacks = [track, ...opts.callbacks];
    for (const c of callbacks) if (isModelAware(c)) c.setModel(this.trainingTarget(state, opts.workers));
    if (opts.verbose > 0) callbacks.push(progressCallback({ epochs: opts.epochs, steps, verbose: opts.verbose as 1 | 2 }));
    return callbacks;
  }

  /** Keras's validation_split takes the last rows, before any shuffling; validationData wins. */
  private splitValidation(data: Dataset, opts: ResolvedFitArgs, state: TrainingState, memory: SharedAllocator): { train: Dataset; validation: Dataset | null } {
    if (opts.validationData !== null) return { train: data, validation: this.validationSet(opts.validationData, state, memory) };
    if (opts.validationSplit === 0) return { train: data, validation: null };
    const at = Math.floor(data.rows * (1 - opts.validationSplit));
    if (at === 0 || at === data.rows) {
      throw invalidArgument('validationSplit', `a fraction that leaves examples on both sides of ${data.rows} rows`, opts.validationSplit);
    }
    return { train: sliceDataset(data, 0, at), validation: sliceDataset(data, at, data.rows) };
  }

  /** What built-in callbacks may touch: the stop flag, the weights and the learning rate. */
  private trainingTarget(state: TrainingState, workers: number): TrainingTarget {
    const model = this;
    return {
      workers,
      namedWeights: () => model.namedWeightValues(),
      get stopTraining() { return model.stopTraining; },
      set stopTraining(v: boolean) { model.stopTraining = v; },
      getWeightValues: () => model.params.slice(),
      setWeightValues: (values) => model.params.set(values),
      get learningRate() { return state.optimizer.learningRate; },
      set learningRate(v: number) { state.optimizer.learningRate = v; },
      save: (path: string) => model.save(path, { includeOptimizer: true }),
    };
  }

  /** The pool when asked for or already running (after fit), else this thread: no threads spawned to predict one row. */
  private async inferenceEngine(state: TrainingState | null, workers: number | undefined, memory: SharedAllocator): Promise<InferenceEngine> {
    const hosts = await activeHostGroup();
    if (workers === undefined && this.pool === null) return this.splitAcross(new LocalEngine(this, state), hosts);
    const pool = await this.poolOf(workers === undefined ? (this.pool as WorkerPool).size : checkWorkers(workers));
    return this.splitAcross(new ParallelEngine(pool, this, state === null ? null : objectiveOf(state), null, memory), hosts);
  }

  /**
   * Loss (and metrics) in inference mode: a Scalar, or in Keras's order [total loss, each
   * output's loss (several outputs), metrics, weighted metrics] (the History's keys, in order).
   */
  evaluate(dataset: FileDataset, args?: EvaluateArgs): Promise<tf.Scalar | tf.Scalar[]>;
  evaluate(x: unknown, y: unknown, args?: EvaluateArgs): Promise<tf.Scalar | tf.Scalar[]>;
  async evaluate(x: unknown, y?: unknown, args: EvaluateArgs = {}): Promise<tf.Scalar | tf.Scalar[]> {
    if (isFileDataset(x)) {
      const a = argsAfterDataset<EvaluateArgs>('evaluate', y, args);
      // Over its memory limit, a dataset is scored batch by batch, as it trained.
      if (!(await x.fitsInMemory())) return this.evaluateDataset(x.batch(a.batchSize ?? 32), { ...(a.verbose === undefined ? {} : { verbose: a.verbose }), ...(a.workers === undefined ? {} : { workers: a.workers }) });
      const { xs, ys } = await loadWithTargets('evaluate', x);
      return this.evaluate(xs, ys, a);
    }
    checkOptions('args', args, ['batchSize', 'verbose', 'workers', 'sampleWeight']);
    const state = this.compiled('evaluate');
    const batchSize = args.batchSize === undefined ? 32 : checkBatchSize(args.batchSize);
    if (args.verbose !== undefined) checkVerbose(args.verbose);
    const { sums, rows } = await this.withMemory(async (memory) => {
      const data = this.toDataset(x, y, state, memory, undefined, { sampleWeight: args.sampleWeight });
      const engine = await this.inferenceEngine(state, args.workers, memory);
      return { sums: await this.withEngine(engine, (e) => e.evaluate(data, batchSize)), rows: data.rows };
    });
    return meanScalars(state, this.withPenalty(state, sums, rows), rows);
  }

  /**
   * tfjs-layers' evaluateDataset: loss (and metrics) in inference mode over a dataset of {xs, ys}
   * batches, one batch held at a time; `batches` limits how many are drawn (default: all).
   */
  async evaluateDataset(dataset: BatchSource, args: EvaluateDatasetArgs = {}): Promise<tf.Scalar | tf.Scalar[]> {
    checkOptions('args', args, ['batches', 'verbose', 'workers']);
    const state = this.compiled('evaluateDataset');
    const batches = args.batches === undefined ? undefined : checkInteger('batches', args.batches, 1);
    if (args.verbose !== undefined) checkVerbose(args.verbose);
    const { sums, rows } = await this.withMemory(async (memory) => {
      const engine = await this.inferenceEngine(state, args.workers, memory);
      return this.withEngine(engine, (e) => evaluateStream(e, dataset, (b, i) => convertBatch(this, state.scoring.map((s) => s.loss), b, i), batches));
    });
    return meanScalars(state, this.withPenalty(state, sums, rows), rows);
  }

  /** Inference-mode outputs as a Tensor (an array of Tensors for a multi-output model). */
  async predict(x: unknown, args: PredictArgs = {}): Promise<tf.Tensor | tf.Tensor[]> {
    if (isFileDataset(x)) return this.predict((await x.load()).xs, args);
    checkOptions('args', args, ['batchSize', 'verbose', 'workers']);
    if (args.verbose !== undefined && typeof args.verbose !== 'boolean') checkVerbose(args.verbose);
    const batchSize = args.batchSize === undefined ? 32 : checkBatchSize(args.batchSize);
    const { outs, rows } = await this.withMemory(async (memory) => {
      const xs = toInputColumns(this, x, 'x', memory);
      const engine = await this.inferenceEngine(null, args.workers, memory);
      return { outs: await this.withEngine(engine, (e) => e.predict(xs, xs[0].rows, batchSize)), rows: xs[0].rows };
    });
    const tensors = outs.map((o, i) => tf.tensor(o, [rows, ...(this.outputs[i].shape.slice(1) as number[])]));
    return tensors.length === 1 ? tensors[0] : tensors;
  }
}

/** History.params for a fit with these options. */
function historyParams(
  opts: Pick<ResolvedFitArgs, 'epochs' | 'initialEpoch' | 'verbose'> & { workers: number },
  shape: Pick<HistoryParams, 'steps' | 'samples' | 'batchSize'>, logKeys: readonly string[], doValidation: boolean,
): HistoryParams {
  const metrics = doValidation ? [...logKeys, ...logKeys.map((k) => `val_${k}`)] : [...logKeys];
  return { epochs: opts.epochs, initialEpoch: opts.initialEpoch, ...shape, workers: opts.workers, verbose: opts.verbose, doValidation, metrics };
}

/** What the workers score: each output's loss and metrics as JSON-safe specs (a configured loss keeps its options). */
function objectiveOf(state: TrainingState): Objective {
  return {
    outputs: state.scoring.map((s) => ({
      loss: s.loss.spec, weight: s.weight, metrics: s.metrics.map((m) => m.spec), weightedMetrics: s.weightedMetrics.map((m) => m.spec),
    })),
  };
}

/** A stats row over `rows` examples as the logged means: a Scalar, or one per log key. */
function meanScalars(state: TrainingState, sums: Float64Array, rows: number): tf.Scalar | tf.Scalar[] {
  const scalars = logMeans(state.logColumns, sums, rows).map((v) => tf.scalar(v));
  return scalars.length === 1 ? scalars[0] : scalars;
}

/**
 * What a checkpoint records of compile: names as given, configured losses and metrics as their
 * specs; for several outputs, Keras's per-output forms (loss and metrics keyed by output name)
 * and loss_weights / weighted_metrics where they were given.
 */
function checkpointConfig(model: GraphModel, outputs: readonly OutputArgs[], scoring: readonly Scoring[]): Pick<TrainingConfig, 'loss' | 'metrics'> {
  const specs = specsOf(outputs, scoring);
  const names = outputNames(model);
  const weighted = specs.weightedMetrics.some((m) => m.length > 0);
  const weightsSet = specs.lossWeights.some((w) => w !== 1);
  if (names.length === 1) {
    return { loss: specs.loss[0], metrics: specs.metrics[0], ...(weighted ? { weighted_metrics: specs.weightedMetrics[0] } : {}), ...(weightsSet ? { loss_weights: specs.lossWeights } : {}) } as Pick<TrainingConfig, 'loss' | 'metrics'>;
  }
  const byName = <T>(values: readonly T[]) => Object.fromEntries(names.map((n, i) => [n, values[i]]));
  return {
    loss: byName(specs.loss), metrics: byName(specs.metrics),
    ...(weighted ? { weighted_metrics: byName(specs.weightedMetrics) } : {}), ...(weightsSet ? { loss_weights: byName(specs.lossWeights) } : {}),
  } as unknown as Pick<TrainingConfig, 'loss' | 'metrics'>;
}

