import * as tf from '@tensorflow/tfjs-core';
import { notSupported } from '../../errors.js';
import { checkLayerConfig, Layer, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { sizeOf, type Shape } from '../shape.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkAxisArgument, checkPositive, resolveAxes } from './shape-args.js';
import { AxesLast } from './axes-last.js';
import { columnSums, SCALE_OFFSET_KEYS, ScaleOffset, type ScaleOffsetConfig } from './scale-offset.js';

export interface LayerNormalizationConfig extends ScaleOffsetConfig {
  /** The axis or axes to normalize over (negative counts from the end; not the batch axis). Default -1. */
  axis?: number | number[];
  /** Added to the variance. Default 1e-3 (Keras 3 and tfjs-layers). */
  epsilon?: number;
  name?: string;
}

const KEYS = ['axis', 'epsilon', ...SCALE_OFFSET_KEYS, 'name'];
/** Keras options weft does not implement for this layer: refused by name, never dropped. */
const NOT_YET = ['rmsScaling'];

function checkConfig(config: LayerNormalizationConfig): LayerNormalizationConfig {
  if (config !== null && typeof config === 'object') {
    const given = Object.entries(config).find(([k, v]) => NOT_YET.includes(k) && v !== undefined && v !== null && v !== false);
    if (given !== undefined) throw notSupported('LayerNormalization', given[0], given[1]);
  }
  const known = [...KEYS, ...NOT_YET];
  return checkLayerConfig<LayerNormalizationConfig>('LayerNormalization', config, known);
}

/** The normalized axes moved last (AxesLast), and the shape of gamma and beta: their dimensions, in axis order. */
interface Plan {
  readonly rows: AxesLast;
  readonly paramShape: number[];
}

interface Cache {
  /** x̂ = (x − mean)/σ, as rows × size. */
  readonly xhat: tf.Tensor2D;
  /** 1/σ = 1/sqrt(var + epsilon), one per row. */
  readonly inv: tf.Tensor2D;
}

/**
 * Layer normalization (Ba et al. 2016), as Keras 3: each example is normalized over `axis` by
 * its own mean and (biased) variance, y = γ·(x − mean)/sqrt(var + ε) + β, with γ and β shaped
 * like the normalized axes. Per example, so it does not depend on how a batch is sharded.
 */
export class LayerNormalization extends Layer {
  static override readonly className = 'LayerNormalization';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    r.mustBe('rms_scaling', [false], 'weft has no rms_scaling (deprecated in Keras 3: use RMSNormalization)');
    return { name: r.name, axis: r.value('axis', -1), epsilon: r.value('epsilon', 1e-3), ...ScaleOffset.fromKeras(r) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { axis: c.axis ?? -1, epsilon: c.epsilon ?? 1e-3, ...ScaleOffset.toKeras(c), name: c.name, trainable: true };
  }
  readonly axis: number | number[];
  readonly epsilon: number;
  private readonly gammaBeta: ScaleOffset;
  private plan: Plan | null = null;

  constructor(config: LayerNormalizationConfig = {}) {
    super(checkConfig(config).name, 'layer_normalization');
    this.axis = checkAxisArgument(config.axis, -1);
    this.epsilon = checkPositive('epsilon', config.epsilon, 1e-3);
    this.gammaBeta = new ScaleOffset(config);
  }

  get center(): boolean {
    return this.gammaBeta.center;
  }

  get scale(): boolean {
    return this.gammaBeta.scale;
  }

  protected build([shape]: readonly Shape[]): ParamSpec[] {
    const rank = shape.length;
    const axes = resolveAxes(this, this.axis, rank);
    const paramShape = axes.map((a) => shape[a] as number);
    this.plan = { rows: new AxesLast(rank, axes, sizeOf(paramShape)), paramShape };
    return this.gammaBeta.params(paramShape);
  }

  computeOutputShape([shape]: readonly Shape[]): Shape {
    return shape;
  }

  forward([x]: readonly tf.Tensor[], weights: readonly tf.Tensor[]): { output: tf.Tensor; cache: Cache } {
    const { rows, laidOut } = (this.plan as Plan).rows.toRows(x);
    const centered = tf.sub(rows, tf.mean(rows, 1, true));
    const inv = tf.rsqrt(tf.add(tf.mean(tf.square(centered), 1, true), this.epsilon)) as tf.Tensor2D;
    const xhat = tf.mul(centered, inv) as tf.Tensor2D;
    const { gamma, beta } = this.gammaBeta.tensors(weights, (this.plan as Plan).rows.width);
    let y: tf.Tensor = xhat;
    if (gamma !== null) y = tf.mul(y, gamma);
    if (beta !== null) y = tf.add(y, beta);
    return { output: (this.plan as Plan).rows.fromRows(y, laidOut), cache: { xhat, inv } };
  }

  /**
   * Per row, with g = dy·γ: dx = (1/σ)(g − mean(g) − x̂·mean(g·x̂)) (Ba et al. 2016, the
   * derivative of x̂ through the row's mean and variance); dγ = Σ_rows dy·x̂ and dβ = Σ_rows dy.
   */
  backward(dy: tf.Tensor, saved: Saved, [needInput]: readonly boolean[]): Gradients {
    const { xhat, inv } = saved.cache as Cache;
    const { rows: g, laidOut } = (this.plan as Plan).rows.toRows(dy);
    const paramShape = (this.plan as Plan).paramShape;
    const weights = this.gammaBeta.gradients(columnSums(g, xhat), paramShape);
    if (!needInput) return { inputs: [null], weights };
    const { gamma } = this.gammaBeta.tensors(saved.weights, (this.plan as Plan).rows.width);
    const gg = gamma === null ? g : tf.mul(g, gamma);
    const dxhat = tf.sub(tf.sub(gg, tf.mean(gg, 1, true)), tf.mul(xhat, tf.mean(tf.mul(gg, xhat), 1, true)));
    return { inputs: [(this.plan as Plan).rows.fromRows(tf.mul(dxhat, inv), laidOut)], weights };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, axis: this.axis, epsilon: this.epsilon, ...this.gammaBeta.getConfig() };
  }
}
