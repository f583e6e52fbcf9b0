// The dropout family beyond the layer table (SpatialDropout1D, GaussianDropout, GaussianNoise,
// AlphaDropout): the training-mode math (the noise's moments, whole-channel drops, Keras 3's
// alpha-dropout affine), the gradient equal to the noise factor, noise keyed by (seed, epoch,
// example) and not by the worker count, inference the identity, config checks in Keras words,
// summary rows and the Keras JSON mapping.
import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import type { CallContext, Saved } from '../../src/graph/layer.js';
import { KerasConfigReader } from '../../src/graph/keras-config.js';
import { layerClass } from '../../src/graph/layers/index.js';
import { getLoss } from '../../src/graph/losses.js';
import { fromLayersTopology } from '../../src/graph/tfjs-format.js';
import { fillDropoutMask, fillExampleNormal, fillExampleUniform, fillNormal, keyFromSeed, type Key } from '../../src/parallel/random.js';
import { StepRunner, type StepKey } from '../../src/parallel/step.js';
import { floatRows } from '../support/random-data.js';

const L = weft.layers;
const { tf } = weft;

/** Keras 3's alpha_p = -alpha * scale of SELU. */
const ALPHA_P = -1.7580993408473766;

/** A training context drawing from a fixed key, as the step's would (the layer's seed is the step's business). */
function trainingCtx(key: Key, epoch = 0, firstExample = 0): CallContext {
  return {
    training: true,
    dropoutMask: (rate, rowSize, rows) => {
      const out = new Float32Array(rows * rowSize);
      fillDropoutMask(key, epoch, firstExample, rows, rowSize, rate, out);
      return out;
    },
    uniform: (rowSize, rows) => {
      const out = new Float32Array(rows * rowSize);
      fillExampleUniform(key, epoch, firstExample, rows, rowSize, out);
      return out;
    },
    normal: (rowSize, rows) => {
      const out = new Float32Array(rows * rowSize);
      fillExampleNormal(key, epoch, firstExample, rows, rowSize, out);
      return out;
    },
    nested: () => { throw new Error('these layers nest no layers'); },
    allSum: () => { throw new Error('these layers sum nothing across ranks'); },
    assign: () => { throw new Error('these layers keep no state'); },
  };
}

const none = () => { throw new Error('no noise in inference'); };
const inference: CallContext = { training: false, dropoutMask: none, uniform: none, normal: none, nested: none, allSum: none, assign: none };

/** The layer applied to an input of this example shape (so it is built), then run directly. */
function built<T extends weft.Layer>(layer: T, shape: number[]): T {
  layer.apply(weft.input({ shape }));
  return layer;
}

/** Forward in a context, and the backward of that same pass. */
function pass(layer: weft.Layer, x: weft.tf.Tensor, ctx: CallContext) {
  const { output, cache } = layer.forward([x], [], ctx);
  const saved: Saved = { inputs: [x], weights: [], output, cache, ctx };
  return {
    y: Float32Array.from(output.dataSync()),
    dx: (dy: weft.tf.Tensor) => Float32Array.from((layer.backward(dy, saved, [true]).inputs[0] as weft.tf.Tensor).dataSync()),
  };
}

function moments(v: ArrayLike<number>): { mean: number; variance: number; m4: number } {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  const mean = s / v.length;
  let s2 = 0, s4 = 0;
  for (let i = 0; i < v.length; i++) {
    const d = (v[i] - mean) ** 2;
    s2 += d;
    s4 += d * d;
  }
  return { mean, variance: s2 / v.length, m4: s4 / v.length };
}

/** Sample mean and variance against the expected ones, within 6 standard errors (from the sample's own moments). */
function expectMoments(label: string, v: ArrayLike<number>, mean: number, variance: number): void {
  const m = moments(v);
  const n = v.length;
  expect(Math.abs(m.mean - mean), `${label}: mean ${m.mean}`).toBeLessThan(6 * Math.sqrt(m.variance / n));
  expect(Math.abs(m.variance - variance), `${label}: variance ${m.variance}`).toBeLessThan(6 * Math.sqrt((m.m4 - m.variance ** 2) / n));
}

/** A ramp of non-zero inputs, (rows, D). */
function ramp(rows: number, D: number): { xs: Float32Array; x: weft.tf.Tensor } {
  const xs = Float32Array.from({ length: rows * D }, (_, i) => ((i % D) + 1) / 8);
  return { xs, x: tf.tensor2d(xs, [rows, D]) };
}

