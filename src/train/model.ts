import * as tf from '@tensorflow/tfjs-core';
import { invalidType, ShapeError, StateError } from '../errors.js';
import { getLoss } from '../graph/losses.js';
import { getMetric } from '../graph/metrics.js';
import { GraphModel, type GraphModelConfig } from '../graph/model.js';
import { ParallelEngine } from '../parallel/coordinator.js';
import { takeFault } from '../parallel/faults.js';
import { WorkerPool } from '../parallel/pool.js';
import { keyFromSeed, randomSeed } from '../parallel/random.js';
import { sharedFloat32 } from '../parallel/shared.js';
import { epochPermutation } from '../parallel/shuffle.js';
import type { Column } from '../parallel/batch.js';
import type { Dataset, Engine } from './engine.js';
import { toInputColumns, toTargetColumn } from './data.js';
import { History, formatLogs } from './history.js';
import { initializeParams } from './initialize.js';
import { LocalEngine } from './local-engine.js';
import { getOptimizer, type Optimizer } from './optimizers.js';
import { checkBatchSize, checkVerbose, checkWorkers, resolveFitArgs, type FitArgs } from './options.js';
import { TrainingState } from './training-state.js';

export interface ModelConfig extends GraphModelConfig {
  /** Seeds the initial weights (weft's addition; Keras draws them from its global seed). */
  seed?: number;
}

export interface CompileArgs {
  optimizer: string | Optimizer;
  loss: string;
  metrics?: string | string[];
}

export interface EvaluateArgs {
  batchSize?: number;
  verbose?: 0 | 1 | 2;
  /** Spread over this many workers; by default the model's pool if it has one, else this thread. */
  workers?: number;
}

/** A functional model that trains: Keras's compile / fit / evaluate / predict over the graph. */
export class Model extends GraphModel {
  private state: TrainingState | null = null;
  private pool: WorkerPool | null = null;

  constructor(config: ModelConfig) {
    super(config);
    // The weights live in shared memory from the start: workers read this very buffer.
    this.adoptParams(sharedFloat32(this.layout.size), false);
    initializeParams(this, config.seed ?? randomSeed());
  }

  /** The model's pool of `workers` threads, created on first use and kept across calls. */
  private async poolOf(workers: number): Promise<WorkerPool> {
    if (this.pool !== null && this.pool.size !== workers) await this.dispose();
    this.pool ??= new WorkerPool(workers);
    return this.pool;
  }

  /** Closes the worker pool. The model stays usable: the next call starts a new pool. */
  async dispose(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.destroy();
  }

  /** A failed call closes the pool (its threads may be dead or mid-task) and rethrows. */
  private async withEngine<T>(engine: Engine, body: (e: Engine) => Promise<T>): Promise<T> {
    try {
      return await body(engine);
    } catch (err) {
      if (engine instanceof ParallelEngine) await this.dispose();
      throw err;
    } finally {
      await engine.dispose();
    }
  }

  compile(args: CompileArgs): void {
    if (args === null || typeof args !== 'object') throw invalidType('args', '{optimizer, loss, metrics?}', args);
    const optimizer = getOptimizer(args.optimizer);
    const loss = getLoss(args.loss);
    if (this.outputs.length !== 1) throw new ShapeError(`weft trains models with one output; this model has ${this.outputs.length}`);
    const out = this.outputs[0];
    if (out.shape.length !== 2) throw new ShapeError(`weft trains models whose output has shape (batch, units); received ${JSON.stringify(out.shape)}`);
    const metricNames = args.metrics === undefined ? [] : Array.isArray(args.metrics) ? args.metrics : [args.metrics];
    const metrics = metricNames.map((m) => getMetric(m, loss, out.shape[1] as number));
    this.state = new TrainingState(optimizer, loss, metrics, this.layout.size);
  }

  private compiled(call: string): TrainingState {
    if (this.state === null) throw new StateError(`You must call compile() before ${call}(): the model has no loss or optimizer yet`);
    return this.state;
  }

  private toDataset(x: unknown, y: unknown, state: TrainingState): Dataset {
    const xs = toInputColumns(this, x);
    const rows = xs[0].rows;
    return { xs, y: toTargetColumn(this, state.loss, y, rows), rows };
  }

