import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType, notSupported } from '../../errors.js';
import { resolveInitializer, type InitializerSpec } from '../initializers.js';
import { initializerToKeras, type Json, type KerasConfigReader } from '../keras-config.js';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import type { Shape } from '../shape.js';
import { readTensor } from '../tensor-io.js';
import { checkPositive, resolveAxes } from './shape-args.js';
import { AxesLast } from './axes-last.js';
import { columnSums, SCALE_OFFSET_KEYS, ScaleOffset, type ScaleOffsetConfig } from './scale-offset.js';

export interface BatchNormalizationConfig extends ScaleOffsetConfig {
  /** The features axis, normalized per feature over every other axis (negative counts from the end). Default -1. */
  axis?: number;
  /** The moving statistics' decay: moving = moving·momentum + batch·(1 − momentum). Default 0.99. */
  momentum?: number;
  /** Added to the variance. Default 1e-3. */
  epsilon?: number;
  movingMeanInitializer?: InitializerSpec;
  movingVarianceInitializer?: InitializerSpec;
  name?: string;
}

const KEYS = ['axis', 'momentum', 'epsilon', ...SCALE_OFFSET_KEYS, 'movingMeanInitializer', 'movingVarianceInitializer', 'name'];
/** Keras options for batch renormalization and ghost batches: refused by name, never dropped. */
const NOT_YET = ['renorm', 'renormClipping', 'renormMomentum', 'virtualBatchSize', 'adjustment'];

function checkConfig(config: BatchNormalizationConfig): BatchNormalizationConfig {
  if (config !== null && typeof config === 'object') {
    const given = Object.entries(config).find(([k, v]) => NOT_YET.includes(k) && v !== undefined && v !== null && v !== false);
    if (given !== undefined) throw notSupported('BatchNormalization', given[0], given[1]);
  }
  return checkLayerConfig<BatchNormalizationConfig>('BatchNormalization', config, [...KEYS, ...NOT_YET]);
}

/** What the training forward leaves for backward: x̂, 1/σ per feature, γ, and the global batch's row count. */
interface TrainCache {
  readonly xhat: tf.Tensor2D;
  readonly inv: Float64Array;
  readonly gamma: Float64Array;
  readonly count: number;
}

/** In inference mode the layer is an affine map per feature: y = x·scale + shift. */
interface InferenceCache {
  readonly scale: tf.Tensor1D;
}

/**
 * Batch normalization (Ioffe & Szegedy 2015), as Keras 3, synchronised across workers: in
 * training each feature is normalized by the mean and (biased) variance of the whole global
 * batch — every rank's shard — so N workers train exactly the model one worker trains (what
 * PyTorch calls SyncBatchNorm and Keras `synchronized=True`; weft has no other kind).
 *
 * The statistics are two in-step sums across ranks (ctx.allSum): forward, each rank's shifted
 * sums Σ(x − K) and Σ(x − K)² per feature in float64, K the moving mean (the same on every rank,
 * and close to the batch mean once training has run, so E[(x−K)²] − E[x−K]² cancels little);
 * backward, Σdy and Σdy·x̂. The moving statistics follow Keras's formula once per step
 * (ctx.assign: applied after the step succeeded). In inference — and, as in Keras since TF 2.0,
 * whenever the layer is frozen (`trainable = false`) — it uses the moving statistics.
 * tfjs-layers differs there: its frozen BatchNormalization still normalizes by the batch.
 */
