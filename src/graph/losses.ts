/**
 * Losses: Keras 3's set, by name (tfjs's camelCase or Keras's snake_case) or configured
 * (`losses.categoricalCrossentropy({fromLogits: true, labelSmoothing: 0.1})`). A Loss carries
 * a JSON-safe `spec` ({name, config}) that getLoss also takes: workers rebuild the loss from it.
 * Every loss is written as forward + hand-written derivative on tfjs-core ops (no autodiff: the
 * wasm backend registers no gradients); the definitions live in ./losses/.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, checkNumberInRange, invalidArgument, invalidType, unknownName, unrecognizedKeywords } from '../errors.js';
import { categoricalHinge, hinge, kullbackLeiblerDivergence, poisson, squaredHinge } from './losses/classification.js';
import { binaryCrossentropy, categoricalCrossentropy, sparseCategoricalCrossentropy } from './losses/crossentropy.js';
import {
  cosineSimilarity, huber, logCosh, meanAbsoluteError, meanAbsolutePercentageError, meanSquaredError, meanSquaredLogarithmicError,
} from './losses/regression.js';
import type { Head, LossDefinition, LossResult, OptionValues } from './losses/types.js';
import { customLoss } from './custom/objectives.js';

export type { Head, LossResult, OptionValues } from './losses/types.js';

const DEFINITIONS = {
  // The first four keep their place: messages list the names in this order.
  categoricalCrossentropy, sparseCategoricalCrossentropy, binaryCrossentropy, meanSquaredError,
  meanAbsoluteError, meanAbsolutePercentageError, meanSquaredLogarithmicError, huber, logCosh,
  kullbackLeiblerDivergence, poisson, hinge, squaredHinge, categoricalHinge, cosineSimilarity,
} satisfies Record<string, LossDefinition>;

export type LossName = keyof typeof DEFINITIONS;

export const LOSS_NAMES = Object.keys(DEFINITIONS) as LossName[];

/** Keras's snake_case names and the short and legacy spellings Keras and tfjs accept. */
const ALIASES: Record<string, LossName> = {
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  mean_squared_error: 'meanSquaredError', mse: 'meanSquaredError', MSE: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError', mae: 'meanAbsoluteError', MAE: 'meanAbsoluteError',
  mean_absolute_percentage_error: 'meanAbsolutePercentageError', mape: 'meanAbsolutePercentageError', MAPE: 'meanAbsolutePercentageError',
  mean_squared_logarithmic_error: 'meanSquaredLogarithmicError', msle: 'meanSquaredLogarithmicError', MSLE: 'meanSquaredLogarithmicError',
  log_cosh: 'logCosh', logcosh: 'logCosh',
  kl_divergence: 'kullbackLeiblerDivergence', kullback_leibler_divergence: 'kullbackLeiblerDivergence', kld: 'kullbackLeiblerDivergence', KLD: 'kullbackLeiblerDivergence',
  squared_hinge: 'squaredHinge', categorical_hinge: 'categoricalHinge',
  // tfjs-layers' name for the same −cos loss.
  cosine_similarity: 'cosineSimilarity', cosineProximity: 'cosineSimilarity', cosine_proximity: 'cosineSimilarity',
};

/**
 * A custom loss's name (weft.registerLoss): any string, where a built-in loss has a LossName.
 * Written so that editors still offer the built-in names.
 */
export type CustomLossName = string & { readonly customLoss?: never };

/** What a Loss is rebuilt from in a worker: its name and every option, JSON-safe. */
export interface LossSpec {
  readonly name: LossName | CustomLossName;
  readonly config: OptionValues;
  /** A custom loss: the URL of the module exporting it, which each worker imports first. */
  readonly module?: string;
}

