import { describe, expect, it } from 'vitest';
import { adam, getOptimizer, optimizerFromSpec, rmsprop, sgd, type Optimizer } from '../../src/train/optimizers.js';

const N = 37;
const STEPS = 5;
const BATCH = 8;

/** Deterministic data: parameters of order 1, gradient sums of order BATCH, different at each step. */
const initialParams = (): Float32Array => Float32Array.from({ length: N }, (_, i) => 1 + 0.5 * Math.sin(i * 1.7));
const gradSums = (step: number): Float32Array =>
  Float32Array.from({ length: N }, (_, i) => BATCH * Math.sin(i * 12.9898 + step * 78.233));
const zeroSlots = (opt: Optimizer, shared = false): Float32Array[] =>
  Array.from({ length: opt.slotCount }, () =>
    shared ? new Float32Array(new SharedArrayBuffer(N * 4)) : new Float32Array(N),
  );

/** Runs STEPS steps over the whole buffer, or split at `k` into two calls per step. */
function run(opt: Optimizer, k?: number, shared = false): { params: Float32Array; slots: Float32Array[] } {
  const params = initialParams();
  const slots = zeroSlots(opt, shared);
  for (let t = 1; t <= STEPS; t++) {
    const g = gradSums(t);
    if (k === undefined) {
      opt.applyInPlace(params, g, slots, t, 1 / BATCH);
    } else {
      opt.applyInPlace(params, g, slots, t, 1 / BATCH, 0, k);
      opt.applyInPlace(params, g, slots, t, 1 / BATCH, k, N);
    }
  }
  return { params, slots };
}

/** The same STEPS steps in float64, one element at a time, written straight from the formulas. */
function reference(update: (p: number, g: number, state: number[], t: number) => number, stateSize: number): number[] {
  const params = Array.from(initialParams());
  const states = params.map(() => new Array<number>(stateSize).fill(0));
  for (let t = 1; t <= STEPS; t++) {
    const g = gradSums(t);
    params.forEach((p, i) => (params[i] = update(p, g[i] / BATCH, states[i], t)));
  }
  return params;
}

function expectClose(actual: Float32Array, expected: number[]): void {
  expected.forEach((e, i) => {
    const error = Math.abs(actual[i] - e) / Math.abs(e);
    if (error > 1e-6) throw new Error(`index ${i}: ${actual[i]} vs ${e} (relative error ${error})`);
  });
}

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe('update formulas match float64 hand computations', () => {
  it('Adam (Keras epsilon-hat form)', () => {
    const [lr, b1, b2, eps] = [0.01, 0.8, 0.95, 1e-3];
    const expected = reference((p, g, s, t) => {
      s[0] = s[0] + (g - s[0]) * (1 - b1);
      s[1] = s[1] + (g * g - s[1]) * (1 - b2);
      const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      return p - (alpha * s[0]) / (Math.sqrt(s[1]) + eps);
    }, 2);
    expectClose(run(adam({ learningRate: lr, beta1: b1, beta2: b2, epsilon: eps })).params, expected);
  });

  it('Adam with defaults', () => {
    const expected = reference((p, g, s, t) => {
      s[0] = 0.9 * s[0] + 0.1 * g;
      s[1] = 0.999 * s[1] + 0.001 * g * g;
      return p - (((0.001 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t)) * s[0]) / (Math.sqrt(s[1]) + 1e-7);
    }, 2);
    expectClose(run(adam()).params, expected);
  });

  it('SGD without momentum', () => {
    expectClose(run(sgd({ learningRate: 0.1 })).params, reference((p, g) => p - 0.1 * g, 0));
  });

  it('SGD with momentum', () => {
    const expected = reference((p, g, s) => {
      s[0] = 0.9 * s[0] - 0.1 * g;
      return p + s[0];
    }, 1);
    expectClose(run(sgd({ learningRate: 0.1, momentum: 0.9 })).params, expected);
  });

  it('SGD with Nesterov momentum', () => {
    const expected = reference((p, g, s) => {
      s[0] = 0.9 * s[0] - 0.1 * g;
      return p + 0.9 * s[0] - 0.1 * g;
    }, 1);
    expectClose(run(sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true })).params, expected);
  });

  it('RMSprop plain', () => {
    const expected = reference((p, g, s) => {
      s[0] = 0.9 * s[0] + 0.1 * g * g;
      return p - (0.01 * g) / Math.sqrt(s[0] + 1e-7);
    }, 1);
    expectClose(run(rmsprop({ learningRate: 0.01 })).params, expected);
  });

  it('RMSprop centered', () => {
    const expected = reference((p, g, s) => {
      s[0] = 0.8 * s[0] + 0.2 * g * g;
      s[1] = 0.8 * s[1] + 0.2 * g;
      return p - (0.01 * g) / Math.sqrt(s[0] - s[1] * s[1] + 1e-7);
    }, 2);
    expectClose(run(rmsprop({ learningRate: 0.01, rho: 0.8, centered: true })).params, expected);
  });

  it('RMSprop with momentum, centered', () => {
    const expected = reference((p, g, s) => {
      s[0] = 0.9 * s[0] + 0.1 * g * g;
      s[1] = 0.9 * s[1] + 0.1 * g;
      s[2] = 0.5 * s[2] + (0.01 * g) / Math.sqrt(s[0] - s[1] * s[1] + 1e-7);
      return p - s[2];
    }, 3);
    expectClose(run(rmsprop({ learningRate: 0.01, momentum: 0.5, centered: true })).params, expected);
  });

  it('RMSprop with momentum', () => {
    const expected = reference((p, g, s) => {
      s[0] = 0.9 * s[0] + 0.1 * g * g;
      s[1] = 0.5 * s[1] + (0.01 * g) / Math.sqrt(s[0] + 1e-7);
      return p - s[1];
    }, 2);
    expectClose(run(rmsprop({ learningRate: 0.01, momentum: 0.5 })).params, expected);
  });
});

