/**
 * Metrics as sums over the batch's examples (the loop divides by the example count, so the
 * shards of a batch add up exactly): the accuracies, top-k, and every loss as a metric. By
 * name, as Keras 3 and tfjs spell them, or configured (`metrics.topKCategoricalAccuracy({k: 3})`)
 * with a JSON-safe spec getMetric also takes, as losses are.
 *
 * Precision, recall and AUC are ratios of counts over the whole epoch (TP / (TP + FP)), not
 * means of per-example values: their sums are several columns (`width`: the counts) and the loop
 * combines the epoch's totals with `result`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType, unknownName } from '../errors.js';
import { lossDefinition, resolveOptions, type Loss, type LossName, type OptionValues } from './losses.js';
import { customMetric } from './custom/objectives.js';

/** A scalar, or for a metric of several stats columns a 1-D tensor of `width` sums. */
type Sum = (p: tf.Tensor, y: tf.Tensor, config: OptionValues) => tf.Tensor;

interface MetricDefinition {
  /** Keras's class, for messages. */
  readonly className: string;
  /** Keras 3's default metric name: a configured metric's key in logs and History. */
  readonly kerasName: string;
  readonly defaults: OptionValues;
  /** Which targets it reads: class indices (a sparse loss's), or rows like the output. */
  readonly sparse: boolean;
  readonly sum: Sum;
  /** How many stats columns it takes (default 1). */
  readonly width?: (config: OptionValues) => number;
  /** Its value from the summed columns (default: the one sum over the example count). */
  readonly result?: (totals: Float64Array, examples: number, config: OptionValues) => number;
  /** Reads its options (default resolveOptions against `defaults`). */
  readonly resolve?: (options: unknown) => OptionValues;
}

const count = (matches: tf.Tensor): tf.Scalar => tf.sum(tf.cast(matches, 'float32'));

/**
 * TensorFlow's in_top_k (what Keras 3 calls): the target is in the top k when fewer than k
 * classes score strictly higher, so classes tied at the boundary all count as in.
 */
function inTopK(p: tf.Tensor, labels: tf.Tensor, k: number): tf.Tensor {
  const classes = p.shape[p.rank - 1] as number;
  const target = tf.sum(tf.mul(p, tf.oneHot(labels, classes)), -1, true);
  return tf.less(tf.sum(tf.cast(tf.greater(p, target), 'float32'), -1), k);
}

const sparseLabels = (y: tf.Tensor): tf.Tensor => tf.cast(tf.reshape(y, [-1]), 'int32');

/** A loss as a metric: the sum of its per-example values (`sign` −1 flips Keras's −cos loss). */
function fromLoss(name: LossName, kerasName: string, sign = 1): MetricDefinition {
  const def = lossDefinition(name);
  return {
    className: def.className, kerasName, defaults: def.defaults, sparse: def.sparseTargets,
    sum: (p, y, c) => (sign === 1 ? tf.sum(def.value(p, y, c)) : tf.neg(tf.sum(def.value(p, y, c))) as tf.Scalar),
  };
}

/** Keras's divide_no_nan. */
const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Targets as Keras's confusion counts read them (cast to bool: nonzero is positive) and predictions, flattened. */
function flatPair(p: tf.Tensor, y: tf.Tensor): [tf.Tensor, tf.Tensor] {
  return [tf.reshape(p, [-1]), tf.cast(tf.notEqual(tf.reshape(y, [-1]), 0), 'float32')];
}

/** Keras's AUC thresholds: linearly spaced on (0, 1), with −ε and 1 + ε at the ends. */
export function aucThresholds(numThresholds: number): number[] {
  const eps = 1e-7;
  const inner = Array.from({ length: numThresholds - 2 }, (_, i) => (i + 1) / (numThresholds - 1));
  return [0 - eps, ...inner, 1 + eps];
}

