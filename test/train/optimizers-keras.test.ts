/**
 * The optimizers Keras users pick beside Adam, SGD and RMSprop — AdamW, Adamax, Nadam, Adagrad,
 * Adadelta — each against a float64 transcription of Keras 3's update (keras/src/optimizers/*.py),
 * over ranges and double buffers as the sharded update runs them, by name and from their config,
 * with a learning-rate schedule, and resumed from a checkpoint.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import {
  adadelta, adagrad, adam, adamax, adamw, getOptimizer, nadam, optimizerFromSpec, sgd, type Optimizer,
} from '../../src/train/optimizers.js';
import { cosineDecay, exponentialDecay, piecewiseConstantDecay } from '../../src/train/schedules.js';
import { trainer } from '../../src/train/trainer.js';
import { bitwiseEqual, classification, flatWeights, wideModel } from '../parallel/helpers.js';
import { rng } from '../support/random-data.js';

const N = 41;
const STEPS = 8;
const BATCH = 16;

const initialParams = (): Float32Array => {
  const u = rng(7);
  return Float32Array.from({ length: N }, () => 2 * u() - 1);
};

/** Gradient sums over BATCH examples at step t (1-based), of varied sizes, a few exactly 0. */
const gradSums = (t: number): Float32Array => {
  const u = rng(1000 + t);
  return Float32Array.from({ length: N }, (_, i) => (i % 13 === 5 ? 0 : BATCH * (2 * u() - 1) * 10 ** (2 * u() - 1.5)));
};

const freshSlots = (opt: Optimizer): Float32Array[] => opt.initialSlotValues.map((v) => new Float32Array(N).fill(v));

/** STEPS in-place steps over the whole buffer. */
function runInPlace(opt: Optimizer): { params: Float32Array; slots: Float32Array[] } {
  const params = initialParams();
  const slots = freshSlots(opt);
  for (let t = 1; t <= STEPS; t++) opt.applyInPlace(params, gradSums(t), slots, t, 1 / BATCH);
  return { params, slots };
}

/**
 * The same STEPS as the sharded update runs them: two buffer sets flipped after each step, the
 * gradient as two rank slots summing to gradSums(t), three ranges per step.
 */
function runSharded(opt: Optimizer, cuts = [0, 11, 30, N]): { params: Float32Array; slots: Float32Array[] } {
  const sets = [0, 1].map(() => ({ params: initialParams(), slots: freshSlots(opt) }));
  let current = 0;
  for (let t = 1; t <= STEPS; t++) {
    const g = gradSums(t);
    // rank 0 holds an arbitrary part, rank 1 the rest; rank0 + rank1 rounds to g exactly here
    // (both are halves of g, and halving a float32 is exact away from the subnormals).
    const grads = [g.map((v) => v / 2), g.map((v) => v / 2)];
    for (let r = 0; r + 1 < cuts.length; r++) {
      opt.applyFrom({ from: sets[current], to: sets[1 - current], grads }, t, 1 / BATCH, cuts[r], cuts[r + 1]);
    }
    current = 1 - current;
  }
  return sets[current];
}

/** Keras 3's update for one element in float64: state holds its slots, t is 1-based, lr that step's rate. */
type Reference = (p: number, g: number, state: number[], t: number, lr: number) => number;

function runReference(update: Reference, initialState: readonly number[], rate: (step: number) => number): number[] {
  const params = Array.from(initialParams());
  const states = params.map(() => [...initialState]);
  for (let t = 1; t <= STEPS; t++) {
    const g = gradSums(t);
    params.forEach((p, i) => (params[i] = update(p, g[i] / BATCH, states[i], t, rate(t - 1))));
  }
  return params;
}

