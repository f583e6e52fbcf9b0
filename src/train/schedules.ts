/**
 * Learning-rate schedules as Keras 3's `LearningRateSchedule` objects
 * (keras/src/optimizers/schedules/learning_rate_schedule.py): a pure function of the optimizer's
 * step count, the number of updates applied before this one (0 for the first update, as Keras
 * evaluates the schedule at `iterations` before incrementing it). An optimizer given one as its
 * `learningRate` asks it once per step; the coordinator sends that value to the workers of a
 * sharded update, so both update paths use one number. Values are computed in float64 (Keras
 * computes them in the initial rate's dtype, float32 by default: they agree to ~1e-7).
 */
import { describeValue, invalidArgument, invalidType, unknownName } from '../errors.js';

export type ScheduleClassName = 'ExponentialDecay' | 'PiecewiseConstantDecay' | 'PolynomialDecay' | 'CosineDecay';

export type ScheduleConfigValue = number | boolean | string | null | readonly number[];

/** The JSON-safe form a checkpoint or a worker rebuilds a schedule from (Keras's serialize, in tfjs's camelCase). */
export interface ScheduleSpec {
  readonly className: string;
  readonly config: Readonly<Record<string, ScheduleConfigValue>>;
}

export interface LearningRateSchedule {
  readonly className: string;
  /** The learning rate of the update applied after `step` updates (0 for the first one). */
  valueAt(step: number): number;
  /** camelCase fields; `scheduleFromSpec({ className, config: getConfig() })` rebuilds it. */
  getConfig(): Record<string, ScheduleConfigValue>;
}

export interface ExponentialDecayConfig {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
  name?: string;
}

export interface PiecewiseConstantDecayConfig {
  boundaries: readonly number[];
  values: readonly number[];
  name?: string;
}

export interface PolynomialDecayConfig {
  initialLearningRate: number;
  decaySteps: number;
  endLearningRate?: number;
  power?: number;
  cycle?: boolean;
  name?: string;
}

export interface CosineDecayConfig {
  initialLearningRate: number;
  decaySteps: number;
  alpha?: number;
  /** The rate a linear warm-up reaches after `warmupSteps`; null (the default) for no warm-up. */
  warmupTarget?: number | null;
  warmupSteps?: number;
  name?: string;
}

type RawConfig = Readonly<Record<string, unknown>>;

// ---- validation, once at construction ----

function configObject(className: ScheduleClassName, config: unknown): RawConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw invalidType('config', `an object of ${className} options`, config);
  }
  return config as RawConfig;
}

function checkKeys(className: ScheduleClassName, config: RawConfig, known: readonly string[]): void {
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) throw unknownName(`${className} config key`, key, known);
  }
}

function option(config: RawConfig, key: string, fallback: ScheduleConfigValue): unknown {
  return config[key] === undefined ? fallback : config[key];
}

/** A finite number with `test`; `expected` names the condition in the message. */
function checkNumber(argument: string, value: unknown, expected: string, test: (v: number) => boolean): number {
  if (typeof value !== 'number') throw invalidType(argument, expected, value);
  if (!(Number.isFinite(value) && test(value))) throw invalidArgument(argument, expected, value);
  return value;
}

const rate = (argument: string, value: unknown): number => checkNumber(argument, value, 'a finite number >= 0', (v) => v >= 0);
const positive = (argument: string, value: unknown): number => checkNumber(argument, value, 'a finite number > 0', (v) => v > 0);

function checkBoolean(argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidType(argument, 'a boolean', value);
  return value;
}

function checkName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidType('name', 'a non-empty string', value);
  return value;
}

function checkNumberList(argument: string, value: unknown, expected: string, test: (v: number) => boolean): number[] {
  if (!Array.isArray(value)) throw invalidType(argument, expected, value);
  value.forEach((v, i) => checkNumber(`${argument}[${i}]`, v, expected.replace(/^an array of /, 'a '), test));
  return [...(value as number[])];
}

/** The step a schedule is evaluated at: the optimizer's count of updates applied so far. */
function checkStep(step: number): void {
  if (!(Number.isInteger(step) && step >= 0)) throw invalidArgument('step', 'an integer >= 0', step);
}