/** [TP, FP, FN] at one threshold (prediction > threshold is positive). */
const thresholdCounts: Sum = (p, y, c) => {
  const [pf, yf] = flatPair(p, y);
  const pos = tf.cast(tf.greater(pf, c.thresholds as number), 'float32');
  const neg = tf.sub(1, pos);
  const tp = tf.sum(tf.mul(yf, pos));
  const fp = tf.sum(tf.mul(tf.sub(1, yf), pos));
  const fn = tf.sum(tf.mul(yf, neg));
  return tf.stack([tp, fp, fn]);
};

/** [TP(T), FP(T), TN(T), FN(T)] at each of Keras's numThresholds thresholds. */
const aucCounts: Sum = (p, y, c) => {
  const [pf, yf] = flatPair(p, y);
  const th = tf.tensor1d(aucThresholds(c.numThresholds as number), 'float32');
  const pos = tf.cast(tf.greater(tf.reshape(pf, [-1, 1]), tf.reshape(th, [1, -1])), 'float32');
  const neg = tf.sub(1, pos);
  const yc = tf.reshape(yf, [-1, 1]);
  const nc = tf.sub(1, yc);
  return tf.concat([tf.sum(tf.mul(yc, pos), 0), tf.sum(tf.mul(nc, pos), 0), tf.sum(tf.mul(nc, neg), 0), tf.sum(tf.mul(yc, neg), 0)]);
};

/** Keras's AUC.result from the summed counts, in float64: ROC or PR, 'interpolation' summation. */
export function aucFromCounts(totals: Float64Array, numThresholds: number, curve: 'ROC' | 'PR'): number {
  const n = numThresholds;
  const tp = totals.subarray(0, n), fp = totals.subarray(n, 2 * n), tn = totals.subarray(2 * n, 3 * n), fn = totals.subarray(3 * n, 4 * n);
  let auc = 0;
  if (curve === 'PR') {
    // Keras's interpolate_pr_auc (Davis & Goadrich 2006).
    for (let i = 0; i < n - 1; i++) {
      const dtp = tp[i] - tp[i + 1];
      const p0 = tp[i] + fp[i], p1 = tp[i + 1] + fp[i + 1];
      const slope = ratio(dtp, Math.max(p0 - p1, 0));
      const intercept = tp[i + 1] - slope * p1;
      const safeRatio = p0 > 0 && p1 > 0 ? ratio(p0, Math.max(p1, 0)) : 1;
      auc += ratio(slope * (dtp + intercept * Math.log(safeRatio)), Math.max(tp[i + 1] + fn[i + 1], 0));
    }
    return auc;
  }
  for (let i = 0; i < n - 1; i++) {
    const x0 = ratio(fp[i], fp[i] + tn[i]), x1 = ratio(fp[i + 1], fp[i + 1] + tn[i + 1]);
    const y0 = ratio(tp[i], tp[i] + fn[i]), y1 = ratio(tp[i + 1], tp[i + 1] + fn[i + 1]);
    auc += (x0 - x1) * ((y0 + y1) / 2);
  }
  return auc;
}

function optionObject(className: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidType('options', `an options object {${known.join(', ')}}`, options);
  }
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new RangeError(`${className} got unknown option(s) ${unknown.join(', ')}; it takes ${known.join(', ')}`);
  return options as Record<string, unknown>;
}

const resolveThreshold = (className: string) => (options: unknown): OptionValues => {
  const o = optionObject(className, options, ['thresholds']);
  const t = o.thresholds ?? 0.5;
  if (typeof t !== 'number' || !(t >= 0 && t <= 1)) throw invalidArgument('thresholds', 'one number in [0, 1] (a list of thresholds is not supported)', t);
  return { thresholds: t };
};

const resolveAuc = (options: unknown): OptionValues => {
  const o = optionObject('AUC', options, ['numThresholds', 'curve']);
  const n = o.numThresholds ?? 200;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 2) throw invalidArgument('numThresholds', 'an integer > 1', n);
  const curve = o.curve ?? 'ROC';
  if (curve !== 'ROC' && curve !== 'PR') throw invalidArgument('curve', "'ROC' or 'PR'", curve);
  return { numThresholds: n, curve } as unknown as OptionValues;
};

