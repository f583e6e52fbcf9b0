import { afterEach, describe, expect, it, vi } from 'vitest';
import { StateError } from '../../../src/errors.js';
import { earlyStopping, EarlyStopping } from '../../../src/train/callbacks/early-stopping.js';
import { drive, FakeTarget, series } from './fake-target.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('earlyStopping: Keras 3 semantics on synthetic logs', () => {
  it("Keras's docstring case: patience 3 stops 3 epochs after the last improvement", async () => {
    const cb = earlyStopping({ monitor: 'loss', patience: 3 });
    const run = await drive(cb, new FakeTarget(), series('loss', [1.0, 0.9, 0.95, 0.93, 0.92, 0.5, 0.4]));
    expect(run.epochs).toEqual([0, 1, 2, 3, 4]);
    expect(cb.stoppedEpoch).toBe(4);
    expect(cb.best).toBe(0.9);
    expect(cb.bestEpoch).toBe(1);
  });

  it('defaults: monitor val_loss, patience 0 — the first epoch without a strict improvement stops', async () => {
    const cb = earlyStopping();
    const run = await drive(cb, new FakeTarget(), series('val_loss', [0.5, 0.4, 0.4, 0.3]));
    expect(run.epochs).toEqual([0, 1, 2]);
    expect(cb.stoppedEpoch).toBe(2);
  });

  it('runs every epoch while the monitor keeps improving; stoppedEpoch stays 0', async () => {
    const target = new FakeTarget();
    const cb = earlyStopping({ patience: 1 });
    const run = await drive(cb, target, series('val_loss', [5, 4, 3, 2, 1]));
    expect(run.epochs).toEqual([0, 1, 2, 3, 4]);
    expect(cb.stoppedEpoch).toBe(0);
    expect(target.stopTraining).toBe(false);
  });

  it('minDelta: a change of no more than minDelta is no improvement', async () => {
    const values = [1.0, 0.95, 0.9, 0.85];
    const coarse = earlyStopping({ monitor: 'loss', minDelta: 0.1, patience: 1 });
    expect((await drive(coarse, new FakeTarget(), series('loss', values))).epochs).toEqual([0, 1]);
    const fine = earlyStopping({ monitor: 'loss', minDelta: 0.01, patience: 1 });
    expect((await drive(fine, new FakeTarget(), series('loss', values))).epochs).toEqual([0, 1, 2, 3]);
  });

  it("mode 'auto' maximises accuracy and AUC keys, minimises the rest; 'min'/'max' override", async () => {
    const acc = [0.5, 0.6, 0.6, 0.7];
    for (const monitor of ['val_accuracy', 'acc', 'val_categoricalAccuracy', 'auc']) {
      const cb = earlyStopping({ monitor, patience: 0 });
      expect((await drive(cb, new FakeTarget(), series(monitor, acc))).epochs).toEqual([0, 1, 2]);
      expect(cb.monitor.direction).toBe('max');
    }
    expect(earlyStopping({ monitor: 'val_mae' }).monitor.direction).toBe('min');
    // Forced 'min' on a rising accuracy: epoch 1 is already worse.
    const forced = earlyStopping({ monitor: 'val_accuracy', mode: 'min' });
    expect((await drive(forced, new FakeTarget(), series('val_accuracy', acc))).epochs).toEqual([0, 1]);
    const max = earlyStopping({ monitor: 'val_loss', mode: 'max' });
    expect((await drive(max, new FakeTarget(), series('val_loss', [1, 2, 3, 3]))).epochs).toEqual([0, 1, 2, 3]);
  });

  it('restoreBestWeights: after stopping, the weights of the best epoch come back', async () => {
    const target = new FakeTarget();
    const cb = earlyStopping({ patience: 2, restoreBestWeights: true });
    const run = await drive(cb, target, series('val_loss', [0.9, 0.5, 0.7, 0.8, 0.1]));
    expect(run.epochs).toEqual([0, 1, 2, 3]);
    expect(cb.bestEpoch).toBe(1);
    expect(Array.from(target.weights)).toEqual([1, 1]);
  });

  it('restoreBestWeights: Keras 3 also restores at the end of a run that never stopped early', async () => {
    const target = new FakeTarget();
    const cb = earlyStopping({ patience: 10, restoreBestWeights: true });
    const run = await drive(cb, target, series('val_loss', [0.9, 0.2, 0.7, 0.8]));
    expect(run.epochs).toEqual([0, 1, 2, 3]);
    expect(cb.stoppedEpoch).toBe(0);
    expect(Array.from(target.weights)).toEqual([1, 1]);
  });

  it('restoreBestWeights false leaves the last weights', async () => {
    const target = new FakeTarget();
    await drive(earlyStopping({ patience: 1 }), target, series('val_loss', [0.9, 0.5, 0.7, 0.8]));
    expect(Array.from(target.weights)).toEqual([2, 2]);
  });

  it('baseline: no epoch beats it → stops after patience epochs, restoring the best of them', async () => {
    const target = new FakeTarget();
    const cb = earlyStopping({ baseline: 0.5, patience: 2, restoreBestWeights: true });
    const run = await drive(cb, target, series('val_loss', [0.9, 0.95, 0.97, 0.2]));
    expect(run.epochs).toEqual([0, 1]);
    expect(Array.from(target.weights)).toEqual([0, 0]);
  });

  it('baseline: only beating both the best and the baseline restarts the wait', async () => {
    // Keras: an improvement that misses the baseline returns without resetting wait or stopping.
    const misses = earlyStopping({ baseline: 0.5, patience: 2 });
    expect((await drive(misses, new FakeTarget(), series('val_loss', [0.9, 0.8, 0.7, 0.75]))).epochs).toEqual([0, 1, 2, 3]);
    expect(misses.stoppedEpoch).toBe(3);
    const beats = earlyStopping({ baseline: 0.5, patience: 2 });
    expect((await drive(beats, new FakeTarget(), series('val_loss', [0.9, 0.4, 0.45, 0.46, 0.47]))).epochs).toEqual([0, 1, 2, 3]);
  });

  it('startFromEpoch: epochs before it are not monitored', async () => {
    const cb = earlyStopping({ monitor: 'loss', startFromEpoch: 2 });
    const run = await drive(cb, new FakeTarget(), series('loss', [1, 2, 3, 4, 5]));
    expect(run.epochs).toEqual([0, 1, 2, 3]);
    expect(cb.stoppedEpoch).toBe(3);
  });

  it('never stops at epoch 0, and counts epochs from initialEpoch on a resumed run', async () => {
    const cb = earlyStopping({ monitor: 'loss', baseline: 0.1 });
    expect((await drive(cb, new FakeTarget(), series('loss', [1, 2]))).epochs).toEqual([0, 1]);
    const resumed = earlyStopping({ monitor: 'loss' });
    const run = await drive(resumed, new FakeTarget(), series('loss', [1, 2, 3]), [], 5);
    expect(run.epochs).toEqual([5, 6]);
    expect(resumed.stoppedEpoch).toBe(6);
  });

  it('a missing monitor key warns once, listing the keys there are, and never stops', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const target = new FakeTarget();
    const run = await drive(earlyStopping(), target, [{ loss: 1, accuracy: 0.5 }, { loss: 2, accuracy: 0.4 }, { loss: 3, accuracy: 0.3 }]);
    expect(run.epochs).toEqual([0, 1, 2]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/Early stopping is conditioned on metric `val_loss`, which is not available. Available metrics are: loss, accuracy/);
  });

  it('resets on onTrainBegin, so one instance serves two fits', async () => {
    const cb = earlyStopping({ monitor: 'loss', patience: 1 });
    expect((await drive(cb, new FakeTarget(), series('loss', [1, 2, 3]))).epochs).toEqual([0, 1]);
    const again = await drive(cb, new FakeTarget(), series('loss', [5, 4, 3, 2]));
    expect(again.epochs).toEqual([0, 1, 2, 3]);
    expect(cb.stoppedEpoch).toBe(0);
    expect(cb.best).toBe(2);
  });

  it('verbose 1 prints the Keras messages', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await drive(earlyStopping({ patience: 1, restoreBestWeights: true, verbose: 1 }), new FakeTarget(), series('val_loss', [1, 0.5, 2, 3]));
    expect(log.mock.calls.map((c) => c[0])).toEqual(['Epoch 3: early stopping', 'Restoring model weights from the end of the best epoch: 2.']);
  });

  it('needs a model: a hook before setModel is a StateError', () => {
    const cb = new EarlyStopping({ restoreBestWeights: true });
    expect(() => cb.onEpochEnd(0, { val_loss: 1 })).toThrow(StateError);
    expect(() => cb.onEpochEnd(0, { val_loss: 1 })).toThrow(/earlyStopping has no model/);
  });
});

