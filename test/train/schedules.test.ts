/**
 * Keras 3's LearningRateSchedules (keras/src/optimizers/schedules/learning_rate_schedule.py):
 * each against its formula at several steps and against the values Keras's own tests expect,
 * their configs, their errors, and Keras's end-to-end check (Adam on an ExponentialDecay).
 */
import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { adam } from '../../src/train/optimizers.js';
import {
  cosineDecay, exponentialDecay, piecewiseConstantDecay, polynomialDecay, scheduleFromSpec, type LearningRateSchedule,
} from '../../src/train/schedules.js';

const STEPS = [0, 1, 2, 3, 5, 9, 10, 11, 15, 20, 37, 100, 1000, 2500];

function expectValues(schedule: LearningRateSchedule, formula: (step: number) => number, steps = STEPS): void {
  for (const step of steps) {
    const expected = formula(step);
    const actual = schedule.valueAt(step);
    const error = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-6);
    if (!(error <= 1e-12)) throw new Error(`step ${step}: ${actual} vs ${expected}`);
  }
}

const close = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(expected)));

describe('exponentialDecay', () => {
  it('is initial · rate^(step / decaySteps), the exponent floored with staircase', () => {
    expectValues(exponentialDecay({ initialLearningRate: 0.1, decaySteps: 7, decayRate: 0.8 }), (s) => 0.1 * 0.8 ** (s / 7));
    expectValues(exponentialDecay({ initialLearningRate: 0.1, decaySteps: 7, decayRate: 0.8, staircase: true }), (s) => 0.1 * 0.8 ** Math.floor(s / 7));
  });

  it("gives the values of Keras's tests", () => {
    close(exponentialDecay({ initialLearningRate: 0.05, decaySteps: 10, decayRate: 0.96 }).valueAt(5), 0.05 * 0.96 ** 0.5);
    const stairs = exponentialDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.96, staircase: true });
    close(stairs.valueAt(1), 0.1);
    close(stairs.valueAt(2), 0.1);
    close(stairs.valueAt(100), 0.1 * 0.96 ** 33);
  });
});

describe('piecewiseConstantDecay', () => {
  it('is values[0] up to and including boundaries[0], then each value up to and including its boundary', () => {
    const schedule = piecewiseConstantDecay({ boundaries: [100, 110, 120], values: [1, 0.1, 0.01, 0.001] });
    const formula = (s: number) => (s <= 100 ? 1 : s <= 110 ? 0.1 : s <= 120 ? 0.01 : 0.001);
    expectValues(schedule, formula, [0, 99, 100, 101, 105, 110, 111, 120, 121, 999]);
  });

  it("gives the values of Keras's boundary test", () => {
    const schedule = piecewiseConstantDecay({ boundaries: [1, 2, 3], values: [0.4, 0.5, 0.6, 0.7] });
    expect([0, 1, 2, 3, 4].map((s) => schedule.valueAt(s))).toEqual([0.4, 0.4, 0.5, 0.6, 0.7]);
  });
});

describe('polynomialDecay', () => {
  const formula = (init: number, steps: number, end: number, power: number, cycle: boolean) => (s: number) => {
    const decaySteps = cycle ? steps * (s === 0 ? 1 : Math.ceil(s / steps)) : steps;
    const step = cycle ? s : Math.min(s, steps);
    return (init - end) * (1 - step / decaySteps) ** power + end;
  };

  it('decays to endLearningRate over decaySteps, then holds; with cycle, restarts over the next multiple', () => {
    expectValues(polynomialDecay({ initialLearningRate: 0.1, decaySteps: 10 }), formula(0.1, 10, 0.0001, 1, false));
    expectValues(polynomialDecay({ initialLearningRate: 0.1, decaySteps: 10, endLearningRate: 0.01, power: 0.5 }), formula(0.1, 10, 0.01, 0.5, false));
    expectValues(polynomialDecay({ initialLearningRate: 0.1, decaySteps: 10, endLearningRate: 0.01, power: 2, cycle: true }), formula(0.1, 10, 0.01, 2, true));
  });

  it("gives the values of Keras's tests", () => {
    const lr = 0.05;
    const end = 0.001;
    close(polynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: 0 }).valueAt(5), lr * 0.5);
    close(polynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: end }).valueAt(10), end);
    close(polynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: end }).valueAt(15), end);
    close(polynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: end, cycle: true }).valueAt(15), (lr - end) * 0.25 + end);
    close(polynomialDecay({ initialLearningRate: lr, decaySteps: 10, endLearningRate: end, power: 0.5, cycle: true }).valueAt(15), (lr - end) * 0.25 ** 0.5 + end);
    close(polynomialDecay({ initialLearningRate: lr, decaySteps: 10, cycle: true }).valueAt(0), lr);
  });
});

