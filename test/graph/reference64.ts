/**
 * A float64 reference for the gradient checks: a tiny interpreter that re-runs a weft model's
 * graph in plain JavaScript doubles (node by node, from each layer's className and getConfig()),
 * the losses exactly as src/graph/losses.ts defines them (Keras's 1e-7 clipping included), and
 * central finite differences of the summed loss over the flat parameter vector.
 */
import type { Layer } from '../../src/graph/layer.js';
import type { GraphModel } from '../../src/graph/model.js';
import type { StepKey } from '../../src/parallel/step.js';
import { fillDropoutMask, foldIn, keyFromSeed } from '../../src/parallel/random.js';

/** A dense row-major array with its full shape (batch axis included). */
export interface Value {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export interface RefBatch {
  readonly xs: readonly (Float32Array | Int32Array)[];
  readonly y: Float32Array;
  readonly rows: number;
}

export interface RefOptions {
  readonly training: boolean;
  /** Dropout keep-masks by layer, shape [rows, ...per-example mask shape]; see stepDropoutMasks. */
  readonly masks?: ReadonlyMap<Layer, Value>;
}

export interface RefResult {
  /** Σ over examples (and any non-batch leading axes) of the per-row loss. */
  readonly loss: number;
  readonly output: Value;
  /** The smallest distance of a pre-activation from its activation's kink (relu's 0, relu6's 0 and 6, ...): finite differences hold only well away from them. */
  readonly kinkDistance: number;
}

/**
 * losses.ts clips to [1e-7, 1 - 1e-7], bounds that tf.clipByValue holds as float32: the upper
 * one is 1 - 2^-23 (0.99999988), so a saturated output has log(1 - c) = log(1.19e-7), not
 * log(1e-7). The reference clips to the same float32 bounds, then works in float64.
 */
const LO = Math.fround(1e-7);
const HI = Math.fround(1 - 1e-7);

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** erf(x) = 2/sqrt(pi) e^{-x^2} Σ 2^n x^{2n+1} / (2n+1)!!: positive terms, no cancellation. */
function erf(x: number): number {
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

const sigmoid = (z: number): number => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
const softplus = (z: number): number => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
const SELU_SCALE = 1.0507009873554804934193349852946;
const SELU_ALPHA = 1.6732632423543772848170429916717;

/**
 * Elementwise activations in float64, Keras 3's formulas, each with its kinks (where the
 * derivative jumps: finite differences must stay clear of them). `hardSigmoid` is Keras 2's and
 * tfjs-layers' hard sigmoid.
 */
const ELEMENTWISE: Record<string, { f: (v: number) => number; kinks?: readonly number[] }> = {
  linear: { f: (v) => v },
  relu: { f: (v) => Math.max(v, 0), kinks: [0] },
  sigmoid: { f: sigmoid },
  tanh: { f: Math.tanh },
  gelu: { f: (v) => 0.5 * v * (1 + erf(v * Math.SQRT1_2)) },
  elu: { f: (v) => (v > 0 ? v : Math.expm1(v)), kinks: [0] },
  softplus: { f: softplus },
  swish: { f: (v) => v * sigmoid(v) },
  selu: { f: (v) => SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v)), kinks: [0] },
  softsign: { f: (v) => v / (1 + Math.abs(v)) },
  hard_sigmoid: { f: (v) => Math.min(Math.max(v + 3, 0), 6) / 6, kinks: [-3, 3] },
  hardSigmoid: { f: (v) => Math.min(Math.max(0.2 * v + 0.5, 0), 1), kinks: [-2.5, 2.5] },
  relu6: { f: (v) => Math.min(Math.max(v, 0), 6), kinks: [0, 6] },
  exponential: { f: Math.exp },
  leaky_relu: { f: (v) => (v > 0 ? v : 0.2 * v), kinks: [0] },
  mish: { f: (v) => v * Math.tanh(softplus(v)) },
};

/** Softmax (or log softmax) over each row of width `d`. */
function softmaxRows(z: Float64Array, d: number, log: boolean): Float64Array {
  const a = new Float64Array(z.length);
  for (let r = 0; r < z.length; r += d) {
    let m = -Infinity;
    for (let j = 0; j < d; j++) m = Math.max(m, z[r + j]);
    let s = 0;
    for (let j = 0; j < d; j++) s += Math.exp(z[r + j] - m);
    for (let j = 0; j < d; j++) a[r + j] = log ? z[r + j] - m - Math.log(s) : Math.exp(z[r + j] - m) / s;
  }
  return a;
}

