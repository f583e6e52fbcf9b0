/**
 * The benchmark models. Each is an `Architecture` (bench/results.ts) that weft, tfjs-layers and
 * PyTorch all build the same way, so every framework measures the same thing.
 */
import * as weft from '../src/index.js';
import { inputShape, rowSize, type Architecture } from './results.js';

export { inputShape, rowSize };

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

/**
 * Keras's "simple MNIST convnet" (keras.io/examples/vision/mnist_convnet; weft's zoo `convnet`):
 * Conv2D 32 3×3 relu → MaxPooling2D 2 → Conv2D 64 3×3 relu → MaxPooling2D 2 → Flatten →
 * Dropout 0.5 → Dense 10 softmax on 28×28×1 images, 34,826 parameters.
 */
export const KERAS_CONVNET: Architecture = {
  input: { kind: 'image', height: 28, width: 28, channels: 1, conv: [{ filters: 32, kernel: 3, pool: 2 }, { filters: 64, kernel: 3, pool: 2 }] },
  hidden: [],
  dropout: 0.5,
  classes: 10,
};

export const BENCH_MODELS: Readonly<Record<string, BenchModel>> = {
  mlp: bench('MLP 784-512-512-10 (dropout 0.2)', features(784, [512, 512], 0.2), 512),
  seed1: bench('seed example 1 (100-128-10, dropout 0.5)', features(100, [128], 0.5), 256),
  seed3: bench(
    'seed example 3 (Embedding 1000x64, seq 50 → 256 → 10)',
    { input: { kind: 'tokens', vocab: 1000, length: 50, embed: 64 }, hidden: [256], dropout: 0.25, classes: 10 },
    256,
  ),
  wide: bench('wide MLP 784-2048-2048-10 (dropout 0.2)', features(784, [2048, 2048], 0.2), 512),
  convnet: bench('Keras MNIST convnet (Conv2D 32-64, dropout 0.5)', KERAS_CONVNET, 128),
  bnmlp: bench('BN MLP 784-512-BN-512-BN-10 (dropout 0.2)', { ...features(784, [512, 512], 0.2), batchNorm: true }, 512),
};

/** The weft model of `arch`: weights seeded, so every run starts from the same point. */
export function buildWeft(arch: Architecture, seed = 1): weft.Model {
  const { input } = arch;
  const inputs = weft.input({ shape: inputShape(arch), dtype: input.kind === 'tokens' ? 'int32' : 'float32' });
  let h = inputs;
  if (input.kind === 'tokens') {
    h = weft.layers.embedding({ inputDim: input.vocab, outputDim: input.embed }).apply(h);
    h = weft.layers.flatten().apply(h);
  }
  if (input.kind === 'image') {
    for (const { filters, kernel, pool } of input.conv) {
      h = weft.layers.conv2d({ filters, kernelSize: kernel, activation: 'relu' }).apply(h);
      if (pool > 1) h = weft.layers.maxPooling2d({ poolSize: pool }).apply(h);
    }
    h = weft.layers.flatten().apply(h);
    if (arch.dropout > 0) h = weft.layers.dropout({ rate: arch.dropout }).apply(h);
  }
  for (const units of arch.hidden) {
    if (arch.batchNorm) {
      h = weft.layers.dense({ units, useBias: false }).apply(h);
      h = weft.layers.activation({ activation: 'relu' }).apply(weft.layers.batchNormalization().apply(h));
    } else {
      h = weft.layers.dense({ units, activation: 'relu' }).apply(h);
    }
    if (arch.dropout > 0) h = weft.layers.dropout({ rate: arch.dropout }).apply(h);
  }
  const outputs = weft.layers.dense({ units: arch.classes, activation: 'softmax' }).apply(h);
  return weft.model({ inputs, outputs, seed });
}

/** Synthetic rows for `arch`: deterministic features or pixels in [0, 1) (or tokens in [0, vocab)) and labels in [0, classes). */
export function syntheticRows(arch: Architecture, n: number): { x: Float32Array | Int32Array; labels: Float32Array } {
  const labels = Float32Array.from({ length: n }, (_, i) => (i * 7) % arch.classes);
  const { input } = arch;
  if (input.kind === 'tokens') {
    return { x: new Int32Array(n * input.length).map((_, i) => (i * 7919) % input.vocab), labels };
  }
  return { x: new Float32Array(n * rowSize(arch)).map((_, i) => ((i * 2654435761) % 255) / 255), labels };
}


/** `rows` synthetic (or real) rows as the tensor `arch`'s input reads: int32 for tokens, [rows, h, w, c] for images. */
export function inputTensor(arch: Architecture, x: Float32Array | Int32Array, rows: number): weft.tf.Tensor {
  return weft.tf.tensor(x, [rows, ...inputShape(arch)], arch.input.kind === 'tokens' ? 'int32' : 'float32');
}

/** The 784-512-512-10 benchmark MLP (or other widths), as weft builds it. */
export const mlp = (hidden = [512, 512], dropout = 0.2): weft.Model => buildWeft(features(784, hidden, dropout));
export const seed1 = (): weft.Model => buildWeft(BENCH_MODELS.seed1.architecture);
export const seed3 = (): weft.Model => buildWeft(BENCH_MODELS.seed3.architecture);

/** The [m, k, n] of every product a Dense stack's training step computes on `rows` rows (a conv stack has no such list: a RangeError). */
export function stepProducts(arch: Architecture, rows: number): [number, number, number][] {
  const { input } = arch;
  if (input.kind === 'image') throw new RangeError('stepProducts: the model has convolutions; only Dense stacks (features or tokens inputs) have a list of matMul products');
  const first = input.kind === 'features' ? input.size : input.length * input.embed;
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