/** Relative error with an absolute floor of 1e-6 (DESIGN.md's tolerance), at most `tolerance`. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-6): void {
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1e-6);
    if (!(error <= tolerance)) throw new Error(`index ${i}: ${actual[i]} vs ${expected[i]} (relative error ${error})`);
  }
}

// ---- Keras 3's formulas, transcribed from keras/src/optimizers/*.py (update_step) in float64 ----

const kerasAdamw = (wd: number, b1: number, b2: number, eps: number, amsgrad: boolean): Reference => (p, g, s, t, lr) => {
  p = p - p * wd * lr; // base_optimizer._apply_weight_decay, before the update
  const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
  s[0] += (g - s[0]) * (1 - b1);
  s[1] += (g * g - s[1]) * (1 - b2);
  let v = s[1];
  if (amsgrad) {
    s[2] = Math.max(s[2], s[1]);
    v = s[2];
  }
  return p - (s[0] * alpha) / (Math.sqrt(v) + eps);
};

const kerasAdamax = (b1: number, b2: number, eps: number): Reference => (p, g, s, t, lr) => {
  s[0] += (g - s[0]) * (1 - b1);
  s[1] = Math.max(b2 * s[1], Math.abs(g));
  return p - (lr * s[0]) / ((1 - b1 ** t) * (s[1] + eps));
};

/** Nadam keeps u_product as Keras does: a running product, multiplied once per step. */
function kerasNadam(b1: number, b2: number, eps: number): Reference {
  const uProduct: number[] = [1]; // uProduct[t] after step t's _backend_update_step
  return (p, g, s, t, lr) => {
    while (uProduct.length <= t) uProduct.push(uProduct[uProduct.length - 1] * b1 * (1 - 0.5 * 0.96 ** uProduct.length));
    const uT = b1 * (1 - 0.5 * 0.96 ** t);
    const uT1 = b1 * (1 - 0.5 * 0.96 ** (t + 1));
    const productT = uProduct[t];
    const productT1 = productT * uT1;
    s[0] += (g - s[0]) * (1 - b1);
    s[1] += (g * g - s[1]) * (1 - b2);
    const mHat = (uT1 * s[0]) / (1 - productT1) + ((1 - uT) * g) / (1 - productT);
    const vHat = s[1] / (1 - b2 ** t);
    return p - (mHat * lr) / (Math.sqrt(vHat) + eps);
  };
}

const kerasAdagrad = (eps: number): Reference => (p, g, s, _t, lr) => {
  s[0] += g * g;
  return p - (lr * g) / Math.sqrt(s[0] + eps);
};

const kerasAdadelta = (rho: number, eps: number): Reference => (p, g, s, _t, lr) => {
  const rms = (x: number) => Math.sqrt(x + eps);
  s[0] = rho * s[0] + (1 - rho) * g * g;
  const delta = -(rms(s[1]) * g) / rms(s[0]);
  s[1] = rho * s[1] + (1 - rho) * delta * delta;
  return p + lr * delta;
};

const constant = (lr: number) => () => lr;

/** [title, optimizer, Keras's update, Keras's initial slot values, the rate at each step]. */
const CASES: Array<[string, () => Optimizer, Reference, number[], (step: number) => number]> = [
  ['AdamW defaults', () => adamw(), kerasAdamw(0.004, 0.9, 0.999, 1e-7, false), [0, 0], constant(0.001)],
  ['AdamW, strong decay and rate', () => adamw({ learningRate: 0.05, weightDecay: 0.3, beta1: 0.8, beta2: 0.95, epsilon: 1e-4 }),
    kerasAdamw(0.3, 0.8, 0.95, 1e-4, false), [0, 0], constant(0.05)],
  ['AdamW amsgrad', () => adamw({ learningRate: 0.01, amsgrad: true }), kerasAdamw(0.004, 0.9, 0.999, 1e-7, true), [0, 0, 0], constant(0.01)],
  ['Adamax defaults', () => adamax(), kerasAdamax(0.9, 0.999, 1e-7), [0, 0], constant(0.001)],
  ['Adamax', () => adamax({ learningRate: 0.02, beta1: 0.7, beta2: 0.9, epsilon: 1e-3 }), kerasAdamax(0.7, 0.9, 1e-3), [0, 0], constant(0.02)],
  ['Nadam defaults', () => nadam(), kerasNadam(0.9, 0.999, 1e-7), [0, 0], constant(0.001)],
  ['Nadam', () => nadam({ learningRate: 0.03, beta1: 0.6, beta2: 0.99, epsilon: 1e-5 }), kerasNadam(0.6, 0.99, 1e-5), [0, 0], constant(0.03)],
  ['Adagrad defaults', () => adagrad(), kerasAdagrad(1e-7), [0.1], constant(0.001)],
  ['Adagrad', () => adagrad({ learningRate: 0.1, initialAccumulatorValue: 0.5, epsilon: 1e-3 }), kerasAdagrad(1e-3), [0.5], constant(0.1)],
  ['Adadelta defaults', () => adadelta(), kerasAdadelta(0.95, 1e-7), [0, 0], constant(0.001)],
  ['Adadelta', () => adadelta({ learningRate: 1, rho: 0.5, epsilon: 1e-4 }), kerasAdadelta(0.5, 1e-4), [0, 0], constant(1)],
  ['Nadam on a cosine schedule with warm-up',
    () => nadam({ learningRate: cosineDecay({ initialLearningRate: 0, decaySteps: 4, warmupTarget: 0.05, warmupSteps: 3, alpha: 0.1 }) }),
    kerasNadam(0.9, 0.999, 1e-7), [0, 0],
    (step) => (step < 3 ? (0.05 * step) / 3 : 0.05 * (0.9 * 0.5 * (1 + Math.cos((Math.PI * Math.min(step - 3, 4)) / 4)) + 0.1))],
  ['AdamW on an exponential decay (the decay uses the scheduled rate too)',
    () => adamw({ learningRate: exponentialDecay({ initialLearningRate: 0.05, decaySteps: 2, decayRate: 0.5 }), weightDecay: 0.2 }),
    kerasAdamw(0.2, 0.9, 0.999, 1e-7, false), [0, 0], (step) => 0.05 * 0.5 ** (step / 2)],
  ['Adagrad on piecewise constants',
    () => adagrad({ learningRate: piecewiseConstantDecay({ boundaries: [2, 5], values: [0.3, 0.1, 0.01] }) }),
    kerasAdagrad(1e-7), [0.1], (step) => (step <= 2 ? 0.3 : step <= 5 ? 0.1 : 0.01)],
];