export class BatchNormalization extends Layer {
  static override readonly className = 'BatchNormalization';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    r.mustBe('renorm', [false], 'weft has no batch renormalization');
    r.mustBe('virtual_batch_size', [], 'weft normalizes over the whole batch (no ghost batches)');
    r.mustBe('adjustment', [], 'weft has no adjustment function');
    // Inert: weft is always synchronised; `fused` picks a TensorFlow kernel; renorm's settings without renorm.
    for (const key of ['synchronized', 'fused', 'renorm_clipping', 'renorm_momentum']) r.get(key);
    const axis = r.value('axis', -1);
    return {
      name: r.name, axis: Array.isArray(axis) && axis.length === 1 ? axis[0] : axis, momentum: r.value('momentum', 0.99), epsilon: r.value('epsilon', 1e-3),
      ...ScaleOffset.fromKeras(r),
      movingMeanInitializer: r.initializer('moving_mean_initializer', 'zeros'), movingVarianceInitializer: r.initializer('moving_variance_initializer', 'ones'),
    };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return {
      axis: c.axis ?? -1, momentum: c.momentum ?? 0.99, epsilon: c.epsilon ?? 1e-3, ...ScaleOffset.toKeras(c),
      moving_mean_initializer: initializerToKeras(c.movingMeanInitializer ?? 'zeros'), moving_variance_initializer: initializerToKeras(c.movingVarianceInitializer ?? 'ones'),
      name: c.name, trainable: true,
    };
  }

  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  private readonly gammaBeta: ScaleOffset;
  private readonly movingMeanInit: ReturnType<typeof resolveInitializer>;
  private readonly movingVarianceInit: ReturnType<typeof resolveInitializer>;
  /** The features axis moved last: one row per position, one column per feature (set by build). */
  private plan: AxesLast | null = null;

  constructor(config: BatchNormalizationConfig = {}) {
    super(checkConfig(config).name, 'batch_normalization');
    const axis = config.axis ?? -1;
    if (typeof axis !== 'number') throw invalidType('axis', 'an integer (the features axis)', axis);
    if (!Number.isInteger(axis)) throw invalidArgument('axis', 'an integer (the features axis)', axis);
    this.axis = axis;
    const momentum = config.momentum ?? 0.99;
    if (typeof momentum !== 'number') throw invalidType('momentum', 'a number in [0, 1]', momentum);
    if (!(momentum >= 0 && momentum <= 1)) throw invalidArgument('momentum', 'a number in [0, 1]', momentum);
    this.momentum = momentum;
    this.epsilon = checkPositive('epsilon', config.epsilon, 1e-3);
    this.gammaBeta = new ScaleOffset(config);
    this.movingMeanInit = resolveInitializer('movingMeanInitializer', config.movingMeanInitializer ?? 'zeros');
    this.movingVarianceInit = resolveInitializer('movingVarianceInitializer', config.movingVarianceInitializer ?? 'ones');
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    const rank = shape.length;
    const [axis] = resolveAxes(this, this.axis, rank);
    const features = shape[axis] as number;
    this.plan = new AxesLast(rank, [axis], features);
    return [
      ...this.gammaBeta.params([features]),
      { name: 'moving_mean', shape: [features], initializer: this.movingMeanInit, trainable: false },
      { name: 'moving_variance', shape: [features], initializer: this.movingVarianceInit, trainable: false },
    ];
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape;
  }

  /** Forward: the count and C shifted sums and C shifted squares; backward: 2C sums. */
  override get collectiveLength(): number {
    return this.plan === null ? 0 : 2 * this.plan.width + 1;
  }

  private get movingIndex(): number {
    return this.gammaBeta.count;
  }

  forward([x]: readonly tf.Tensor[], weights: readonly tf.Tensor[], ctx: CallContext): { output: tf.Tensor; cache: TrainCache | InferenceCache } {
    const { rows, laidOut } = (this.plan as AxesLast).toRows(x);
    const c = (this.plan as AxesLast).width;
    const { gamma, beta } = this.gammaBeta.values(weights, c);
    const movingMean = Float64Array.from(readTensor(weights[this.movingIndex]));
    const movingVariance = Float64Array.from(readTensor(weights[this.movingIndex + 1]));
    if (!(ctx.training && this.trainable)) {
      const scale = new Float32Array(c);
      const shift = new Float32Array(c);
      for (let j = 0; j < c; j++) {
        scale[j] = gamma[j] / Math.sqrt(movingVariance[j] + this.epsilon);
        shift[j] = beta[j] - movingMean[j] * scale[j];
      }
      const scaleT = tf.tensor1d(scale);
      return { output: (this.plan as AxesLast).fromRows(tf.add(tf.mul(rows, scaleT), tf.tensor1d(shift)), laidOut), cache: { scale: scaleT } };
    }
    const global = ctx.allSum(shiftedSums(rows, movingMean));
    const count = global[0];
    const mean = new Float64Array(c);
    const variance = new Float64Array(c);
    const inv = new Float64Array(c);
    for (let j = 0; j < c; j++) {
      const d = global[1 + j] / count;
      mean[j] = movingMean[j] + d;
      variance[j] = Math.max(0, global[1 + c + j] / count - d * d);
      inv[j] = 1 / Math.sqrt(variance[j] + this.epsilon);
    }
    const xhat = tf.mul(tf.sub(rows, tf.tensor1d(Float32Array.from(mean))), tf.tensor1d(Float32Array.from(inv))) as tf.Tensor2D;
    const t = this.gammaBeta.tensors(weights, c);
    let y: tf.Tensor = xhat;
    if (t.gamma !== null) y = tf.mul(y, t.gamma);
    if (t.beta !== null) y = tf.add(y, t.beta);
    // Keras 3: moving = moving·momentum + batch·(1 − momentum), the batch variance biased.
    const m = this.momentum;
    ctx.assign(this.movingIndex, Float32Array.from(movingMean, (v, j) => v * m + mean[j] * (1 - m)));
    ctx.assign(this.movingIndex + 1, Float32Array.from(movingVariance, (v, j) => v * m + variance[j] * (1 - m)));
    return { output: (this.plan as AxesLast).fromRows(y, laidOut), cache: { xhat, inv, gamma, count } };
  }

  /**
   * Training: dγ = Σdy·x̂ and dβ = Σdy over this rank's rows (the all-reduce adds the ranks'),
   * and dx = γ/σ·(dy − Σdy/N − x̂·Σ(dy·x̂)/N) with both sums over the global batch of N rows —
   * the second exchange. Inference mode (a frozen layer): dx = dy·γ/σ_moving, no weight gradients.
   */
  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const { rows: g, laidOut } = (this.plan as AxesLast).toRows(dy);
    const none = [null, null];
    if ('scale' in (saved.cache as object)) {
      const frozen = new Array<null>(this.gammaBeta.count).fill(null);
      return { inputs: [needInput ? (this.plan as AxesLast).fromRows(tf.mul(g, (saved.cache as InferenceCache).scale), laidOut) : null], weights: [...frozen, ...none] };
    }
    const { xhat, inv, gamma, count } = saved.cache as TrainCache;
    const c = (this.plan as AxesLast).width;
    const local = columnSums(g, xhat);
    const weights = [...this.gammaBeta.gradients(local, [c]), ...none];
    if (!needInput) return { inputs: [null], weights };
    const partial = new Float64Array(2 * c);
    partial.set(local.g, 0);
    partial.set(local.gx, c);
    const global = saved.ctx.allSum(partial);
    const a = new Float32Array(c);
    const b = new Float32Array(c);
    const k = new Float32Array(c);
    for (let j = 0; j < c; j++) {
      const s = gamma[j] * inv[j];
      a[j] = s;
      b[j] = (s * global[j]) / count;
      k[j] = (s * global[c + j]) / count;
    }
    const dx = tf.sub(tf.mul(g, tf.tensor1d(a)), tf.add(tf.mul(xhat, tf.tensor1d(k)), tf.tensor1d(b)));
    return { inputs: [(this.plan as AxesLast).fromRows(dx, laidOut)], weights };
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name, axis: this.axis, momentum: this.momentum, epsilon: this.epsilon, ...this.gammaBeta.getConfig(),
      movingMeanInitializer: this.movingMeanInit, movingVarianceInitializer: this.movingVarianceInit,
    };
  }
}

/**
 * [rows, Σ(x − K), Σ(x − K)²] per feature, K = `shift`, over a rows × features tensor, in
 * float64 from a heap view: this rank's part of the global batch's statistics.
 */
function shiftedSums(rows: tf.Tensor2D, shift: Float64Array): Float64Array {
  const [n, c] = rows.shape;
  const v = readTensor(rows);
  const out = new Float64Array(2 * c + 1);
  out[0] = n;
  for (let r = 0; r < n; r++) {
    const o = r * c;
    for (let j = 0; j < c; j++) {
      const d = v[o + j] - shift[j];
      out[1 + j] += d;
      out[1 + c + j] += d * d;
    }
  }
  return out;
}
