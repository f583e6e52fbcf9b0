import { describe, expect, it } from 'vitest';
import { BENCH_MODELS, buildWeft, inputShape, KERAS_CONVNET, rowSize, stepProducts, syntheticRows } from '../../bench/models.js';
import { describeArchitecture } from '../../bench/results.js';
import { convnet } from '../../src/train/zoo.js';

describe('the benchmark models', () => {
  it("the convnet is Keras's simple MNIST convnet: 34,826 parameters, the zoo convnet's layers and shapes", () => {
    const model = buildWeft(KERAS_CONVNET);
    const zoo = convnet([28, 28]);
    expect(model.countParams()).toBe(34_826);
    expect(model.layers.map((l) => l.className)).toEqual(zoo.layers.map((l) => l.className));
    expect(model.layers.map((l) => l.output.shape)).toEqual(zoo.layers.map((l) => l.output.shape));
    expect(model.layers.slice(1).map((l) => l.className)).toEqual(['Conv2D', 'MaxPooling2D', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dropout', 'Dense']);
  });

  it('the suite measures the convnet at batch 128 by default', () => {
    expect(BENCH_MODELS.convnet.architecture).toBe(KERAS_CONVNET);
    expect(BENCH_MODELS.convnet.batch).toBe(128);
  });

  it('the Dense models keep their parameter counts', () => {
    const params = Object.fromEntries(Object.entries(BENCH_MODELS).map(([key, m]) => [key, m.build().countParams()]));
    // bnmlp: 784·512 + 512·512 kernels without bias, 4 × 512 per BatchNorm (2 × 512 of them moving statistics), 512·10 + 10.
    expect(params).toEqual({ mlp: 669_706, seed1: 14_218, seed3: 886_026, wide: 5_824_522, convnet: 34_826, bnmlp: 672_778 });
  });

  it('an image input is channels-last: its rows hold height × width × channels pixels in [0, 1)', () => {
    expect(inputShape(KERAS_CONVNET)).toEqual([28, 28, 1]);
    expect(rowSize(KERAS_CONVNET)).toBe(784);
    const { x, labels } = syntheticRows(KERAS_CONVNET, 3);
    expect(x).toBeInstanceOf(Float32Array);
    expect(x).toHaveLength(3 * 784);
    expect(x.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(x).size).toBeGreaterThan(100);
    expect([...labels]).toEqual([0, 7, 4]);
  });

  it('feature and token inputs keep their row sizes', () => {
    expect(inputShape(BENCH_MODELS.mlp.architecture)).toEqual([784]);
    expect(rowSize(BENCH_MODELS.seed3.architecture)).toBe(50);
    expect(syntheticRows(BENCH_MODELS.seed3.architecture, 2).x).toBeInstanceOf(Int32Array);
  });

  it('stepProducts lists Dense stacks only: a conv stack is a RangeError', () => {
    expect(stepProducts(BENCH_MODELS.seed1.architecture, 32)).toEqual([[32, 100, 128], [100, 32, 128], [32, 128, 10], [128, 32, 10], [32, 10, 128]]);
    expect(() => stepProducts(KERAS_CONVNET, 32)).toThrow(/stepProducts: the model has convolutions/);
  });
});

describe('describeArchitecture', () => {
  it('writes each model as its layers in order', () => {
    expect(describeArchitecture(KERAS_CONVNET)).toBe(
      '28×28×1 image → Conv2D 32 3×3 relu → MaxPooling2D 2 → Conv2D 64 3×3 relu → MaxPooling2D 2 → Flatten → Dropout 0.5 → Dense 10 softmax',
    );
    expect(describeArchitecture(BENCH_MODELS.mlp.architecture)).toBe(
      '784 features → Dense 512 relu → Dropout 0.2 → Dense 512 relu → Dropout 0.2 → Dense 10 softmax',
    );
    expect(describeArchitecture(BENCH_MODELS.seed3.architecture)).toBe(
      '50 tokens (vocabulary 1,000) → Embedding 64 → Flatten → Dense 256 relu → Dropout 0.25 → Dense 10 softmax',
    );
  });

  it('leaves out a pooling of 1 and a dropout of 0', () => {
    const arch = { input: { kind: 'image' as const, height: 8, width: 8, channels: 3, conv: [{ filters: 4, kernel: 5, pool: 1 }] }, hidden: [16], dropout: 0, classes: 2 };
    expect(describeArchitecture(arch)).toBe('8×8×3 image → Conv2D 4 5×5 relu → Flatten → Dense 16 relu → Dense 2 softmax');
  });
});
