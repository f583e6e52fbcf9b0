/**
 * Weight constraints as descriptions: a layer's config names one, `build` puts it on the
 * weight's ParamSpec, and the update (src/train/constraints.ts) projects the weight after every
 * optimizer step, as Keras 3's optimizer does (keras/src/constraints/constraints.py).
 */
import { invalidArgument, invalidType, ShapeError, unknownName } from '../errors.js';
import type { KerasConfigReader } from './keras-config.js';

export type ConstraintClassName = 'MaxNorm' | 'MinMaxNorm' | 'NonNeg' | 'UnitNorm';

/** The axis or axes a norm is taken over (Keras's `axis`; negative counts from the end). */
export type ConstraintAxis = number | readonly number[];

export interface MaxNormConfig { maxValue?: number; axis?: ConstraintAxis }
export interface MinMaxNormConfig { minValue?: number; maxValue?: number; rate?: number; axis?: ConstraintAxis }
export interface UnitNormConfig { axis?: ConstraintAxis }

/** `{className: 'MaxNorm', config: {maxValue: 2, axis: 0}}`: what a layer's getConfig holds, with every field. */
export interface ConstraintSpec {
  readonly className: ConstraintClassName;
  readonly config: { readonly maxValue?: number; readonly minValue?: number; readonly rate?: number; readonly axis?: ConstraintAxis };
}

export type ConstraintIdentifier = ConstraintSpec | string;

function options(factory: string, config: unknown, known: readonly string[]): Record<string, unknown> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw invalidType(`config of constraints.${factory}`, `an options object {${known.join(', ')}}`, config);
  const extra = Object.keys(config).find((k) => !known.includes(k));
  if (extra !== undefined) throw unknownName(`option of constraints.${factory}`, extra, known);
  return config as Record<string, unknown>;
}

function checkNorm(argument: string, value: unknown): number {
  const expected = 'a finite number >= 0';
  if (typeof value !== 'number') throw invalidType(argument, expected, value);
  if (!(Number.isFinite(value) && value >= 0)) throw invalidArgument(argument, expected, value);
  return value;
}

function checkAxis(value: unknown): ConstraintAxis {
  const expected = 'an integer or a non-empty array of distinct integers';
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((a) => typeof a === 'number')) throw invalidType('axis', expected, value);
  if (list.length === 0 || !list.every((a) => Number.isInteger(a)) || new Set(list).size !== list.length) throw invalidArgument('axis', expected, value);
  return Array.isArray(value) ? [...(value as number[])] : (value as number);
}

/** MaxNorm (Srivastava et al. 2014, Sec. 5.1): w·clip(‖w‖, 0, maxValue)/(ε + ‖w‖), norms over `axis`. */
export function maxNorm(config: MaxNormConfig = {}): ConstraintSpec {
  const c = options('maxNorm', config, ['maxValue', 'axis']);
  return { className: 'MaxNorm', config: { maxValue: checkNorm('maxValue', c.maxValue ?? 2), axis: checkAxis(c.axis ?? 0) } };
}

/** MinMaxNorm: w·(rate·clip(‖w‖, minValue, maxValue) + (1 − rate)·‖w‖)/(ε + ‖w‖). */
export function minMaxNorm(config: MinMaxNormConfig = {}): ConstraintSpec {
  const c = options('minMaxNorm', config, ['minValue', 'maxValue', 'rate', 'axis']);
  const minValue = checkNorm('minValue', c.minValue ?? 0);
  const maxValue = checkNorm('maxValue', c.maxValue ?? 1);
  if (maxValue < minValue) throw invalidArgument('maxValue', `a number >= minValue (${minValue})`, maxValue);
  const rate = c.rate ?? 1;
  if (typeof rate !== 'number') throw invalidType('rate', 'a number in [0, 1]', rate);
  if (!(rate >= 0 && rate <= 1)) throw invalidArgument('rate', 'a number in [0, 1]', rate);
  return { className: 'MinMaxNorm', config: { minValue, maxValue, rate, axis: checkAxis(c.axis ?? 0) } };
}

/** NonNeg: negative weights set to 0. */
export function nonNeg(config: Record<string, never> = {}): ConstraintSpec {
  options('nonNeg', config, []);
  return { className: 'NonNeg', config: {} };
}

/** UnitNorm: w/(ε + ‖w‖), norms over `axis`. */
export function unitNorm(config: UnitNormConfig = {}): ConstraintSpec {
  const c = options('unitNorm', config, ['axis']);
  return { className: 'UnitNorm', config: { axis: checkAxis(c.axis ?? 0) } };
}

