import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType, ShapeError } from '../../errors.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkLayerConfig, type Gradients, type ParamSpec, type Saved } from '../layer.js';
import { formatShape, type Shape } from '../shape.js';
import { checkKerasDtype, MergeLayer } from './merge.js';

export interface DotConfig {
  /** The axis summed over in both inputs, or [axis in input 0, axis in input 1]; never 0, the batch axis. */
  axes: number | [number, number];
  /** L2-normalize both inputs along their axes first: the output is then the cosine similarity. */
  normalize?: boolean;
  name?: string;
}

const AXES_EXPECTED = 'an integer axis or a pair of them [axis in input 0, axis in input 1], other than the batch axis 0';

function checkAxes(axes: unknown): number | [number, number] {
  const isAxis = (a: unknown) => typeof a === 'number' && Number.isInteger(a) && a !== 0;
  if (typeof axes === 'number') {
    if (!isAxis(axes)) throw invalidArgument('axes', AXES_EXPECTED, axes);
    return axes;
  }
  if (!Array.isArray(axes)) throw invalidType('axes', AXES_EXPECTED, axes);
  if (axes.length !== 2 || !axes.every(isAxis)) throw invalidArgument('axes', AXES_EXPECTED, axes);
  return [axes[0] as number, axes[1] as number];
}

/** Keras 3's `normalize(x, axis)`: x·rsqrt(max(Σx², ε²)), ε = 1e-7 (tfjs-layers clamps Σx² at ε). */
const EPSILON_SQUARED = 1e-14;

interface Normalized {
  readonly axis: number;
  readonly unit: tf.Tensor;
  readonly invNorm: tf.Tensor;
  readonly squareSum: tf.Tensor;
}

function l2Normalize(x: tf.Tensor, axis: number): Normalized {
  const squareSum = tf.sum(tf.square(x), axis, true);
  const invNorm = tf.rsqrt(tf.maximum(squareSum, EPSILON_SQUARED));
  return { axis, unit: tf.mul(x, invNorm), invNorm, squareSum };
}

/**
 * Through u = x·r, r = max(s, ε²)^(-1/2), s = Σx²: dx = r·(g − u·Σ(g·u)) where s > ε², and
 * r·g where the norm was clamped (r is then a constant).
 */
function l2NormalizeBackward(g: tf.Tensor, n: Normalized): tf.Tensor {
  const along = tf.sum(tf.mul(g, n.unit), n.axis, true);
  const live = tf.cast(tf.greater(n.squareSum, EPSILON_SQUARED), 'float32');
  return tf.mul(n.invNorm, tf.sub(g, tf.mul(n.unit, tf.mul(along, live))));
}

/**
 * How one batch is contracted: x is permuted to (batch, x's other axes..., axis) and seen as
 * (batch, m, d); y to (batch, axis, y's other axes...) as (batch, d, n); their batched product
 * (batch, m, n) is the output (batch, x's other axes..., y's other axes...), as Keras's batch_dot.
 */
interface DotPlan {
  /** The permutations (null: none needed) and the permuted shapes. */
  readonly xPerm: number[] | null;
  readonly yPerm: number[] | null;
  readonly xPermuted: number[];
  readonly yPermuted: number[];
  readonly m: number;
  readonly n: number;
  readonly d: number;
  readonly outShape: number[];
}

function permutation(others: readonly number[], axis: number, axisLast: boolean): number[] | null {
  const perm = axisLast ? [0, ...others, axis] : [0, axis, ...others];
  return perm.every((p, i) => p === i) ? null : perm;
}

