import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { disposeAfterEach } from '../support/dispose.js';
import { floatRows } from '../support/random-data.js';

// A model applied as a layer (Keras's `outer = Model(x, inner(x))`): what the layer table's
// nested rows do not show — weights shared with the inner model, one summary row, the errors at
// build time, and Dropout layers inside a nested model drawing masks apart from each other.

const L = weft.layers;
const track = disposeAfterEach();

function innerMlp(name: string): weft.Model {
  const i = weft.input({ shape: [4] });
  const h = L.dense({ units: 3, activation: 'tanh' }).apply(i);
  return weft.model({ inputs: i, outputs: L.dense({ units: 2 }).apply(h), name, seed: 1 });
}

describe('a model applied as a layer', () => {
  it('is one Functional layer whose weights are the inner model\'s, shared through training', async () => {
    const inner = innerMlp('encoder');
    const before = inner.getWeights().map((w) => Array.from(w.dataSync()));
    const x = weft.input({ shape: [4] });
    const outer = track(weft.model({ inputs: x, outputs: L.dense({ units: 1 }).apply(inner.apply(x)), seed: 2 }));
    const lines: string[] = [];
    outer.summary(undefined, undefined, (l) => lines.push(l));
    expect(lines.some((l) => /^ encoder \(Functional\)\s+\(None, 2\)\s+23\s*$/.test(l))).toBe(true);
    expect(outer.getLayer('encoder').className).toBe('Functional');
    expect((outer.getLayer('encoder') as unknown as { model: weft.Model }).model).toBe(inner);
    // Nesting keeps the inner weights (the outer seed draws only the outer layers').
    expect(outer.getWeights().slice(0, 4).map((w) => Array.from(w.dataSync()))).toEqual(before);
    expect(outer.weights.map((w) => w.name).slice(0, 2)).toEqual([inner.weights[0].name, inner.weights[1].name]);

    outer.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0.05 }), loss: 'meanSquaredError' });
    const xs = floatRows(32, 4, 3);
    await outer.fit(xs, xs.map((r) => [r[0] - r[1]]), { epochs: 2, batchSize: 8, workers: 2, verbose: 0 });
    const trained = inner.getWeights().map((w) => Array.from(w.dataSync()));
    expect(trained).not.toEqual(before);
    // The inner model predicts with the weights the outer fit trained.
    expect(outer.getWeights().slice(0, 4).map((w) => Array.from(w.dataSync()))).toEqual(trained);
    const direct = (await inner.predict(xs.slice(0, 3))) as tf.Tensor;
    const viaDense = tf.matMul(tf.tanh(tf.add(tf.matMul(tf.tensor2d(xs.slice(0, 3)), inner.getWeights()[0]), inner.getWeights()[1])), inner.getWeights()[2]).add(inner.getWeights()[3]);
    const d = Array.from(direct.dataSync());
    Array.from(viaDense.dataSync()).forEach((v, k) => expect(Math.abs(d[k] - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
  });

  it('refuses, at apply, inputs of the wrong shape and models of several outputs', () => {
    const inner = innerMlp('picky');
    expect(() => inner.apply(weft.input({ shape: [5] }))).toThrow(/Input 0 of layer 'picky' \(Functional\) is incompatible with the layer: expected shape=\(None, 4\), found shape=\(None, 5\)/);
    const i = weft.input({ shape: [4] });
    const two = weft.model({ inputs: i, outputs: [L.dense({ units: 1 }).apply(i), L.dense({ units: 2 }).apply(i)], name: 'two_heads' });
    expect(() => two.apply(weft.input({ shape: [4] }))).toThrow(/Model 'two_heads' has 2 outputs: weft applies a model as a layer only when it has one output/);
  });

  it('keys each Dropout inside it apart: two Dropouts of the same tensor draw different masks', async () => {
    // y = Dense(dropout_a(x) - dropout_b(x)): were the masks equal, the difference would be 0
    // and the kernel would get no gradient at all.
    const i = weft.input({ shape: [6] });
    const diff = L.subtract([L.dropout({ rate: 0.5 }).apply(i), L.dropout({ rate: 0.5 }).apply(i)]);
    const inner = weft.model({ inputs: i, outputs: L.dense({ units: 1, useBias: false, kernelInitializer: 'ones' }).apply(diff), seed: 4 });
    const x = weft.input({ shape: [6] });
    const outer = track(weft.model({ inputs: x, outputs: inner.apply(x), seed: 5 }));
    outer.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0.1 }), loss: 'meanSquaredError' });
    const xs = floatRows(16, 6, 8);
    await outer.fit(xs, xs.map(() => [1]), { epochs: 1, batchSize: 16, workers: 1, verbose: 0 });
    expect(Array.from(outer.params).some((v) => v !== 1)).toBe(true);
  });

  it('saves and loads: the nested layer keeps its graph, weights and predictions', async () => {
    const inner = innerMlp('saved_inner');
    const x = weft.input({ shape: [4] });
    const outer = track(weft.model({ inputs: x, outputs: L.dense({ units: 1 }).apply(inner.apply(x)), seed: 6 }));
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'weft-nested-'));
    try {
      await outer.save(`file://${dir}`);
      const back = track(await weft.loadModel(`file://${dir}`));
      expect(back.layers.map((l) => l.className)).toEqual(['InputLayer', 'Functional', 'Dense']);
      const xs = floatRows(5, 4, 1);
      const a = ((await outer.predict(xs)) as tf.Tensor).dataSync();
      const b = ((await back.predict(xs)) as tf.Tensor).dataSync();
      expect(Array.from(b)).toEqual(Array.from(a));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