const confusion = {
  precision: {
    className: 'Precision', kerasName: 'precision', defaults: { thresholds: 0.5 }, sparse: false,
    sum: thresholdCounts, width: () => 3, resolve: resolveThreshold('Precision'),
    result: (t: Float64Array) => ratio(t[0], t[0] + t[1]),
  },
  recall: {
    className: 'Recall', kerasName: 'recall', defaults: { thresholds: 0.5 }, sparse: false,
    sum: thresholdCounts, width: () => 3, resolve: resolveThreshold('Recall'),
    result: (t: Float64Array) => ratio(t[0], t[0] + t[2]),
  },
  auc: {
    className: 'AUC', kerasName: 'auc', defaults: { numThresholds: 200, curve: 'ROC' } as unknown as OptionValues, sparse: false,
    sum: aucCounts, width: (c: OptionValues) => 4 * (c.numThresholds as number), resolve: resolveAuc,
    result: (t: Float64Array, _e: number, c: OptionValues) => aucFromCounts(t, c.numThresholds as number, c.curve as unknown as 'ROC' | 'PR'),
  },
} satisfies Record<string, MetricDefinition>;

const DEFINITIONS = {
  categoricalAccuracy: {
    className: 'CategoricalAccuracy', kerasName: 'categorical_accuracy', defaults: {}, sparse: false,
    sum: (p, y) => count(tf.equal(tf.argMax(p, -1), tf.argMax(y, -1))),
  },
  sparseCategoricalAccuracy: {
    className: 'SparseCategoricalAccuracy', kerasName: 'sparse_categorical_accuracy', defaults: {}, sparse: true,
    sum: (p, y) => count(tf.equal(tf.argMax(p, -1), sparseLabels(y))),
  },
  binaryAccuracy: {
    className: 'BinaryAccuracy', kerasName: 'binary_accuracy', defaults: { threshold: 0.5 }, sparse: false,
    sum: (p, y, c) => tf.sum(tf.mean(tf.cast(tf.equal(tf.greater(p, c.threshold as number), tf.greater(y, 0.5)), 'float32'), -1)),
  },
  topKCategoricalAccuracy: {
    className: 'TopKCategoricalAccuracy', kerasName: 'top_k_categorical_accuracy', defaults: { k: 5 }, sparse: false,
    sum: (p, y, c) => count(inTopK(p, tf.argMax(y, -1), c.k as number)),
  },
  sparseTopKCategoricalAccuracy: {
    className: 'SparseTopKCategoricalAccuracy', kerasName: 'sparse_top_k_categorical_accuracy', defaults: { k: 5 }, sparse: true,
    sum: (p, y, c) => count(inTopK(p, sparseLabels(y), c.k as number)),
  },
  meanSquaredError: fromLoss('meanSquaredError', 'mean_squared_error'),
  meanAbsoluteError: fromLoss('meanAbsoluteError', 'mean_absolute_error'),
  meanAbsolutePercentageError: fromLoss('meanAbsolutePercentageError', 'mean_absolute_percentage_error'),
  meanSquaredLogarithmicError: fromLoss('meanSquaredLogarithmicError', 'mean_squared_logarithmic_error'),
  huber: fromLoss('huber', 'huber'),
  logCosh: fromLoss('logCosh', 'logcosh'),
  kullbackLeiblerDivergence: fromLoss('kullbackLeiblerDivergence', 'kl_divergence'),
  poisson: fromLoss('poisson', 'poisson'),
  hinge: fromLoss('hinge', 'hinge'),
  squaredHinge: fromLoss('squaredHinge', 'squared_hinge'),
  categoricalHinge: fromLoss('categoricalHinge', 'categorical_hinge'),
  // Keras's CosineSimilarity metric is +cos; its loss of the same name is −cos.
  cosineSimilarity: fromLoss('cosineSimilarity', 'cosine_similarity', -1),
  // tfjs-layers' metric of this name is −cos, as the loss.
  cosineProximity: fromLoss('cosineSimilarity', 'cosine_proximity'),
  categoricalCrossentropy: fromLoss('categoricalCrossentropy', 'categorical_crossentropy'),
  sparseCategoricalCrossentropy: fromLoss('sparseCategoricalCrossentropy', 'sparse_categorical_crossentropy'),
  binaryCrossentropy: fromLoss('binaryCrossentropy', 'binary_crossentropy'),
  ...confusion,
} satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof DEFINITIONS;