describe('the noise in training: Keras 3 semantics', () => {
  it('GaussianDropout multiplies by N(1, rate/(1-rate)): E[y] = x', () => {
    const rows = 4000, D = 32;
    const { xs, x } = ramp(rows, D);
    for (const rate of [0.2, 0.5]) {
      const { y } = pass(built(L.gaussianDropout({ rate }), [D]), x, trainingCtx(keyFromSeed(11)));
      expectMoments(`GaussianDropout(${rate}) y/x`, y.map((v, i) => v / xs[i]), 1, rate / (1 - rate));
    }
    x.dispose();
  });

  it('GaussianNoise adds N(0, stddev²)', () => {
    const rows = 4000, D = 32;
    const { xs, x } = ramp(rows, D);
    for (const stddev of [0.1, 2]) {
      const { y } = pass(built(L.gaussianNoise({ stddev }), [D]), x, trainingCtx(keyFromSeed(12)));
      expectMoments(`GaussianNoise(${stddev}) y - x`, y.map((v, i) => v - xs[i]), 0, stddev ** 2);
    }
    x.dispose();
  });

  it("AlphaDropout keeps a standard normal input's mean 0 and variance 1, each value a·x + b or a·alpha_p + b", () => {
    const rows = 4000, D = 32;
    const xs = new Float32Array(rows * D);
    fillNormal(keyFromSeed(99), xs, 0, 1);
    const x = tf.tensor2d(xs, [rows, D]);
    for (const rate of [0.1, 0.3, 0.6]) {
      const { y } = pass(built(L.alphaDropout({ rate }), [D]), x, trainingCtx(keyFromSeed(13)));
      expectMoments(`AlphaDropout(${rate}) y`, y, 0, 1);
      const a = ((1 - rate) * (1 + rate * ALPHA_P ** 2)) ** -0.5;
      const b = -a * ALPHA_P * rate;
      let dropped = 0, neither = 0;
      y.forEach((v, i) => {
        if (Math.abs(v - (a * ALPHA_P + b)) < 1e-6) dropped++;
        else if (Math.abs(v - (a * xs[i] + b)) > 1e-5) neither++;
      });
      expect(neither).toBe(0);
      expect(Math.abs(dropped / y.length - rate)).toBeLessThan(6 * Math.sqrt((rate * (1 - rate)) / y.length));
    }
    x.dispose();
  });

  it('SpatialDropout1D drops whole channels: one keep decision per example and channel, shared by every step', () => {
    const [B, T, C, rate] = [2000, 5, 16, 0.3];
    const x = tf.ones([B, T, C]);
    const { y } = pass(built(L.spatialDropout1d({ rate }), [T, C]), x, trainingCtx(keyFromSeed(14)));
    let dropped = 0, mixed = 0;
    for (let b = 0; b < B; b++) {
      const step0 = y.subarray(b * T * C, b * T * C + C);
      for (let t = 1; t < T; t++) expect(y.subarray((b * T + t) * C, (b * T + t + 1) * C)).toEqual(step0);
      for (const v of step0) {
        if (v === 0) dropped++;
        else expect(v).toBeCloseTo(1 / (1 - rate), 6);
      }
      if (new Set(step0).size === 2) mixed++;
    }
    expect(mixed).toBeGreaterThan(B / 2); // channels of one example are decided apart
    expect(Math.abs(dropped / (B * C) - rate)).toBeLessThan(6 * Math.sqrt((rate * (1 - rate)) / (B * C)));
    expectMoments('SpatialDropout1D y/x', y, 1, rate / (1 - rate));
    x.dispose();
  });

  it('SpatialDropout2D drops whole feature maps: one keep decision per example and channel, shared by every pixel', () => {
    const [B, H, W, C, rate] = [1500, 3, 4, 8, 0.4];
    const x = tf.ones([B, H, W, C]);
    const { y } = pass(built(L.spatialDropout2d({ rate }), [H, W, C]), x, trainingCtx(keyFromSeed(15)));
    let dropped = 0, mixed = 0;
    for (let b = 0; b < B; b++) {
      const pixel0 = y.subarray(b * H * W * C, b * H * W * C + C);
      for (let p = 1; p < H * W; p++) expect(y.subarray((b * H * W + p) * C, (b * H * W + p + 1) * C)).toEqual(pixel0);
      for (const v of pixel0) {
        if (v === 0) dropped++;
        else expect(v).toBeCloseTo(1 / (1 - rate), 6);
      }
      if (new Set(pixel0).size === 2) mixed++;
    }
    expect(mixed).toBeGreaterThan(B / 2);
    expect(Math.abs(dropped / (B * C) - rate)).toBeLessThan(6 * Math.sqrt((rate * (1 - rate)) / (B * C)));
    expectMoments('SpatialDropout2D y/x', y, 1, rate / (1 - rate));
    x.dispose();
  });

  it('SpatialDropout2D refuses a rank-3 input and channelsFirst by name; inference is the identity', () => {
    expect(() => L.spatialDropout2d({ rate: 0.5 }).apply(weft.input({ shape: [4, 3] }))).toThrow(/expected ndim=4, found ndim=3.*\(None, 4, 3\)/);
    expect(() => L.spatialDropout2d({ rate: 0.5, dataFormat: 'channelsFirst' as never })).toThrow(/`dataFormat`.*channelsFirst is not supported/);
    const x = tf.ones([2, 2, 2, 3]);
    expect(built(L.spatialDropout2d({ rate: 0.9 }), [2, 2, 3]).forward([x], [], { ...trainingCtx(keyFromSeed(1)), training: false }).output).toBe(x);
    x.dispose();
  });

  it('SpatialDropout1D at rate 1 drops everything, as Dropout; rate 0 and stddev 0 are the identity in training', () => {
    const x = tf.tensor3d([[[1, 2], [3, 4]]]);
    expect(pass(built(L.spatialDropout1d({ rate: 1 }), [2, 2]), x, trainingCtx(keyFromSeed(1))).y).toEqual(new Float32Array(4));
    for (const layer of [L.spatialDropout1d({ rate: 0 }), L.gaussianDropout({ rate: 0 }), L.alphaDropout({ rate: 0 }), L.gaussianNoise({ stddev: 0 })]) {
      expect(built(layer, [2, 2]).forward([x], [], trainingCtx(keyFromSeed(1))).output).toBe(x);
    }
    x.dispose();
  });
});

