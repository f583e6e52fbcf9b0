import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType, StateError } from '../../errors.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import { readTensor } from '../tensor-io.js';
import { resolveAxes } from './shape-args.js';
import { AxesLast } from './axes-last.js';

export interface NormalizationConfig {
  /** The features axis: one mean and variance per feature (default -1). */
  axis?: number;
  /** The mean per feature (or one for all); without it, adapt() sets it. */
  mean?: number | number[] | null;
  /** The variance per feature (or one for all). */
  variance?: number | number[] | null;
  /** Undo a normalization: x·σ + μ (default false). */
  invert?: boolean;
  name?: string;
}

const KEYS = ['axis', 'mean', 'variance', 'invert', 'name'];
/** Keras's backend.epsilon(): the smallest σ divided by. */
const EPSILON = 1e-7;

/** Rows of features from a batch of data: a tensor, nested arrays, or a typed array with a shape ({values, shape}). */
function featureRows(value: unknown, argument: string): { values: ArrayLike<number>; shape: readonly number[] } {
  if (value instanceof tf.Tensor) return { values: readTensor(value), shape: value.shape };
  if (value !== null && typeof value === 'object' && 'values' in value && 'shape' in value && ArrayBuffer.isView((value as { values: unknown }).values)) {
    return value as { values: ArrayLike<number>; shape: readonly number[] };
  }
  if (Array.isArray(value)) {
    const t = tf.tensor(value as number[][]);
    try {
      return { values: readTensor(t).slice(), shape: t.shape };
    } finally {
      t.dispose();
    }
  }
  throw invalidType(argument, 'a tensor, nested arrays of numbers, or a dataset of {xs, ys} batches', value);
}

/** A dataset of {xs} batches (an array of them, an iterable, an async iterable), not an array of rows. */
const isStream = (v: unknown): v is AsyncIterable<{ xs: unknown }> | Iterable<{ xs: unknown }> => {
  if (Array.isArray(v)) return v.length > 0 && v[0] !== null && typeof v[0] === 'object' && !Array.isArray(v[0]) && 'xs' in v[0];
  return v !== null && typeof v === 'object' && !(v instanceof tf.Tensor) && (Symbol.asyncIterator in v || Symbol.iterator in v);
};

/**
 * Keras's Normalization preprocessing layer: (x − mean) / max(√variance, 1e-7) per feature, with
 * the mean and variance given in the config or learnt from data by adapt(). They are weights
 * the optimizer never touches (mean, variance and Keras's example count), saved with the model,
 * so predict and a loaded model apply the statistics the training data had.
 */
export class Normalization extends Layer {
  static override readonly className = 'Normalization';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    const axis = r.value('axis', -1);
    return { name: r.name, axis: Array.isArray(axis) && axis.length === 1 ? axis[0] : axis, mean: r.value('mean', null), variance: r.value('variance', null), invert: r.value('invert', false) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { axis: c.axis ?? -1, mean: (c.mean ?? null) as Json, variance: (c.variance ?? null) as Json, invert: c.invert ?? false, name: c.name, trainable: true };
  }

  readonly axis: number;
  readonly invert: boolean;
  private readonly initialMean: number | number[] | null;
  private readonly initialVariance: number | number[] | null;
  /** Statistics adapt() found before the layer was built: its weights start from them. */
  private adapted: { mean: Float32Array; variance: Float32Array; count: number } | null = null;
  private plan: AxesLast | null = null;

