/**
 * Weight regularizers as descriptions (like initializers): a layer's config names one, `build`
 * puts it on the weight's ParamSpec, and whoever runs the update (src/train/regularizers.ts)
 * adds its penalty to the loss and its gradient to the mean gradient. Keras 3's classes
 * (keras/src/regularizers/regularizers.py): L1 = l1·Σ|w|, L2 = l2·Σw², L1L2 both.
 */
import { invalidArgument, invalidType, unknownName } from '../errors.js';
import type { KerasConfigReader } from './keras-config.js';
import type { ParamLayout } from './param-layout.js';

export type RegularizerClassName = 'L1' | 'L2' | 'L1L2';

/** `{className: 'L2', config: {l2: 0.01}}`: what a layer's getConfig holds, JSON-safe. */
export interface RegularizerSpec {
  readonly className: RegularizerClassName;
  readonly config: { readonly l1?: number; readonly l2?: number };
}

/** A regularizer as a layer option: a spec, or a name ('l1', 'l2', 'l1l2', Keras's 'l1_l2'). */
export type RegularizerIdentifier = RegularizerSpec | string;

/** Keras's default factor for 'l1' and 'l2' given by name, and tfjs-layers' for l1l2. */
const DEFAULT_FACTOR = 0.01;

/** Keras 3's validate_float_arg: a finite number >= 0. */
function checkFactor(argument: string, value: unknown): number {
  const expected = 'a finite number >= 0';
  if (typeof value !== 'number') throw invalidType(argument, expected, value);
  if (!(Number.isFinite(value) && value >= 0)) throw invalidArgument(argument, expected, value);
  return value;
}

function options(factory: string, config: unknown, known: readonly string[]): Record<string, unknown> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw invalidType(`config of regularizers.${factory}`, `an options object {${known.join(', ')}}`, config);
  const extra = Object.keys(config).find((k) => !known.includes(k));
  if (extra !== undefined) throw unknownName(`option of regularizers.${factory}`, extra, known);
  return config as Record<string, unknown>;
}

/** L1: penalty l1·Σ|w| (Keras's default l1 0.01). */
export function l1(config: { l1?: number } = {}): RegularizerSpec {
  const c = options('l1', config, ['l1']);
  return { className: 'L1', config: { l1: checkFactor('l1', c.l1 ?? DEFAULT_FACTOR) } };
}

/** L2: penalty l2·Σw² (Keras's default l2 0.01). */
export function l2(config: { l2?: number } = {}): RegularizerSpec {
  const c = options('l2', config, ['l2']);
  return { className: 'L2', config: { l2: checkFactor('l2', c.l2 ?? DEFAULT_FACTOR) } };
}

/**
 * L1L2: l1·Σ|w| + l2·Σw². An omitted factor is 0.01, as tfjs-layers' `l1l2()` and Keras 2's
 * `l1_l2()` (Keras 3's L1L2 class defaults both to 0: give them to be unambiguous).
 */
export function l1l2(config: { l1?: number; l2?: number } = {}): RegularizerSpec {
  const c = options('l1l2', config, ['l1', 'l2']);
  return { className: 'L1L2', config: { l1: checkFactor('l1', c.l1 ?? DEFAULT_FACTOR), l2: checkFactor('l2', c.l2 ?? DEFAULT_FACTOR) } };
}

const BY_NAME: Readonly<Record<string, () => RegularizerSpec>> = { l1: () => l1(), l2: () => l2(), l1l2: () => l1l2(), l1_l2: () => l1l2() };
const NAMES = ['l1', 'l2', 'l1l2', 'l1_l2'];

/** A layer option as a checked spec, or null when unset (undefined or null). */
export function resolveRegularizer(argument: string, value: unknown): RegularizerSpec | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') {
    const make = Object.hasOwn(BY_NAME, value.toLowerCase()) ? BY_NAME[value.toLowerCase()] : undefined;
    if (make === undefined) throw unknownName(`regularizer for \`${argument}\``, value, NAMES);
    return make();
  }
  const spec = value as Partial<RegularizerSpec>;
  if (typeof value !== 'object' || Array.isArray(value) || typeof spec.className !== 'string') {
    throw invalidType(argument, "a regularizer: weft.regularizers.l1/l2/l1l2(...), {className: 'L1' | 'L2' | 'L1L2', config} or a name ('l1', 'l2', 'l1_l2')", value);
  }
  const config = spec.config ?? {};
  switch (spec.className) {
    case 'L1': return l1(config as { l1?: number });
    case 'L2': return l2(config as { l2?: number });
    case 'L1L2': return l1l2({ l1: 0, l2: 0, ...(config as object) });
    default: throw unknownName(`regularizer class for \`${argument}\``, spec.className, ['L1', 'L2', 'L1L2']);
  }
}