describe('applyInPlace', () => {
  it('scales the gradient sums by gradScale', () => {
    const opt = sgd({ learningRate: 0.5 });
    const params = new Float32Array([1, 2]);
    opt.applyInPlace(params, new Float32Array([4, -8]), [], 1, 0.25);
    expect(Array.from(params)).toEqual([0.5, 3]);
  });

  const configs: Array<[string, () => Optimizer]> = [
    ['Adam', () => adam()],
    ['SGD', () => sgd()],
    ['SGD momentum', () => sgd({ momentum: 0.9 })],
    ['SGD Nesterov', () => sgd({ momentum: 0.9, nesterov: true })],
    ['RMSprop', () => rmsprop()],
    ['RMSprop centered momentum', () => rmsprop({ centered: true, momentum: 0.9 })],
  ];
  it.each(configs)('%s: sub-ranges [0,k) then [k,n) are bitwise equal to one call over [0,n)', (_, make) => {
    const whole = run(make());
    for (const k of [0, 1, 13, N]) {
      const split = run(make(), k, true);
      expect(bits(split.params)).toEqual(bits(whole.params));
      split.slots.forEach((s, j) => expect(bits(s)).toEqual(bits(whole.slots[j])));
    }
  });

  it('writes into the caller-owned (shared) slots and leaves the rest of params alone', () => {
    const opt = adam();
    const slots = zeroSlots(opt, true);
    const before = slots.slice();
    const params = initialParams();
    opt.applyInPlace(params, gradSums(1), slots, 1, 1 / BATCH, 5, 9);
    expect(slots[0]).toBe(before[0]);
    expect(Array.from(slots[0]).map((x) => x !== 0)).toEqual(Array.from({ length: N }, (_, i) => i >= 5 && i < 9));
    expect(params.subarray(9)).toEqual(initialParams().subarray(9));
  });

  it('reports slot counts', () => {
    expect([adam(), sgd(), sgd({ momentum: 0.1 }), rmsprop(), rmsprop({ momentum: 0.1 })].map((o) => o.slotCount)).toEqual(
      [2, 0, 1, 1, 2],
    );
    expect(rmsprop({ momentum: 0.1, centered: true }).slotCount).toBe(3);
  });

  it("init gives the state before the first step (optax's init): slotCount arrays at their initial values, from the allocator given", () => {
    const shared: Float32Array[] = [];
    const allocate = (n: number) => {
      const a = new Float32Array(new SharedArrayBuffer(n * 4));
      shared.push(a);
      return a;
    };
    const adagrad = getOptimizer('adagrad');
    const state = adagrad.init(6, allocate);
    expect(state).toHaveLength(adagrad.slotCount);
    expect(state[0]).toBe(shared[0]);
    expect(Array.from(state[0])).toEqual(new Array(6).fill(Math.fround(0.1)));
    expect(adam().init(3).map((a) => Array.from(a))).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(sgd().init(3)).toEqual([]);
  });

  it('rejects mismatched buffers, steps and ranges', () => {
    const opt = adam();
    const p = new Float32Array(4);
    const s = [new Float32Array(4), new Float32Array(4)];
    expect(() => opt.applyInPlace(p, new Float32Array(3), s, 1, 1)).toThrow(
      'Invalid value received for argument `grads.length`. Expected params.length (4). Received: grads.length=3',
    );
    expect(() => opt.applyInPlace(p, p, [s[0]], 1, 1)).toThrow('Received: slots.length=1');
    expect(() => opt.applyInPlace(p, p, s, 0, 1)).toThrow('Expected an integer >= 1. Received: t=0');
    expect(() => opt.applyInPlace(p, p, s, 1, 1, 3, 2)).toThrow('Expected an integer in [3, 4]. Received: end=2');
  });

  it('uses a learning rate changed between steps, and validates it', () => {
    const opt = sgd({ learningRate: 0.5 });
    opt.learningRate = 0.25;
    const params = new Float32Array([1]);
    opt.applyInPlace(params, new Float32Array([1]), [], 1, 1);
    expect(params[0]).toBe(0.75);
    expect(opt.getConfig().learningRate).toBe(0.25);
    expect(() => (opt.learningRate = Number.NaN)).toThrow('Received: learningRate=NaN');
  });

  it.each([
    ['adam', adam],
    ['sgd', sgd],
    ['rmsprop', rmsprop],
  ] as const)('%s steps with the learning rate set last, not the constructed one', (_, make) => {
    const changed = make({ learningRate: 0.5 });
    changed.learningRate = 0.002;
    expect(bits(run(changed).params)).toEqual(bits(run(make({ learningRate: 0.002 })).params));
  });
});

