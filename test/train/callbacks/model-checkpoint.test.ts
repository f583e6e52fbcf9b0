import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TrainingTarget } from '../../../src/train/callbacks/callback.js';
import { formatPath, modelCheckpoint, parsePathTemplate } from '../../../src/train/callbacks/model-checkpoint.js';
import { drive, FakeTarget, series } from './fake-target.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const fill = (path: string, values: Record<string, number>) => formatPath(path, parsePathTemplate(path), values);

describe('modelCheckpoint path templates (the str.format subset Keras paths use)', () => {
  it('fills {epoch}, {epoch:02d} and log keys with precision', () => {
    expect(fill('ckpt/ep{epoch:02d}-{val_loss:.4f}', { epoch: 3, val_loss: 0.123456 })).toBe('ckpt/ep03-0.1235');
    expect(fill('ckpt/{epoch}', { epoch: 12 })).toBe('ckpt/12');
    expect(fill('{epoch:03d}/{epoch:2d}/{epoch:d}', { epoch: 7 })).toBe('007/ 7/7');
    expect(fill('{loss:.2e}|{loss:.1f}|{loss:08.3f}|{loss}', { loss: 0.0015 })).toBe('1.50e-03|0.0|0000.002|0.0015');
    expect(fill('{x:06.2f}|{x:.0e}', { x: -1.5 })).toBe('-01.50|-2e+00');
    expect(fill('literal{{epoch}}-{epoch}', { epoch: 1 })).toBe('literal{epoch}-1');
    expect(fill('file:///tmp/no-placeholders', { epoch: 1 })).toBe('file:///tmp/no-placeholders');
  });

  it('rejects malformed placeholders at construction, naming the path', () => {
    for (const path of ['ckpt/{epoch:02x}', 'ckpt/{epoch', 'ckpt/a}b', 'ckpt/{}', 'ckpt/{val loss}', 'ckpt/{epoch:.2d}']) {
      expect(() => modelCheckpoint({ path })).toThrow(RangeError);
      expect(() => modelCheckpoint({ path })).toThrow(/Invalid value received for argument `path`. Expected a path whose placeholders are \{name\}/);
    }
  });

  it('a placeholder with no value to fill, or d on a fraction, fails when saving', async () => {
    const missing = modelCheckpoint({ path: 'ckpt/{val_accuracy:.2f}' });
    await expect(drive(missing, new FakeTarget(), series('val_loss', [1]))).rejects.toThrow(
      /argument `path`. Expected placeholders among loss, val_loss, epoch \(no \{val_accuracy\} to fill\). Received: path='ckpt\/\{val_accuracy:.2f\}'/,
    );
    const fraction = modelCheckpoint({ path: 'ckpt/{loss:02d}' });
    await expect(drive(fraction, new FakeTarget(), series('loss', [0.5]))).rejects.toThrow(/'d' placeholders only for integers \(\{loss\} is 0.5\)/);
  });
});

