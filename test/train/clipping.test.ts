import { describe, expect, it } from 'vitest';
import { clipMeanGradient } from '../../src/train/clipping.js';
import { adam, sgd } from '../../src/train/optimizers.js';
import { classification, dropoutModel } from '../parallel/helpers.js';
import * as weft from '../../src/index.js';

const entries = [{ offset: 0, size: 2 }, { offset: 2, size: 2 }];

describe('gradient clipping (Keras semantics on the mean gradient)', () => {
  it('clipvalue clips each element of the mean gradient', () => {
    const g = Float32Array.from([4, -8, 0.5, 2]);
    clipMeanGradient(g, 0.5, entries, { clipvalue: 1 });
    expect(Array.from(g)).toEqual([1, -1, 0.25, 1]);
  });

  it('clipnorm rescales each weight whose gradient norm exceeds it, leaves the others', () => {
    const g = Float32Array.from([6, 8, 0.3, 0.4]); // norms 10 and 0.5
    clipMeanGradient(g, 1, entries, { clipnorm: 1 });
    expect(Array.from(g).map((v) => +v.toFixed(6))).toEqual([0.6, 0.8, 0.3, 0.4]);
  });

  it('globalClipnorm rescales all weights by the global norm', () => {
    const g = Float32Array.from([3, 0, 0, 4]); // global norm 5
    clipMeanGradient(g, 1, entries, { globalClipnorm: 1 });
    expect(Array.from(g).map((v) => +v.toFixed(6))).toEqual([0.6, 0, 0, 0.8]);
  });

  it('options are validated and kept in the config', () => {
    expect(adam({ clipnorm: 1 }).getConfig()).toMatchObject({ clipnorm: 1 });
    expect(sgd({ clipvalue: 0.5 }).clipping).toEqual({ clipvalue: 0.5 });
    expect(() => adam({ clipnorm: -1 })).toThrow(/`clipnorm`.*> 0.*-1/);
    expect(() => adam({ clipnorm: 1, clipvalue: 1 })).toThrow(/at most one of clipnorm, clipvalue, globalClipnorm/);
  });

  it('a clipped SGD step moves each weight by at most lr · clipvalue, through fit on 2 workers', async () => {
    const { x, y } = classification(32);
    const model = dropoutModel(1);
    model.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0.1, clipvalue: 0.001 }), loss: 'categoricalCrossentropy' });
    const before = model.params.slice();
    await model.fit(x, y, { epochs: 1, batchSize: 32, workers: 2, verbose: 0 });
    const moved = model.params.map((v, i) => Math.abs(v - before[i]));
    // float32 weights near 1 round each step by up to ~6e-8
    expect(Math.max(...moved)).toBeLessThanOrEqual(0.1 * 0.001 + 1e-7);
    expect(Math.max(...moved)).toBeGreaterThan(0);
    await model.dispose();
  });
});