describe("each optimizer follows Keras 3's update (float64 reference, 8 steps, relative 1e-6)", () => {
  it.each(CASES)('%s', (_, make, update, initialState, rate) => {
    const opt = make();
    expect(opt.initialSlotValues).toEqual(initialState);
    expect(opt.slotCount).toBe(initialState.length);
    expectClose(runInPlace(opt).params, runReference(update, initialState, rate));
  });

  it('Nadam over 300 steps: the momentum-cache product from t alone matches the running product Keras keeps', () => {
    const opt = nadam({ learningRate: 0.01 });
    const reference = kerasNadam(0.9, 0.999, 1e-7);
    const params = Float32Array.of(0.5, -0.25);
    const slots = [new Float32Array(2), new Float32Array(2)];
    const expected = [0.5, -0.25];
    const states = [[0, 0], [0, 0]];
    for (let t = 1; t <= 300; t++) {
      const g = Float32Array.of(Math.sin(t), Math.cos(3 * t) * 0.01);
      opt.applyInPlace(params, g, slots, t, 1);
      expected.forEach((p, i) => (expected[i] = reference(p, g[i], states[i], t, 0.01)));
    }
    expectClose(params, expected, 1e-5);
    // A fresh optimizer asked for step 300 first (a resumed run) gives bitwise the same update.
    const resumed = nadam({ learningRate: 0.01 });
    const a = { params: params.slice(), slots: slots.map((s) => s.slice()) };
    const b = { params: params.slice(), slots: slots.map((s) => s.slice()) };
    opt.applyInPlace(a.params, Float32Array.of(1, 1), a.slots, 301, 1);
    resumed.applyInPlace(b.params, Float32Array.of(1, 1), b.slots, 301, 1);
    expect(bitwiseEqual(a.params, b.params)).toBe(true);
  });
});

describe('ranges and buffer sets (the sharded update) are bitwise the in-place update', () => {
  it.each(CASES)('%s: three ranges from one set into the other equal one in-place call', (_, make) => {
    const whole = runInPlace(make());
    for (const cuts of [[0, 11, 30, N], [0, 0, 1, N], [0, 20, N, N]]) {
      const split = runSharded(make(), cuts);
      expect(bitwiseEqual(split.params, whole.params)).toBe(true);
      split.slots.forEach((s, k) => expect(bitwiseEqual(s, whole.slots[k])).toBe(true));
    }
  });
});