describe('cosineDecay', () => {
  const cosine = (s: number, steps: number, alpha: number) => (1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * Math.min(s, steps)) / steps)) + alpha;

  it('decays from initialLearningRate to alpha times it over decaySteps, then holds', () => {
    expectValues(cosineDecay({ initialLearningRate: 0.2, decaySteps: 37 }), (s) => 0.2 * cosine(s, 37, 0));
    expectValues(cosineDecay({ initialLearningRate: 0.2, decaySteps: 37, alpha: 0.1 }), (s) => 0.2 * cosine(s, 37, 0.1));
  });

  it('with warmupTarget: linear from initialLearningRate to it over warmupSteps, then the cosine from the target', () => {
    const schedule = cosineDecay({ initialLearningRate: 0.01, decaySteps: 20, alpha: 0.05, warmupTarget: 0.1, warmupSteps: 10 });
    expectValues(schedule, (s) => (s < 10 ? 0.01 + (0.1 - 0.01) * (s / 10) : 0.1 * cosine(s - 10, 20, 0.05)));
    expect(schedule.valueAt(10)).toBe(0.1);
  });

  it('without warmupTarget, warmupSteps does nothing (as in Keras)', () => {
    const plain = cosineDecay({ initialLearningRate: 0.2, decaySteps: 37 });
    const ignored = cosineDecay({ initialLearningRate: 0.2, decaySteps: 37, warmupSteps: 10 });
    for (const s of STEPS) expect(ignored.valueAt(s)).toBe(plain.valueAt(s));
  });

  it("gives the values of Keras's tests", () => {
    for (let step = 0; step < 1500; step += 250) {
      close(cosineDecay({ initialLearningRate: 1, decaySteps: 1000 }).valueAt(step), cosine(step, 1000, 0));
      close(cosineDecay({ initialLearningRate: 1, decaySteps: 1000, alpha: 0.1 }).valueAt(step), cosine(step, 1000, 0.1));
      close(cosineDecay({ initialLearningRate: 0, decaySteps: 10, warmupTarget: 10, warmupSteps: 1500 }).valueAt(step), (step / 1500) * 10);
    }
    for (let step = 0; step < 3000; step += 250) {
      const expected = step < 2001 ? (step / 2000) * 10 : 10 * cosine(step - 2000, 1000, 0);
      close(cosineDecay({ initialLearningRate: 0, decaySteps: 1000, warmupTarget: 10, warmupSteps: 2000 }).valueAt(step), expected);
    }
  });
});

describe('configs', () => {
  it.each([
    exponentialDecay({ initialLearningRate: 0.1, decaySteps: 3, decayRate: 0.5, staircase: true, name: 'mine' }),
    piecewiseConstantDecay({ boundaries: [5, 10], values: [0.1, 0.05, 0.01] }),
    polynomialDecay({ initialLearningRate: 0.1, decaySteps: 100, endLearningRate: 0.001, power: 2, cycle: true }),
    cosineDecay({ initialLearningRate: 0.05, decaySteps: 10, alpha: 0.1, warmupTarget: 0.2, warmupSteps: 2, name: 'my_cd' }),
    cosineDecay({ initialLearningRate: 0.05, decaySteps: 10 }),
  ])('scheduleFromSpec round-trips $className through JSON', (schedule) => {
    const rebuilt = scheduleFromSpec(JSON.parse(JSON.stringify({ className: schedule.className, config: schedule.getConfig() })));
    expect(rebuilt.className).toBe(schedule.className);
    expect(rebuilt.getConfig()).toEqual(schedule.getConfig());
    for (const s of STEPS) expect(rebuilt.valueAt(s)).toBe(schedule.valueAt(s));
  });

  it("lists Keras's fields with Keras's defaults", () => {
    expect(cosineDecay({ initialLearningRate: 0.05, decaySteps: 10 }).getConfig()).toEqual({
      initialLearningRate: 0.05, decaySteps: 10, alpha: 0, warmupTarget: null, warmupSteps: 0, name: 'CosineDecay',
    });
    expect(polynomialDecay({ initialLearningRate: 0.05, decaySteps: 10 }).getConfig()).toEqual({
      initialLearningRate: 0.05, decaySteps: 10, endLearningRate: 0.0001, power: 1, cycle: false, name: 'PolynomialDecay',
    });
    expect(piecewiseConstantDecay({ boundaries: [1], values: [1, 2] }).getConfig()).toEqual({ boundaries: [1], values: [1, 2], name: 'PiecewiseConstant' });
  });

  it("reads Keras's own serialized form (snake_case, class_name, module)", () => {
    const schedule = scheduleFromSpec({
      module: 'keras.optimizers.schedules', class_name: 'ExponentialDecay', registered_name: null,
      config: { initial_learning_rate: 0.1, decay_steps: 100, decay_rate: 0.96, staircase: false, name: 'ExponentialDecay' },
    });
    expect(schedule.getConfig()).toEqual({ initialLearningRate: 0.1, decaySteps: 100, decayRate: 0.96, staircase: false, name: 'ExponentialDecay' });
  });
});