/** Each class's factory and its names: tfjs-layers' camelCase, Keras's snake_case and class names. */
const CLASSES: Readonly<Record<ConstraintClassName, { make: (c: never) => ConstraintSpec; names: readonly string[]; keras: Readonly<Record<string, string>> }>> = {
  MaxNorm: { make: maxNorm, names: ['maxNorm', 'max_norm', 'maxnorm'], keras: { max_value: 'maxValue', axis: 'axis' } },
  MinMaxNorm: { make: minMaxNorm, names: ['minMaxNorm', 'min_max_norm', 'minmaxnorm'], keras: { min_value: 'minValue', max_value: 'maxValue', rate: 'rate', axis: 'axis' } },
  NonNeg: { make: nonNeg, names: ['nonNeg', 'non_neg', 'nonneg'], keras: {} },
  UnitNorm: { make: unitNorm, names: ['unitNorm', 'unit_norm', 'unitnorm'], keras: { axis: 'axis' } },
};

function classByName(name: string): ConstraintClassName | undefined {
  return (Object.keys(CLASSES) as ConstraintClassName[]).find((k) => k === name || CLASSES[k].names.includes(name));
}

/** A layer option as a checked spec, or null when unset (undefined or null). */
export function resolveConstraint(argument: string, value: unknown): ConstraintSpec | null {
  if (value === undefined || value === null) return null;
  const names = ['maxNorm', 'minMaxNorm', 'nonNeg', 'unitNorm'];
  if (typeof value === 'string') {
    const cls = classByName(value);
    if (cls === undefined) throw unknownName(`constraint for \`${argument}\``, value, names);
    return CLASSES[cls].make({} as never);
  }
  const spec = value as Partial<ConstraintSpec>;
  if (typeof value !== 'object' || Array.isArray(value) || typeof spec.className !== 'string') {
    throw invalidType(argument, "a constraint: weft.constraints.maxNorm/minMaxNorm/nonNeg/unitNorm(...), {className, config} or a name ('maxNorm', 'nonNeg', ...)", value);
  }
  const cls = classByName(spec.className);
  if (cls === undefined) throw unknownName(`constraint class for \`${argument}\``, spec.className, Object.keys(CLASSES));
  return CLASSES[cls].make((spec.config ?? {}) as never);
}

/** A constraint as Keras JSON (snake_case config, as tfjs-layers writes and reads it); null when unset. */
export function constraintToKeras(spec: unknown): { class_name: ConstraintClassName; config: Record<string, unknown> } | null {
  const resolved = resolveConstraint('constraint', spec);
  if (resolved === null) return null;
  const config: Record<string, unknown> = {};
  const given = resolved.config as Record<string, unknown>;
  for (const [keras, weft] of Object.entries(CLASSES[resolved.className].keras)) config[keras] = given[weft];
  return { class_name: resolved.className, config };
}

/** Keras JSON (`{class_name: 'MaxNorm', config: {max_value: 2, axis: 0}}`, extra Keras 3 fields ignored) or a name, as a weft spec. */
export function constraintFromKeras(where: string, v: unknown): ConstraintSpec | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return resolveConstraint(where, v) as ConstraintSpec;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidType(where, 'a constraint {class_name, config}, a name or null', v);
  const o = v as Record<string, unknown>;
  if (typeof o.class_name !== 'string') throw invalidType(`${where}.class_name`, 'a non-empty string', o.class_name);
  const cls = classByName(o.class_name);
  if (cls === undefined) throw unknownName(`constraint for ${where}`, o.class_name, Object.keys(CLASSES));
  const raw = o.config === undefined || o.config === null ? {} : o.config;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidType(`${where}.config`, 'an object', raw);
  const config: Record<string, unknown> = {};
  for (const [keras, weft] of Object.entries(CLASSES[cls].keras)) {
    const value = (raw as Record<string, unknown>)[keras] ?? (raw as Record<string, unknown>)[weft];
    if (value !== undefined && value !== null) config[weft] = value;
  }
  return CLASSES[cls].make(config as never);
}

/** A layer's constraint field of its Keras config (`kernel_constraint`) as weft's spec; undefined when null or absent. */
export function readConstraint(r: Pick<KerasConfigReader, 'where' | 'get'>, key: string): ConstraintSpec | undefined {
  return constraintFromKeras(r.where(key), r.get(key));
}

/** The constraint's axes as non-negative indices into a weight of rank `rank`, checked; [] for NonNeg. */
export function constraintAxes(spec: ConstraintSpec, rank: number, where: string): number[] {
  if (spec.config.axis === undefined) return [];
  const list = typeof spec.config.axis === 'number' ? [spec.config.axis] : [...spec.config.axis];
  const axes = list.map((a) => {
    if (a < -rank || a >= rank) throw new ShapeError(`${where}: ${spec.className} axis ${a} is out of range for a weight of rank ${rank}`);
    return a < 0 ? a + rank : a;
  });
  return [...new Set(axes)].sort((a, b) => a - b);
}