export interface Loss {
  readonly name: LossName | CustomLossName;
  /** True when targets are class indices (shape [batch] or [batch, 1]) rather than rows like the output. */
  readonly sparseTargets: boolean;
  readonly spec: LossSpec;
  /** Per-example losses [batch] and the gradient of their sum (see LossResult). */
  compute(head: Head, yTrue: tf.Tensor): LossResult;
  /** Per-example losses [batch] from the output alone, forward only (the loss as a metric). */
  perExample(yPred: tf.Tensor, yTrue: tf.Tensor): tf.Tensor1D;
  /** The spec: JSON.stringify(loss) writes what getLoss reads back. */
  toJSON(): LossSpec;
}

/** The check of each option any loss or metric takes: the value, or a named error. */
const OPTION_CHECKS: Record<string, (value: unknown) => number | boolean> = {
  fromLogits: (v) => {
    if (typeof v !== 'boolean') throw invalidType('fromLogits', 'a boolean', v);
    return v;
  },
  labelSmoothing: (v) => checkNumberInRange('labelSmoothing', v, 0, 1),
  delta: (v) => {
    if (typeof v !== 'number') throw invalidType('delta', 'a positive number', v);
    if (!(v > 0 && Number.isFinite(v))) throw invalidArgument('delta', 'a positive number', v);
    return v;
  },
  k: (v) => checkInteger('k', v, 1),
  threshold: (v) => checkNumberInRange('threshold', v, 0, 1),
};

/**
 * Resolves `options` against `defaults`: each known key checked, unknown keys refused in Keras's
 * words ("Unrecognized keyword arguments passed to Huber: {'delta_': 2}"). `extra` are keys the
 * caller handles itself (a metric's `name`).
 */
export function resolveOptions(className: string, defaults: OptionValues, options: unknown, extra: readonly string[] = []): OptionValues {
  if (options === undefined) return defaults;
  const known = [...Object.keys(defaults), ...extra];
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidType('options', `an options object {${known.join(', ')}}`, options);
  }
  const entries = Object.entries(options);
  const unknown = entries.filter(([k]) => !known.includes(k));
  if (unknown.length > 0) {
    const error = unrecognizedKeywords(className, unknown, known.length > 0 ? known : ['(no options)']);
    const smoothing = className === 'SparseCategoricalCrossentropy' && unknown.some(([k]) => k === 'labelSmoothing');
    if (!smoothing) throw error;
    throw new RangeError(`${error.message}. Keras 3's SparseCategoricalCrossentropy takes no label smoothing: smooth one-hot targets with categoricalCrossentropy instead`);
  }
  const config: Record<string, number | boolean> = { ...defaults };
  for (const [k, v] of entries) {
    if (k in defaults && v !== undefined) config[k] = OPTION_CHECKS[k](v);
  }
  return config;
}

export function lossDefinition(name: LossName): LossDefinition {
  return DEFINITIONS[name];
}

function makeLoss(name: LossName, config: OptionValues): Loss {
  const def: LossDefinition = DEFINITIONS[name];
  const spec: LossSpec = Object.freeze({ name, config: Object.freeze({ ...config }) });
  return Object.freeze({
    name,
    sparseTargets: def.sparseTargets,
    spec,
    compute: (head: Head, yTrue: tf.Tensor) => def.compute(head, yTrue, spec.config),
    perExample: (yPred: tf.Tensor, yTrue: tf.Tensor) => def.value(yPred, yTrue, spec.config),
    toJSON: () => spec,
  });
}

/** The loss under a name, in any accepted spelling; undefined if there is none. */
function resolveName(name: string): LossName | undefined {
  const resolved = ALIASES[name] ?? name;
  return Object.hasOwn(DEFINITIONS, resolved) ? (resolved as LossName) : undefined;
}

const EXPECTED = `one of ${LOSS_NAMES.join(', ')}, or a loss from weft.losses (or its spec {name, config}, or Keras's {class_name, config})`;

/**
 * A loss from its name (tfjs's camelCase and Keras's snake_case spellings), a Loss (made by
 * weft.losses.*), or a Loss's spec `{name, config}` (what the workers receive).
 */
