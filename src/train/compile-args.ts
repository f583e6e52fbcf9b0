/**
 * compile()'s loss, lossWeights, metrics and weightedMetrics for a model with one output or
 * several, as Keras takes them: one loss for every output, an array with one per output
 * (model.outputs order) or an object keyed by output name (the output layer's name); metrics
 * per output as Keras 3 takes them (an array with one entry per output, or an object by name).
 */
import { invalidArgument, invalidType, ShapeError } from '../errors.js';
import { getLoss, type Loss, type LossSpec } from '../graph/losses.js';
import { getMetric, type Metric, type MetricSpec } from '../graph/metrics.js';
import type { GraphModel } from '../graph/model.js';
import type { Scoring } from '../parallel/step.js';
import { outputNames } from './data.js';

export type LossArg = string | Loss | LossSpec;
export type MetricArg = string | Metric | MetricSpec;
/** One value per output: an array in model.outputs order, or an object keyed by output name. */
export type PerOutput<T> = T[] | Record<string, T>;
/** Metrics for every output (one or a list), or per output (a list or null each). */
export type MetricsArg = MetricArg | MetricArg[] | PerOutput<MetricArg | MetricArg[] | null>;

export interface ObjectiveArgs {
  /** One loss for every output, or one per output. */
  loss: LossArg | PerOutput<LossArg>;
  /** Keras's loss_weights: the total loss is Σ w_i · loss_i (default 1 each). A number for a one-output model. */
  lossWeights?: number | PerOutput<number>;
  metrics?: MetricsArg;
  /** Keras's weighted_metrics: means weighted by the sample weights (Σ w·m / Σ w). */
  weightedMetrics?: MetricsArg;
}