  async fit(x: unknown, y: unknown, args?: FitArgs): Promise<History> {
    const state = this.compiled('fit');
    const opts = resolveFitArgs(args);
    const data = this.toDataset(x, y, state);
    const runKey = keyFromSeed(opts.seed);
    const engine = new ParallelEngine(await this.poolOf(opts.workers), this, { loss: state.loss.name, metrics: state.metrics.map((m) => m.key) }, {
      data: { xs: data.xs, y: data.y as Column, rows: data.rows },
      runKey,
      optimizer: state,
      fault: takeFault(),
    });
    const history = new History();
    const order = opts.shuffle ? new Int32Array(data.rows) : null;
    await this.withEngine(engine, async () => {
      for (let epoch = 0; epoch < opts.epochs; epoch++) {
        const began = performance.now();
        if (order !== null) epochPermutation(runKey, epoch, order);
        const sums = new Float64Array(state.logKeys.length);
        for (let start = 0; start < data.rows; start += opts.batchSize) {
          const stats = await engine.trainBatch(epoch, order, start, Math.min(data.rows, start + opts.batchSize));
          stats.forEach((v, i) => (sums[i] += v));
        }
        const logs = Object.fromEntries(state.logKeys.map((k, i) => [k, sums[i] / data.rows]));
        history.record(epoch, logs);
        if (opts.verbose > 0) {
          const secs = ((performance.now() - began) / 1000).toFixed(2);
          console.log(`Epoch ${epoch + 1}/${opts.epochs} - ${secs}s - ${formatLogs(logs)}`);
        }
      }
    });
    return history;
  }

  /** The pool when asked for or already running (after fit), else this thread: no threads spawned to predict one row. */
  private async inferenceEngine(state: TrainingState, batchSize: number, workers: number | undefined): Promise<Engine> {
    if (workers === undefined && this.pool === null) return new LocalEngine(this, state, null, keyFromSeed(0), batchSize);
    const pool = await this.poolOf(workers === undefined ? (this.pool as WorkerPool).size : checkWorkers(workers));
    return new ParallelEngine(pool, this, { loss: state.loss.name, metrics: state.metrics.map((m) => m.key) }, null);
  }

  /** Loss (and metrics) in inference mode: a Scalar, or [loss, ...metrics] when compiled with metrics. */
  async evaluate(x: unknown, y: unknown, args: EvaluateArgs = {}): Promise<tf.Scalar | tf.Scalar[]> {
    const state = this.compiled('evaluate');
    const batchSize = args.batchSize === undefined ? 32 : checkBatchSize(args.batchSize);
    if (args.verbose !== undefined) checkVerbose(args.verbose);
    const data = this.toDataset(x, y, state);
    const engine = await this.inferenceEngine(state, batchSize, args.workers);
    const sums = await this.withEngine(engine, (e) => e.evaluate(data, batchSize));
    const scalars = Array.from(sums, (s) => tf.scalar(s / data.rows));
    return scalars.length === 1 ? scalars[0] : scalars;
  }

  /** Inference-mode outputs as a Tensor (an array of Tensors for a multi-output model). */
  async predict(x: unknown, args: { batchSize?: number; workers?: number } = {}): Promise<tf.Tensor | tf.Tensor[]> {
    const batchSize = args.batchSize === undefined ? 32 : checkBatchSize(args.batchSize);
    const xs = toInputColumns(this, x);
    const rows = xs[0].rows;
    const engine = await this.inferenceEngine(this.state ?? placeholderState(this), batchSize, args.workers);
    const outs = await this.withEngine(engine, (e) => e.predict(xs, rows, batchSize));
    const tensors = outs.map((o, i) => tf.tensor(o, [rows, ...(this.outputs[i].shape.slice(1) as number[])]));
    return tensors.length === 1 ? tensors[0] : tensors;
  }
}

/** predict needs no loss or optimizer; the engine only reads the model. */
function placeholderState(model: GraphModel): TrainingState {
  return new TrainingState(getOptimizer('sgd'), getLoss('meanSquaredError'), [], model.layout.size);
}
