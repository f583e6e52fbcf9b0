/** The benchmark models, built once here so every benchmark measures the same thing. */
import type * as weft from '../src/index.js';
import * as zoo from '../src/train/zoo.js';

export interface BenchModel {
  readonly name: string;
  readonly build: () => weft.Model;
  /** Synthetic rows: features for the model's input and a class label in [0, 10). */
  readonly rows: (n: number) => { x: Float32Array | Int32Array; labels: Float32Array };
  readonly batch: number;
}

function labels(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i * 7) % 10);
}

/** The benchmark MLP: 784 → hidden (relu, dropout after each) → 10 softmax; weights seeded. */
export function mlp(hidden = [512, 512], dropout = 0.2): weft.Model {
  return zoo.mlp(784, hidden, dropout, 1);
}

export const seed1 = (): weft.Model => zoo.seed1(100, 1);
export const seed3 = (): weft.Model => zoo.seed3({ seed: 1 });

const floatRows = (features: number) => (n: number) => ({
  x: new Float32Array(n * features).map((_, i) => ((i * 2654435761) % 255) / 255),
  labels: labels(n),
});

export const BENCH_MODELS: Record<string, BenchModel> = {
  mlp: { name: 'MLP 784-512-512-10 (dropout 0.2)', build: () => mlp(), rows: floatRows(784), batch: 512 },
  seed1: { name: 'seed example 1 (100-128-10, dropout 0.5)', build: seed1, rows: floatRows(100), batch: 256 },
  seed3: {
    name: 'seed example 3 (Embedding 1000x64, seq 50 → 256 → 10)', build: seed3, batch: 256,
    rows: (n) => ({ x: new Int32Array(n * 50).map((_, i) => (i * 7919) % 1000), labels: labels(n) }),
  },
};
