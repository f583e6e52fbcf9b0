import * as tf from '@tensorflow/tfjs-core';
import { invalidType, ShapeError, StateError } from '../errors.js';
import { getLoss } from '../graph/losses.js';
import { getMetric } from '../graph/metrics.js';
import { GraphModel, type GraphModelConfig } from '../graph/model.js';
import { keyFromSeed, randomSeed } from '../parallel/random.js';
import { epochPermutation } from '../parallel/shuffle.js';
import type { Dataset, Engine } from './engine.js';
import { toInputColumns, toTargetColumn } from './data.js';
import { History, formatLogs } from './history.js';
import { initializeParams } from './initialize.js';
import { LocalEngine } from './local-engine.js';
import { getOptimizer, type Optimizer } from './optimizers.js';
import { checkBatchSize, checkVerbose, resolveFitArgs, type FitArgs } from './options.js';
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
}

/** A functional model that trains: Keras's compile / fit / evaluate / predict over the graph. */
export class Model extends GraphModel {
  private state: TrainingState | null = null;

  constructor(config: ModelConfig) {
    super(config);
    const seed = config.seed ?? randomSeed();
    initializeParams(this, seed);
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
    const engine: Engine = new LocalEngine(this, state, data, runKey, opts.batchSize);
    const history = new History();
    const order = opts.shuffle ? new Int32Array(data.rows) : null;
    try {
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
    } finally {
      await engine.dispose();
    }
    return history;
  }

  /** Loss (and metrics) in inference mode: a Scalar, or [loss, ...metrics] when compiled with metrics. */
  async evaluate(x: unknown, y: unknown, args: EvaluateArgs = {}): Promise<tf.Scalar | tf.Scalar[]> {
    const state = this.compiled('evaluate');
    const batchSize = args.batchSize === undefined ? 32 : checkBatchSize(args.batchSize);
    if (args.verbose !== undefined) checkVerbose(args.verbose);
    const data = this.toDataset(x, y, state);
    const engine = new LocalEngine(this, state, null, keyFromSeed(0), batchSize);
    const sums = await engine.evaluate(data, batchSize);
    const scalars = Array.from(sums, (s) => tf.scalar(s / data.rows));
    return scalars.length === 1 ? scalars[0] : scalars;
  }

  /** Inference-mode outputs as a Tensor (an array of Tensors for a multi-output model). */
  async predict(x: unknown, args: { batchSize?: number } = {}): Promise<tf.Tensor | tf.Tensor[]> {
    const batchSize = args.batchSize === undefined ? 32 : checkBatchSize(args.batchSize);
    const xs = toInputColumns(this, x);
    const rows = xs[0].rows;
    const runner = new LocalEngine(this, this.state ?? placeholderState(this), null, keyFromSeed(0), batchSize);
    const outs = await runner.predict(xs, rows, batchSize);
    const tensors = outs.map((o, i) => tf.tensor(o, [rows, ...(this.outputs[i].shape.slice(1) as number[])]));
    return tensors.length === 1 ? tensors[0] : tensors;
  }
}

/** predict needs no loss or optimizer; the engine only reads the model. */
function placeholderState(model: GraphModel): TrainingState {
  return new TrainingState(getOptimizer('sgd'), getLoss('meanSquaredError'), [], model.layout.size);
}