describe('validation at construction', () => {
  it.each([
    [() => adam({ learningRate: -1 }), 'Invalid value received for argument `learningRate`. Expected a finite number >= 0. Received: learningRate=-1'],
    [() => sgd({ learningRate: Infinity }), 'Expected a finite number >= 0. Received: learningRate=Infinity'],
    [() => adam({ beta1: 1 }), 'Invalid value received for argument `beta1`. Expected a number in [0, 1). Received: beta1=1'],
    [() => adam({ beta2: -0.1 }), 'Expected a number in [0, 1). Received: beta2=-0.1'],
    [() => adam({ epsilon: -1e-7 }), 'Invalid value received for argument `epsilon`. Expected a finite number >= 0. Received: epsilon=-1e-7'],
    [() => sgd({ momentum: 1.5 }), 'Invalid value received for argument `momentum`. Expected a number in [0, 1]. Received: momentum=1.5'],
    [() => rmsprop({ rho: 1 }), 'Invalid value received for argument `rho`. Expected a number in [0, 1). Received: rho=1'],
  ])('%# throws a RangeError naming the argument', (make, message) => {
    expect(make).toThrow(RangeError);
    expect(make).toThrow(message);
  });

  it('throws a TypeError for values of the wrong type', () => {
    const spec = (config: Record<string, number | boolean>) => () => optimizerFromSpec({ className: 'SGD', config });
    expect(spec({ learningRate: true })).toThrow(TypeError);
    expect(spec({ learningRate: true })).toThrow('Received: learningRate=true');
    expect(spec({ nesterov: 1 })).toThrow('Expected a boolean. Received: nesterov=1');
  });

  it('rejects unknown config keys', () => {
    expect(() => optimizerFromSpec({ className: 'Adam', config: { beta_1: 0.9 } })).toThrow(
      "Unknown Adam config key: 'beta_1'. Expected one of: 'learningRate', 'beta1', 'beta2', 'epsilon', 'clipnorm', 'clipvalue', 'globalClipnorm'.",
    );
  });
});

