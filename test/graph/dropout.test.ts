import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import type { CallContext } from '../../src/graph/layer.js';
import { getLoss } from '../../src/graph/losses.js';
import { fillDropoutMask, keyFromSeed, type Key } from '../../src/parallel/random.js';
import { StepRunner, type StepKey } from '../../src/parallel/step.js';

/** A training context whose masks come from a fixed key, as the step's would. */
function trainingCtx(key: Key, epoch = 0, firstExample = 0): CallContext {
  return {
    training: true,
    dropoutMask: (rate, rowSize, rows) => {
      const out = new Float32Array(rows * rowSize);
      fillDropoutMask(key, epoch, firstExample, rows, rowSize, rate, out);
      return out;
    },
    uniform: () => { throw new Error('Dropout draws no uniform noise'); },
    normal: () => { throw new Error('Dropout draws no normal noise'); },
    nested: () => { throw new Error('Dropout nests no layers'); },
    allSum: () => { throw new Error('these layers sum nothing across ranks'); },
    assign: () => { throw new Error('these layers keep no state'); },
  };
}

function forward(layer: weft.Layer, x: tf.Tensor, ctx: CallContext): Float32Array {
  return Float32Array.from(layer.forward([x], [], ctx).output.dataSync());
}

/**
 * input(D) → dropout → dense(1, no bias, zero kernel), with MSE against a target of -0.5: the
 * output is 0, dL/dout is 1 per example, so the kernel's gradient is Σ_rows dropout(x). One row
 * of ones then reads back that example's mask exactly, through the real StepRunner.
 */
function maskProbe(D: number, dropout: { rate: number; seed?: number }) {
  const inputs = weft.input({ shape: [D] });
  const dropped = weft.layers.dropout(dropout).apply(inputs);
  const model = weft.model({ inputs, outputs: weft.layers.dense({ units: 1, useBias: false, kernelInitializer: 'zeros' }).apply(dropped) });
  const runner = new StepRunner(model, getLoss('meanSquaredError'), []);
  /** Σ over rows [firstExample, firstExample + rows) of dropout(x) for the given x rows. */
  return (x: Float32Array, rows: number, firstExample: number, key: StepKey): Float32Array => {
    const grad = new Float32Array(D);
    runner.train(model.params, { xs: [x], y: new Float32Array(rows).fill(-0.5), rows, firstExample }, key, grad);
    return grad;
  };
}

const ones = (n: number) => new Float32Array(n).fill(1);