const METRIC_NAMES = Object.keys(DEFINITIONS) as MetricName[];

/**
 * Every spelling accepted: tfjs's camelCase, Keras 3's snake_case names (of its classes and of
 * its functions), and the short and legacy ones (mse, mae, mape, msle, kld, logcosh, bce).
 */
const ALIASES: Record<string, MetricName> = {
  categorical_accuracy: 'categoricalAccuracy',
  sparse_categorical_accuracy: 'sparseCategoricalAccuracy',
  binary_accuracy: 'binaryAccuracy',
  top_k_categorical_accuracy: 'topKCategoricalAccuracy',
  sparse_top_k_categorical_accuracy: 'sparseTopKCategoricalAccuracy',
  mean_squared_error: 'meanSquaredError', mse: 'meanSquaredError', MSE: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError', mae: 'meanAbsoluteError', MAE: 'meanAbsoluteError',
  mean_absolute_percentage_error: 'meanAbsolutePercentageError', mape: 'meanAbsolutePercentageError', MAPE: 'meanAbsolutePercentageError',
  mean_squared_logarithmic_error: 'meanSquaredLogarithmicError', msle: 'meanSquaredLogarithmicError', MSLE: 'meanSquaredLogarithmicError',
  logcosh: 'logCosh', log_cosh: 'logCosh', log_cosh_error: 'logCosh',
  kl_divergence: 'kullbackLeiblerDivergence', kullback_leibler_divergence: 'kullbackLeiblerDivergence', kld: 'kullbackLeiblerDivergence', KLD: 'kullbackLeiblerDivergence',
  squared_hinge: 'squaredHinge', categorical_hinge: 'categoricalHinge',
  cosine_similarity: 'cosineSimilarity', cosine: 'cosineProximity', cosine_proximity: 'cosineProximity',
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy', bce: 'binaryCrossentropy', BCE: 'binaryCrossentropy',
};

/** A custom metric's name (weft.registerMetric), where a built-in metric has a MetricName. */
export type CustomMetricName = string & { readonly customMetric?: never };

/** What a Metric is rebuilt from in a worker: the resolved metric, its key and options. */
export interface MetricSpec {
  readonly name: MetricName | CustomMetricName;
  /** The key in logs and History. */
  readonly key: string;
  readonly config: OptionValues;
  /** A custom metric: the URL of the module exporting it, which each worker imports first. */
  readonly module?: string;
}

/** A metric as a sum over the batch's examples; the loop divides by the number of examples. */
export interface Metric {
  readonly name: MetricName | CustomMetricName;
  /** The key in logs and History: the name the user wrote ('acc', 'accuracy', 'mse'), or a configured metric's name. */
  readonly key: string;
  readonly spec: MetricSpec;
  /** The batch's sums: a scalar, or a 1-D tensor of `width` sums (precision's counts). */
  sum(yPred: tf.Tensor, yTrue: tf.Tensor): tf.Tensor;
  /** How many stats columns the sums take (default 1). */
  readonly width?: number;
  /** The value from the columns summed over the epoch (default: the sum over `examples`). */
  result?(totals: Float64Array, examples: number): number;
  /** The spec: JSON.stringify(metric) writes what getMetric reads back. */
  toJSON(): MetricSpec;
}

function makeMetric(name: MetricName, key: string, config: OptionValues): Metric {
  const def: MetricDefinition = DEFINITIONS[name];
  const spec: MetricSpec = Object.freeze({ name, key, config: Object.freeze({ ...config }) });
  const sum = (p: tf.Tensor, y: tf.Tensor) => def.sum(p, y, spec.config);
  if (def.result === undefined) return Object.freeze({ name, key, spec, sum, toJSON: () => spec });
  const result = def.result;
  const width = def.width?.(spec.config) ?? 1;
  return Object.freeze({ name, key, spec, sum, width, result: (t: Float64Array, e: number) => result(t, e, spec.config), toJSON: () => spec });
}