function inverse(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Computes the dot product of samples along `axes` (Keras's Dot): (None, 8)·(None, 8) → (None, 1). */
export class Dot extends MergeLayer {
  static override readonly className = 'Dot';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    checkKerasDtype(r);
    return { name: r.name, axes: r.get('axes'), normalize: r.value('normalize', false) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { axes: c.axes, normalize: c.normalize ?? false, name: c.name, trainable: true };
  }

  readonly axes: number | [number, number];
  readonly normalize: boolean;
  protected override readonly exactlyTwo = true;

  constructor(config: DotConfig = {} as DotConfig) {
    super(checkLayerConfig<DotConfig>('Dot', config, ['axes', 'normalize', 'name']).name, 'dot');
    this.axes = checkAxes(config.axes);
    if (config.normalize !== undefined && typeof config.normalize !== 'boolean') throw invalidType('normalize', 'a boolean', config.normalize);
    this.normalize = config.normalize ?? false;
  }

  /** The two axes as non-negative indices; a ShapeError naming the layer where one is out of range. */
  private resolveAxes(shapes: readonly Shape[]): [number, number] {
    const pair = typeof this.axes === 'number' ? [this.axes, this.axes] : this.axes;
    return pair.map((a, i) => {
      const rank = shapes[i].length;
      const axis = a < 0 ? a + rank : a;
      if (axis < 1 || axis >= rank) {
        throw new ShapeError(`Layer '${this.name}' (Dot): axes=${JSON.stringify(this.axes)} names axis ${a} of input ${i}, out of range for its shape ${formatShape(shapes[i])} (the batch axis 0 cannot be summed over)`);
      }
      return axis;
    }) as [number, number];
  }

  protected build(shapes: readonly Shape[]): ParamSpec[] {
    const [a0, a1] = this.resolveAxes(shapes);
    const [d0, d1] = [shapes[0][a0], shapes[1][a1]];
    if (d0 !== d1) {
      throw new ShapeError(`Layer '${this.name}' (Dot) has incompatible input shapes: axis values ${d0} (at axis ${a0}) != ${d1} (at axis ${a1}). Full input shapes: ${formatShape(shapes[0])}, ${formatShape(shapes[1])}`);
    }
    return [];
  }

  computeOutputShape(shapes: readonly Shape[]): Shape {
    const [a0, a1] = this.resolveAxes(shapes);
    const out = [...shapes[0].filter((_, i) => i !== a0), ...shapes[1].filter((_, i) => i !== 0 && i !== a1)];
    return out.length === 1 ? [out[0], 1] : out;
  }

  private plan(xShape: readonly number[], yShape: readonly number[]): DotPlan {
    const [a0, a1] = this.resolveAxes([xShape, yShape]);
    const xOther = xShape.map((_, i) => i).filter((i) => i !== 0 && i !== a0);
    const yOther = yShape.map((_, i) => i).filter((i) => i !== 0 && i !== a1);
    const xPerm = permutation(xOther, a0, true);
    const yPerm = permutation(yOther, a1, false);
    const outShape = [xShape[0], ...xOther.map((i) => xShape[i]), ...yOther.map((i) => yShape[i])];
    return {
      xPerm, yPerm,
      xPermuted: (xPerm ?? xShape.map((_, i) => i)).map((i) => xShape[i]),
      yPermuted: (yPerm ?? yShape.map((_, i) => i)).map((i) => yShape[i]),
      m: product(xOther.map((i) => xShape[i])),
      n: product(yOther.map((i) => yShape[i])),
      d: xShape[a0],
      outShape: outShape.length === 1 ? [xShape[0], 1] : outShape,
    };
  }

  forward(inputs: readonly tf.Tensor[]): { output: tf.Tensor; cache: DotCache } {
    const [x0, y0] = inputs.map((t) => (t.dtype === 'float32' ? t : tf.cast(t, 'float32')));
    const [a0, a1] = this.resolveAxes([x0.shape, y0.shape]);
    const nx = this.normalize ? l2Normalize(x0, a0) : null;
    const ny = this.normalize ? l2Normalize(y0, a1) : null;
    const p = this.plan(x0.shape, y0.shape);
    const batch = x0.shape[0];
    let x: tf.Tensor;
    let y: tf.Tensor;
    let z: tf.Tensor;
    if (p.m === 1 && p.n === 1) {
      // One dot product per example: a multiply and a row sum, no transposes, no tiny matMuls.
      x = tf.reshape(nx?.unit ?? x0, [batch, p.d]);
      y = tf.reshape(ny?.unit ?? y0, [batch, p.d]);
      z = tf.sum(tf.mul(x, y), 1);
    } else {
      x = tf.reshape(p.xPerm === null ? nx?.unit ?? x0 : tf.transpose(nx?.unit ?? x0, p.xPerm), [batch, p.m, p.d]);
      y = tf.reshape(p.yPerm === null ? ny?.unit ?? y0 : tf.transpose(ny?.unit ?? y0, p.yPerm), [batch, p.d, p.n]);
      z = tf.matMul(x, y);
    }
    return { output: tf.reshape(z, p.outShape), cache: { plan: p, x, y, nx, ny } };
  }

  backward(dz: tf.Tensor, saved: Saved, [needX, needY]: readonly boolean[]): Gradients {
    const { plan: p, x, y, nx, ny } = saved.cache as DotCache;
    const batch = dz.shape[0];
    let dx: tf.Tensor | null = null;
    let dy: tf.Tensor | null = null;
    if (p.m === 1 && p.n === 1) {
      const g = tf.reshape(dz, [batch, 1]);
      if (needX) dx = tf.mul(g, y);
      if (needY) dy = tf.mul(g, x);
    } else {
      // Explicit transposes then plain matMuls: wasm's transposed matMul is ~20x slower.
      const g = tf.reshape(dz, [batch, p.m, p.n]);
      if (needX) dx = tf.matMul(g, tf.transpose(y, [0, 2, 1]));
      if (needY) dy = tf.matMul(tf.transpose(x, [0, 2, 1]), g);
    }
    const back = (d: tf.Tensor | null, permuted: number[], perm: number[] | null, n: Normalized | null) => {
      if (d === null) return null;
      const shaped = tf.reshape(d, permuted);
      const unpermuted = perm === null ? shaped : tf.transpose(shaped, inverse(perm));
      return n === null ? unpermuted : l2NormalizeBackward(unpermuted, n);
    };
    return { inputs: [back(dx, p.xPermuted, p.xPerm, nx), back(dy, p.yPermuted, p.yPerm, ny)], weights: [] };
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, axes: typeof this.axes === 'number' ? this.axes : [...this.axes], normalize: this.normalize };
  }
}

interface DotCache {
  readonly plan: DotPlan;
  /** The operands as multiplied: (batch, d) each, or (batch, m, d) and (batch, d, n). */
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
  readonly nx: Normalized | null;
  readonly ny: Normalized | null;
}