describe('the gradient is the noise factor of the same pass', () => {
  const key = keyFromSeed(21);
  const cases: [string, () => weft.Layer, number[]][] = [
    ['SpatialDropout1D(0.5)', () => L.spatialDropout1d({ rate: 0.5 }), [3, 4]],
    ['SpatialDropout2D(0.5)', () => L.spatialDropout2d({ rate: 0.5 }), [2, 2, 3]],
    ['GaussianDropout(0.4)', () => L.gaussianDropout({ rate: 0.4 }), [3, 4]],
    ['GaussianNoise(0.7)', () => L.gaussianNoise({ stddev: 0.7 }), [3, 4]],
    ['AlphaDropout(0.3)', () => L.alphaDropout({ rate: 0.3 }), [3, 4]],
    ['AlphaDropout(0.3, noiseShape [null, 1, 4])', () => L.alphaDropout({ rate: 0.3, noiseShape: [null, 1, 4] }), [3, 4]],
  ];
  it.each(cases)('%s: backward(dy) = dy · (f(x + h) - f(x - h)) / 2h', (_name, make, shape) => {
    const rows = 5;
    const layer = built(make(), shape);
    const x = tf.tensor(floatRows(rows, 12, 3).flat(), [rows, ...shape]);
    const dy = tf.tensor(floatRows(rows, 12, 4).flat(), [rows, ...shape]);
    const h = 0.5; // each layer is affine in x given its noise: the difference is exact up to rounding
    const up = pass(layer, tf.add(x, h), trainingCtx(key)).y;
    const down = pass(layer, tf.sub(x, h), trainingCtx(key)).y;
    const dys = dy.dataSync();
    const dx = pass(layer, x, trainingCtx(key)).dx(dy);
    dx.forEach((g, i) => expect(Math.abs(g - (dys[i] * (up[i] - down[i])) / (2 * h))).toBeLessThan(1e-5));
    x.dispose();
    dy.dispose();
  });

  it('and that factor is the formula: 1 + sqrt(rate/(1-rate))·z, a·k, 1, the channel mask', () => {
    const rows = 4, D = 6;
    const x = tf.tensor2d(floatRows(rows, D, 5).flat(), [rows, D]);
    const dy = tf.ones([rows, D]);
    const z = new Float32Array(rows * D);
    fillExampleNormal(key, 0, 0, rows, D, z);
    const gd = pass(built(L.gaussianDropout({ rate: 0.2 }), [D]), x, trainingCtx(key)).dx(dy);
    gd.forEach((g, i) => expect(g).toBeCloseTo(1 + Math.sqrt(0.2 / 0.8) * z[i], 6));
    expect(pass(built(L.gaussianNoise({ stddev: 0.3 }), [D]), x, trainingCtx(key)).dx(dy)).toEqual(new Float32Array(rows * D).fill(1));
    const mask = new Float32Array(rows * D);
    fillDropoutMask(key, 0, 0, rows, D, 0.3, mask);
    const a = (0.7 * (1 + 0.3 * ALPHA_P ** 2)) ** -0.5;
    pass(built(L.alphaDropout({ rate: 0.3 }), [D]), x, trainingCtx(key)).dx(dy).forEach((g, i) => expect(g).toBeCloseTo(mask[i] === 0 ? 0 : a, 6));
    const x3 = tf.ones([rows, 2, 3]);
    fillDropoutMask(key, 0, 0, rows, 3, 0.5, mask);
    const sd = pass(built(L.spatialDropout1d({ rate: 0.5 }), [2, 3]), x3, trainingCtx(key)).dx(tf.ones([rows, 2, 3]));
    sd.forEach((g, i) => expect(g).toBe(mask[Math.floor(i / 6) * 3 + (i % 3)]));
    // SpatialDropout2D: example r, pixel (i, j), channel k scales by mask[r, k], in float64 from the same draw.
    const x4 = tf.ones([rows, 2, 2, 3]);
    const sd2 = pass(built(L.spatialDropout2d({ rate: 0.5 }), [2, 2, 3]), x4, trainingCtx(key)).y;
    const expected = Float64Array.from({ length: rows * 12 }, (_, i) => mask[Math.floor(i / 12) * 3 + (i % 3)]);
    sd2.forEach((v, i) => expect(v).toBe(expected[i]));
    x4.dispose();
    x.dispose();
  });
});

