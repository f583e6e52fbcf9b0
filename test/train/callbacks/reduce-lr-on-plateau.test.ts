import { afterEach, describe, expect, it, vi } from 'vitest';
import { reduceLROnPlateau } from '../../../src/train/callbacks/reduce-lr-on-plateau.js';
import { drive, FakeTarget, series } from './fake-target.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const flat = (n: number, v = 1) => series('val_loss', Array.from({ length: n }, () => v));

describe('reduceLROnPlateau: Keras 3 semantics on synthetic logs', () => {
  it('multiplies the rate by factor after patience epochs without improvement, then counts again', async () => {
    const target = new FakeTarget({ learningRate: 1 });
    const run = await drive(reduceLROnPlateau({ patience: 2, factor: 0.5 }), target, flat(7));
    expect(run.learningRates).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]);
  });

  it('cooldown: after a reduction, waits that many epochs before counting', async () => {
    const target = new FakeTarget({ learningRate: 1 });
    const cb = reduceLROnPlateau({ patience: 2, factor: 0.5, cooldown: 2 });
    const run = await drive(cb, target, flat(9));
    expect(run.learningRates).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125]);
  });

  it('an improvement resets the wait; with patience 0 every non-improving epoch reduces', async () => {
    const target = new FakeTarget({ learningRate: 1 });
    const run = await drive(reduceLROnPlateau({ patience: 1, factor: 0.5 }), target, series('val_loss', [5, 6, 4, 4.5, 3, 3, 3]));
    expect(run.learningRates).toEqual([1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.0625]);
    const eager = new FakeTarget({ learningRate: 1 });
    const r0 = await drive(reduceLROnPlateau({ patience: 0, factor: 0.5 }), eager, series('val_loss', [5, 6, 4, 7]));
    expect(r0.learningRates).toEqual([1, 0.5, 0.5, 0.25]);
  });

  it('minDelta (default 1e-4): smaller gains count as a plateau', async () => {
    const values = [1, 0.99995, 0.99992, 0.99994, 0.99996];
    const target = new FakeTarget({ learningRate: 1 });
    const cb = reduceLROnPlateau({ patience: 2, factor: 0.1 });
    expect((await drive(cb, target, series('val_loss', values))).learningRates).toEqual([1, 1, 0.1, 0.1, 0.010000000000000002]);
    const keen = new FakeTarget({ learningRate: 1 });
    expect((await drive(reduceLROnPlateau({ patience: 2, minDelta: 0 }), keen, series('val_loss', [1, 0.99995, 0.9999, 0.99985, 0.9998]))).learningRates).toEqual([1, 1, 1, 1, 1]);
  });

  it('never goes below minLr; at minLr it stops reducing', async () => {
    const target = new FakeTarget({ learningRate: 1 });
    const run = await drive(reduceLROnPlateau({ patience: 1, factor: 0.1, minLr: 0.05 }), target, flat(5));
    expect(run.learningRates).toEqual([1, 0.1, 0.05, 0.05, 0.05]);
  });

  it("mode 'auto' maximises an accuracy monitor; 'max' and 'min' override", async () => {
    const up = series('val_accuracy', [0.5, 0.6, 0.7, 0.7]);
    expect((await drive(reduceLROnPlateau({ monitor: 'val_accuracy', patience: 1, factor: 0.5 }), new FakeTarget({ learningRate: 1 }), up)).learningRates)
      .toEqual([1, 1, 1, 0.5]);
    expect((await drive(reduceLROnPlateau({ monitor: 'val_accuracy', mode: 'min', patience: 1, factor: 0.5 }), new FakeTarget({ learningRate: 1 }), up)).learningRates)
      .toEqual([1, 0.5, 0.25, 0.125]);
  });

  it("adds the epoch's learning_rate (before any reduction) to its logs, as Keras 3 does", async () => {
    const run = await drive(reduceLROnPlateau({ patience: 1, factor: 0.5 }), new FakeTarget({ learningRate: 1 }), flat(3));
    expect(run.logs.map((l) => l.learning_rate)).toEqual([1, 1, 0.5]);
  });

  it('a missing monitor warns once and changes nothing', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const target = new FakeTarget({ learningRate: 1 });
    const run = await drive(reduceLROnPlateau({ patience: 0 }), target, [{ loss: 1 }, { loss: 1 }, { loss: 1 }]);
    expect(run.learningRates).toEqual([1, 1, 1]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/Learning rate reduction is conditioned on metric `val_loss`, which is not available. Available metrics are: loss, learning_rate/);
  });

  it('resets on onTrainBegin; verbose 1 prints each reduction', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const cb = reduceLROnPlateau({ patience: 1, factor: 0.5, cooldown: 3, verbose: 1 });
    await drive(cb, new FakeTarget({ learningRate: 1 }), flat(2));
    expect(cb.cooldownCounter).toBe(3);
    expect(log).toHaveBeenCalledWith('\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.5.');
    const again = await drive(cb, new FakeTarget({ learningRate: 1 }), flat(2, 7));
    expect(again.learningRates).toEqual([1, 0.5]);
  });
});

describe('reduceLROnPlateau validates its options', () => {
  const cases: [unknown, ErrorConstructor, RegExp][] = [
    [{ factor: 1 }, RangeError, /argument `factor`. Expected a number > 0 and < 1 \(ReduceLROnPlateau does not support a factor >= 1.0\). Received: factor=1/],
    [{ factor: 1.5 }, RangeError, /factor=1.5/],
    [{ factor: 0 }, RangeError, /factor=0/],
    [{ factor: NaN }, RangeError, /factor=NaN/],
    [{ factor: '0.5' }, TypeError, /factor='0.5'/],
    [{ patience: -1 }, RangeError, /patience=-1/],
    [{ cooldown: 0.5 }, RangeError, /argument `cooldown`. Expected an integer >= 0/],
    [{ minLr: -1e-3 }, RangeError, /argument `minLr`. Expected a finite number >= 0/],
    [{ minDelta: -1 }, RangeError, /minDelta=-1/],
    [{ mode: 'bigger' }, RangeError, /Unknown mode: 'bigger'/],
    [{ min_lr: 0.1 }, RangeError, /Unknown reduceLROnPlateau option: 'min_lr'/],
  ];
  it.each(cases)('%j', (options, type, message) => {
    const call = () => reduceLROnPlateau(options as never);
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