export function getLoss(identifier: unknown): Loss {
  if (typeof identifier === 'string') {
    const name = resolveName(identifier);
    if (name === undefined) return customLoss(identifier) ?? unknownLoss(identifier);
    return makeLoss(name, DEFINITIONS[name].defaults);
  }
  if (identifier === null || typeof identifier !== 'object' || Array.isArray(identifier)) throw invalidType('loss', EXPECTED, identifier);
  if ('class_name' in identifier) return lossFromKeras(identifier as KerasLoss);
  // A Loss is rebuilt from its spec, so only what a worker could rebuild is ever used.
  const spec = (typeof (identifier as Partial<Loss>).compute === 'function' ? (identifier as Loss).spec : identifier) as Partial<LossSpec>;
  const keys = Object.keys(spec);
  if (typeof spec.name !== 'string' || keys.some((k) => k !== 'name' && k !== 'config' && k !== 'module')) throw invalidType('loss', EXPECTED, identifier);
  if (spec.module !== undefined) return customLoss(spec.name, String(spec.module)) as Loss;
  const name = resolveName(spec.name);
  if (name === undefined) return customLoss(spec.name) ?? unknownLoss(spec.name);
  const def: LossDefinition = DEFINITIONS[name];
  return makeLoss(name, resolveOptions(def.className, def.defaults, spec.config ?? {}));
}

/** Whether `name` is a built-in loss in one of its spellings (a custom loss may not take it). */
export function isBuiltinLoss(name: string): boolean {
  return resolveName(name) !== undefined;
}

function unknownLoss(name: string): never {
  const { message } = unknownName('loss', name, [...LOSS_NAMES, ...Object.keys(ALIASES)]);
  throw new RangeError(`${message} A custom loss is registered with weft.registerLoss('${name}', moduleUrl) first.`);
}

export interface CrossentropyOptions {
  /** The output is logits (a linear head), not probabilities. Default false. */
  fromLogits?: boolean;
  /** In [0, 1]: targets become y·(1 − ls) + ls/K (K classes; 2 for binary). Default 0. */
  labelSmoothing?: number;
}

export interface SparseCrossentropyOptions {
  fromLogits?: boolean;
}

export interface HuberOptions {
  /** Where the loss turns from quadratic to linear. Default 1. */
  delta?: number;
}

/** A loss that takes no options. */
export type NoOptions = Record<string, never>;

const factory = <O>(name: LossName) => (options?: O): Loss => {
  const def: LossDefinition = DEFINITIONS[name];
  return makeLoss(name, resolveOptions(def.className, def.defaults, options));
};

/**
 * Configured losses, as Keras's loss classes: `compile({loss: weft.losses.huber({delta: 2})})`.
 * The camelCase names are tfjs's; each returns a Loss with a JSON-safe spec.
 */
export const losses = {
  categoricalCrossentropy: factory<CrossentropyOptions>('categoricalCrossentropy'),
  sparseCategoricalCrossentropy: factory<SparseCrossentropyOptions>('sparseCategoricalCrossentropy'),
  binaryCrossentropy: factory<CrossentropyOptions>('binaryCrossentropy'),
  meanSquaredError: factory<NoOptions>('meanSquaredError'),
  meanAbsoluteError: factory<NoOptions>('meanAbsoluteError'),
  meanAbsolutePercentageError: factory<NoOptions>('meanAbsolutePercentageError'),
  meanSquaredLogarithmicError: factory<NoOptions>('meanSquaredLogarithmicError'),
  huber: factory<HuberOptions>('huber'),
  logCosh: factory<NoOptions>('logCosh'),
  kullbackLeiblerDivergence: factory<NoOptions>('kullbackLeiblerDivergence'),
  kld: factory<NoOptions>('kullbackLeiblerDivergence'),
  poisson: factory<NoOptions>('poisson'),
  hinge: factory<NoOptions>('hinge'),
  squaredHinge: factory<NoOptions>('squaredHinge'),
  categoricalHinge: factory<NoOptions>('categoricalHinge'),
  cosineSimilarity: factory<NoOptions>('cosineSimilarity'),
};