/**
 * input → layer → (Flatten) → Dense(1, no bias, zero kernel), MSE against -0.5: the output is 0,
 * dL/dout is 1 per example, so the kernel's gradient is Σ_rows layer(x). Rows of ones read the
 * noise back through the real StepRunner.
 */
function probe(make: () => weft.Layer, shape: number[]) {
  const inputs = weft.input({ shape });
  let h = make().apply(inputs);
  if (shape.length > 1) h = L.flatten().apply(h);
  const model = weft.model({ inputs, outputs: L.dense({ units: 1, useBias: false, kernelInitializer: 'zeros' }).apply(h) });
  const runner = new StepRunner(model, getLoss('meanSquaredError'), []);
  const D = shape.reduce((p, d) => p * d, 1);
  return (rows: number, firstExample: number, key: StepKey): Float32Array => {
    const grad = new Float32Array(D);
    runner.train(model.params, { xs: [new Float32Array(rows * D).fill(1)], y: new Float32Array(rows).fill(-0.5), rows, firstExample }, key, grad);
    return grad;
  };
}

describe('the noise is keyed by (seed, epoch, example), never by the worker count', () => {
  const layers: [string, (seed?: number) => weft.Layer, number[]][] = [
    ['SpatialDropout1D', (seed) => L.spatialDropout1d({ rate: 0.5, seed }), [4, 8]],
    ['SpatialDropout2D', (seed) => L.spatialDropout2d({ rate: 0.5, seed }), [2, 2, 8]],
    ['GaussianDropout', (seed) => L.gaussianDropout({ rate: 0.5, seed }), [32]],
    ['GaussianNoise', (seed) => L.gaussianNoise({ stddev: 0.5, seed }), [32]],
    ['AlphaDropout', (seed) => L.alphaDropout({ rate: 0.5, seed }), [32]],
  ];
  it.each(layers)('%s: same key → same noise, whatever the runner or the batch the example sits in', (_name, make, shape) => {
    const key = { runKey: keyFromSeed(42), epoch: 3 };
    const read = probe(() => make(), shape);
    const a = read(1, 17, key);
    expect(a.some((v) => Math.abs(v - 1) > 1e-3)).toBe(true); // the noise is on
    expect(read(1, 17, key)).toEqual(a);
    expect(probe(() => make(), shape)(1, 17, key)).toEqual(a);
    // Examples 0..7 in one batch give the sum of their noise drawn one example at a time:
    // the split of a batch into shards cannot change what an example sees.
    const batch = read(8, 0, key);
    const oneByOne = new Float32Array(a.length);
    for (let e = 0; e < 8; e++) read(1, e, key).forEach((v, j) => (oneByOne[j] += v));
    batch.forEach((v, j) => expect(v).toBeCloseTo(oneByOne[j], 5));
    expect(read(1, 18, key)).not.toEqual(a);
    expect(read(1, 17, { ...key, epoch: 4 })).not.toEqual(a);
    expect(read(1, 17, { ...key, runKey: keyFromSeed(43) })).not.toEqual(a);
  });

  it.each(layers)('%s with its own seed draws the same noise under any run key, new noise each epoch', (_name, make, shape) => {
    const read = probe(() => make(1234), shape);
    const a = read(1, 3, { runKey: keyFromSeed(1), epoch: 0 });
    expect(read(1, 3, { runKey: keyFromSeed(2), epoch: 0 })).toEqual(a);
    expect(read(1, 3, { runKey: keyFromSeed(2), epoch: 1 })).not.toEqual(a);
    expect(probe(() => make(1235), shape)(1, 3, { runKey: keyFromSeed(1), epoch: 0 })).not.toEqual(a);
  });

  /** input (4, 3) → every layer of the family, with the given strengths → Dense(2). */
  function familyModel(on: boolean): weft.Model {
    const inputs = weft.input({ shape: [4, 3] });
    let h = L.gaussianNoise({ stddev: on ? 0.3 : 0 }).apply(inputs);
    h = L.spatialDropout1d({ rate: on ? 0.3 : 0 }).apply(h);
    h = L.alphaDropout({ rate: on ? 0.2 : 0 }).apply(L.dense({ units: 5, activation: 'selu' }).apply(h));
    h = L.gaussianDropout({ rate: on ? 0.3 : 0 }).apply(L.dense({ units: 6, activation: 'tanh' }).apply(L.flatten().apply(h)));
    return weft.model({ inputs, outputs: L.dense({ units: 2 }).apply(h), seed: 6 });
  }

  it('fit on 1 and 2 workers trains the same model through all four; the noise changes what it learns', async () => {
    const rows = 24;
    const x = floatRows(rows, 12, 31).flat();
    const y = floatRows(rows, 2, 32);
    const train = async (on: boolean, workers: number) => {
      const model = familyModel(on);
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      await model.fit(tf.tensor3d(x, [rows, 4, 3]), y, { epochs: 2, batchSize: 8, shuffle: true, seed: 3, workers, verbose: 0 });
      const params = Array.from(model.params);
      await model.dispose();
      return params;
    };
    const one = await train(true, 1);
    const two = await train(true, 2);
    const quiet = await train(false, 1);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);
    two.forEach((p, i) => expect(rel(p, one[i]), `param ${i}`).toBeLessThanOrEqual(1e-5));
    expect(Math.max(...quiet.map((p, i) => Math.abs(p - one[i])))).toBeGreaterThan(1e-4);
  }, 120_000);
});