describe('construction by name and from the config', () => {
  it.each([
    ['adamw', 'AdamW', { learningRate: 0.001, weightDecay: 0.004, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false }],
    ['AdamW', 'AdamW', undefined],
    ['adamax', 'Adamax', { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }],
    ['nadam', 'Nadam', { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }],
    ['adagrad', 'Adagrad', { learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7 }],
    ['Adadelta', 'Adadelta', { learningRate: 0.001, rho: 0.95, epsilon: 1e-7 }],
  ])("getOptimizer('%s') is a fresh %s with Keras 3's defaults", (name, className, config) => {
    const opt = getOptimizer(name);
    expect(opt.className).toBe(className);
    if (config !== undefined) expect(opt.getConfig()).toEqual(config);
    expect(getOptimizer(name)).not.toBe(opt);
  });

  it.each([
    adamw({ learningRate: 0.003, weightDecay: 0.1, beta1: 0.5, beta2: 0.9, epsilon: 1e-4, amsgrad: true, clipnorm: 2 }),
    adamax({ learningRate: 0.2, beta1: 0.1, beta2: 0.5, epsilon: 0, clipvalue: 1 }),
    nadam({ learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-3, globalClipnorm: 5 }),
    adagrad({ learningRate: 0.05, initialAccumulatorValue: 0, epsilon: 1e-6 }),
    adadelta({ learningRate: 1, rho: 0.9, epsilon: 1e-6 }),
    nadam({ learningRate: cosineDecay({ initialLearningRate: 0.1, decaySteps: 100, alpha: 0.01, warmupTarget: 0.5, warmupSteps: 10 }) }),
    sgd({ learningRate: piecewiseConstantDecay({ boundaries: [10, 20], values: [0.1, 0.01, 0.001] }), momentum: 0.9 }),
  ])('optimizerFromSpec round-trips getConfig of $className through JSON', (opt) => {
    const spec = JSON.parse(JSON.stringify({ className: opt.className, config: opt.getConfig() }));
    const rebuilt = optimizerFromSpec(spec);
    expect(rebuilt.className).toBe(opt.className);
    expect(rebuilt.slotCount).toBe(opt.slotCount);
    expect(rebuilt.initialSlotValues).toEqual(opt.initialSlotValues);
    expect(rebuilt.getConfig()).toEqual(opt.getConfig());
    expect(rebuilt.clipping).toEqual(opt.clipping);
    for (const step of [0, 5, 10, 15, 150]) expect(rebuilt.learningRateAt(step)).toBe(opt.learningRateAt(step));
  });

  it('a schedule serialises as {className, config}, as Keras writes it (in camelCase)', () => {
    const opt = adam({ learningRate: exponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true }) });
    expect(opt.getConfig()).toEqual({
      learningRate: { className: 'ExponentialDecay', config: { initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true, name: 'ExponentialDecay' } },
      beta1: 0.9, beta2: 0.999, epsilon: 1e-7,
    });
  });
});

describe('a scheduled learning rate', () => {
  it('is read at the step count before the update: step 0 for the first, as in Keras', () => {
    const schedule = exponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 0.5 });
    const opt = sgd({ learningRate: schedule });
    const params = Float32Array.of(0);
    for (let t = 1; t <= 3; t++) opt.applyInPlace(params, Float32Array.of(1), [], t, 1);
    expect(params[0]).toBe(-(1 + 0.5 + 0.25));
    expect(opt.learningRateAt(0)).toBe(1);
    expect(opt.learningRate).toBe(1); // iterations 0: nothing compiled it yet
    opt.iterations = 3;
    expect(opt.learningRate).toBe(0.125);
    expect(opt.learningRateSchedule).toBe(schedule);
  });

  it('is not settable with a number (a TypeError, as Keras raises); a schedule replaces it', () => {
    const opt = adamw({ learningRate: cosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }) });
    expect(() => (opt.learningRate = 0.5)).toThrow(TypeError);
    expect(() => (opt.learningRate = 0.5)).toThrow(
      "This optimizer's `learningRate` is a LearningRateSchedule (CosineDecay), hence its learning rate is not settable. Received: learningRate=0.5.",
    );
    opt.learningRate = exponentialDecay({ initialLearningRate: 0.2, decaySteps: 1, decayRate: 1 });
    expect(opt.learningRate).toBe(0.2);
    expect((opt.getConfig().learningRate as { className: string }).className).toBe('ExponentialDecay');
  });

  it('follows the optimizer steps of fit: the model reports the rate of the next step, and a setting callback fails as in Keras', async () => {
    const { x, y } = classification(48);
    const model = wideModel(3);
    const schedule = piecewiseConstantDecay({ boundaries: [2], values: [0.01, 0.001] });
    const opt = adamw({ learningRate: schedule });
    model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
    const seen: number[] = [];
    await model.fit(x, y, { epochs: 2, batchSize: 16, workers: 2, verbose: 0, callbacks: { onEpochEnd: () => { seen.push(opt.learningRate); } } });
    expect(opt.iterations).toBe(6);
    expect(seen).toEqual([0.001, 0.001]); // after 3 steps, step index 3 > boundary 2
    const scheduler = weft.callbacks.learningRateScheduler((_epoch, lr) => lr / 2);
    const error = await model.fit(x, y, { epochs: 1, batchSize: 16, workers: 2, verbose: 0, callbacks: [scheduler] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/learning rate is not settable/);
    await model.dispose();
  });
});

