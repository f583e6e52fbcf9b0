import { describe, expect, it } from 'vitest';
import { FASHION_MODELS, fashionRuns } from '../../bench/fashion-options.js';
import { buildWeft } from '../../bench/models.js';

const summary = (flags: Parameters<typeof fashionRuns>[0]) => fashionRuns(flags).map((r) => [r.model.key, r.epochs, r.target]);

describe('bench:fashion runs', () => {
  it('by default runs the MLP (10 epochs to 88%) then the convnet (15 epochs to 90%)', () => {
    expect(summary({})).toEqual([['mlp', 10, 0.88], ['convnet', 15, 0.9]]);
    expect(summary({ model: 'both' })).toEqual(summary({}));
  });

  it('--model picks one row', () => {
    expect(summary({ model: 'convnet' })).toEqual([['convnet', 15, 0.9]]);
    expect(summary({ model: 'mlp' })).toEqual([['mlp', 10, 0.88]]);
  });

  it('--epochs and --target, when given, apply to every row', () => {
    expect(summary({ epochs: '1' })).toEqual([['mlp', 1, 0.88], ['convnet', 1, 0.9]]);
    expect(summary({ model: 'convnet', target: '0.85' })).toEqual([['convnet', 15, 0.85]]);
  });

  it.each([
    [{ model: 'cnn' }, "--model: expected mlp, convnet or both, received 'cnn'"],
    [{ epochs: '0' }, "--epochs: expected a positive integer, received '0'"],
    [{ target: '90' }, "--target: expected a fraction in (0, 1), received '90'"],
  ])('rejects %j', (flags, message) => {
    expect(() => fashionRuns(flags)).toThrow(message);
  });

  it("the rows read Fashion-MNIST's 784 pixels: flat for the MLP, 28×28×1 for the convnet (34,826 parameters)", () => {
    const [mlp, convnet] = FASHION_MODELS;
    expect(mlp.architecture.input).toEqual({ kind: 'features', size: 784 });
    expect(convnet.architecture.input).toMatchObject({ kind: 'image', height: 28, width: 28, channels: 1 });
    expect(buildWeft(convnet.architecture).countParams()).toBe(34_826);
    expect(new Set(FASHION_MODELS.map((m) => m.fileSuffix)).size).toBe(FASHION_MODELS.length);
  });
});