/** The factors of a spec, both present (0 where the class has none). */
export function regularizerFactors(spec: RegularizerSpec): { l1: number; l2: number } {
  return { l1: spec.config.l1 ?? 0, l2: spec.config.l2 ?? 0 };
}

/**
 * A regularizer as the Keras JSON tfjs-layers reads: always `L1L2` with both factors (tfjs-layers
 * registers no `L1` or `L2` class, Keras reads L1L2 too); null when unset.
 */
export function regularizerToKeras(spec: unknown): { class_name: 'L1L2'; config: { l1: number; l2: number } } | null {
  const resolved = resolveRegularizer('regularizer', spec);
  return resolved === null ? null : { class_name: 'L1L2', config: regularizerFactors(resolved) };
}

/**
 * Keras JSON (`{class_name: 'L2', config: {l2: 0.01}}`, 'L1', 'L1L2', tfjs-layers' 'l1l2', extra
 * Keras 3 fields such as `module` ignored) or a plain name, as a weft spec: an L1L2 with one
 * factor 0 reads back as L1 or L2, so a weft model saved and loaded keeps the config it had.
 */
export function regularizerFromKeras(where: string, v: unknown): RegularizerSpec | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return resolveRegularizer(where, v) as RegularizerSpec;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalidType(where, 'a regularizer {class_name, config}, a name or null', v);
  const o = v as Record<string, unknown>;
  const cls = o.class_name;
  if (typeof cls !== 'string') throw invalidType(`${where}.class_name`, 'a non-empty string', cls);
  const raw = o.config === undefined || o.config === null ? {} : o.config;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidType(`${where}.config`, 'an object', raw);
  const c = raw as Record<string, unknown>;
  const factor = (key: 'l1' | 'l2', fallback: number) => checkFactor(`${where}.config.${key}`, c[key] ?? fallback);
  switch (cls) {
    case 'L1': case 'l1': return l1({ l1: factor('l1', DEFAULT_FACTOR) });
    case 'L2': case 'l2': return l2({ l2: factor('l2', DEFAULT_FACTOR) });
    case 'L1L2': case 'l1l2': case 'l1_l2': {
      const a = factor('l1', 0);
      const b = factor('l2', 0);
      if (a === 0 && b !== 0) return l2({ l2: b });
      if (b === 0 && a !== 0) return l1({ l1: a });
      return l1l2({ l1: a, l2: b });
    }
    default: throw unknownName(`regularizer for ${where}`, cls, ['L1', 'L2', 'L1L2']);
  }
}

/** A layer's regularizer field of its Keras config (`kernel_regularizer`) as weft's spec; undefined when null or absent. */
export function readRegularizer(r: Pick<KerasConfigReader, 'where' | 'get'>, key: string): RegularizerSpec | undefined {
  return regularizerFromKeras(r.where(key), r.get(key));
}

/** One regularized weight's place in the flat parameter array and its factors. */
export interface WeightPenalty {
  readonly offset: number;
  readonly size: number;
  readonly l1: number;
  readonly l2: number;
}

/**
 * Every regularized trainable weight of a layout, in layout order: what the update and the loss
 * need. A frozen weight's penalty is a constant, and Keras 3 leaves it out of the loss as well.
 */
export function weightPenalties(layout: Pick<ParamLayout, 'entries'>): WeightPenalty[] {
  const out: WeightPenalty[] = [];
  for (const e of layout.entries) {
    if (!e.trainable) continue;
    const spec = e.layer.params[e.index]?.regularizer;
    if (spec === undefined || spec === null) continue;
    const { l1: a, l2: b } = regularizerFactors(spec);
    if (a !== 0 || b !== 0) out.push({ offset: e.offset, size: e.size, l1: a, l2: b });
  }
  return out;
}
