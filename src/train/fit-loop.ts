import { NonFiniteLossError } from '../parallel/coordinator.js';
import type { Key } from '../parallel/random.js';
import { epochPermutation } from '../parallel/shuffle.js';
import { dispatch, type Callback, type Logs } from './callbacks/callback.js';
import type { Dataset, Engine, Evaluated, InferenceEngine } from './engine.js';
import { History, type HistoryParams } from './history.js';
import { logMeans, type LogColumn } from './training-state.js';

/** One step the loop is about to run: its size, and the call that runs it. */
export interface PendingStep {
  readonly size: number;
  run(): Promise<Float64Array>;
}

/** The steps of one epoch, in order: from arrays (arraySteps) or from a stream (fitDataset). */
export type EpochSteps = (epoch: number) => AsyncIterable<PendingStep>;

/** fit's validation: the held-out arrays, evaluated in inference mode after each epoch. */
export function validateArrays(engine: Pick<InferenceEngine, 'evaluate'>, data: Dataset | null, batchSize: number): FitPlan['validate'] {
  if (data === null) return null;
  return async () => ({ sums: await engine.evaluate(data, batchSize), rows: data.rows });
}

/** Batches of `batchSize` rows of in-memory data, in a seeded per-epoch shuffle or in place. */
export function arraySteps(engine: Engine, rows: number, batchSize: number, shuffle: boolean, runKey: Key): EpochSteps {
  const order = shuffle ? new Int32Array(rows) : null;
  return async function* (epoch) {
    if (order !== null) epochPermutation(runKey, epoch, order);
    for (let start = 0; start < rows; start += batchSize) {
      const end = Math.min(rows, start + batchSize);
      yield { size: end - start, run: () => engine.trainBatch(epoch, order, start, end) };
    }
  };
}

/** Everything fit decided before the first step. */
export interface FitPlan {
  readonly epochs: number;
  readonly initialEpoch: number;
  readonly callbacks: readonly Callback[];
  readonly signal: AbortSignal | undefined;
  /** Inference-mode stats sums over the validation data and its row count; null: none. */
  readonly validate: (() => Promise<Evaluated>) | null;
  /** The stats row's columns as the logs read them, in the order the engine returns their sums. */
  readonly logColumns: readonly LogColumn[];
  /** What the History reports of the run. */
  readonly params: HistoryParams;
}

/** The model's stop flag, which a callback may set (Keras's model.stop_training). */
export interface Stoppable {
  stopTraining: boolean;
}

function toLogs(columns: readonly LogColumn[], sums: Float64Array, count: number, prefix = ''): Logs {
  const means = logMeans(columns, sums, count);
  return Object.fromEntries(columns.flatMap((c) => (c.key === null ? [] : [c.key])).map((k, i) => [prefix + k, means[i]]));
}

/** Rejects with the signal's reason: called only between steps, so the weights are whole. */
function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('fit was aborted', 'AbortError');
}

/**
 * The epoch/batch loop of fit: the engine computes; this decides the order of examples, calls
 * the callbacks with Keras's logs (batch logs are running means over the epoch so far), runs
 * validation after each epoch and stops on request.
 */
const NAN_ADVICE = 'the update was not applied, so the weights are those of the last finite step. Lower the learning rate, ' +
  'check the data and the weights for NaN or Infinity, or add terminateOnNaN() to the callbacks to stop without an error';

/** Runs a step; a non-finite loss comes back as data (its update was not applied) for the callbacks to see. */
async function runStep(step: PendingStep): Promise<{ stats: Float64Array; refused: NonFiniteLossError | null }> {
  try {
    return { stats: await step.run(), refused: null };
  } catch (err) {
    if (err instanceof NonFiniteLossError) return { stats: err.stats, refused: err };
    throw err;
  }
}

export async function runEpochs(steps: EpochSteps, plan: FitPlan, model: Stoppable): Promise<History> {
  const history = new History(plan.params);
  const { callbacks, logColumns: columns } = plan;
  let last: Logs = {};
  model.stopTraining = false;
  await dispatch(callbacks, 'onTrainBegin', {});
  for (let epoch = plan.initialEpoch; epoch < plan.epochs && !model.stopTraining; epoch++) {
    checkAbort(plan.signal);
    await dispatch(callbacks, 'onEpochBegin', epoch, {});
    const sums = new Float64Array(columns.length);
    let seen = 0;
    let batch = 0;
    for await (const step of steps(epoch)) {
      checkAbort(plan.signal);
      await dispatch(callbacks, 'onBatchBegin', batch, { batch, size: step.size });
      const { stats, refused } = await runStep(step);
      stats.forEach((v, i) => (sums[i] += v));
      seen += step.size;
      await dispatch(callbacks, 'onBatchEnd', batch, { batch, size: step.size, ...toLogs(columns, sums, seen) });
      batch += 1;
      if (refused !== null && !model.stopTraining) {
        history.record(epoch, toLogs(columns, sums, seen));
        const error = new NonFiniteLossError(stats, batch - 1, epoch, NAN_ADVICE, refused.source, refused.loss);
        error.history = history;
        throw error;
      }
      if (model.stopTraining) break;
    }
    if (seen === 0) break; // a stream that ran dry: nothing more to train on
    last = toLogs(columns, sums, seen);
    if (plan.validate !== null) {
      const v = await plan.validate();
      Object.assign(last, toLogs(columns, v.sums, v.rows, 'val_'));
    }
    // After the callbacks, as Keras's History runs last: what they add (learning_rate) is kept.
    await dispatch(callbacks, 'onEpochEnd', epoch, last);
    history.record(epoch, last);
  }
  await dispatch(callbacks, 'onTrainEnd', last);
  return history;
}
