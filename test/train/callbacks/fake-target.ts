import type { Callback, Logs, TrainingTarget } from '../../../src/train/callbacks/callback.js';
import { floatRows } from '../../support/random-data.js';

/** A TrainingTarget with no model behind it: weights are whatever the test sets; save records each path with the weights then. */
export class FakeTarget implements TrainingTarget {
  stopTraining = false;
  learningRate: number;
  weights: Float32Array;
  readonly saves: { path: string; weights: number[] }[] = [];

  constructor(init: { learningRate?: number; weights?: number[] } = {}) {
    this.learningRate = init.learningRate ?? 0.01;
    this.weights = Float32Array.from(init.weights ?? [0, 0]);
  }

  getWeightValues(): Float32Array {
    return this.weights.slice();
  }

  setWeightValues(values: Float32Array): void {
    this.weights = values.slice();
  }

  async save(path: string): Promise<void> {
    await Promise.resolve();
    this.saves.push({ path, weights: Array.from(this.weights) });
  }
}

export interface Drive {
  /** Epochs that ran (their onEpochEnd was called). */
  epochs: number[];
  /** The learning rate at the end of each epoch that ran (after its onEpochEnd). */
  learningRates: number[];
  /** The logs each epoch end saw, after the callback changed them. */
  logs: Logs[];
}

/**
 * Drives a callback as fit's loop does: setModel, onTrainBegin, then for each epoch
 * onEpochBegin, the batches, onEpochEnd with that epoch's logs, stopping when the target's
 * stopTraining is set; then onTrainEnd. Before each epoch end the weights are set to
 * [epoch, epoch], so a restore shows which epoch's weights came back.
 */
export async function drive(
  callback: Callback & { setModel?(t: TrainingTarget): void },
  target: FakeTarget,
  epochLogs: readonly Logs[],
  batchLogs: readonly (readonly Logs[])[] = [],
  initialEpoch = 0,
): Promise<Drive> {
  const out: Drive = { epochs: [], learningRates: [], logs: [] };
  callback.setModel?.(target);
  target.stopTraining = false;
  await callback.onTrainBegin?.({});
  let last: Logs = {};
  for (let epoch = initialEpoch; epoch < initialEpoch + epochLogs.length && !target.stopTraining; epoch++) {
    await callback.onEpochBegin?.(epoch, {});
    const batches = batchLogs[epoch - initialEpoch] ?? [];
    for (let batch = 0; batch < batches.length; batch++) {
      await callback.onBatchBegin?.(batch, { batch, size: 4 });
      await callback.onBatchEnd?.(batch, { batch, size: 4, ...batches[batch] });
      if (target.stopTraining) break;
    }
    target.weights = Float32Array.from([epoch, epoch]);
    last = { ...epochLogs[epoch - initialEpoch] };
    await callback.onEpochEnd?.(epoch, last);
    out.epochs.push(epoch);
    out.learningRates.push(target.learningRate);
    out.logs.push(last);
  }
  await callback.onTrainEnd?.(last);
  return out;
}

/** Epoch logs with one key taking each of `values` in turn. */
export const series = (key: string, values: readonly number[]): Logs[] => values.map((v) => ({ loss: 1, [key]: v }));

/** 40 rows of 4 features in [-1, 1) and one-hot labels of 3 classes (how many of the first two features are positive): a fit's toy data. */
export function toyClasses(): { X: number[][]; Y: number[][] } {
  const X = floatRows(40, 4, 1);
  return { X, Y: X.map((r) => [0, 1, 2].map((c) => (c === (r[0] > 0 ? 1 : 0) + (r[1] > 0 ? 1 : 0) ? 1 : 0))) };
}
