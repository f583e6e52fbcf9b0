import { afterEach, describe, expect, it, vi } from 'vitest';
import { directionOf, Monitor } from '../../../src/train/callbacks/monitor.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('monitor: the shared monitor/mode/minDelta logic', () => {
  it("'auto' maximises keys naming an accuracy or an AUC, minimises the rest", () => {
    for (const key of ['acc', 'val_acc', 'accuracy', 'val_accuracy', 'binaryAccuracy', 'val_sparse_categorical_accuracy', 'auc', 'val_AUC']) {
      expect(directionOf(key, 'auto')).toBe('max');
    }
    for (const key of ['loss', 'val_loss', 'mse', 'val_mae', 'meanSquaredError']) expect(directionOf(key, 'auto')).toBe('min');
    expect(directionOf('val_loss', 'max')).toBe('max');
    expect(directionOf('val_accuracy', 'min')).toBe('min');
  });

  it('an improvement beats the reference by more than minDelta in the monitored direction', () => {
    const min = new Monitor('Test', { minDelta: 0.1 }, { monitor: 'val_loss', minDelta: 0 });
    expect(min.key).toBe('val_loss');
    expect(min.worst).toBe(Infinity);
    expect(min.isImprovement(0.85, 1)).toBe(true);
    expect(min.isImprovement(0.9, 1)).toBe(false);
    expect(min.isImprovement(5, null)).toBe(true);
    expect(min.isImprovement(5, min.worst)).toBe(true);
    expect(min.isImprovement(NaN, 1)).toBe(false);
    const max = new Monitor('Test', { monitor: 'accuracy' }, { monitor: 'val_loss', minDelta: 0 });
    expect(max.worst).toBe(-Infinity);
    expect(max.isImprovement(0.6, 0.5)).toBe(true);
    expect(max.isImprovement(0.5, 0.5)).toBe(false);
  });

  it('reads the key, warning once when it is missing', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const m = new Monitor('Test', {}, { monitor: 'val_loss', minDelta: 0 });
    expect(m.read({ val_loss: 0.25 })).toBe(0.25);
    expect(m.read({ loss: 1 })).toBeUndefined();
    expect(m.read(undefined)).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith('Test is conditioned on metric `val_loss`, which is not available. Available metrics are: loss');
  });
});
