import { afterEach, describe, expect, it, vi } from 'vitest';
import { learningRateScheduler } from '../../../src/train/callbacks/lr-scheduler.js';
import { drive, FakeTarget } from './fake-target.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const epochs = (n: number) => Array.from({ length: n }, () => ({ loss: 1 }));

describe('learningRateScheduler: Keras semantics', () => {
  it('sets schedule(epoch, lr) at each epoch begin and adds learning_rate to the epoch logs', async () => {
    const target = new FakeTarget({ learningRate: 0.01 });
    const seen: [number, number][] = [];
    const cb = learningRateScheduler((epoch, lr) => {
      seen.push([epoch, lr]);
      return epoch < 2 ? lr : lr * 0.5;
    });
    const run = await drive(cb, target, epochs(4));
    expect(seen).toEqual([[0, 0.01], [1, 0.01], [2, 0.01], [3, 0.005]]);
    expect(run.learningRates).toEqual([0.01, 0.01, 0.005, 0.0025]);
    expect(run.logs.map((l) => l.learning_rate)).toEqual([0.01, 0.01, 0.005, 0.0025]);
    expect(run.logs[0].loss).toBe(1);
  });

  it("Keras's docstring example: SGD at 0.01, exp(-0.1) decay after epoch 10, 15 epochs → 0.00607", async () => {
    const target = new FakeTarget({ learningRate: 0.01 });
    await drive(learningRateScheduler((epoch, lr) => (epoch < 10 ? lr : lr * Math.exp(-0.1))), target, epochs(15));
    expect(target.learningRate.toFixed(5)).toBe('0.00607');
  });

  it('accepts the old one-argument schedule(epoch); epochs count from initialEpoch', async () => {
    const target = new FakeTarget();
    const run = await drive(learningRateScheduler((epoch) => 1 / (epoch + 1)), target, epochs(2), [], 3);
    expect(run.learningRates).toEqual([1 / 4, 1 / 5]);
  });

  it('rejects a returned value that is not a finite number >= 0, naming the epoch', async () => {
    for (const [bad, type] of [[-0.1, RangeError], [NaN, RangeError], [Infinity, RangeError], ['0.1', TypeError], [undefined, TypeError]] as const) {
      const target = new FakeTarget({ learningRate: 0.01 });
      const cb = learningRateScheduler((epoch, lr) => (epoch === 2 ? (bad as number) : lr));
      const run = drive(cb, target, epochs(4));
      await expect(run).rejects.toThrow(type);
      await expect(drive(cb, new FakeTarget({ learningRate: 0.01 }), epochs(4))).rejects.toThrow(
        /argument `schedule\(2, 0.01\)`. Expected a finite number >= 0: the learning rate for epoch 2. Received: schedule\(2, 0.01\)=/,
      );
      expect(target.learningRate).toBe(0.01);
    }
  });

  it('verbose 1 prints the rate it sets', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await drive(learningRateScheduler(() => 0.5, { verbose: 1 }), new FakeTarget(), epochs(1));
    expect(log).toHaveBeenCalledWith('\nEpoch 1: LearningRateScheduler setting learning rate to 0.5.');
  });

  it('validates its arguments', () => {
    expect(() => learningRateScheduler(0.1 as never)).toThrow(TypeError);
    expect(() => learningRateScheduler(0.1 as never)).toThrow(/argument `schedule`. Expected a function \(epoch, learningRate\) => number. Received: schedule=0.1/);
    expect(() => learningRateScheduler(undefined as never)).toThrow(/schedule=undefined/);
    expect(() => learningRateScheduler(() => 1, { verbose: true as never })).toThrow(/verbose=true/);
    expect(() => learningRateScheduler(() => 1, { every: 2 } as never)).toThrow(/Unknown learningRateScheduler option: 'every'/);
  });
});
