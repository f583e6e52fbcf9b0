/**
 * Optimizers as pure elementwise updates over one flat parameter buffer (the optax shape:
 * hyperparameters closed over, state passed in). All state lives in caller-owned "slots",
 * Float32Arrays of params.length that are written into and never replaced, so they may be views
 * on a SharedArrayBuffer. Every update reads and writes only index i for each i in [start, end),
 * so disjoint ranges may run on different threads and give, bit for bit, what one call over the
 * whole buffer gives. Formulas and defaults follow Keras 3 (keras/src/optimizers/*.py).
 */
import { checkNumberInRange, describeValue, invalidArgument, invalidType, unknownName } from '../errors.js';
import { CLIP_KEYS, readClipping, type Clipping } from './clipping.js';
import { allFinite } from '../parallel/reduce.js';
import { adamRange } from './kernels/adam.js';
import { addPenaltyGradient, type WeightPenalty } from './regularizers.js';
import { isLearningRateSchedule, scheduleFromSpec, type LearningRateSchedule, type ScheduleSpec } from './schedules.js';

export type OptimizerClassName = 'Adam' | 'SGD' | 'RMSprop' | 'AdamW' | 'Adamax' | 'Nadam' | 'Adagrad' | 'Adadelta';

/** A config field: a hyperparameter, or a learning-rate schedule as `{className, config}`. */
export type OptimizerConfigValue = number | boolean | ScheduleSpec;

/** The plain, JSON-safe description a worker or a checkpoint rebuilds an optimizer from. */
export interface OptimizerSpec {
  readonly className: OptimizerClassName;
  readonly config: Readonly<Record<string, OptimizerConfigValue>>;
}

export interface Optimizer {
  readonly className: OptimizerClassName;
  /**
   * The rate of the next update: the number set, or the schedule's value at `iterations` (Keras's
   * `optimizer.learning_rate`). A number may be set between steps (the LR callbacks do), validated
   * on every assignment; a LearningRateSchedule assigned replaces the rate. Setting a number on an
   * optimizer whose rate is a schedule is a TypeError, as in Keras.
   */
  get learningRate(): number;
  set learningRate(value: number | LearningRateSchedule);
  /** The schedule the rate follows, or null for a plain number. */
  readonly learningRateSchedule: LearningRateSchedule | null;
  /**
   * Updates applied so far (Keras's `iterations`), where `learningRate` reads a schedule; the
   * model it is compiled into keeps it current. The update itself takes its step `t` as an argument.
   */
  iterations: number;
  /** The rate of the update applied after `step` updates (applyInPlace's t = step + 1 uses it). */
  learningRateAt(step: number): number;
  /** How many Float32Arrays of params.length `applyInPlace` expects in `slots`. */
  readonly slotCount: number;
  /** Each slot's value before the first step: 0, but Adagrad's accumulator starts at its initialAccumulatorValue. */
  readonly initialSlotValues: readonly number[];
  /**
   * optax's `init`: the state before the first step, `slotCount` arrays of `paramCount` floats
   * at their initial values, from `allocate` (shared memory, for the workers) or plain arrays.
   */
  init(paramCount: number, allocate?: (length: number) => Float32Array): Float32Array[];
  /** Keras's clipnorm / clipvalue / globalClipnorm, applied to the mean gradient before the update. */
  readonly clipping: Clipping | null;
  /** tfjs camelCase names; `optimizerFromSpec({ className, config: getConfig() })` rebuilds it. */
  getConfig(): Record<string, OptimizerConfigValue>;
  /**
   * Applies step `t` (1-based) to params[start, end) in place, updating the slots in place.
   * `grads` holds per-example gradient sums; each is multiplied by `gradScale` (1/batchSize) first.
   * Returns false for a non-finite gradient (check it first where the weights must survive one).
   */
  applyInPlace(
    params: Float32Array,
    grads: Float32Array,
    slots: readonly Float32Array[],
    t: number,
    gradScale: number,
    start?: number,
    end?: number,
  ): boolean;
  /**
   * The same update, reading params and slots from `buffers.from`, writing them to
   * `buffers.to` (the same arrays, or a second buffer set), with the gradient being the sum of
   * `buffers.grads` in order. One pass over memory instead of reduce, copy, then update. Returns
   * false when a summed gradient in the range was NaN or infinite: `to` may then be partly
   * written over the range, and the caller restores it (from `from`, when kept apart).
   */
  applyFrom(buffers: UpdateBuffers, t: number, gradScale: number, start?: number, end?: number): boolean;
}

