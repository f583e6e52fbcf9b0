import type { Key } from '../parallel/random.js';
import { epochPermutation } from '../parallel/shuffle.js';
import { dispatch, type Callback, type Logs } from './callbacks/callback.js';
import type { Dataset, Engine } from './engine.js';
import { History } from './history.js';

/** Everything fit decided before the first step. */
export interface FitPlan {
  readonly epochs: number;
  readonly initialEpoch: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly runKey: Key;
  readonly callbacks: readonly Callback[];
  readonly signal: AbortSignal | undefined;
  readonly validation: Dataset | null;
  /** 'loss', then the metric keys, in the order the engine returns their sums. */
  readonly logKeys: readonly string[];
}

/** The model's stop flag, which a callback may set (Keras's model.stop_training). */
export interface Stoppable {
  stopTraining: boolean;
}

function toLogs(keys: readonly string[], sums: Float64Array, count: number, prefix = ''): Logs {
  return Object.fromEntries(keys.map((k, i) => [prefix + k, sums[i] / count]));
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
export async function runEpochs(engine: Engine, data: Dataset, plan: FitPlan, model: Stoppable): Promise<History> {
  const history = new History();
  const { callbacks, batchSize, logKeys } = plan;
  const order = plan.shuffle ? new Int32Array(data.rows) : null;
  let last: Logs = {};
  model.stopTraining = false;
  await dispatch(callbacks, 'onTrainBegin', {});
  for (let epoch = plan.initialEpoch; epoch < plan.epochs && !model.stopTraining; epoch++) {
    checkAbort(plan.signal);
    await dispatch(callbacks, 'onEpochBegin', epoch, {});
    if (order !== null) epochPermutation(plan.runKey, epoch, order);
    const sums = new Float64Array(logKeys.length);
    let seen = 0;
    for (let start = 0, batch = 0; start < data.rows; start += batchSize, batch++) {
      checkAbort(plan.signal);
      const end = Math.min(data.rows, start + batchSize);
      await dispatch(callbacks, 'onBatchBegin', batch, { batch, size: end - start });
      const stats = await engine.trainBatch(epoch, order, start, end);
      stats.forEach((v, i) => (sums[i] += v));
      seen += end - start;
      await dispatch(callbacks, 'onBatchEnd', batch, { batch, size: end - start, ...toLogs(logKeys, sums, seen) });
      if (model.stopTraining) break;
    }
    last = toLogs(logKeys, sums, seen);
    if (plan.validation !== null) {
      const v = await engine.evaluate(plan.validation, batchSize);
      Object.assign(last, toLogs(logKeys, v, plan.validation.rows, 'val_'));
    }
    history.record(epoch, last);
    await dispatch(callbacks, 'onEpochEnd', epoch, last);
  }
  await dispatch(callbacks, 'onTrainEnd', last);
  return history;
}
