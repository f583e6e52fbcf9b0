import * as weft from '../../src/index.js';

const { tf } = weft;

/** A small classifier with dropout: 20 features → 32 relu → dropout → 5 softmax. */
export function dropoutModel(seed = 1, rate = 0.3): weft.Model {
  const inputs = weft.input({ shape: [20] });
  let h = weft.layers.dense({ units: 32, activation: 'relu' }).apply(inputs);
  h = weft.layers.dropout({ rate }).apply(h);
  const outputs = weft.layers.dense({ units: 5, activation: 'softmax' }).apply(h);
  const model = weft.model({ inputs, outputs, seed });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/** Deterministic data: `rows` examples of 20 features and one-hot labels over 5 classes. */
export function classification(rows: number): { x: weft.tf.Tensor2D; y: weft.tf.Tensor2D } {
  const x = new Float32Array(rows * 20).map((_, i) => Math.sin(i * 12.9898) * 0.5);
  const labels = Int32Array.from({ length: rows }, (_, r) => (x[r * 20] > 0 ? 1 : 0) + (x[r * 20 + 1] > 0 ? 2 : 0));
  return { x: tf.tensor2d(x, [rows, 20]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), 5) as weft.tf.Tensor2D };
}

export function flatWeights(model: weft.Model): Float32Array {
  return model.params.slice();
}

/** Max |a - b| / max(1e-3, |b|) over the elements. */
export function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1e-3, Math.abs(b[i])));
  return worst;
}

export function bitwiseEqual(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Big enough (77,573 parameters) that fit shards the optimizer update over the workers. */
export function wideModel(seed = 1): weft.Model {
  const inputs = weft.input({ shape: [20] });
  let h = weft.layers.dense({ units: 256, activation: 'relu' }).apply(inputs);
  h = weft.layers.dropout({ rate: 0.2 }).apply(h);
  h = weft.layers.dense({ units: 256, activation: 'relu' }).apply(h);
  const outputs = weft.layers.dense({ units: 5, activation: 'softmax' }).apply(h);
  const model = weft.model({ inputs, outputs, seed });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}