/** Where an update reads and writes; from === to is the in-place update. */
export interface UpdateBuffers {
  readonly from: { readonly params: Float32Array; readonly slots: readonly Float32Array[] };
  readonly to: { readonly params: Float32Array; readonly slots: readonly Float32Array[] };
  /**
   * Gradient sums (e.g. one per worker), added in this order and rounded to float32 after each
   * addition: exactly what summing them into a Float32Array first would give. With more than
   * one, grads[1] is used as the accumulator over [start, end).
   */
  readonly grads: readonly Float32Array[];
  /**
   * The model's weight regularizers: their gradient, at `from.params`, joins the mean gradient of
   * this step over [start, end) (added into the folded gradient array, see addPenaltyGradient).
   */
  readonly penalties?: readonly WeightPenalty[];
}

/**
 * Folds grads[0] and grads[2..] into grads[1] over [start, end), one array per pass, so every
 * kernel reads one gradient array (a loop over an array of arrays per element runs ~2-3x slower
 * in V8, and even a per-element choice between one and two arrays costs ~15% of an Adam step).
 * Each element still receives its additions in rank order, rounded to float32 by each store:
 * bitwise what accumulating them all in a Float32Array gives.
 */
function foldGradients(grads: readonly Float32Array[], start: number, end: number): Float32Array {
  if (grads.length === 1) return grads[0];
  const acc = grads[1];
  const first = grads[0];
  for (let i = start; i < end; i++) acc[i] = first[i] + acc[i];
  for (let k = 2; k < grads.length; k++) {
    const g = grads[k];
    for (let i = start; i < end; i++) acc[i] += g[i];
  }
  return acc;
}

/** A number, or a schedule evaluated at each step (`weft.schedules.*`). */
export type LearningRate = number | LearningRateSchedule;

export type AdamConfig = { learningRate?: LearningRate; beta1?: number; beta2?: number; epsilon?: number } & Clipping;
export type SgdConfig = { learningRate?: LearningRate; momentum?: number; nesterov?: boolean } & Clipping;
export type RmspropConfig = {
  learningRate?: LearningRate;
  rho?: number;
  momentum?: number;
  epsilon?: number;
  centered?: boolean;
} & Clipping;
export type AdamwConfig = {
  learningRate?: LearningRate;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  amsgrad?: boolean;
} & Clipping;
export type AdamaxConfig = { learningRate?: LearningRate; beta1?: number; beta2?: number; epsilon?: number } & Clipping;
export type NadamConfig = { learningRate?: LearningRate; beta1?: number; beta2?: number; epsilon?: number } & Clipping;
export type AdagradConfig = { learningRate?: LearningRate; initialAccumulatorValue?: number; epsilon?: number } & Clipping;
export type AdadeltaConfig = { learningRate?: LearningRate; rho?: number; epsilon?: number } & Clipping;

type RawConfig = Readonly<Record<string, unknown>>;

/** The elementwise update over [start, end); `lr` is the learning rate at this step. */
type Kernel = (
  b: UpdateBuffers,
  g: Float32Array,
  lr: number,
  t: number,
  scale: number,
  start: number,
  end: number,
) => void;

/**
 * A kernel that sums the gradient arrays itself, in order and rounding to float32 after each
 * addition as foldGradients does: no separate pass over memory first (Adam's SIMD kernel).
 */
type SummingKernel = {
  /** Returns whether every summed gradient was finite (checked as it is read; `to` is not to be used otherwise). */
  readonly sums: (b: UpdateBuffers, grads: readonly Float32Array[], lr: number, t: number, scale: number, start: number, end: number) => boolean;
};

// ---- validation (once, at construction; the step itself only checks its arguments' shapes) ----