function makeSchedule(className: ScheduleClassName, config: Record<string, ScheduleConfigValue>, value: (step: number) => number): LearningRateSchedule {
  return {
    className,
    valueAt(step: number): number {
      checkStep(step);
      return value(step);
    },
    getConfig: () => ({ ...config }),
  };
}

// ---- the four schedules ----

/** `initialLearningRate · decayRate^(step / decaySteps)`, the exponent floored when `staircase`. */
export function exponentialDecay(options: ExponentialDecayConfig): LearningRateSchedule {
  const config = configObject('ExponentialDecay', options);
  checkKeys('ExponentialDecay', config, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name']);
  const initialLearningRate = rate('initialLearningRate', config.initialLearningRate);
  const decaySteps = positive('decaySteps', config.decaySteps);
  const decayRate = rate('decayRate', config.decayRate);
  const staircase = checkBoolean('staircase', option(config, 'staircase', false));
  const name = checkName(option(config, 'name', 'ExponentialDecay'));
  return makeSchedule('ExponentialDecay', { initialLearningRate, decaySteps, decayRate, staircase, name }, (step) => {
    const p = step / decaySteps;
    return initialLearningRate * decayRate ** (staircase ? Math.floor(p) : p);
  });
}

/**
 * `values[0]` while step <= boundaries[0], `values[i]` while boundaries[i-1] < step <=
 * boundaries[i], `values[last]` after the last boundary (Keras's comparisons exactly).
 */
export function piecewiseConstantDecay(options: PiecewiseConstantDecayConfig): LearningRateSchedule {
  const config = configObject('PiecewiseConstantDecay', options);
  checkKeys('PiecewiseConstantDecay', config, ['boundaries', 'values', 'name']);
  const boundaries = checkNumberList('boundaries', config.boundaries, 'an array of finite numbers', () => true);
  const values = checkNumberList('values', config.values, 'an array of finite numbers >= 0', (v) => v >= 0);
  if (boundaries.length !== values.length - 1) {
    throw new RangeError(
      `The length of boundaries should be 1 less than the length of values. Received: boundaries=${describeValue(boundaries)} of length ${boundaries.length}, and values=${describeValue(values)} of length ${values.length}.`,
    );
  }
  if (boundaries.length === 0) throw invalidArgument('boundaries', 'at least one boundary', boundaries);
  boundaries.forEach((b, i) => {
    if (i > 0 && !(b > boundaries[i - 1])) throw invalidArgument('boundaries', 'strictly increasing numbers', boundaries);
  });
  const name = checkName(option(config, 'name', 'PiecewiseConstant'));
  return makeSchedule('PiecewiseConstantDecay', { boundaries, values, name }, (step) => {
    let k = 0;
    while (k < boundaries.length && step > boundaries[k]) k++;
    return values[k];
  });
}

/**
 * `(initial − end) · (1 − step/decaySteps)^power + end`, the step held at decaySteps after it,
 * or with `cycle` the decay restarted over the first multiple of decaySteps not below the step.
 */
export function polynomialDecay(options: PolynomialDecayConfig): LearningRateSchedule {
  const config = configObject('PolynomialDecay', options);
  checkKeys('PolynomialDecay', config, ['initialLearningRate', 'decaySteps', 'endLearningRate', 'power', 'cycle', 'name']);
  const initialLearningRate = rate('initialLearningRate', config.initialLearningRate);
  const decaySteps = positive('decaySteps', config.decaySteps);
  const endLearningRate = rate('endLearningRate', option(config, 'endLearningRate', 0.0001));
  const power = positive('power', option(config, 'power', 1));
  const cycle = checkBoolean('cycle', option(config, 'cycle', false));
  const name = checkName(option(config, 'name', 'PolynomialDecay'));
  return makeSchedule('PolynomialDecay', { initialLearningRate, decaySteps, endLearningRate, power, cycle, name }, (step) => {
    let s = step;
    let steps = decaySteps;
    if (cycle) steps = decaySteps * (step === 0 ? 1 : Math.ceil(step / decaySteps));
    else s = Math.min(step, decaySteps);
    return (initialLearningRate - endLearningRate) * (1 - s / steps) ** power + endLearningRate;
  });
}

/**
 * Cosine decay (Loshchilov & Hutter 2017, SGDR, without restarts) from `initialLearningRate` to
 * `alpha` times it over `decaySteps`. With `warmupTarget`, first a linear warm-up from
 * `initialLearningRate` to `warmupTarget` over `warmupSteps`, then the decay from warmupTarget
 * (Keras 3's form: without a target, `warmupSteps` is ignored, as in Keras).
 */
export function cosineDecay(options: CosineDecayConfig): LearningRateSchedule {
  const config = configObject('CosineDecay', options);
  checkKeys('CosineDecay', config, ['initialLearningRate', 'decaySteps', 'alpha', 'warmupTarget', 'warmupSteps', 'name']);
  const initialLearningRate = rate('initialLearningRate', config.initialLearningRate);
  const decaySteps = positive('decaySteps', config.decaySteps);
  const alpha = checkNumber('alpha', option(config, 'alpha', 0), 'a number in [0, 1]', (v) => v >= 0 && v <= 1);
  const target = option(config, 'warmupTarget', null);
  const warmupTarget = target === null ? null : rate('warmupTarget', target);
  const warmupSteps = rate('warmupSteps', option(config, 'warmupSteps', 0));
  const name = checkName(option(config, 'name', 'CosineDecay'));
  const decay = (step: number, from: number) => {
    const cosine = 0.5 * (1 + Math.cos(Math.PI * (step / decaySteps)));
    return from * ((1 - alpha) * cosine + alpha);
  };
  return makeSchedule('CosineDecay', { initialLearningRate, decaySteps, alpha, warmupTarget, warmupSteps, name }, (step) => {
    if (warmupTarget === null) return decay(Math.min(step, decaySteps), initialLearningRate);
    const s = Math.min(step, decaySteps + warmupSteps);
    if (s < warmupSteps) return (warmupTarget - initialLearningRate) * (s / warmupSteps) + initialLearningRate;
    return decay(s - warmupSteps, warmupTarget);
  });
}

// ---- construction by name ----

const BUILDERS: Readonly<Record<string, (config: RawConfig) => LearningRateSchedule>> = {
  ExponentialDecay: (c) => exponentialDecay(c as unknown as ExponentialDecayConfig),
  PiecewiseConstantDecay: (c) => piecewiseConstantDecay(c as unknown as PiecewiseConstantDecayConfig),
  PolynomialDecay: (c) => polynomialDecay(c as unknown as PolynomialDecayConfig),
  CosineDecay: (c) => cosineDecay(c as unknown as CosineDecayConfig),
};

/** Keras's snake_case key as weft's camelCase one ('initial_learning_rate' → 'initialLearningRate'). */
const camelCase = (key: string): string => key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

/**
 * Rebuilds a schedule from `{ className, config: getConfig() }`, validating it again. Keras's
 * own serialized form — `{module, class_name, config: {initial_learning_rate, ...},
 * registered_name}` — is read too.
 */
export function scheduleFromSpec(spec: unknown): LearningRateSchedule {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw invalidType('schedule', 'an object {className, config}', spec);
  const s = spec as Record<string, unknown>;
  const className = s.className ?? s.class_name;
  if (typeof className !== 'string') throw invalidType('schedule.className', 'a schedule class name', className);
  const builder = Object.hasOwn(BUILDERS, className) ? BUILDERS[className] : undefined;
  if (builder === undefined) throw unknownName('learning rate schedule', className, Object.keys(BUILDERS));
  const config = s.config ?? {};
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw invalidType('schedule.config', `an object of ${className} options`, config);
  const keras = s.class_name !== undefined;
  return builder(keras ? Object.fromEntries(Object.entries(config).map(([k, v]) => [camelCase(k), v])) : (config as RawConfig));
}

/** Whether `value` is a schedule object (weft's or one a user wrote with `className`, `valueAt` and `getConfig`). */
export function isLearningRateSchedule(value: unknown): value is LearningRateSchedule {
  return typeof value === 'object' && value !== null && typeof (value as LearningRateSchedule).valueAt === 'function'
    && typeof (value as LearningRateSchedule).getConfig === 'function' && typeof (value as LearningRateSchedule).className === 'string';
}