describe('errors name the argument, the expected and the received', () => {
  it.each([
    [() => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.9 }), RangeError, 'Invalid value received for argument `decaySteps`. Expected a finite number > 0. Received: decaySteps=0'],
    [() => exponentialDecay({ initialLearningRate: 0.1, decayRate: 0.9 } as never), TypeError, 'Invalid type received for argument `decaySteps`. Expected a finite number > 0. Received: decaySteps=undefined'],
    [() => exponentialDecay({ initialLearningRate: -1, decaySteps: 1, decayRate: 0.9 }), RangeError, 'Invalid value received for argument `initialLearningRate`. Expected a finite number >= 0. Received: initialLearningRate=-1'],
    [() => exponentialDecay({ initialLearningRate: 0.1, decaySteps: 1, decayRate: 0.9, staircase: 'yes' as never }), TypeError, "Expected a boolean. Received: staircase='yes'"],
    [() => piecewiseConstantDecay({ boundaries: [1, 2], values: [0.1, 0.2] }), RangeError, 'The length of boundaries should be 1 less than the length of values. Received: boundaries=[1, 2] of length 2, and values=[0.1, 0.2] of length 2.'],
    [() => piecewiseConstantDecay({ boundaries: [2, 1], values: [0.1, 0.2, 0.3] }), RangeError, 'Invalid value received for argument `boundaries`. Expected strictly increasing numbers. Received: boundaries=[2, 1]'],
    [() => piecewiseConstantDecay({ boundaries: [1], values: [0.1, -0.2] }), RangeError, 'Invalid value received for argument `values[1]`. Expected a finite numbers >= 0'],
    [() => piecewiseConstantDecay({ boundaries: 5 as never, values: [0.1] }), TypeError, 'Invalid type received for argument `boundaries`. Expected an array of finite numbers. Received: boundaries=5'],
    [() => polynomialDecay({ initialLearningRate: 0.1, decaySteps: 10, power: 0 }), RangeError, 'Invalid value received for argument `power`. Expected a finite number > 0. Received: power=0'],
    [() => cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, alpha: 2 }), RangeError, 'Invalid value received for argument `alpha`. Expected a number in [0, 1]. Received: alpha=2'],
    [() => cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmupTarget: -1 }), RangeError, 'Invalid value received for argument `warmupTarget`. Expected a finite number >= 0. Received: warmupTarget=-1'],
    [() => cosineDecay({ initialLearningRate: 0.1, decaySteps: 10, warmup_steps: 5 } as never), RangeError, "Unknown CosineDecay config key: 'warmup_steps'. Expected one of: 'initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps', 'name'."],
    [() => cosineDecay(undefined as never), TypeError, 'Invalid type received for argument `config`. Expected an object of CosineDecay options. Received: config=undefined'],
    [() => scheduleFromSpec({ className: 'InverseTimeDecay', config: {} }), RangeError, "Unknown learning rate schedule: 'InverseTimeDecay'. Expected one of: 'ExponentialDecay', 'PiecewiseConstantDecay', 'PolynomialDecay', 'CosineDecay'."],
    [() => cosineDecay({ initialLearningRate: 0.1, decaySteps: 10 }).valueAt(-1), RangeError, 'Invalid value received for argument `step`. Expected an integer >= 0. Received: step=-1'],
  ])('%#', (make, type, message) => {
    expect(make).toThrow(type);
    expect(make).toThrow(message);
  });
});

describe('schedules in fit', () => {
  it("Keras's own check: Adam on ExponentialDecay(0.05, 1, 0.9), Dense(2) of ones, mse, 3 epochs of 4 batches", async () => {
    // keras/src/optimizers/schedules/learning_rate_schedule_test.py, test_fit_lr_correctness.
    const inputs = weft.input({ shape: [2] });
    const outputs = weft.layers.dense({ units: 2, kernelInitializer: 'ones', biasInitializer: 'ones' }).apply(inputs);
    const model = weft.model({ inputs, outputs });
    const optimizer = adam({ learningRate: exponentialDecay({ initialLearningRate: 0.05, decaySteps: 1, decayRate: 0.9 }) });
    model.compile({ optimizer, loss: 'mse' });
    const x = weft.tf.tensor2d(Float32Array.from({ length: 32 }, (_, i) => i), [16, 2]);
    const history = await model.fit(x, x, { epochs: 3, batchSize: 4, shuffle: false, workers: 1, verbose: 0 });
    expect(optimizer.iterations).toBe(12);
    const keras = [230.79457092285156, 128.30319213867188, 79.33648681640625];
    history.history.loss.forEach((loss, i) => expect(Math.abs((loss as number) - keras[i]) / keras[i]).toBeLessThan(5e-5));
    await model.dispose();
  });
});