describe('validation names the argument, the expected and the received', () => {
  it.each([
    [() => adamw({ weightDecay: -0.1 }), RangeError, 'Invalid value received for argument `weightDecay`. Expected a finite number >= 0. Received: weightDecay=-0.1'],
    [() => adamw({ amsgrad: 1 as unknown as boolean }), TypeError, 'Invalid type received for argument `amsgrad`. Expected a boolean. Received: amsgrad=1'],
    [() => adamw({ beta1: 1 }), RangeError, 'Invalid value received for argument `beta1`. Expected a number in [0, 1). Received: beta1=1'],
    [() => adamax({ beta2: -0.5 }), RangeError, 'Invalid value received for argument `beta2`. Expected a number in [0, 1). Received: beta2=-0.5'],
    [() => nadam({ epsilon: Number.NaN }), RangeError, 'Invalid value received for argument `epsilon`. Expected a finite number >= 0. Received: epsilon=NaN'],
    [() => adagrad({ initialAccumulatorValue: -1 }), RangeError, 'Invalid value received for argument `initialAccumulatorValue`. Expected a finite number >= 0. Received: initialAccumulatorValue=-1'],
    [() => adadelta({ rho: 1.5 }), RangeError, 'Invalid value received for argument `rho`. Expected a number in [0, 1). Received: rho=1.5'],
    [() => adadelta({ learningRate: -1 }), RangeError, 'Invalid value received for argument `learningRate`. Expected a finite number >= 0. Received: learningRate=-1'],
    [() => nadam({ learningRate: '0.1' as unknown as number }), TypeError, "Invalid type received for argument `learningRate`. Expected a finite number >= 0 or a LearningRateSchedule. Received: learningRate='0.1'"],
    [() => adamw({ clipnorm: 1, clipvalue: 1 }), RangeError, 'at most one of clipnorm, clipvalue, globalClipnorm'],
    [() => adagrad(null as never), TypeError, 'Invalid type received for argument `config`. Expected an object of Adagrad options. Received: config=null'],
  ])('%#: %s', (make, type, message) => {
    expect(make).toThrow(type);
    expect(make).toThrow(message);
  });

  it.each([
    ['AdamW', { weight_decay: 0.1 }, "Unknown AdamW config key: 'weight_decay'. Expected one of: 'learningRate', 'weightDecay', 'beta1', 'beta2', 'epsilon', 'amsgrad', 'clipnorm', 'clipvalue', 'globalClipnorm'."],
    ['Adamax', { decay: 0 }, "Unknown Adamax config key: 'decay'. Expected one of: 'learningRate', 'beta1', 'beta2', 'epsilon', 'clipnorm'"],
    ['Nadam', { momentum: 0.9 }, "Unknown Nadam config key: 'momentum'."],
    ['Adagrad', { initialAccumulator: 0.1 }, "Unknown Adagrad config key: 'initialAccumulator'. Expected one of: 'learningRate', 'initialAccumulatorValue', 'epsilon',"],
    ['Adadelta', { beta1: 0.9 }, "Unknown Adadelta config key: 'beta1'. Expected one of: 'learningRate', 'rho', 'epsilon',"],
  ])('%s refuses an unknown key', (className, config, message) => {
    expect(() => optimizerFromSpec({ className, config })).toThrow(message);
  });

  it('a schedule in a config is checked like one given directly', () => {
    expect(() => optimizerFromSpec({ className: 'Adam', config: { learningRate: { className: 'CosineDecay', config: { initialLearningRate: 0.1, decaySteps: 0 } } } })).toThrow(
      'Invalid value received for argument `decaySteps`. Expected a finite number > 0. Received: decaySteps=0',
    );
    expect(() => optimizerFromSpec({ className: 'Adam', config: { learningRate: { className: 'Warmup', config: {} } } })).toThrow(
      "Unknown learning rate schedule: 'Warmup'. Expected one of: 'ExponentialDecay', 'PiecewiseConstantDecay', 'PolynomialDecay', 'CosineDecay'.",
    );
  });

  it('a schedule that returns a bad rate fails the step, naming the schedule and step', () => {
    const broken = { className: 'Mine', valueAt: (step: number) => (step < 1 ? 0.1 : Number.NaN), getConfig: () => ({}) };
    const opt = sgd({ learningRate: broken });
    const params = Float32Array.of(1);
    opt.applyInPlace(params, Float32Array.of(1), [], 1, 1);
    expect(() => opt.applyInPlace(params, Float32Array.of(1), [], 2, 1)).toThrow(
      'Invalid value received for argument `learningRate (Mine at step 1)`. Expected a finite number >= 0. Received: learningRate (Mine at step 1)=NaN',
    );
  });
});