describe('inference is the identity', () => {
  it('forward with training=false returns its input; predict and evaluate equal those of the model without noise', async () => {
    const x = tf.tensor3d([[[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 0, 1]]]);
    for (const layer of [L.spatialDropout1d({ rate: 0.5 }), L.gaussianDropout({ rate: 0.5 }), L.gaussianNoise({ stddev: 1 }), L.alphaDropout({ rate: 0.5 })]) {
      expect(built(layer, [4, 3]).forward([x], [], inference).output).toBe(x);
    }
    const inputs = weft.input({ shape: [4, 3] });
    const noisy = weft.model({
      inputs,
      outputs: L.dense({ units: 2 }).apply(L.gaussianDropout({ rate: 0.4 }).apply(L.flatten().apply(
        L.alphaDropout({ rate: 0.3 }).apply(L.spatialDropout1d({ rate: 0.5 }).apply(L.gaussianNoise({ stddev: 0.5 }).apply(inputs)))))),
      seed: 2,
    });
    const plainIn = weft.input({ shape: [4, 3] });
    const plain = weft.model({ inputs: plainIn, outputs: L.dense({ units: 2 }).apply(L.flatten().apply(plainIn)) });
    plain.setWeights(noisy.getWeights());
    const xs = tf.tensor3d(floatRows(10, 12, 8).flat(), [10, 4, 3]);
    const ys = tf.tensor2d(floatRows(10, 2, 9).flat(), [10, 2]);
    const p = ((await noisy.predict(xs)) as weft.tf.Tensor).dataSync();
    expect(((await noisy.predict(xs)) as weft.tf.Tensor).dataSync()).toEqual(p);
    expect(((await plain.predict(xs)) as weft.tf.Tensor).dataSync()).toEqual(p);
    noisy.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    plain.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const e1 = (await noisy.evaluate(xs, ys)) as weft.tf.Scalar;
    const e2 = (await plain.evaluate(xs, ys)) as weft.tf.Scalar;
    expect(e1.dataSync()).toEqual(e2.dataSync());
    await noisy.dispose();
    await plain.dispose();
    x.dispose();
  });
});