describe('modelCheckpoint: Keras semantics with a fake savable model', () => {
  it('saves at every epoch end by default, through the model\'s save(path)', async () => {
    const target = new FakeTarget();
    const cb = modelCheckpoint({ path: 'out/ep{epoch:02d}-{val_loss:.3f}' });
    await drive(cb, target, series('val_loss', [0.5, 0.6, 0.4]));
    expect(target.saves.map((s) => s.path)).toEqual(['out/ep01-0.500', 'out/ep02-0.600', 'out/ep03-0.400']);
    // Saved after the epoch's weights: the weights at epoch end.
    expect(target.saves.map((s) => s.weights[0])).toEqual([0, 1, 2]);
    expect(cb.saved).toEqual(target.saves.map((s) => s.path));
  });

  it('saveBestOnly saves only on improvement of the monitor (min for val_loss)', async () => {
    const target = new FakeTarget();
    await drive(modelCheckpoint({ path: 'best-{epoch}', saveBestOnly: true }), target, series('val_loss', [0.5, 0.6, 0.4, 0.4, 0.3]));
    expect(target.saves.map((s) => s.path)).toEqual(['best-1', 'best-3', 'best-5']);
  });

  it("saveBestOnly with mode 'auto' on an accuracy, and an explicit mode", async () => {
    const auto = new FakeTarget();
    await drive(modelCheckpoint({ path: 'm{epoch}', monitor: 'val_acc', saveBestOnly: true }), auto, series('val_acc', [0.5, 0.7, 0.6, 0.8]));
    expect(auto.saves.map((s) => s.path)).toEqual(['m1', 'm2', 'm4']);
    const min = new FakeTarget();
    await drive(modelCheckpoint({ path: 'm{epoch}', monitor: 'val_acc', mode: 'min', saveBestOnly: true }), min, series('val_acc', [0.5, 0.7, 0.4]));
    expect(min.saves.map((s) => s.path)).toEqual(['m1', 'm3']);
  });

  it('saveBestOnly without the monitor in the logs warns once and saves anyway, as Keras does', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const target = new FakeTarget();
    await drive(modelCheckpoint({ path: 'p{epoch}', saveBestOnly: true }), target, [{ loss: 1 }, { loss: 2 }]);
    expect(target.saves.map((s) => s.path)).toEqual(['p1', 'p2']);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/Saving the best model is conditioned on metric `val_loss`, which is not available. Available metrics are: loss/);
  });

  it('saveFreq n saves every n batches, counted across epochs; {batch} is 1-based', async () => {
    const target = new FakeTarget();
    const batches = [[{ loss: 0.9 }, { loss: 0.8 }, { loss: 0.7 }], [{ loss: 0.6 }, { loss: 0.5 }, { loss: 0.4 }]];
    await drive(modelCheckpoint({ path: 'e{epoch}-b{batch}-{loss:.1f}', saveFreq: 2 }), target, series('loss', [0.7, 0.4]), batches);
    expect(target.saves.map((s) => s.path)).toEqual(['e1-b2-0.8', 'e2-b1-0.6', 'e2-b3-0.4']);
  });

  it('resets on onTrainBegin: a second fit starts from no best', async () => {
    const target = new FakeTarget();
    const cb = modelCheckpoint({ path: 'p{epoch}', monitor: 'loss', saveBestOnly: true });
    await drive(cb, target, series('loss', [0.1, 0.2]));
    await drive(cb, target, series('loss', [0.5, 0.4]));
    expect(target.saves.map((s) => s.path)).toEqual(['p1', 'p1', 'p2']);
    expect(cb.saved).toEqual(['p1', 'p2']);
  });

  it('verbose 1 prints the Keras messages', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await drive(modelCheckpoint({ path: 'p{epoch}', saveBestOnly: true, verbose: 1 }), new FakeTarget(), series('val_loss', [0.5, 0.6]));
    expect(log.mock.calls.map((c) => c[0])).toEqual([
      '\nEpoch 1: val_loss improved from inf to 0.50000, saving model to p1',
      '\nEpoch 2: val_loss did not improve from 0.50000',
    ]);
  });

  it('the model it is bound to must have save(path), checked at run time for hand-made targets', () => {
    const cb = modelCheckpoint({ path: 'p' });
    const cannotSave = { stopTraining: false, learningRate: 0.01, getWeightValues: () => new Float32Array(2), setWeightValues: () => {} };
    const bind = () => cb.setModel(cannotSave as unknown as TrainingTarget);
    expect(bind).toThrow(TypeError);
    expect(bind).toThrow(/argument `model`. Expected a model with a save\(path\) method \(modelCheckpoint saves through it\)/);
    expect(() => cb.setModel(new FakeTarget())).not.toThrow();
  });

  it('validates its options', () => {
    const cases: [unknown, ErrorConstructor, RegExp][] = [
      [undefined, TypeError, /modelCheckpoint\(options\)/],
      [{}, TypeError, /argument `path`. Expected a string/],
      [{ path: '' }, RangeError, /argument `path`. Expected a non-empty path/],
      [{ path: 'p', saveFreq: 'batch' }, TypeError, /argument `saveFreq`. Expected 'epoch' or an integer >= 1/],
      [{ path: 'p', saveFreq: 0 }, RangeError, /saveFreq=0/],
      [{ path: 'p', saveBestOnly: 1 }, TypeError, /saveBestOnly=1/],
      [{ path: 'p', mode: 'best' }, RangeError, /Unknown mode: 'best'/],
      [{ path: 'p', monitor: null }, TypeError, /monitor=null/],
      [{ path: 'p', filepath: 'q' }, RangeError, /Unknown modelCheckpoint option: 'filepath'/],
    ];
    for (const [options, type, message] of cases) {
      const call = () => modelCheckpoint(options as never);
      expect(call).toThrow(type);
      expect(call).toThrow(message);
    }
  });
});