/** 0 is a valid rate (linear warm-up schedules start there); negative or non-finite is not. */
function checkLearningRate(value: unknown): number {
  if (typeof value !== 'number') throw invalidType('learningRate', 'a finite number >= 0 or a LearningRateSchedule', value);
  if (!(Number.isFinite(value) && value >= 0)) throw invalidArgument('learningRate', 'a finite number >= 0', value);
  return value;
}

/** A number, a schedule object, or a schedule's `{className, config}` (what getConfig writes). */
function readLearningRate(value: unknown): LearningRate {
  if (isLearningRateSchedule(value)) return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return scheduleFromSpec(value);
  return checkLearningRate(value);
}

function checkNonNegative(argument: string, value: unknown): number {
  const expected = 'a finite number >= 0';
  if (typeof value !== 'number') throw invalidType(argument, expected, value);
  if (!(Number.isFinite(value) && value >= 0)) throw invalidArgument(argument, expected, value);
  return value;
}

const checkEpsilon = (value: unknown): number => checkNonNegative('epsilon', value);

function checkBoolean(argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidType(argument, 'a boolean', value);
  return value;
}

/** Rejects keys the optimizer does not know (a typo in a spec would otherwise pass silently). */
function checkKeys(className: OptimizerClassName, config: RawConfig, own: readonly string[]): void {
  const known = [...own, ...CLIP_KEYS];
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) throw unknownName(`${className} config key`, key, known);
  }
}

/** `config[key]`, or `fallback` when the key is absent or undefined. */
function option(config: RawConfig, key: string, fallback: number | boolean): unknown {
  return config[key] === undefined ? fallback : config[key];
}

function checkStepArguments(slotCount: number, b: UpdateBuffers, t: number, gradScale: number, start: number, end: number): void {
  const n = b.from.params.length;
  if (b.to.params.length !== n) throw invalidArgument('to.params.length', `from.params.length (${n})`, b.to.params.length);
  if (b.grads.length === 0) throw invalidArgument('grads', 'at least one gradient array', b.grads.length);
  b.grads.forEach((g, k) => {
    if (g.length !== n) throw invalidArgument(b.grads.length === 1 ? 'grads.length' : `grads[${k}].length`, `params.length (${n})`, g.length);
  });
  for (const [side, slots] of [['', b.from.slots], ['to.', b.to.slots]] as const) {
    if (slots.length !== slotCount) throw invalidArgument(`${side}slots.length`, `${slotCount}`, slots.length);
    slots.forEach((s, k) => {
      if (s.length !== n) throw invalidArgument(`${side}slots[${k}].length`, `params.length (${n})`, s.length);
    });
  }
  if (!(Number.isInteger(t) && t >= 1)) throw invalidArgument('t', 'an integer >= 1', t);
  if (!(Number.isFinite(gradScale) && gradScale > 0)) throw invalidArgument('gradScale', 'a finite number > 0', gradScale);
  if (!(Number.isInteger(start) && start >= 0 && start <= n)) throw invalidArgument('start', `an integer in [0, ${n}]`, start);
  if (!(Number.isInteger(end) && end >= start && end <= n)) throw invalidArgument('end', `an integer in [${start}, ${n}]`, end);
}

/** Keras's TypeError for a number assigned to a scheduled rate (base_optimizer.py, learning_rate setter). */
function scheduledRateNotSettable(schedule: LearningRateSchedule, value: unknown): TypeError {
  return new TypeError(
    `This optimizer's \`learningRate\` is a LearningRateSchedule (${schedule.className}), hence its learning rate is not settable. ` +
      `Received: learningRate=${describeValue(value)}. If you need the learning rate to be settable (the learningRateScheduler and ` +
      'reduceLROnPlateau callbacks set it), create the optimizer with a number `learningRate`, or assign a schedule to replace this one.',
  );
}

