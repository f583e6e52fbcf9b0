/**
 * Custom losses and metrics (weft.registerLoss / weft.registerMetric): a user's function
 * `(yTrue, yPred) => tf.Tensor` of per-example values, Keras's custom-loss contract, registered
 * by name with the URL of the module that exports it. Their specs carry that URL so that every
 * worker imports the module before it builds its session; a loss is differentiated by tfjs-core's
 * autodiff (dL/dyPred), the slow path, where weft's own losses have hand-written derivatives.
 */
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, ShapeError } from '../../errors.js';
import { gradOf } from '../autodiff.js';
import type { Loss, LossSpec } from '../losses.js';
import type { Metric, MetricSpec } from '../metrics.js';
import type { Head, LossResult } from '../losses/types.js';

/** A user's loss or metric: per-example values for a batch, on tfjs-core tensors. */
export type ObjectiveFunction = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

interface Registered {
  readonly fn: ObjectiveFunction;
  readonly module: string;
}

const customLosses = new Map<string, Registered>();
const customMetrics = new Map<string, Registered>();

/**
 * The per-example values [batch] of what `fn` returned: as Keras reduces a loss function's
 * output, trailing axes are averaged. A scalar is refused: it is already a batch mean, which the
 * shards of a batch cannot add up exactly.
 */
function perExampleOf(what: string, value: unknown, rows: number): tf.Tensor1D {
  if (!(value instanceof tf.Tensor)) throw new TypeError(`${what} must return a tf.Tensor of per-example values (shape [batch]); it returned ${typeof value}`);
  if (value.rank === 0 || value.shape[0] !== rows) {
    throw new ShapeError(`${what} must return per-example values of shape [batch] = [${rows}] (Keras's custom loss contract), not a batch mean; it returned shape [${value.shape.join(', ')}]`);
  }
  const floats = value.dtype === 'float32' ? value : tf.cast(value, 'float32');
  return (value.rank === 1 ? floats : tf.mean(floats, Array.from({ length: value.rank - 1 }, (_, i) => i + 1))) as tf.Tensor1D;
}

function checkName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw invalidArgument('name', `the ${kind}'s name (a non-empty string)`, name);
  return name;
}

/** Records `fn` as the custom loss `name`; registering the same function again is a no-op. */
export function registerLossFunction(name: string, fn: ObjectiveFunction, module: string): void {
  add(customLosses, 'loss', name, fn, module);
}

export function registerMetricFunction(name: string, fn: ObjectiveFunction, module: string): void {
  add(customMetrics, 'metric', name, fn, module);
}

function add(table: Map<string, Registered>, kind: string, name: string, fn: ObjectiveFunction, module: string): void {
  checkName(kind, name);
  const known = table.get(name);
  if (known !== undefined && known.fn !== fn) {
    throw new RangeError(`A custom ${kind} named '${name}' is already registered (${known.module}): register yours under another name`);
  }
  table.set(name, { fn, module });
}

export function isCustomLoss(name: string): boolean {
  return customLosses.has(name);
}

export function isCustomMetric(name: string): boolean {
  return customMetrics.has(name);
}

function notRegistered(kind: 'Loss' | 'Metric', name: string, module: string | undefined): RangeError {
  const where = module === undefined ? '' : ` (its spec names the module ${module})`;
  return new RangeError(`The custom ${kind.toLowerCase()} '${name}' is not registered in this thread${where}: call weft.register${kind}('${name}', moduleUrl) first`);
}

/** The custom loss `name` (spec `module` for the message), or undefined when none is registered. */
export function customLoss(name: string, module?: string): Loss | undefined {
  const entry = customLosses.get(name);
  if (entry === undefined) {
    if (module !== undefined) throw notRegistered('Loss', name, module);
    return undefined;
  }
  const what = `The custom loss '${name}'`;
  const { fn } = entry;
  const spec: LossSpec = Object.freeze({ name, config: Object.freeze({}), module: entry.module });
  const perExample = (yPred: tf.Tensor, yTrue: tf.Tensor): tf.Tensor1D => perExampleOf(what, fn(yTrue, yPred), yPred.shape[0] as number);
  return Object.freeze({
    name,
    sparseTargets: false,
    spec,
    compute: (head: Head, yTrue: tf.Tensor): LossResult => ({
      perExample: perExample(head.output, yTrue),
      // d(Σ per-example loss)/d yPred: the gradient of the sum, as every loss gives it.
      grad: gradOf(what, (p) => tf.sum(perExample(p, yTrue)), head.output),
      gradIsLogits: false,
    }),
    perExample,
    toJSON: () => spec,
  });
}

/** The custom metric `name` under the key `key` in logs, or undefined when none is registered. */
export function customMetric(name: string, key: string = name, module?: string): Metric | undefined {
  const entry = customMetrics.get(name);
  if (entry === undefined) {
    if (module !== undefined) throw notRegistered('Metric', name, module);
    return undefined;
  }
  const what = `The custom metric '${name}'`;
  const { fn } = entry;
  const spec: MetricSpec = Object.freeze({ name, key, config: Object.freeze({}), module: entry.module });
  return Object.freeze({
    name,
    key,
    spec,
    sum: (yPred: tf.Tensor, yTrue: tf.Tensor) => tf.sum(perExampleOf(what, fn(yTrue, yPred), yPred.shape[0] as number)) as tf.Scalar,
    toJSON: () => spec,
  });
}