// ---------------------------------------------------------------------------------------------
// Keras's serialized form: what a Keras training_config holds for a configured loss.

/** A loss object as Keras serializes it (Keras 3 adds module and registered_name). */
export interface KerasLoss {
  readonly class_name: string;
  readonly config?: Readonly<Record<string, unknown>>;
  readonly module?: string;
  readonly registered_name?: string | null;
}

const snake = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Keys of a Keras loss config with no effect on weft, accepted when they hold what weft does:
 * the name, the reduction (weft's is Keras 3's sum_over_batch_size, Keras 2's 'auto'), the
 * class axis (the last) and the dtype.
 */
const KERAS_NEUTRAL: Record<string, (v: unknown) => boolean> = {
  name: (v) => typeof v === 'string' || v === null,
  reduction: (v) => v === 'sum_over_batch_size' || v === 'auto' || v === null,
  axis: (v) => v === -1,
  dtype: (v) => v === null || v === 'float32',
};

/** A loss from Keras's {class_name, config} (snake_case options), every key checked. */
export function lossFromKeras(json: KerasLoss): Loss {
  const name = LOSS_NAMES.find((n) => DEFINITIONS[n].className === json.class_name);
  if (name === undefined) throw unknownName('loss class', String(json.class_name), LOSS_NAMES.map((n) => DEFINITIONS[n].className));
  const def: LossDefinition = DEFINITIONS[name];
  const options: Record<string, unknown> = {};
  const unknown: [string, unknown][] = [];
  for (const [key, value] of Object.entries(json.config ?? {})) {
    const option = Object.keys(def.defaults).find((k) => snake(k) === key);
    if (option !== undefined) options[option] = value;
    else if (!(KERAS_NEUTRAL[key]?.(value) ?? false)) unknown.push([key, value]);
  }
  if (unknown.length > 0) {
    const known = [...Object.keys(def.defaults).map(snake), 'name', "reduction ('sum_over_batch_size')", 'axis (-1)', 'dtype'];
    throw unrecognizedKeywords(json.class_name, unknown, known);
  }
  return makeLoss(name, resolveOptions(def.className, def.defaults, options));
}

/** tfjs-layers' snake_case names where they differ from Keras 3's (its compile camel-cases them). */
const TFJS_NAMES: Partial<Record<LossName, string>> = {
  logCosh: 'logcosh', kullbackLeiblerDivergence: 'kullback_leibler_divergence', cosineSimilarity: 'cosine_proximity',
};

/**
 * Keras's serialized form of a loss: its snake_case name when every option has its default,
 * else Keras 3's {class_name, config}. With dialect 'tfjs', the name tfjs-layers' loadLayersModel
 * compiles (it has no Huber, and reads no {class_name, config} loss: it takes an object for a
 * loss per output).
 */
export function lossToKeras(loss: Loss, dialect: 'keras' | 'tfjs' = 'keras'): string | KerasLoss {
  // A custom loss is saved by its registered name, as Keras saves a registered custom object.
  if (loss.spec.module !== undefined) return loss.name;
  const def: LossDefinition = DEFINITIONS[loss.name as LossName];
  const changed = Object.entries(loss.spec.config).filter(([k, v]) => def.defaults[k] !== v);
  if (changed.length === 0) return (dialect === 'tfjs' ? TFJS_NAMES[loss.name as LossName] : undefined) ?? def.kerasName;
  const config: Record<string, unknown> = { name: def.kerasName, reduction: 'sum_over_batch_size' };
  for (const [k, v] of Object.entries(loss.spec.config)) config[snake(k)] = v;
  return { module: 'keras.losses', class_name: def.className, config, registered_name: null };
}
