/**
 * The Keras / tfjs-layers JSON conventions every layer's mapping shares: checked reads of a
 * snake_case config, initializers to and from their Keras classes, and the rule that a field weft
 * cannot honour is refused by name, never dropped. Pure conversion, no I/O. Each layer's own
 * mapping lives in its file (`static fromKeras` / `static toKeras`); src/graph/tfjs-format.ts
 * walks the model around them.
 */
import { invalidArgument, invalidType, unknownName } from '../errors.js';
import { canonicalName, resolveInitializer, type InitializerConfig, type InitializerName, type InitializerSpec } from './initializers.js';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function expectObject(where: string, v: unknown, what: string): Json {
  if (!isObject(v)) throw invalidType(where, what, v);
  return v;
}

export function expectString(where: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw invalidType(where, 'a non-empty string', v);
  return v;
}

export function expectArray(where: string, v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw invalidType(where, what, v);
  return v;
}

/** weft's initializers as the tfjs/Keras classes: the variance-scaling family as VarianceScaling. */
export const VARIANCE_SCALING: Partial<Record<InitializerName, { scale: number; mode: string; distribution: string }>> = {
  glorotUniform: { scale: 1, mode: 'fan_avg', distribution: 'uniform' },
  glorotNormal: { scale: 1, mode: 'fan_avg', distribution: 'normal' },
  heUniform: { scale: 2, mode: 'fan_in', distribution: 'uniform' },
  heNormal: { scale: 2, mode: 'fan_in', distribution: 'normal' },
  leCunUniform: { scale: 1, mode: 'fan_in', distribution: 'uniform' },
  leCunNormal: { scale: 1, mode: 'fan_in', distribution: 'normal' },
};

export function initializerToKeras(spec: unknown): Json {
  const { className, config = {} } = resolveInitializer('initializer', spec);
  const seed = config.seed ?? null;
  const vs = VARIANCE_SCALING[className];
  if (vs !== undefined) return { class_name: 'VarianceScaling', config: { ...vs, seed } };
  switch (className) {
    case 'zeros': return { class_name: 'Zeros', config: {} };
    case 'ones': return { class_name: 'Ones', config: {} };
    case 'randomUniform':
      return { class_name: 'RandomUniform', config: { minval: config.minval ?? -0.05, maxval: config.maxval ?? 0.05, seed } };
    case 'randomNormal':
      return { class_name: 'RandomNormal', config: { mean: config.mean ?? 0, stddev: config.stddev ?? 0.05, seed } };
    default: // truncatedNormal
      return { class_name: 'TruncatedNormal', config: { mean: config.mean ?? 0, stddev: config.stddev ?? 0.05, seed } };
  }
}

/**
 * One layer's Keras config as its `fromKeras` reads it: every read names the field and the
 * layer, so an error points into the file.
 */
export class KerasConfigReader {
  /** The keys a layer's mapping has looked at: tfjs-format.ts refuses the others unless they are inert. */
  private readonly seen = new Set<string>();

  constructor(
    readonly className: string,
    readonly name: string,
    readonly config: Json,
    /** The file's `keras_version` (Keras 2 and 3 read some fields differently); null when unknown. */
    readonly kerasVersion: string | null = null,
  ) {}

  /** The config's keys no read has touched, in the file's order. */
  unreadKeys(): string[] {
    return Object.keys(this.config).filter((k) => !this.seen.has(k));
  }

  /** How an error names `key`: `config.units of layer 'dense_1' (Dense)`. */
  where(key: string): string {
    return `config.${key} of layer '${this.name}' (${this.className})`;
  }

  get(key: string): unknown {
    this.seen.add(key);
    return this.config[key];
  }

  /** The field, or `fallback` when it is absent or null. */
  value<T>(key: string, fallback: T): unknown {
    const v = this.get(key);
    return v === undefined || v === null ? fallback : v;
  }