describe('construction by name', () => {
  it.each([
    ['adam', 'Adam'],
    ['Adam', 'Adam'],
    ['sgd', 'SGD'],
    ['SGD', 'SGD'],
    ['rmsprop', 'RMSprop'],
    ['RMSProp', 'RMSprop'],
  ])('getOptimizer(%s) is a fresh %s with defaults', (name, className) => {
    const a = getOptimizer(name);
    expect(a.className).toBe(className);
    expect(getOptimizer(name)).not.toBe(a);
  });

  it('uses Keras defaults', () => {
    expect(getOptimizer('adam').getConfig()).toEqual({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(getOptimizer('sgd').getConfig()).toEqual({ learningRate: 0.01, momentum: 0, nesterov: false });
    expect(getOptimizer('rmsprop').getConfig()).toEqual({
      learningRate: 0.001,
      rho: 0.9,
      momentum: 0,
      epsilon: 1e-7,
      centered: false,
    });
  });

  it('returns an Optimizer instance as is', () => {
    const opt = sgd();
    expect(getOptimizer(opt)).toBe(opt);
  });

  it('names the valid choices for an unknown name', () => {
    expect(() => getOptimizer('ftrl')).toThrow(
      "Unknown optimizer: 'ftrl'. Expected one of: 'adam', 'sgd', 'rmsprop', 'adamw', 'adamax', 'nadam', 'adagrad', 'adadelta'.",
    );
    expect(() => getOptimizer('toString')).toThrow("Unknown optimizer: 'toString'.");
  });

  it.each([
    adam({ learningRate: 0.003, beta1: 0.5, beta2: 0.9, epsilon: 1e-4 }),
    sgd({ learningRate: 0.2, momentum: 0.7, nesterov: true }),
    rmsprop({ learningRate: 0.02, rho: 0.5, momentum: 0.3, epsilon: 0, centered: true }),
  ])('optimizerFromSpec round-trips getConfig of $className', (opt) => {
    const spec = JSON.parse(JSON.stringify({ className: opt.className, config: opt.getConfig() }));
    const rebuilt = optimizerFromSpec(spec);
    expect(rebuilt.className).toBe(opt.className);
    expect(rebuilt.slotCount).toBe(opt.slotCount);
    expect(rebuilt.getConfig()).toEqual(opt.getConfig());
  });
});

describe('applyFrom with several gradient arrays', () => {
  it('equals, bitwise, the in-place update of their sum accumulated in rank order in a Float32Array', () => {
    for (const opt of [adam(), sgd({ momentum: 0.9 }), rmsprop()]) {
      const ranks = Array.from({ length: 5 }, (_, k) => Float32Array.from({ length: N }, (_, i) => Math.sin(i * 3.1 + k * 0.7) * (k + 1) * 1e3));
      const sum = new Float32Array(N);
      for (const g of ranks) for (let i = 0; i < N; i++) sum[i] += g[i];
      const expected = { params: initialParams(), slots: zeroSlots(opt) };
      opt.applyInPlace(expected.params, sum, expected.slots, 1, 1 / BATCH);
      const to = { params: new Float32Array(N), slots: zeroSlots(opt) };
      const from = { params: initialParams(), slots: zeroSlots(opt) };
      // Two ranges, as two workers of the sharded update would split it.
      opt.applyFrom({ from, to, grads: ranks }, 1, 1 / BATCH, 0, 20);
      opt.applyFrom({ from, to, grads: ranks }, 1, 1 / BATCH, 20, N);
      expect(Buffer.from(to.params.buffer).equals(Buffer.from(expected.params.buffer))).toBe(true);
      to.slots.forEach((s, i) => expect(Buffer.from(s.buffer).equals(Buffer.from(expected.slots[i].buffer))).toBe(true));
      expect(from.params).toEqual(initialParams()); // the source set is only read
    }
  });
});