function correlation(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('Dropout', () => {
  it('keeps the mean: E[y] = x, each value is 0 or x/(1-rate), a fraction `rate` dropped', () => {
    const rows = 4000, D = 32;
    const xs = Float32Array.from({ length: rows * D }, (_, i) => ((i % D) + 1) / 8);
    const x = tf.tensor2d(xs, [rows, D]);
    for (const rate of [0.1, 0.5, 0.9]) {
      const y = forward(weft.layers.dropout({ rate }), x, trainingCtx(keyFromSeed(11)));
      let ratioSum = 0, dropped = 0, badKept = 0;
      y.forEach((v, i) => {
        const r = v / xs[i];
        if (v === 0) dropped++;
        else if (Math.abs(r * (1 - rate) - 1) > 1e-6) badKept++;
        ratioSum += r;
      });
      expect(badKept).toBe(0);
      // The ratio's variance is rate/(1-rate) per value: allow 6 standard errors.
      const se = Math.sqrt(rate / (1 - rate) / y.length);
      expect(Math.abs(ratioSum / y.length - 1)).toBeLessThan(6 * se);
      expect(Math.abs(dropped / y.length - rate)).toBeLessThan(6 * Math.sqrt((rate * (1 - rate)) / y.length));
    }
    x.dispose();
  });

  it('keeps the mean through the StepRunner: Σ over 2000 examples of dropout(x) ≈ 2000·x', () => {
    const D = 64, rows = 2000, rate = 0.4;
    const probe = maskProbe(D, { rate });
    const sum = probe(ones(rows * D), rows, 0, { runKey: keyFromSeed(5), epoch: 0 });
    const se = Math.sqrt(rate / (1 - rate) / rows);
    for (const s of sum) expect(Math.abs(s / rows - 1)).toBeLessThan(6 * se);
  });

  it('rate 0 is the identity in training', () => {
    const x = tf.tensor2d([[1, -2, 3], [4, 5, -6]]);
    expect(forward(weft.layers.dropout({ rate: 0 }), x, trainingCtx(keyFromSeed(1)))).toEqual(Float32Array.from(x.dataSync()));
    const probe = maskProbe(16, { rate: 0 });
    expect(probe(ones(3 * 16), 3, 0, { runKey: keyFromSeed(1), epoch: 0 })).toEqual(new Float32Array(16).fill(3));
    x.dispose();
  });

  it('rate 1 drops everything in training (Keras accepts rate=1)', () => {
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    expect(forward(weft.layers.dropout({ rate: 1 }), x, trainingCtx(keyFromSeed(1)))).toEqual(new Float32Array(4));
    x.dispose();
  });

  it('is inactive outside training: forward with training=false, predict and evaluate', async () => {
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const none = () => { throw new Error('no noise in inference'); };
    const inference: CallContext = { training: false, dropoutMask: none, uniform: none, normal: none, nested: none, allSum: none, assign: none };
    expect(weft.layers.dropout({ rate: 0.5 }).forward([x], [], inference).output).toBe(x);

    const build = (withDropout: boolean) => {
      const inputs = weft.input({ shape: [8] });
      let h = weft.layers.dense({ units: 16, activation: 'relu' }).apply(inputs);
      if (withDropout) h = weft.layers.dropout({ rate: 0.5 }).apply(h);
      const m = weft.model({ inputs, outputs: weft.layers.dense({ units: 3, activation: 'softmax' }).apply(h), seed: 4 });
      m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['acc'] });
      return m;
    };
    const model = build(true);
    const plain = build(false);
    plain.setWeights(model.getWeights());
    const xs = tf.tensor2d(Array.from({ length: 40 * 8 }, (_, i) => Math.sin(i)), [40, 8]);
    const ys = tf.oneHot(tf.tensor1d(Array.from({ length: 40 }, (_, i) => i % 3), 'int32'), 3);
    const p1 = ((await model.predict(xs)) as tf.Tensor).dataSync();
    const p2 = ((await model.predict(xs)) as tf.Tensor).dataSync();
    expect(p2).toEqual(p1);
    expect(((await plain.predict(xs)) as tf.Tensor).dataSync()).toEqual(p1);
    const e1 = ((await model.evaluate(xs, ys)) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    const e2 = ((await plain.evaluate(xs, ys)) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    expect(e1).toEqual(e2);
  });

  it('same key → same mask, whatever the runner or the batch the example sits in', () => {
    const D = 256;
    const key = { runKey: keyFromSeed(42), epoch: 3 };
    const probe = maskProbe(D, { rate: 0.5 });
    const a = probe(ones(D), 1, 17, key);
    expect(new Set(a)).toEqual(new Set([0, 2])); // a real mask: kept units scaled by 1/(1-0.5)
    expect(probe(ones(D), 1, 17, key)).toEqual(a);
    expect(maskProbe(D, { rate: 0.5 })(ones(D), 1, 17, key)).toEqual(a);
    // Examples 0..7 in one batch give the sum of their masks drawn one by one.
    const batch = probe(ones(8 * D), 8, 0, key);
    const oneByOne = new Float32Array(D);
    for (let e = 0; e < 8; e++) probe(ones(D), 1, e, key).forEach((v, j) => (oneByOne[j] += v));
    expect(batch).toEqual(oneByOne);
  });

  it('different examples, epochs and run keys → different, uncorrelated masks', () => {
    const D = 1024, rate = 0.5;
    const probe = maskProbe(D, { rate });
    const key = { runKey: keyFromSeed(7), epoch: 0 };
    const masks = Array.from({ length: 100 }, (_, e) => probe(ones(D), 1, e, key));
    let corrSum = 0, bothKept = 0;
    for (let e = 1; e < masks.length; e++) {
      expect(masks[e]).not.toEqual(masks[e - 1]);
      corrSum += correlation(masks[e], masks[e - 1]);
      masks[e].forEach((v, j) => (bothKept += v > 0 && masks[e - 1][j] > 0 ? 1 : 0));
    }
    // Each correlation has standard error 1/sqrt(D) = 0.031; their mean over 99 pairs, 0.003.
    expect(Math.abs(corrSum / 99)).toBeLessThan(0.02);
    expect(Math.abs(bothKept / (99 * D) - (1 - rate) ** 2)).toBeLessThan(0.01);
    const otherEpoch = probe(ones(D), 1, 0, { runKey: key.runKey, epoch: 1 });
    const otherRun = probe(ones(D), 1, 0, { runKey: keyFromSeed(8), epoch: 0 });
    expect(Math.abs(correlation(otherEpoch, masks[0]))).toBeLessThan(0.15);
    expect(Math.abs(correlation(otherRun, masks[0]))).toBeLessThan(0.15);
  });

  it('a Dropout with its own seed draws the same masks under any run key', () => {
    const probe = maskProbe(128, { rate: 0.5, seed: 1234 });
    const a = probe(ones(128), 1, 3, { runKey: keyFromSeed(1), epoch: 0 });
    expect(probe(ones(128), 1, 3, { runKey: keyFromSeed(2), epoch: 0 })).toEqual(a);
    expect(probe(ones(128), 1, 3, { runKey: keyFromSeed(2), epoch: 1 })).not.toEqual(a);
  });

  it('noiseShape [null, 1, D] shares one mask along axis 1; [null, T, 1] along the last axis', () => {
    const [B, T, D] = [6, 3, 16];
    const x = tf.ones([B, T, D]);
    const input = weft.input({ shape: [T, D] });
    const alongT = weft.layers.dropout({ rate: 0.5, noiseShape: [null, 1, D] });
    alongT.apply(input);
    const y = forward(alongT, x, trainingCtx(keyFromSeed(9)));
    for (let b = 0; b < B; b++) {
      const row0 = y.subarray(b * T * D, b * T * D + D);
      for (let t = 1; t < T; t++) expect(y.subarray((b * T + t) * D, (b * T + t + 1) * D)).toEqual(row0);
      expect(new Set(row0).size).toBe(2); // some kept (2) and some dropped (0) in each row
    }
    expect(y.subarray(0, D)).not.toEqual(y.subarray(T * D, T * D + D)); // examples differ

    const alongD = weft.layers.dropout({ rate: 0.5, noiseShape: [null, T, 1] });
    alongD.apply(input);
    const z = forward(alongD, x, trainingCtx(keyFromSeed(9)));
    for (let r = 0; r < B * T; r++) expect(new Set(z.subarray(r * D, (r + 1) * D)).size).toBe(1);
    expect(new Set(z).size).toBe(2);
    expect(() => weft.layers.dropout({ rate: 0.5, noiseShape: [null, 2, D] }).apply(input)).toThrow(/argument `noiseShape`.*\(None, 3, 16\)/);
    x.dispose();
  });

  it('validates rate with Keras\'s message', () => {
    expect(() => weft.layers.dropout({ rate: 1.5 })).toThrow(
      new RangeError('Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate=1.5'),
    );
    expect(() => weft.layers.dropout({ rate: -0.1 })).toThrow(/Received: rate=-0.1$/);
    expect(() => weft.layers.dropout({ rate: Number.NaN })).toThrow(/Received: rate=NaN$/);
    expect(() => weft.layers.dropout({ rate: '0.5' as unknown as number })).toThrow(/Received: rate='0.5'$/);
  });
});
