/**
 * Optimizers as pure elementwise updates over one flat parameter buffer (the optax shape:
 * hyperparameters closed over, state passed in). All state lives in caller-owned "slots",
 * Float32Arrays of params.length that are written into and never replaced, so they may be views
 * on a SharedArrayBuffer. Every update reads and writes only index i for each i in [start, end),
 * so disjoint ranges may run on different threads and give, bit for bit, what one call over the
 * whole buffer gives. Formulas and defaults follow Keras 3 (keras/src/optimizers/*.py).
 */
import { checkNumberInRange, invalidArgument, invalidType, unknownName } from '../errors.js';
import { CLIP_KEYS, readClipping, type Clipping } from './clipping.js';

export type OptimizerClassName = 'Adam' | 'SGD' | 'RMSprop';

/** The plain, JSON-safe description a worker or a checkpoint rebuilds an optimizer from. */
export interface OptimizerSpec {
  readonly className: OptimizerClassName;
  readonly config: Readonly<Record<string, number | boolean>>;
}

export interface Optimizer {
  readonly className: OptimizerClassName;
  /** Mutable so LR schedulers can set it between steps; validated on every assignment. */
  learningRate: number;
  /** How many Float32Arrays of params.length `applyInPlace` expects in `slots`, zero-filled at start. */
  readonly slotCount: number;
  /** Keras's clipnorm / clipvalue / globalClipnorm, applied to the mean gradient before the update. */
  readonly clipping: Clipping | null;
  /** tfjs camelCase names; `optimizerFromSpec({ className, config: getConfig() })` rebuilds it. */
  getConfig(): Record<string, number | boolean>;
  /**
   * Applies step `t` (1-based) to params[start, end) in place, updating the slots in place.
   * `grads` holds per-example gradient sums; each is multiplied by `gradScale` (1/batchSize) first.
   */
  applyInPlace(
    params: Float32Array,
    grads: Float32Array,
    slots: readonly Float32Array[],
    t: number,
    gradScale: number,
    start?: number,
    end?: number,
  ): void;
  /**
   * The same update, reading params and slots from `buffers.from`, writing them to
   * `buffers.to` (the same arrays, or a second buffer set), with the gradient being the sum of
   * `buffers.grads` in order. One pass over memory instead of reduce, copy, then update.
   */
  applyFrom(buffers: UpdateBuffers, t: number, gradScale: number, start?: number, end?: number): void;
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

export type AdamConfig = { learningRate?: number; beta1?: number; beta2?: number; epsilon?: number } & Clipping;
export type SgdConfig = { learningRate?: number; momentum?: number; nesterov?: boolean } & Clipping;
export type RmspropConfig = {
  learningRate?: number;
  rho?: number;
  momentum?: number;
  epsilon?: number;
  centered?: boolean;
} & Clipping;

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

// ---- validation (once, at construction; the step itself only checks its arguments' shapes) ----

/** 0 is a valid rate (linear warm-up schedules start there); negative or non-finite is not. */
function checkLearningRate(value: unknown): number {
  const expected = 'a finite number >= 0';
  if (typeof value !== 'number') throw invalidType('learningRate', expected, value);
  if (!(Number.isFinite(value) && value >= 0)) throw invalidArgument('learningRate', expected, value);
  return value;
}

function checkEpsilon(value: unknown): number {
  const expected = 'a finite number >= 0';
  if (typeof value !== 'number') throw invalidType('epsilon', expected, value);
  if (!(Number.isFinite(value) && value >= 0)) throw invalidArgument('epsilon', expected, value);
  return value;
}

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

function makeOptimizer(
  className: OptimizerClassName,
  config: RawConfig,
  learningRate: number,
  hyperparameters: Readonly<Record<string, number | boolean>>,
  slotCount: number,
  kernel: Kernel,
): Optimizer {
  let lr = learningRate;
  const clipping = readClipping(config);
  return {
    className,
    slotCount,
    clipping,
    get learningRate(): number {
      return lr;
    },
    set learningRate(value: number) {
      lr = checkLearningRate(value);
    },
    getConfig: () => ({ learningRate: lr, ...hyperparameters, ...clipping }),
    applyInPlace(params, grads, slots, t, gradScale, start = 0, end = params.length) {
      this.applyFrom({ from: { params, slots }, to: { params, slots }, grads: [grads] }, t, gradScale, start, end);
    },
    applyFrom(buffers, t, gradScale, start = 0, end = buffers.from.params.length) {
      checkStepArguments(slotCount, buffers, t, gradScale, start, end);
      kernel(buffers, foldGradients(buffers.grads, start, end), lr, t, gradScale, start, end);
    },
  };
}

// ---- the three optimizers ----

/**
 * Adam (Kingma & Ba 2015, Alg. 1) in the "epsilon-hat" form Keras uses (the formula just before
 * their Sec. 2.1): bias correction is folded into one step size, and epsilon is added to sqrt(v)
 * before that correction. tfjs and PyTorch add epsilon to sqrt(v̂) after it, so their updates
 * differ slightly while v is small. Slots: [m, v].
 */
function buildAdam(raw: RawConfig): Optimizer {
  const config = configObject('Adam', raw);
  checkKeys('Adam', config, ['learningRate', 'beta1', 'beta2', 'epsilon']);
  const lr = checkLearningRate(option(config, 'learningRate', 0.001));
  const beta1 = checkNumberInRange('beta1', option(config, 'beta1', 0.9), 0, 1, true);
  const beta2 = checkNumberInRange('beta2', option(config, 'beta2', 0.999), 0, 1, true);
  const epsilon = checkEpsilon(option(config, 'epsilon', 1e-7));
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  return makeOptimizer('Adam', config, lr, { beta1, beta2, epsilon }, 2, ({ from, to }, g, rate, t, scale, start, end) => {
    // Once per call, in float64: every range of the same step sees the same alpha.
    const alpha = (rate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
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
      pOut[i] = p[i] - (alpha * mi) / (Math.sqrt(vi) + epsilon);
    }
  });
}

/**
 * SGD with optional (Nesterov) momentum, as in Keras: velocity = momentum·velocity − lr·g, then
 * p += velocity, or p += momentum·velocity − lr·g with Nesterov. Slots: [velocity] if momentum > 0.
 */
function buildSgd(raw: RawConfig): Optimizer {
  const config = configObject('SGD', raw);
  checkKeys('SGD', config, ['learningRate', 'momentum', 'nesterov']);
  const lr = checkLearningRate(option(config, 'learningRate', 0.01));
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
  const lr = checkLearningRate(option(config, 'learningRate', 0.001));
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

// ---- construction by name ----

const BUILDERS: Readonly<Record<string, (config: RawConfig) => Optimizer>> = {
  adam: buildAdam,
  sgd: buildSgd,
  rmsprop: buildRmsprop,
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

/** 'adam' | 'sgd' | 'rmsprop' in any case gives a fresh optimizer with defaults; an instance is returned as is. */
export function getOptimizer(identifier: string | Optimizer): Optimizer {
  if (typeof identifier === 'string') return builderFor('optimizer', identifier)({});
  if (typeof identifier === 'object' && identifier !== null && typeof identifier.applyInPlace === 'function') {
    return identifier;
  }
  throw invalidType('optimizer', "an optimizer name ('adam', 'sgd', 'rmsprop') or an Optimizer", identifier);
}

/** Rebuilds an optimizer from `{ className, config: getConfig() }`, validating the config again. */
export function optimizerFromSpec(spec: { className: string; config: Readonly<Record<string, number | boolean>> }): Optimizer {
  return builderFor('optimizer', spec.className)(spec.config);
}