function resolveName(name: string): MetricName | undefined {
  const resolved = ALIASES[name] ?? name;
  return Object.hasOwn(DEFINITIONS, resolved) ? (resolved as MetricName) : undefined;
}

const VALID = ['accuracy', 'acc', ...METRIC_NAMES, ...Object.keys(ALIASES)];

/**
 * 'accuracy' / 'acc' mean the accuracy that fits the loss, as Keras resolves them: class
 * indices → sparse categorical, one output unit or binary crossentropy → binary, else categorical.
 */
function accuracyFor(loss: Loss, outputUnits: number): MetricName {
  if (loss.sparseTargets) return 'sparseCategoricalAccuracy';
  return loss.name === 'binaryCrossentropy' || outputUnits === 1 ? 'binaryAccuracy' : 'categoricalAccuracy';
}

/** A metric reads the targets the loss takes: class indices for a sparse loss, else rows. */
function checkTargets(metric: Metric, loss: Loss): Metric {
  // A custom metric reads the targets as the user's function does: nothing to check here.
  if (metric.spec.module !== undefined) return metric;
  const sparse = (DEFINITIONS[metric.name as MetricName] as MetricDefinition).sparse;
  if (sparse === loss.sparseTargets) return metric;
  const expected = loss.sparseTargets
    ? `a metric of class-index targets, as the loss ${loss.name} takes (e.g. 'sparse_categorical_accuracy')`
    : `a metric of targets shaped like the output, as the loss ${loss.name} takes (e.g. 'categorical_accuracy', not a sparse one)`;
  throw invalidArgument('metrics', expected, metric.key);
}

/**
 * A metric from its name (every spelling in ALIASES, plus 'accuracy' / 'acc'), a Metric (made
 * by weft.metrics.*), or a Metric's spec `{name, key, config}` (what the workers receive).
 */
export function getMetric(identifier: unknown, loss: Loss, outputUnits: number): Metric {
  if (typeof identifier === 'string') {
    const name = identifier === 'accuracy' || identifier === 'acc' ? accuracyFor(loss, outputUnits) : resolveName(identifier);
    if (name === undefined) return customMetric(identifier) ?? unknownMetric(identifier);
    return checkTargets(makeMetric(name, identifier, DEFINITIONS[name].defaults), loss);
  }
  const expected = `an array of metric names (${VALID.join(', ')}) or metrics from weft.metrics`;
  if (identifier === null || typeof identifier !== 'object' || Array.isArray(identifier)) throw invalidType('metrics', expected, identifier);
  const spec = (typeof (identifier as Partial<Metric>).sum === 'function' ? (identifier as Metric).spec : identifier) as Partial<MetricSpec>;
  const keys = Object.keys(spec);
  if (typeof spec.name !== 'string' || keys.some((k) => k !== 'name' && k !== 'key' && k !== 'config' && k !== 'module')) throw invalidType('metrics', expected, identifier);
  if (spec.module !== undefined) return customMetric(spec.name, spec.key ?? spec.name, String(spec.module)) as Metric;
  const name = resolveName(spec.name);
  if (name === undefined) return customMetric(spec.name, spec.key ?? spec.name) ?? unknownMetric(spec.name);
  const def: MetricDefinition = DEFINITIONS[name];
  const key = spec.key ?? def.kerasName;
  if (typeof key !== 'string' || key === '') throw invalidType('name', 'a non-empty string', key);
  const config = def.resolve !== undefined ? def.resolve(spec.config ?? {}) : resolveOptions(def.className, def.defaults, spec.config ?? {});
  return checkTargets(makeMetric(name, key, config), loss);
}

/**
 * How many stats columns a metric's sums take, from the Metric or from its spec (what the
 * coordinator holds): precision and recall 3 (TP, FP, FN), AUC 4 per threshold, others 1.
 */
