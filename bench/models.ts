/**
 * The benchmark models. Each is an `Architecture` (bench/results.ts) that weft, tfjs-layers and
 * PyTorch all build the same way, so every framework measures the same thing.
 */
import * as weft from '../src/index.js';
import type { Architecture } from './results.js';

export interface BenchModel {
  readonly name: string;
  readonly architecture: Architecture;
  /** The default global batch. */
  readonly batch: number;
  /** A fresh weft model of the architecture, weights seeded. */
  readonly build: () => weft.Model;
  /** Synthetic rows: features for the model's input and a class label. */
  readonly rows: (n: number) => { x: Float32Array | Int32Array; labels: Float32Array };
}

const bench = (name: string, architecture: Architecture, batch: number): BenchModel => ({
  name, architecture, batch, build: () => buildWeft(architecture), rows: (n) => syntheticRows(architecture, n),
});

const features = (size: number, hidden: number[], dropout: number): Architecture => ({
  input: { kind: 'features', size }, hidden, dropout, classes: 10,
});

export const BENCH_MODELS: Readonly<Record<string, BenchModel>> = {
  mlp: bench('MLP 784-512-512-10 (dropout 0.2)', features(784, [512, 512], 0.2), 512),
  seed1: bench('seed example 1 (100-128-10, dropout 0.5)', features(100, [128], 0.5), 256),
  seed3: bench(
    'seed example 3 (Embedding 1000x64, seq 50 → 256 → 10)',
    { input: { kind: 'tokens', vocab: 1000, length: 50, embed: 64 }, hidden: [256], dropout: 0.25, classes: 10 },
    256,
  ),
  wide: bench('wide MLP 784-2048-2048-10 (dropout 0.2)', features(784, [2048, 2048], 0.2), 512),
};

/** The weft model of `arch`: weights seeded, so every run starts from the same point. */
export function buildWeft(arch: Architecture, seed = 1): weft.Model {
  const { input } = arch;
  const inputs = input.kind === 'features'
    ? weft.input({ shape: [input.size] })
    : weft.input({ shape: [input.length], dtype: 'int32' });
  let h = inputs;
  if (input.kind === 'tokens') {
    h = weft.layers.embedding({ inputDim: input.vocab, outputDim: input.embed }).apply(h);
    h = weft.layers.flatten().apply(h);
  }
  for (const units of arch.hidden) {
    h = weft.layers.dense({ units, activation: 'relu' }).apply(h);
    if (arch.dropout > 0) h = weft.layers.dropout({ rate: arch.dropout }).apply(h);
  }
  const outputs = weft.layers.dense({ units: arch.classes, activation: 'softmax' }).apply(h);
  return weft.model({ inputs, outputs, seed });
}

/** Synthetic rows for `arch`: deterministic features in [0, 1) (or tokens in [0, vocab)) and labels in [0, classes). */
export function syntheticRows(arch: Architecture, n: number): { x: Float32Array | Int32Array; labels: Float32Array } {
  const labels = Float32Array.from({ length: n }, (_, i) => (i * 7) % arch.classes);
  const { input } = arch;
  if (input.kind === 'tokens') {
    return { x: new Int32Array(n * input.length).map((_, i) => (i * 7919) % input.vocab), labels };
  }
  return { x: new Float32Array(n * input.size).map((_, i) => ((i * 2654435761) % 255) / 255), labels };
}

/** Features per row of `arch`'s input. */
export const rowSize = (arch: Architecture): number => (arch.input.kind === 'features' ? arch.input.size : arch.input.length);

/** The 784-512-512-10 benchmark MLP (or other widths), as weft builds it. */
export const mlp = (hidden = [512, 512], dropout = 0.2): weft.Model => buildWeft(features(784, hidden, dropout));
export const seed1 = (): weft.Model => buildWeft(BENCH_MODELS.seed1.architecture);
export const seed3 = (): weft.Model => buildWeft(BENCH_MODELS.seed3.architecture);

/** The [m, k, n] of every product a Dense stack's training step computes on `rows` rows. */
export function stepProducts(arch: Architecture, rows: number): [number, number, number][] {
  const first = arch.input.kind === 'features' ? arch.input.size : arch.input.length * arch.input.embed;
  const dims = [first, ...arch.hidden, arch.classes];
  const products: [number, number, number][] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    products.push([rows, dims[l], dims[l + 1]]); // forward
    products.push([dims[l], rows, dims[l + 1]]); // kernel gradient
    // The input gradient: every layer's but the first, unless an Embedding below needs it.
    if (l > 0 || arch.input.kind === 'tokens') products.push([rows, dims[l + 1], dims[l]]);
  }
  return products;
}