describe('earlyStopping validates its options', () => {
  const cases: [unknown, ErrorConstructor, RegExp][] = [
    [{ patience: -1 }, RangeError, /argument `patience`. Expected an integer >= 0. Received: patience=-1/],
    [{ patience: 1.5 }, RangeError, /patience=1.5/],
    [{ patience: '3' }, TypeError, /patience='3'/],
    [{ mode: 'upward' }, RangeError, /Unknown mode: 'upward'. Expected one of: 'auto', 'min', 'max'/],
    [{ mode: 1 }, TypeError, /argument `mode`/],
    [{ monitor: 3 }, TypeError, /argument `monitor`.*Received: monitor=3/],
    [{ monitor: '' }, RangeError, /argument `monitor`/],
    [{ minDelta: -0.1 }, RangeError, /argument `minDelta`. Expected a finite number >= 0. Received: minDelta=-0.1/],
    [{ minDelta: NaN }, RangeError, /minDelta=NaN/],
    [{ baseline: Infinity }, RangeError, /argument `baseline`. Expected a finite number. Received: baseline=Infinity/],
    [{ restoreBestWeights: 'yes' }, TypeError, /argument `restoreBestWeights`. Expected a boolean/],
    [{ startFromEpoch: -2 }, RangeError, /startFromEpoch=-2/],
    [{ verbose: 2 }, RangeError, /argument `verbose`. Expected 0 or 1. Received: verbose=2/],
    [{ patiance: 3 }, RangeError, /Unknown earlyStopping option: 'patiance'. Expected one of: 'monitor'/],
    [null, TypeError, /argument `earlyStopping\(options\)`/],
    [5, TypeError, /earlyStopping\(options\)/],
  ];
  it.each(cases)('%j', (options, type, message) => {
    const call = () => earlyStopping(options as never);
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