/** Applies an activation over the last axis of rows of width `d`; `kink.min` tracks the nearest kink. */
export function activate(name: string, z: Float64Array, d: number, kink: { min: number } = { min: Infinity }): Float64Array {
  if (name === 'softmax' || name === 'log_softmax') return softmaxRows(z, d, name === 'log_softmax');
  const act = ELEMENTWISE[name];
  if (act === undefined) throw new Error(`reference64: unknown activation ${name}`);
  const a = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) {
    a[i] = act.f(z[i]);
    for (const k of act.kinks ?? []) kink.min = Math.min(kink.min, Math.abs(z[i] - k));
  }
  return a;
}

/** The weights of `layer` in `params`, in declaration order. */
function weightsOf(model: GraphModel, layer: Layer, params: Float64Array): Float64Array[] {
  return model.layout.entries.filter((e) => e.layer === layer).map((e) => params.subarray(e.offset, e.offset + e.size));
}

function resolveAxis(axis: number, rank: number): number {
  return axis < 0 ? rank + axis : axis;
}

/** Per-example dropout mask shape, as Dropout.maskShape computes it. */
function maskShape(layer: Layer, inputShape: readonly number[]): number[] {
  const ns = layer.getConfig().noiseShape as (number | null)[] | null;
  return inputShape.slice(1).map((d, i) => (ns?.[i + 1] === 1 ? 1 : d));
}

/**
 * The masks StepRunner.train draws for each Dropout layer: key foldIn(runKey or the layer's own
 * seed, model.layerIndex(layer)), counter (epoch, firstExample + r), as src/parallel/step.ts does.
 */
export function stepDropoutMasks(model: GraphModel, key: StepKey, firstExample: number, rows: number): Map<Layer, Value> {
  const masks = new Map<Layer, Value>();
  for (const node of model.nodes) {
    const layer = node.layer;
    if (layer.className !== 'Dropout' || masks.has(layer)) continue;
    const cfg = layer.getConfig();
    const rate = cfg.rate as number;
    const seed = cfg.seed as number | null;
    const inShape = [rows, ...(node.inputs[0].shape.slice(1) as number[])];
    const per = maskShape(layer, inShape);
    const rowSize = size(per);
    const out = new Float32Array(rows * rowSize);
    if (rate > 0 && rate < 1) {
      const layerKey = foldIn(seed === null ? key.runKey : keyFromSeed(seed), model.layerIndex(layer));
      fillDropoutMask(layerKey, key.epoch, firstExample, rows, rowSize, rate, out);
    } else {
      out.fill(rate === 1 ? 0 : 1);
    }
    masks.set(layer, { shape: [rows, ...per], data: Float64Array.from(out) });
  }
  return masks;
}