describe('config checks, in Keras words', () => {
  const cases: [string, () => unknown, ErrorConstructor, string | RegExp][] = [
    ['GaussianDropout rate 1.5', () => L.gaussianDropout({ rate: 1.5 }), RangeError,
      'Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: rate=1.5'],
    ['GaussianDropout rate 1', () => L.gaussianDropout({ rate: 1 }), RangeError,
      /^Invalid value received for argument `rate`. Expected a float value between 0 and 1, below 1 \(the noise standard deviation sqrt\(rate \/ \(1 - rate\)\) is infinite at rate=1\). Received: rate=1$/],
    ['GaussianDropout rate a string', () => L.gaussianDropout({ rate: '0.5' as never }), TypeError, /argument `rate`. Expected a float value between 0 and 1. Received: rate='0.5'$/],
    ['GaussianDropout without rate', () => L.gaussianDropout({} as never), TypeError, /Received: rate=undefined$/],
    ['AlphaDropout rate -0.1', () => L.alphaDropout({ rate: -0.1 }), RangeError, /`rate`. Expected a float value between 0 and 1. Received: rate=-0.1$/],
    ['AlphaDropout rate NaN', () => L.alphaDropout({ rate: Number.NaN }), RangeError, /Received: rate=NaN$/],
    ['AlphaDropout rate 1', () => L.alphaDropout({ rate: 1 }), RangeError, /below 1 \(the scale a = .* is infinite at rate=1\). Received: rate=1$/],
    ['SpatialDropout1D rate 2', () => L.spatialDropout1d({ rate: 2 }), RangeError, /`rate`. Expected a float value between 0 and 1. Received: rate=2$/],
    ['GaussianNoise stddev -1', () => L.gaussianNoise({ stddev: -1 }), RangeError,
      'Invalid value received for argument `stddev`. Expected a non-negative float value. Received: stddev=-1'],
    ['GaussianNoise stddev Infinity', () => L.gaussianNoise({ stddev: Infinity }), RangeError, /Received: stddev=Infinity$/],
    ['GaussianNoise stddev a string', () => L.gaussianNoise({ stddev: '1' as never }), TypeError, /`stddev`.*Received: stddev='1'$/],
    ['a fractional seed', () => L.gaussianNoise({ stddev: 0.1, seed: 1.5 }), RangeError, 'Invalid value received for argument `seed`. Expected an integer >= 0. Received: seed=1.5'],
    ['a negative seed', () => L.alphaDropout({ rate: 0.1, seed: -3 }), RangeError, /`seed`.*Received: seed=-3$/],
    ['a typo', () => L.gaussianNoise({ stddev: 0.1, stdev: 0.2 } as never), RangeError, /^Unrecognized keyword arguments passed to GaussianNoise: \{'stdev': 0.2\}. Expected only: stddev, seed, name$/],
    ['GaussianDropout has no noiseShape (Keras neither)', () => L.gaussianDropout({ rate: 0.1, noiseShape: [null, 1] } as never), RangeError,
      /passed to GaussianDropout: \{'noiseShape': \[null, 1\]\}/],
    ['SpatialDropout1D has no noiseShape (its own is fixed)', () => L.spatialDropout1d({ rate: 0.1, noiseShape: [null, 1, 2] } as never), RangeError,
      /passed to SpatialDropout1D: \{'noiseShape'/],
  ];
  it.each(cases)('%s', (_name, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });

  it('accepts what Keras accepts: rate 0 and SpatialDropout1D rate 1, stddev above 1 (as Keras 2 and tfjs-layers), trainable: true, dtype float32', () => {
    expect(L.spatialDropout1d({ rate: 1 }).rate).toBe(1);
    expect(L.gaussianNoise({ stddev: 3 }).stddev).toBe(3);
    expect(L.gaussianDropout({ rate: 0, trainable: true, dtype: 'float32' } as never).rate).toBe(0);
  });

  it('shapes are checked at apply, naming the layer', () => {
    expect(() => L.spatialDropout1d({ rate: 0.2, name: 'sd' }).apply(weft.input({ shape: [4] }))).toThrow(
      new weft.ShapeError("Input 0 of layer 'sd' (SpatialDropout1D) is incompatible with the layer: expected ndim=3, found ndim=2. Full shape received: (None, 4)"),
    );
    expect(() => L.spatialDropout1d({ rate: 0.2 }).apply(weft.input({ shape: [2, 3, 4] }))).toThrow(/expected ndim=3, found ndim=4/);
    expect(() => L.alphaDropout({ rate: 0.2, noiseShape: [null, 2, 4] }).apply(weft.input({ shape: [3, 4] }))).toThrow(
      /argument `noiseShape`. Expected null or a shape broadcastable to \(None, 3, 4\) with the batch axis null. Received: noiseShape=\[null, 2, 4\]/,
    );
  });
});

describe('summary rows', () => {
  it("class names, output shapes and no parameters, Keras's default names", () => {
    const inputs = weft.input({ shape: [5, 3] });
    let h = L.gaussianNoise({ stddev: 0.1, name: 'noise' }).apply(inputs);
    h = L.spatialDropout1d({ rate: 0.1, name: 'channels' }).apply(h);
    h = L.alphaDropout({ rate: 0.1, name: 'alpha' }).apply(L.flatten().apply(h));
    h = L.gaussianDropout({ rate: 0.1, name: 'gdrop' }).apply(h);
    const model = weft.model({ inputs, outputs: L.dense({ units: 2 }).apply(h) });
    const lines: string[] = [];
    model.summary(undefined, undefined, (l) => lines.push(l));
    const rowOf = (name: string) => lines.find((l) => l.startsWith(` ${name} `) || l.startsWith(name)) ?? '';
    expect(rowOf('noise (GaussianNoise)')).toMatch(/^\s*noise \(GaussianNoise\)\s+\(None, 5, 3\)\s+0\s*$/);
    expect(rowOf('channels (SpatialDropout1D)')).toMatch(/\(None, 5, 3\)\s+0\s*$/);
    expect(rowOf('alpha (AlphaDropout)')).toMatch(/\(None, 15\)\s+0\s*$/);
    expect(rowOf('gdrop (GaussianDropout)')).toMatch(/\(None, 15\)\s+0\s*$/);
    expect(lines.some((l) => /Total params: 32/.test(l))).toBe(true);
    expect(L.spatialDropout1d({ rate: 0.1 }).name).toMatch(/^spatial_dropout1d(_\d+)?$/);
    expect(L.gaussianDropout({ rate: 0.1 }).name).toMatch(/^gaussian_dropout(_\d+)?$/);
    expect(L.gaussianNoise({ stddev: 0.1 }).name).toMatch(/^gaussian_noise(_\d+)?$/);
    expect(L.alphaDropout({ rate: 0.1 }).name).toMatch(/^alpha_dropout(_\d+)?$/);
  });
});

describe('the Keras JSON mapping', () => {
  /** A Keras JSON config read by the class's own mapping, as loadModel does. */
  const fromKeras = (className: string, config: Record<string, unknown>) =>
    layerClass(className).fromKeras(new KerasConfigReader(className, 'l', config));

  it('reads a Keras 2 converter file (snake_case, trainable, dtype, null seeds and noise shapes)', () => {
    const KERAS2 = { trainable: true, dtype: 'float32' };
    const layer = (class_name: string, name: string, config: Record<string, unknown>, inbound: string | null) => ({
      class_name, name, config: { name, ...KERAS2, ...config }, inbound_nodes: inbound === null ? [] : [[[inbound, 0, 0, {}]]],
    });
    const topology = {
      keras_version: '2.12.0', backend: 'tensorflow',
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'model',
          layers: [
            layer('InputLayer', 'input_1', { batch_input_shape: [null, 6, 4], sparse: false, ragged: false }, null),
            layer('GaussianNoise', 'gaussian_noise', { stddev: 0.1, seed: null }, 'input_1'),
            layer('SpatialDropout1D', 'spatial_dropout1d', { rate: 0.2, noise_shape: null, seed: null }, 'gaussian_noise'),
            layer('AlphaDropout', 'alpha_dropout', { rate: 0.1, noise_shape: [null, 1, 4], seed: 3 }, 'spatial_dropout1d'),
            layer('Flatten', 'flatten', { data_format: 'channels_last' }, 'alpha_dropout'),
            layer('GaussianDropout', 'gaussian_dropout', { rate: 0.3, seed: 12 }, 'flatten'),
            layer('Dense', 'dense', {
              units: 1, activation: 'linear', use_bias: true, kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
              bias_initializer: { class_name: 'Zeros', config: {} }, kernel_regularizer: null, bias_regularizer: null,
              activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
            }, 'gaussian_dropout'),
          ],
          input_layers: [['input_1', 0, 0]],
          output_layers: [['dense', 0, 0]],
        },
      },
    };
    const model = weft.modelFromJSON(fromLayersTopology(topology));
    expect(model.layers.map((l) => l.className)).toEqual(['InputLayer', 'GaussianNoise', 'SpatialDropout1D', 'AlphaDropout', 'Flatten', 'GaussianDropout', 'Dense']);
    expect(model.layers.slice(1, 4).map((l) => l.getConfig())).toEqual([
      { name: 'gaussian_noise', stddev: 0.1, seed: null },
      { name: 'spatial_dropout1d', rate: 0.2, seed: null },
      { name: 'alpha_dropout', rate: 0.1, noiseShape: [null, 1, 4], seed: 3 },
    ]);
    expect(model.layers[5].getConfig()).toEqual({ name: 'gaussian_dropout', rate: 0.3, seed: 12 });
    expect(model.outputs[0].shape).toEqual([null, 1]);
  });

  it("reads Keras 3's configs (a DTypePolicy dtype), and refuses what weft cannot honour by name", () => {
    const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
    expect(fromKeras('SpatialDropout1D', { name: 'l', rate: 0.5, seed: null, dtype: policy })).toEqual({ name: 'l', rate: 0.5, seed: null });
    expect(fromKeras('GaussianNoise', { name: 'l', stddev: 0.2, seed: 4, dtype: policy, trainable: true })).toEqual({ name: 'l', stddev: 0.2, seed: 4 });
    expect(() => fromKeras('GaussianDropout', { rate: 0.5, dtype: 'float16' })).toThrow(
      "Invalid value received for argument `config.dtype of layer 'l' (GaussianDropout)`. Expected 'float32' or null (weft computes in float32). Received: config.dtype of layer 'l' (GaussianDropout)='float16'",
    );
    expect(() => fromKeras('AlphaDropout', { rate: 0.5, dtype: { ...policy, config: { name: 'mixed_float16' } } })).toThrow(/mixed_float16/);
    const frozen = {
      class_name: 'Sequential',
      config: { name: 's', layers: [{ class_name: 'GaussianNoise', config: { name: 'g', stddev: 0.1, trainable: false, batch_input_shape: [null, 3] } }] },
    };
    // A frozen layer loads frozen (issue 14), its flag in the spec.
    expect(fromLayersTopology(frozen).layers[1].config.trainable).toBe(false);
  });

  it('writes what it reads: toKeras then fromKeras gives the config back', () => {
    const layers = [
      built(L.spatialDropout1d({ rate: 0.25, seed: 9, name: 'a' }), [3, 2]),
      built(L.gaussianDropout({ rate: 0.25, name: 'b' }), [3]),
      built(L.gaussianNoise({ stddev: 1.5, seed: 0, name: 'c' }), [3]),
      built(L.alphaDropout({ rate: 0.25, noiseShape: [null, 1, 2], name: 'd' }), [3, 2]),
    ];
    for (const layer of layers) {
      const cls = layerClass(layer.className);
      const json = cls.toKeras(layer.getConfig());
      expect(json.trainable).toBe(true);
      expect({ ...cls.fromKeras(new KerasConfigReader(layer.className, layer.name, json)) }).toEqual(layer.getConfig());
    }
    expect(layerClass('AlphaDropout').toKeras(layers[3].getConfig())).toEqual({ rate: 0.25, noise_shape: [null, 1, 2], seed: null, name: 'd', trainable: true });
  });
});