  /** A field weft cannot honour must be unset (null/absent) or at the value weft implements. */
  mustBe(key: string, allowed: readonly unknown[], why: string): void {
    const v = this.get(key);
    if (v !== undefined && v !== null && !allowed.includes(v)) {
      throw invalidArgument(this.where(key), `${allowed.length ? `${allowed.map((a) => JSON.stringify(a)).join(' or ')} or ` : ''}null (${why})`, v);
    }
  }

  /** Regularizer and constraint fields weft does not implement yet: each must be null or absent. */
  noneOf(keys: readonly string[], why: string): void {
    for (const k of keys) this.mustBe(k, [], why);
  }

  /** An initializer field as weft's spec, or `fallback` when unset. */
  initializer(key: string, fallback: InitializerSpec): InitializerSpec {
    return initializerFromKeras(this.where(key), this.get(key)) ?? fallback;
  }
}

const DEFAULT_PARAMS: Record<string, number> = { minval: -0.05, maxval: 0.05, mean: 0, stddev: 0.05 };
const INITIALIZER_CLASSES = [
  'VarianceScaling', 'GlorotUniform', 'GlorotNormal', 'HeUniform', 'HeNormal', 'LecunUniform', 'LecunNormal',
  'Zeros', 'Ones', 'Constant', 'RandomUniform', 'RandomNormal', 'TruncatedNormal',
];

/**
 * A Keras initializer `{class_name, config}` as a weft initializer: a plain name when it has no
 * settings beyond the defaults (so a weft model read back has the config it was written with).
 */
export function initializerFromKeras(where: string, v: unknown): InitializerSpec | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return resolveInitializer(where, v).className;
  const o = expectObject(where, v, 'an initializer {class_name, config}');
  const cls = expectString(`${where}.class_name`, o.class_name);
  const c = o.config === undefined || o.config === null ? {} : expectObject(`${where}.config`, o.config, 'an object');
  let name: string;
  if (cls === 'VarianceScaling') {
    const dist = c.distribution === 'truncated_normal' || c.distribution === 'truncatedNormal' ? 'normal' : c.distribution;
    const found = Object.entries(VARIANCE_SCALING).find(([, p]) => p.scale === c.scale && p.mode === c.mode && p.distribution === dist);
    if (found === undefined) {
      throw invalidArgument(where, "a VarianceScaling weft has: {scale 1, mode 'fan_avg'} (glorot), {2, 'fan_in'} (he) or {1, 'fan_in'} (lecun), with distribution 'uniform' or 'normal'", JSON.stringify(c));
    }
    name = found[0];
  } else if (cls === 'Constant') {
    if (c.value !== 0 && c.value !== 1) throw invalidArgument(`${where}.config.value`, '0 or 1 (weft has zeros and ones, not other constants)', c.value);
    name = c.value === 0 ? 'zeros' : 'ones';
  } else {
    name = canonicalName(cls);
    if (!INITIALIZER_CLASSES.includes(cls) && !INITIALIZER_CLASSES.some((k) => canonicalName(k) === name)) {
      throw unknownName(`initializer for ${where}`, cls, INITIALIZER_CLASSES);
    }
  }
  const params: Record<string, number> = {};
  if (typeof c.seed === 'number') params.seed = c.seed;
  if (name === 'randomUniform' || name === 'randomNormal' || name === 'truncatedNormal') {
    const keys = name === 'randomUniform' ? ['minval', 'maxval'] : ['mean', 'stddev'];
    for (const k of keys) {
      if (c[k] === undefined || c[k] === null) continue;
      if (typeof c[k] !== 'number') throw invalidType(`${where}.config.${k}`, 'a number', c[k]);
      if (c[k] !== DEFAULT_PARAMS[k]) params[k] = c[k] as number;
    }
  }
  const resolved = resolveInitializer(where, name).className; // checks the name
  return Object.keys(params).length === 0 ? resolved : ({ className: resolved, config: params } satisfies InitializerConfig);
}