/** x * mask with the mask broadcast along its size-1 axes. */
function applyMask(x: Value, mask: Value): Float64Array {
  const rank = x.shape.length;
  const out = new Float64Array(x.data.length);
  const mStrides = new Array<number>(rank);
  for (let k = rank - 1, s = 1; k >= 0; k--) {
    mStrides[k] = mask.shape[k] === 1 && x.shape[k] !== 1 ? 0 : s;
    s *= mask.shape[k];
  }
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < out.length; i++) {
    let m = 0;
    for (let k = 0; k < rank; k++) m += idx[k] * mStrides[k];
    out[i] = x.data[i] * mask.data[m];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < x.shape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

/** Runs `model` in float64 on `batch` with weights `params` and returns the summed loss. */
export function referenceLoss(model: GraphModel, lossName: string, params: Float64Array, batch: RefBatch, opts: RefOptions): RefResult {
  const values = new Map<unknown, Value>();
  const logits = new Map<unknown, Value>();
  const kink = { min: Infinity };
  model.inputs.forEach((t, i) => {
    values.set(t, { shape: [batch.rows, ...(t.shape.slice(1) as number[])], data: Float64Array.from(batch.xs[i]) });
  });
  for (const node of model.nodes) {
    if (values.has(node.output)) continue;
    const layer = node.layer;
    const cfg = layer.getConfig();
    const ins = node.inputs.map((t) => values.get(t) as Value);
    const x = ins[0];
    let out: Value;
    switch (layer.className) {
      case 'Dense': {
        const [kernel, bias] = weightsOf(model, layer, params);
        const units = cfg.units as number;
        const inDim = x.shape[x.shape.length - 1];
        const rowsN = x.data.length / inDim;
        const z = new Float64Array(rowsN * units);
        for (let r = 0; r < rowsN; r++) {
          for (let u = 0; u < units; u++) {
            let s = bias === undefined ? 0 : bias[u];
            for (let k = 0; k < inDim; k++) s += x.data[r * inDim + k] * kernel[k * units + u];
            z[r * units + u] = s;
          }
        }
        const shape = [...x.shape.slice(0, -1), units];
        logits.set(node.output, { shape, data: z });
        out = { shape, data: activate(cfg.activation as string, z, units, kink) };
        break;
      }
      case 'Dropout': {
        const rate = cfg.rate as number;
        if (!opts.training || rate === 0) out = x;
        else if (rate === 1) out = { shape: x.shape, data: new Float64Array(x.data.length) };
        else {
          const mask = opts.masks?.get(layer);
          if (mask === undefined) throw new Error(`reference64: no dropout mask for layer ${layer.name}`);
          out = { shape: x.shape, data: applyMask(x, mask) };
        }
        break;
      }
      case 'Embedding': {
        const [table] = weightsOf(model, layer, params);
        const d = cfg.outputDim as number;
        const data = new Float64Array(x.data.length * d);
        x.data.forEach((index, r) => data.set(table.subarray(index * d, index * d + d), r * d));
        out = { shape: [...x.shape, d], data };
        break;
      }
      case 'Flatten':
        out = { shape: [x.shape[0], size(x.shape.slice(1))], data: x.data };
        break;
      case 'Concatenate': {
        const axis = resolveAxis(cfg.axis as number, x.shape.length);
        const outer = size(x.shape.slice(0, axis));
        const chunks = ins.map((v) => size(v.shape.slice(axis)));
        const shape = [...x.shape];
        shape[axis] = ins.reduce((n, v) => n + v.shape[axis], 0);
        const data = new Float64Array(size(shape));
        let o = 0;
        for (let i = 0; i < outer; i++) {
          ins.forEach((v, k) => {
            data.set(v.data.subarray(i * chunks[k], (i + 1) * chunks[k]), o);
            o += chunks[k];
          });
        }
        out = { shape, data };
        break;
      }
      default:
        throw new Error(`reference64: no reference for layer class ${layer.className}`);
    }
    values.set(node.output, out);
  }

  const outT = model.outputs[0];
  const output = values.get(outT) as Value;
  const outLayer = outT.node.layer;
  const activation = outLayer.className === 'Dense' ? (outLayer.getConfig().activation as string) : 'linear';
  const z = logits.get(outT) ?? null;
  const loss = lossSum(lossName, output, z, activation, batch.y);
  return { loss, output, kinkDistance: kink.min };
}

/** Σ of per-row losses over the last axis, as src/graph/losses.ts defines each loss. */
function lossSum(name: string, out: Value, z: Value | null, activation: string, yRaw: Float32Array): number {
  const d = out.shape[out.shape.length - 1];
  const rows = out.data.length / d;
  const p = out.data;
  let y = Float64Array.from(yRaw);
  if (name === 'sparseCategoricalCrossentropy') {
    y = new Float64Array(rows * d);
    yRaw.forEach((label, r) => (y[r * d + label] = 1));
    name = 'categoricalCrossentropy';
  }
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    if (name === 'categoricalCrossentropy') {
      if (activation === 'softmax' && z !== null) {
        let m = -Infinity;
        for (let j = 0; j < d; j++) m = Math.max(m, z.data[o + j]);
        let s = 0;
        for (let j = 0; j < d; j++) s += Math.exp(z.data[o + j] - m);
        const lse = m + Math.log(s);
        for (let j = 0; j < d; j++) total -= y[o + j] * (z.data[o + j] - lse);
      } else {
        let s = 0;
        for (let j = 0; j < d; j++) s += p[o + j];
        for (let j = 0; j < d; j++) total -= y[o + j] * Math.log(Math.min(Math.max(p[o + j] / s, LO), HI));
      }
    } else if (name === 'binaryCrossentropy') {
      let row = 0;
      if (activation === 'sigmoid' && z !== null) {
        for (let j = 0; j < d; j++) {
          const v = z.data[o + j];
          row += Math.max(v, 0) - v * y[o + j] + Math.log1p(Math.exp(-Math.abs(v)));
        }
      } else {
        for (let j = 0; j < d; j++) {
          const c = Math.min(Math.max(p[o + j], LO), HI);
          row -= y[o + j] * Math.log(c) + (1 - y[o + j]) * Math.log(1 - c);
        }
      }
      total += row / d;
    } else if (name === 'meanSquaredError') {
      let row = 0;
      for (let j = 0; j < d; j++) row += (p[o + j] - y[o + j]) ** 2;
      total += row / d;
    } else {
      throw new Error(`reference64: unknown loss ${name}`);
    }
  }
  return total;
}

/** Central differences (f(p + h e_i) - f(p - h e_i)) / 2h for every coordinate i. */
export function finiteDifferences(f: (p: Float64Array) => number, p0: Float64Array, h = 1e-6): Float64Array {
  const p = Float64Array.from(p0);
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    p[i] = v + h;
    const up = f(p);
    p[i] = v - h;
    const down = f(p);
    p[i] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}