export function metricWidth(metric: unknown): number {
  const m = metric as Partial<Metric> & Partial<MetricSpec>;
  if (typeof m.width === 'number') return m.width;
  if (typeof m.name !== 'string' || m.module !== undefined) return 1;
  const name = resolveName(m.name);
  const def: MetricDefinition | undefined = name === undefined ? undefined : DEFINITIONS[name];
  return def?.width === undefined ? 1 : def.width(def.resolve?.(m.config ?? {}) ?? m.config ?? def.defaults);
}

/** Whether `name` is a built-in metric in one of its spellings (a custom metric may not take it). */
export function isBuiltinMetric(name: string): boolean {
  return VALID.includes(name);
}

function unknownMetric(name: string): never {
  const { message } = unknownName('metric', name, VALID);
  throw new RangeError(`${message} A custom metric is registered with weft.registerMetric('${name}', moduleUrl) first.`);
}

export interface TopKOptions {
  /** How many of the highest scores count as a hit. Default 5. */
  k?: number;
  /** The key in logs and History. Default Keras's name ('top_k_categorical_accuracy'). */
  name?: string;
}

export interface MetricOptions {
  /** The key in logs and History. Default Keras's name for the metric. */
  name?: string;
}

export interface CrossentropyMetricOptions extends MetricOptions {
  fromLogits?: boolean;
  labelSmoothing?: number;
}

/** A configured metric, not yet checked against a loss (compile does that). */
const factory = <O extends MetricOptions>(name: MetricName) => (options?: O): Metric => {
  const def: MetricDefinition = DEFINITIONS[name];
  const { name: _name, ...rest } = (options ?? {}) as O;
  const config = def.resolve !== undefined ? def.resolve(options === undefined ? undefined : rest) : resolveOptions(def.className, def.defaults, options, ['name']);
  const key = options?.name ?? def.kerasName;
  if (typeof key !== 'string' || key === '') throw invalidType('name', 'a non-empty string', key);
  return makeMetric(name, key, config);
};

/**
 * Configured metrics, as Keras's metric classes: `metrics: [weft.metrics.topKCategoricalAccuracy({k: 3})]`.
 * The key in logs is the `name` option, else Keras's name for the metric.
 */
export const metrics = {
  categoricalAccuracy: factory<MetricOptions>('categoricalAccuracy'),
  sparseCategoricalAccuracy: factory<MetricOptions>('sparseCategoricalAccuracy'),
  binaryAccuracy: factory<MetricOptions & { threshold?: number }>('binaryAccuracy'),
  topKCategoricalAccuracy: factory<TopKOptions>('topKCategoricalAccuracy'),
  sparseTopKCategoricalAccuracy: factory<TopKOptions>('sparseTopKCategoricalAccuracy'),
  meanSquaredError: factory<MetricOptions>('meanSquaredError'),
  meanAbsoluteError: factory<MetricOptions>('meanAbsoluteError'),
  meanAbsolutePercentageError: factory<MetricOptions>('meanAbsolutePercentageError'),
  meanSquaredLogarithmicError: factory<MetricOptions>('meanSquaredLogarithmicError'),
  huber: factory<MetricOptions & { delta?: number }>('huber'),
  logCosh: factory<MetricOptions>('logCosh'),
  kullbackLeiblerDivergence: factory<MetricOptions>('kullbackLeiblerDivergence'),
  poisson: factory<MetricOptions>('poisson'),
  hinge: factory<MetricOptions>('hinge'),
  squaredHinge: factory<MetricOptions>('squaredHinge'),
  categoricalHinge: factory<MetricOptions>('categoricalHinge'),
  cosineSimilarity: factory<MetricOptions>('cosineSimilarity'),
  categoricalCrossentropy: factory<CrossentropyMetricOptions>('categoricalCrossentropy'),
  sparseCategoricalCrossentropy: factory<MetricOptions & { fromLogits?: boolean }>('sparseCategoricalCrossentropy'),
  binaryCrossentropy: factory<CrossentropyMetricOptions>('binaryCrossentropy'),
  precision: factory<MetricOptions & { thresholds?: number }>('precision'),
  recall: factory<MetricOptions & { thresholds?: number }>('recall'),
  auc: factory<MetricOptions & { numThresholds?: number; curve?: 'ROC' | 'PR' }>('auc'),
};