describe('checkpoints of the new optimizers', () => {
  it.each([
    ['Nadam on a cosine schedule (sharded update)', () => nadam({ learningRate: cosineDecay({ initialLearningRate: 0.002, decaySteps: 10, warmupTarget: 0.01, warmupSteps: 3 }) })],
    ['Adagrad (slots that do not start at 0)', () => adagrad({ learningRate: 0.05 })],
  ])('save after epoch 2, loadModel, resume: bitwise the uninterrupted run, %s', async (_, make) => {
    const { x, y } = classification(48);
    const args = { batchSize: 16, seed: 4, workers: 2, verbose: 0 as const };
    const build = () => {
      const m = wideModel(5);
      m.compile({ optimizer: make(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const whole = build();
    await whole.fit(x, y, { ...args, epochs: 4 });
    const first = build();
    await first.fit(x, y, { ...args, epochs: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'weft-opt-ckpt-'));
    await first.save(`file://${dir}`, { includeOptimizer: true });
    const resumed = await weft.loadModel(`file://${dir}/model.json`);
    const h = await resumed.fit(x, y, { ...args, epochs: 4, initialEpoch: 2 });
    expect(h.epoch).toEqual([2, 3]);
    expect(bitwiseEqual(flatWeights(resumed), flatWeights(whole))).toBe(true);
    await Promise.all([whole.dispose(), first.dispose(), resumed.dispose()]);
  });
});

describe('in the trainer thread', () => {
  it('a scheduled Nadam trains there what model.fit trains, bitwise, and the host callbacks read the thread\'s rate', async () => {
    const { x, y } = classification(48);
    const make = () => nadam({ learningRate: cosineDecay({ initialLearningRate: 0.001, decaySteps: 4, warmupTarget: 0.004, warmupSteps: 2 }) });
    const args = { epochs: 2, batchSize: 16, seed: 3, workers: 2, verbose: 0 } as const;
    const ref = wideModel(2);
    ref.compile({ optimizer: make(), loss: 'categoricalCrossentropy' });
    await ref.fit(x, y, args);
    const model = wideModel(2);
    const t = await trainer(model, { optimizer: make(), loss: 'categoricalCrossentropy' });
    const rates: number[] = [];
    await t.fit(x, y, { ...args, callbacks: [weft.callbacks.reduceLROnPlateau({ monitor: 'loss', patience: 100 }), { onEpochEnd: (_e: number, logs?: Record<string, number>) => { rates.push(logs?.learning_rate ?? Number.NaN); } }] });
    expect(bitwiseEqual(model.params, ref.params)).toBe(true);
    // After 3 and 6 steps: warm-up done, then the cosine from 0.004 at steps 1 and 4 (held) of 4.
    expect(rates).toEqual([0.004 * 0.5 * (1 + Math.cos(Math.PI / 4)), 0]);
    await t.dispose();
    await Promise.all([model.dispose(), ref.dispose()]);
  });
});