function makeOptimizer(
  className: OptimizerClassName,
  config: RawConfig,
  learningRate: LearningRate,
  hyperparameters: Readonly<Record<string, number | boolean>>,
  slotCount: number,
  kernel: Kernel | SummingKernel,
  initialSlotValues: readonly number[] = new Array<number>(slotCount).fill(0),
): Optimizer {
  let lr = 0;
  let schedule: LearningRateSchedule | null = null;
  const assign = (value: LearningRate) => {
    if (isLearningRateSchedule(value)) schedule = value;
    else if (schedule !== null) throw scheduledRateNotSettable(schedule, value);
    else lr = checkLearningRate(value);
  };
  assign(learningRate);
  const rateAt = (step: number): number => {
    if (schedule === null) return lr;
    const value = schedule.valueAt(step);
    if (!(Number.isFinite(value) && value >= 0)) throw invalidArgument(`learningRate (${schedule.className} at step ${step})`, 'a finite number >= 0', value);
    return value;
  };
  const clipping = readClipping(config);
  const applyFrom = (buffers: UpdateBuffers, t: number, gradScale: number, start = 0, end = buffers.from.params.length): boolean => {
    checkStepArguments(slotCount, buffers, t, gradScale, start, end);
    // The rate of step t, from t alone (not from `iterations`): every range of a step, on any
    // thread, uses the same number, and a worker's copy needs no step count of its own.
    const penalized = buffers.penalties !== undefined && buffers.penalties.length > 0;
    if ('sums' in kernel && !penalized) return kernel.sums(buffers, buffers.grads, rateAt(t - 1), t, gradScale, start, end);
    const g = foldGradients(buffers.grads, start, end);
    if (penalized) addPenaltyGradient(buffers.penalties as readonly WeightPenalty[], buffers.from.params, g, gradScale, start, end);
    if ('sums' in kernel) return kernel.sums(buffers, [g], rateAt(t - 1), t, gradScale, start, end);
    if (!allFinite(g, start, end)) return false;
    kernel(buffers, g, rateAt(t - 1), t, gradScale, start, end);
    return true;
  };
  return {
    className,
    slotCount,
    initialSlotValues: Object.freeze([...initialSlotValues]),
    init: (paramCount, allocate = (n) => new Float32Array(n)) => initialSlotValues.map((v) => allocate(paramCount).fill(v)),
    clipping,
    iterations: 0,
    get learningRate(): number {
      return rateAt(this.iterations);
    },
    set learningRate(value: LearningRate) {
      assign(value);
    },
    get learningRateSchedule(): LearningRateSchedule | null {
      return schedule;
    },
    learningRateAt: rateAt,
    getConfig: () => ({
      learningRate: schedule === null ? lr : { className: schedule.className, config: schedule.getConfig() },
      ...hyperparameters,
      ...clipping,
    }),
    applyInPlace(params, grads, slots, t, gradScale, start = 0, end = params.length) {
      return applyFrom({ from: { params, slots }, to: { params, slots }, grads: [grads] }, t, gradScale, start, end);
    },
    applyFrom,
  };
}

// ---- Keras's optimizers ----

/**
 * Adam (Kingma & Ba 2015, Alg. 1) in the "epsilon-hat" form Keras uses (the formula just before
 * their Sec. 2.1): bias correction is folded into one step size, and epsilon is added to sqrt(v)
 * before that correction. tfjs and PyTorch add epsilon to sqrt(v̂) after it, so their updates
 * differ slightly while v is small. Slots: [m, v]. Computed in float32, as Keras does, by a SIMD
 * kernel (kernels/adam.ts): the update round is memory-bound again, not bound by scalar sqrt.
 */