/** One output's part of compile's arguments, as the user gave them (names stay names). */
export interface OutputArgs {
  readonly loss: LossArg;
  readonly weight: number;
  readonly metrics: readonly MetricArg[];
  readonly weightedMetrics: readonly MetricArg[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const quoted = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ');

/** A Loss, its spec or Keras's {class_name, config}: one loss, not an object of them by output. */
function isOneLoss(v: Record<string, unknown>, names: readonly string[]): boolean {
  if (typeof v.compute === 'function' || 'class_name' in v) return true;
  return typeof v.name === 'string' && Object.keys(v).every((k) => k === 'name' || k === 'config' || k === 'module') && !names.includes('name');
}

/** A Metric or its spec. */
function isOneMetric(v: Record<string, unknown>, names: readonly string[]): boolean {
  if (typeof v.sum === 'function') return true;
  return typeof v.name === 'string' && Object.keys(v).every((k) => k === 'name' || k === 'key' || k === 'config' || k === 'module') && !names.includes('name');
}

/** An object keyed by output names, every key checked; `all`: every output must be there. */
function byName<T>(argument: string, value: Record<string, T>, names: readonly string[], all: boolean): (T | undefined)[] {
  for (const key of Object.keys(value)) {
    if (!names.includes(key)) throw invalidArgument(argument, `an object keyed by the model's output names (${quoted(names)})`, key);
  }
  const missing = names.find((n) => !(n in value));
  if (all && missing !== undefined) throw invalidArgument(argument, `a value for every model output (${quoted(names)})`, `no '${missing}'`);
  return names.map((n) => value[n]);
}

function perOutputArray<T>(argument: string, value: T[], names: readonly string[]): T[] {
  if (value.length !== names.length) {
    throw invalidArgument(argument, `an array of ${names.length} (one per model output: ${quoted(names)}) or an object keyed by output name`, value);
  }
  return value;
}

function splitLoss(loss: unknown, names: readonly string[]): LossArg[] {
  let list: unknown[];
  if (Array.isArray(loss)) list = perOutputArray('loss', loss, names);
  else if (isObject(loss) && !isOneLoss(loss, names)) list = byName('loss', loss, names, true);
  else return names.map(() => loss as LossArg); // getLoss checks it
  list.forEach((l, i) => {
    if (l === null || l === undefined) throw invalidArgument(`loss['${names[i]}']`, 'a loss for every output (weft trains no output without one)', l);
  });
  return list as LossArg[];
}

function splitWeights(weights: unknown, names: readonly string[]): number[] {
  let list: unknown[];
  if (weights === undefined || weights === null) list = names.map(() => 1);
  else if (typeof weights === 'number' && names.length === 1) list = [weights];
  else if (Array.isArray(weights)) list = perOutputArray('lossWeights', weights, names);
  else if (isObject(weights)) list = byName('lossWeights', weights, names, false).map((w) => w ?? 1);
  else throw invalidType('lossWeights', 'an array of numbers (one per output) or an object keyed by output name', weights);
  list.forEach((w, i) => {
    if (typeof w !== 'number' || !Number.isFinite(w)) throw invalidArgument(`lossWeights['${names[i]}']`, 'a finite number', w);
  });
  return list as number[];
}

/**
 * Metrics per output, as Keras 3 reads them: a one-output model takes one metric or a list; a
 * model of several takes a list with one entry per output (a metric, a list of them, or null)
 * or an object keyed by output name. Keras 2 and tfjs-layers applied a flat list to every
 * output; Keras 3 refuses a list of another length, and so does weft, saying how to write it.
 */
function splitMetrics(argument: string, metrics: unknown, names: readonly string[]): MetricArg[][] {
  if (metrics === undefined || metrics === null) return names.map(() => []);
  const asList = (m: unknown): MetricArg[] => (m === null || m === undefined ? [] : Array.isArray(m) ? m : [m]) as MetricArg[];
  if (names.length === 1) {
    if (isObject(metrics) && !isOneMetric(metrics, names)) return byName(argument, metrics, names, false).map(asList);
    if (Array.isArray(metrics) && metrics.length === 1 && (Array.isArray(metrics[0]) || metrics[0] === null)) return [asList(metrics[0])];
    return [asList(metrics)];
  }
  if (isObject(metrics) && !isOneMetric(metrics, names)) return byName(argument, metrics, names, false).map(asList);
  if (Array.isArray(metrics) && metrics.length === names.length) return metrics.map(asList);
  const example = `e.g. ${argument}: [${names.map(() => "['mae']").join(', ')}] or {${names.map((n) => `${n}: ['mae']`).join(', ')}}`;
  throw invalidArgument(argument, `for a model with ${names.length} outputs (${quoted(names)}), a list with one entry per output (a metric, a list of metrics or null) or an object keyed by output name, as Keras 3 takes them (${example})`, metrics);
}

/** Each output's loss, loss weight and metrics, as given; the output shapes checked. */
export function splitObjective(model: GraphModel, args: ObjectiveArgs): OutputArgs[] {
  const names = outputNames(model);
  model.outputs.forEach((out, i) => {
    if (out.shape.length === 2) return;
    const which = names.length === 1 ? 'models whose output has' : `outputs of`;
    const name = names.length === 1 ? '' : ` (output '${names[i]}')`;
    throw new ShapeError(`weft trains ${which} shape (batch, units); received ${JSON.stringify(out.shape)}${name}`);
  });
  const losses = splitLoss(args.loss, names);
  const weights = splitWeights(args.lossWeights, names);
  const metrics = splitMetrics('metrics', args.metrics, names);
  const weighted = splitMetrics('weightedMetrics', args.weightedMetrics, names);
  return names.map((_, i) => ({ loss: losses[i], weight: weights[i], metrics: metrics[i], weightedMetrics: weighted[i] }));
}

/** The losses and metrics resolved: each metric checked against its output's loss and units. */
export function scoringOf(model: GraphModel, outputs: readonly OutputArgs[]): Scoring[] {
  return outputs.map((o, i) => {
    const loss = getLoss(o.loss);
    const units = model.outputs[i].shape[model.outputs[i].shape.length - 1] as number;
    const resolve = (m: MetricArg) => getMetric(m, loss, units);
    return { loss, weight: o.weight, metrics: o.metrics.map(resolve), weightedMetrics: o.weightedMetrics.map(resolve) };
  });
}

/**
 * What crosses to a worker or a trainer thread for each output: built-in names kept, configured
 * objects and custom losses and metrics as their specs (a custom one's names its module, which
 * the other thread imports before it compiles).
 */
export function specsOf(outputs: readonly OutputArgs[], scoring: readonly Scoring[]): {
  loss: (string | LossSpec)[]; lossWeights: number[]; metrics: (string | MetricSpec)[][]; weightedMetrics: (string | MetricSpec)[][];
} {
  const keep = (given: readonly MetricArg[], resolved: readonly Metric[]) => given.map((m, j) => (typeof m === 'string' && resolved[j].spec.module === undefined ? m : resolved[j].spec));
  return {
    loss: outputs.map((o, i) => (typeof o.loss === 'string' && scoring[i].loss.spec.module === undefined ? o.loss : scoring[i].loss.spec)),
    lossWeights: outputs.map((o) => o.weight),
    metrics: outputs.map((o, i) => keep(o.metrics, scoring[i].metrics)),
    weightedMetrics: outputs.map((o, i) => keep(o.weightedMetrics, scoring[i].weightedMetrics)),
  };
}