  constructor(config: NormalizationConfig = {}) {
    super(checkLayerConfig<NormalizationConfig>('Normalization', config, KEYS).name, 'normalization');
    const axis = config.axis ?? -1;
    if (typeof axis !== 'number' || !Number.isInteger(axis)) throw invalidType('axis', 'an integer (the features axis)', axis);
    this.axis = axis;
    this.invert = config.invert ?? false;
    if (typeof this.invert !== 'boolean') throw invalidType('invert', 'a boolean', this.invert);
    const stat = (name: string, v: unknown) => {
      if (v === undefined || v === null) return null;
      const list = typeof v === 'number' ? [v] : v;
      if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'number' || !Number.isFinite(x))) throw invalidType(name, 'a finite number or an array of them (one per feature)', v);
      if (name === 'variance' && list.some((x) => x < 0)) throw invalidArgument('variance', 'numbers >= 0', v);
      return v as number | number[];
    };
    this.initialMean = stat('mean', config.mean);
    this.initialVariance = stat('variance', config.variance);
    if ((this.initialMean === null) !== (this.initialVariance === null)) throw invalidArgument('mean', 'both mean and variance, or neither (adapt() sets them)', `mean=${JSON.stringify(config.mean)}, variance=${JSON.stringify(config.variance)}`);
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    const [axis] = resolveAxes(this, this.axis, shape.length);
    const features = shape[axis] as number;
    this.plan = new AxesLast(shape.length, [axis], features);
    const initial = (v: number | number[] | null, name: string, fallback: number): Float32Array => {
      if (v === null) return new Float32Array(features).fill(fallback);
      const list = typeof v === 'number' ? new Array<number>(features).fill(v) : v;
      if (list.length !== features && list.length !== 1) throw invalidArgument(name, `one value or ${features} (one per feature on axis ${this.axis})`, `${list.length} values`);
      return list.length === 1 ? new Float32Array(features).fill(list[0]) : Float32Array.from(list);
    };
    const a = this.adapted;
    if (a !== null && a.mean.length !== features) throw invalidArgument('adapt(data)', `data with ${features} features (the layer's input)`, `${a.mean.length}`);
    const mean = a?.mean ?? initial(this.initialMean, 'mean', 0);
    const variance = a?.variance ?? initial(this.initialVariance, 'variance', 1);
    return [
      { name: 'mean', shape: [features], initializer: 'zeros', trainable: false, values: mean },
      { name: 'variance', shape: [features], initializer: 'ones', trainable: false, values: variance },
      { name: 'count', shape: [], initializer: 'zeros', trainable: false, values: Float32Array.of(a?.count ?? 0) },
    ];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape;
  }

  /**
   * Keras's adapt: the mean and (biased) variance of each feature over `data` (a tensor, nested
   * arrays, or a dataset of {xs} batches read once), in float64. Before the layer is built they
   * become its starting weights; after, they are written into the model's weights.
   */
  async adapt(data: unknown): Promise<void> {
    // Sums of (x − K) and (x − K)² in float64, K each feature's first value: a column whose mean
    // dwarfs its spread (1013 ± 0.5) keeps its variance, which E[x²] − E[x]² would cancel away.
    let sum: Float64Array | null = null;
    let squares: Float64Array | null = null;
    let shift: Float64Array | null = null;
    let count = 0;
    const add = (value: unknown, argument: string) => {
      const { values, shape } = featureRows(value, argument);
      const [axis] = resolveAxes(this, this.axis, shape.length);
      if (axis === 0) throw invalidArgument('axis', 'a features axis other than the batch axis', this.axis);
      const features = shape[axis];
      const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
      sum ??= new Float64Array(features);
      squares ??= new Float64Array(features);
      if (sum.length !== features) throw invalidArgument(argument, `${sum.length} features on axis ${this.axis} in every batch`, features);
      if (shift === null) {
        shift = new Float64Array(features);
        for (let j = 0; j < features && j * inner < values.length; j++) shift[j] = values[j * inner];
      }
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (!Number.isFinite(v)) throw invalidArgument(argument, 'finite numbers', `${v} at flat index ${i}`);
        const j = Math.floor(i / inner) % features;
        const d = v - shift[j];
        sum[j] += d;
        squares[j] += d * d;
      }
      count += values.length / features;
    };
    if (isStream(data)) {
      let b = 0;
      for await (const batch of data as AsyncIterable<{ xs: unknown }>) add(batch.xs, `adapt(data) batch ${b++} xs`);
    } else {
      add(data, 'adapt(data)');
    }
    if (sum === null || count === 0) throw invalidArgument('adapt(data)', 'at least one example', 'none');
    const d = Float64Array.from(sum as Float64Array, (v) => v / count);
    const mean = Float32Array.from(d, (v, j) => (shift as Float64Array)[j] + v);
    const variance = Float32Array.from(squares as unknown as Float64Array, (q, j) => Math.max(0, q / count - d[j] * d[j]));
    const views = this.currentValues();
    if (views === null) {
      if (this.plan !== null) throw new StateError(`Normalization '${this.name}' is built but no model holds its weights yet`);
      this.adapted = { mean, variance, count };
      return;
    }
    if (views[0].length !== mean.length) throw invalidArgument('adapt(data)', `data with ${views[0].length} features (the layer's input)`, `${mean.length}`);
    this.setWeights([tf.tensor1d(mean), tf.tensor1d(variance), tf.scalar(count)]);
  }

  private scaleShift(weights: readonly tf.Tensor[]): { scale: tf.Tensor1D; shift: tf.Tensor1D } {
    const mean = readTensor(weights[0]);
    const variance = readTensor(weights[1]);
    const sigma = Float32Array.from(variance, (v) => Math.max(Math.sqrt(v), EPSILON));
    // y = x·scale + shift: (x − μ)/σ, or its inverse x·σ + μ.
    if (this.invert) return { scale: tf.tensor1d(sigma), shift: tf.tensor1d(Float32Array.from(mean)) };
    return { scale: tf.tensor1d(sigma.map((s) => 1 / s)), shift: tf.tensor1d(Float32Array.from(mean, (m, j) => -m / sigma[j])) };
  }

  forward([x]: readonly tf.Tensor[], weights: readonly tf.Tensor[]): { output: tf.Tensor; cache: tf.Tensor1D } {
    const plan = this.plan as AxesLast;
    const { rows, laidOut } = plan.toRows(x);
    const { scale, shift } = this.scaleShift(weights);
    return { output: plan.fromRows(tf.add(tf.mul(rows, scale), shift), laidOut), cache: scale };
  }

  /** An affine map per feature: dx = dy·scale; the statistics get no gradient. */
  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const plan = this.plan as AxesLast;
    const { rows, laidOut } = plan.toRows(dy);
    return { inputs: [needInput ? plan.fromRows(tf.mul(rows, saved.cache as tf.Tensor1D), laidOut) : null], weights: [null, null, null] };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, axis: this.axis, mean: this.initialMean, variance: this.initialVariance, invert: this.invert };
  }
}