function buildAdam(raw: RawConfig): Optimizer {
  const config = configObject('Adam', raw);
  checkKeys('Adam', config, ['learningRate', 'beta1', 'beta2', 'epsilon']);
  const lr = readLearningRate(option(config, 'learningRate', 0.001));
  const beta1 = checkNumberInRange('beta1', option(config, 'beta1', 0.9), 0, 1, true);
  const beta2 = checkNumberInRange('beta2', option(config, 'beta2', 0.999), 0, 1, true);
  const epsilon = checkEpsilon(option(config, 'epsilon', 1e-7));
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  return makeOptimizer('Adam', config, lr, { beta1, beta2, epsilon }, 2, {
    sums: ({ from, to }, grads, rate, t, scale, start, end) => {
      // Once per call, in float64: every range of the same step sees the same alpha.
      const alpha = (rate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
      const [m, v] = from.slots;
      const [mOut, vOut] = to.slots;
      return adamRange({ from: { params: from.params, m, v }, to: { params: to.params, m: mOut, v: vOut }, grads }, { scale, alpha, c1, c2, epsilon }, start, end);
    },
  });
}

/**
 * SGD with optional (Nesterov) momentum, as in Keras: velocity = momentum·velocity − lr·g, then
 * p += velocity, or p += momentum·velocity − lr·g with Nesterov. Slots: [velocity] if momentum > 0.
 */
function buildSgd(raw: RawConfig): Optimizer {
  const config = configObject('SGD', raw);
  checkKeys('SGD', config, ['learningRate', 'momentum', 'nesterov']);
  const lr = readLearningRate(option(config, 'learningRate', 0.01));
  const momentum = checkNumberInRange('momentum', option(config, 'momentum', 0), 0, 1);
  const nesterov = checkBoolean('nesterov', option(config, 'nesterov', false));
  const slotCount = momentum > 0 ? 1 : 0;
  return makeOptimizer('SGD', config, lr, { momentum, nesterov }, slotCount, ({ from, to }, g, rate, _t, scale, start, end) => {
    const velocity = from.slots[0];
    const velocityOut = to.slots[0];
    const p = from.params;
    const pOut = to.params;
    for (let i = start; i < end; i++) {
      const step = rate * (g[i] * scale);
      if (velocity === undefined) {
        pOut[i] = p[i] - step;
        continue;
      }
      const vi = momentum * velocity[i] - step;
      velocityOut[i] = vi;
      pOut[i] = p[i] + (nesterov ? momentum * vi - step : vi);
    }
  });
}

/**
 * RMSprop (Hinton 2012, lecture 6e) as in Keras 3: no bias correction, epsilon inside the square
 * root, optional centering (divide by an estimate of the variance rather than the second moment)
 * and plain momentum on the increment. Slots, in Keras's build order: [velocity, momentum if
 * momentum > 0, average gradient if centered].
 */
function buildRmsprop(raw: RawConfig): Optimizer {
  const config = configObject('RMSprop', raw);
  checkKeys('RMSprop', config, ['learningRate', 'rho', 'momentum', 'epsilon', 'centered']);
  const lr = readLearningRate(option(config, 'learningRate', 0.001));
  const rho = checkNumberInRange('rho', option(config, 'rho', 0.9), 0, 1, true);
  const momentum = checkNumberInRange('momentum', option(config, 'momentum', 0), 0, 1);
  const epsilon = checkEpsilon(option(config, 'epsilon', 1e-7));
  const centered = checkBoolean('centered', option(config, 'centered', false));
  const slotCount = 1 + (momentum > 0 ? 1 : 0) + (centered ? 1 : 0);
  const c = 1 - rho;
  const hyperparameters = { rho, momentum, epsilon, centered };
  return makeOptimizer('RMSprop', config, lr, hyperparameters, slotCount, ({ from, to }, g, rate, _t, scale, start, end) => {
    const [velocity, velocityOut] = [from.slots[0], to.slots[0]];
    const [mom, momOut] = momentum > 0 ? [from.slots[1], to.slots[1]] : [undefined, undefined];
    const [average, averageOut] = centered ? [from.slots[slotCount - 1], to.slots[slotCount - 1]] : [undefined, undefined];
    const p = from.params;
    const pOut = to.params;
    for (let i = start; i < end; i++) {
      const gi = g[i] * scale;
      const vi = rho * velocity[i] + c * (gi * gi);
      velocityOut[i] = vi;
      let denominator = vi + epsilon;
      if (average !== undefined) {
        const ai = rho * average[i] + c * gi;
        (averageOut as Float32Array)[i] = ai;
        denominator = vi - ai * ai + epsilon;
      }
      const increment = (rate * gi) / Math.sqrt(denominator);
      if (mom === undefined) {
        pOut[i] = p[i] - increment;
      } else {
        const mi = momentum * mom[i] + increment;
        (momOut as Float32Array)[i] = mi;
        pOut[i] = p[i] - mi;
      }
    }
  });
}

/**
 * AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization") as Keras 3 runs it:
 * the weights first shrink by lr·weightDecay (base_optimizer's _apply_weight_decay, applied to
 * every weight before the update), then Adam's epsilon-hat step; with `amsgrad` (Reddi et al.
 * 2018) the step divides by the running maximum of v. Slots, in Keras's build order: [m, v,
 * v̂ if amsgrad]. Every weight in the flat buffer is decayed: weft's weights are all trainable.
 */
function buildAdamw(raw: RawConfig): Optimizer {
  const config = configObject('AdamW', raw);
  checkKeys('AdamW', config, ['learningRate', 'weightDecay', 'beta1', 'beta2', 'epsilon', 'amsgrad']);
  const lr = readLearningRate(option(config, 'learningRate', 0.001));
  const weightDecay = checkNonNegative('weightDecay', option(config, 'weightDecay', 0.004));
  const beta1 = checkNumberInRange('beta1', option(config, 'beta1', 0.9), 0, 1, true);
  const beta2 = checkNumberInRange('beta2', option(config, 'beta2', 0.999), 0, 1, true);
  const epsilon = checkEpsilon(option(config, 'epsilon', 1e-7));
  const amsgrad = checkBoolean('amsgrad', option(config, 'amsgrad', false));
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const hyperparameters = { weightDecay, beta1, beta2, epsilon, amsgrad };
  return makeOptimizer('AdamW', config, lr, hyperparameters, amsgrad ? 3 : 2, ({ from, to }, g, rate, t, scale, start, end) => {
    const alpha = (rate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
    // p − p·wd·lr, Keras's decay, as one factor.
    const keep = 1 - weightDecay * rate;
    const [m, v, vMax] = from.slots;
    const [mOut, vOut, vMaxOut] = to.slots;
    const p = from.params;
    const pOut = to.params;
    for (let i = start; i < end; i++) {
      const gi = g[i] * scale;
      const mi = m[i] + (gi - m[i]) * c1;
      let vi = v[i] + (gi * gi - v[i]) * c2;
      mOut[i] = mi;
      vOut[i] = vi;
      if (vMax !== undefined) {
        vi = Math.max(vMax[i], vi);
        vMaxOut[i] = vi;
      }
      pOut[i] = p[i] * keep - (alpha * mi) / (Math.sqrt(vi) + epsilon);
    }
  });
}

/**
 * Adamax (Kingma & Ba 2015, Sec. 7.1), Adam with the infinity norm, as in Keras 3:
 * u = max(beta2·u, |g|), p −= lr·m / ((1 − beta1^t)(u + epsilon)). Slots: [m, u].
 */
function buildAdamax(raw: RawConfig): Optimizer {
  const config = configObject('Adamax', raw);
  checkKeys('Adamax', config, ['learningRate', 'beta1', 'beta2', 'epsilon']);
  const lr = readLearningRate(option(config, 'learningRate', 0.001));
  const beta1 = checkNumberInRange('beta1', option(config, 'beta1', 0.9), 0, 1, true);
  const beta2 = checkNumberInRange('beta2', option(config, 'beta2', 0.999), 0, 1, true);
  const epsilon = checkEpsilon(option(config, 'epsilon', 1e-7));
  const c1 = 1 - beta1;
  return makeOptimizer('Adamax', config, lr, { beta1, beta2, epsilon }, 2, ({ from, to }, g, rate, t, scale, start, end) => {
    const stepSize = rate / (1 - beta1 ** t);
    const [m, u] = from.slots;
    const [mOut, uOut] = to.slots;
    const p = from.params;
    const pOut = to.params;
    for (let i = start; i < end; i++) {
      const gi = g[i] * scale;
      const mi = m[i] + (gi - m[i]) * c1;
      const ui = Math.max(beta2 * u[i], Math.abs(gi));
      mOut[i] = mi;
      uOut[i] = ui;
      pOut[i] = p[i] - (stepSize * mi) / (ui + epsilon);
    }
  });
}

/**
 * Nadam (Dozat 2016, "Incorporating Nesterov Momentum into Adam") as in Keras 3, with its
 * momentum schedule u_t = beta1·(1 − 0.5·0.96^t). Keras keeps the product u_1···u_t in a
 * variable (`u_product`) multiplied once per step; here it is a function of t, so a range
 * updated on any thread, or a run resumed from a checkpoint, sees the same value without
 * carrying it. Slots: [m, v].
 */
function buildNadam(raw: RawConfig): Optimizer {
  const config = configObject('Nadam', raw);
  checkKeys('Nadam', config, ['learningRate', 'beta1', 'beta2', 'epsilon']);
  const lr = readLearningRate(option(config, 'learningRate', 0.001));
  const beta1 = checkNumberInRange('beta1', option(config, 'beta1', 0.9), 0, 1, true);
  const beta2 = checkNumberInRange('beta2', option(config, 'beta2', 0.999), 0, 1, true);
  const epsilon = checkEpsilon(option(config, 'epsilon', 1e-7));
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const momentumAt = (t: number) => beta1 * (1 - 0.5 * 0.96 ** t);
  const product = momentumProduct(momentumAt);
  return makeOptimizer('Nadam', config, lr, { beta1, beta2, epsilon }, 2, ({ from, to }, g, rate, t, scale, start, end) => {
    const uT = momentumAt(t);
    const uNext = momentumAt(t + 1);
    const productT = product(t);
    // m̂ = u_{t+1}·m / (1 − Π_{s≤t+1} u_s) + (1 − u_t)·g / (1 − Π_{s≤t} u_s), v̂ = v / (1 − beta2^t).
    const cm = uNext / (1 - productT * uNext);
    const cg = (1 - uT) / (1 - productT);
    const cv = 1 / (1 - beta2 ** t);
    const [m, v] = from.slots;
    const [mOut, vOut] = to.slots;
    const p = from.params;
    const pOut = to.params;
    for (let i = start; i < end; i++) {
      const gi = g[i] * scale;
      const mi = m[i] + (gi - m[i]) * c1;
      const vi = v[i] + (gi * gi - v[i]) * c2;
      mOut[i] = mi;
      vOut[i] = vi;
      pOut[i] = p[i] - (rate * (cm * mi + cg * gi)) / (Math.sqrt(vi * cv) + epsilon);
    }
  });
}

/**
 * Π_{s=1..t} u(s) in float64, multiplied in the order s = 1, 2, ..., t. The last product is
 * kept so that step t + 1 costs one multiplication; any other t starts again from s = 1. Both
 * ways run the same multiplications in the same order, so the value depends on t alone.
 */
function momentumProduct(u: (s: number) => number): (t: number) => number {
  let known = 0;
  let value = 1;
  return (t) => {
    if (t < known) {
      known = 0;
      value = 1;
    }
    for (; known < t; ) value *= u(++known);
    return value;
  };
}

/**
 * Adagrad (Duchi et al. 2011) as in Keras 3: acc += g², p −= lr·g / sqrt(acc + epsilon), the
 * accumulator starting at initialAccumulatorValue (0.1). Slots: [accumulator].
 */
function buildAdagrad(raw: RawConfig): Optimizer {
  const config = configObject('Adagrad', raw);
  checkKeys('Adagrad', config, ['learningRate', 'initialAccumulatorValue', 'epsilon']);
  const lr = readLearningRate(option(config, 'learningRate', 0.001));
  const initialAccumulatorValue = checkNonNegative('initialAccumulatorValue', option(config, 'initialAccumulatorValue', 0.1));
  const epsilon = checkEpsilon(option(config, 'epsilon', 1e-7));
  const hyperparameters = { initialAccumulatorValue, epsilon };
  return makeOptimizer('Adagrad', config, lr, hyperparameters, 1, ({ from, to }, g, rate, _t, scale, start, end) => {
    const acc = from.slots[0];
    const accOut = to.slots[0];
    const p = from.params;
    const pOut = to.params;
    for (let i = start; i < end; i++) {
      const gi = g[i] * scale;
      const ai = acc[i] + gi * gi;
      accOut[i] = ai;
      pOut[i] = p[i] - (rate * gi) / Math.sqrt(ai + epsilon);
    }
  }, [initialAccumulatorValue]);
}

/**
 * Adadelta (Zeiler 2012, Alg. 1) as in Keras 3, with its learning rate (default 0.001) scaling
 * the step: E[g²] = rho·E[g²] + (1 − rho)·g², Δ = −sqrt(E[Δ²] + eps)·g / sqrt(E[g²] + eps),
 * E[Δ²] = rho·E[Δ²] + (1 − rho)·Δ², p += lr·Δ. Slots: [accumulated grad, accumulated delta].
 */
function buildAdadelta(raw: RawConfig): Optimizer {
  const config = configObject('Adadelta', raw);
  checkKeys('Adadelta', config, ['learningRate', 'rho', 'epsilon']);
  const lr = readLearningRate(option(config, 'learningRate', 0.001));
  const rho = checkNumberInRange('rho', option(config, 'rho', 0.95), 0, 1, true);
  const epsilon = checkEpsilon(option(config, 'epsilon', 1e-7));
  const c = 1 - rho;
  return makeOptimizer('Adadelta', config, lr, { rho, epsilon }, 2, ({ from, to }, g, rate, _t, scale, start, end) => {
    const [accGrad, accDelta] = from.slots;
    const [accGradOut, accDeltaOut] = to.slots;
    const p = from.params;
    const pOut = to.params;
    for (let i = start; i < end; i++) {
      const gi = g[i] * scale;
      const ag = rho * accGrad[i] + c * (gi * gi);
      const delta = (-Math.sqrt(accDelta[i] + epsilon) * gi) / Math.sqrt(ag + epsilon);
      accGradOut[i] = ag;
      accDeltaOut[i] = rho * accDelta[i] + c * (delta * delta);
      pOut[i] = p[i] + rate * delta;
    }
  });
}

// ---- construction by name ----

const BUILDERS: Readonly<Record<string, (config: RawConfig) => Optimizer>> = {
  adam: buildAdam,
  sgd: buildSgd,
  rmsprop: buildRmsprop,
  adamw: buildAdamw,
  adamax: buildAdamax,
  nadam: buildNadam,
  adagrad: buildAdagrad,
  adadelta: buildAdadelta,
};

export function adam(config: AdamConfig = {}): Optimizer {
  return buildAdam(config);
}

export function sgd(config: SgdConfig = {}): Optimizer {
  return buildSgd(config);
}

export function rmsprop(config: RmspropConfig = {}): Optimizer {
  return buildRmsprop(config);
}

export function adamw(config: AdamwConfig = {}): Optimizer {
  return buildAdamw(config);
}

export function adamax(config: AdamaxConfig = {}): Optimizer {
  return buildAdamax(config);
}

export function nadam(config: NadamConfig = {}): Optimizer {
  return buildNadam(config);
}

export function adagrad(config: AdagradConfig = {}): Optimizer {
  return buildAdagrad(config);
}

export function adadelta(config: AdadeltaConfig = {}): Optimizer {
  return buildAdadelta(config);
}

/** A factory's config must be a plain object (null, a string or an array is a caller's slip). */
function configObject(className: OptimizerClassName, config: unknown): RawConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw invalidType('config', `an object of ${className} options`, config);
  }
  return config as RawConfig;
}

function builderFor(kind: string, name: string): (config: RawConfig) => Optimizer {
  const builder = Object.hasOwn(BUILDERS, name.toLowerCase()) ? BUILDERS[name.toLowerCase()] : undefined;
  if (builder === undefined) throw unknownName(kind, name, Object.keys(BUILDERS));
  return builder;
}

/** A name of BUILDERS ('adam', 'adamw', ...) in any case gives a fresh optimizer with defaults; an instance is returned as is. */
export function getOptimizer(identifier: string | Optimizer): Optimizer {
  if (typeof identifier === 'string') return builderFor('optimizer', identifier)({});
  if (typeof identifier === 'object' && identifier !== null && typeof identifier.applyInPlace === 'function') {
    return identifier;
  }
  throw invalidType('optimizer', `an optimizer name (${Object.keys(BUILDERS).map((n) => `'${n}'`).join(', ')}) or an Optimizer`, identifier);
}

/** Rebuilds an optimizer from `{ className, config: getConfig() }`, validating the config again. */
export function optimizerFromSpec(spec: { className: string; config: Readonly<Record<string, OptimizerConfigValue>> }): Optimizer {
  return builderFor('optimizer', spec.className)(spec.config);
}
