import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import type { Saved } from '../../src/graph/layer.js';

const { tf } = weft;

/** TensorFlow's MaxPoolGrad (maxpooling_op.cc: a strict > scan), in JS: each window's dy to its first maximum, row-major. */
function firstMaxGradient(x: Float32Array, [n, h, w, c]: readonly number[], dy: Float32Array, [p, q]: readonly number[]): Float32Array {
  const [oh, ow] = [Math.floor(h / p), Math.floor(w / q)];
  const dx = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let k = 0; k < c; k++) {
    let best = -Infinity;
    let at = -1;
    for (let a = 0; a < p; a++) for (let e = 0; e < q; e++) {
      const idx = ((b * h + i * p + a) * w + j * q + e) * c + k;
      if (x[idx] > best) [best, at] = [x[idx], idx];
    }
    dx[at] += dy[((b * oh + i) * ow + j) * c + k];
  }
  return dx;
}

/** The layer's backward against TensorFlow's rule, on inputs full of ties. */
function compare(poolSize: [number, number], shape: [number, number, number, number]): void {
  const layer = weft.layers.maxPooling2d({ poolSize });
  layer.apply(weft.input({ shape: shape.slice(1) }));
  // Integers in [0, 3): most windows hold their max more than once.
  const x = tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, (_, i) => Math.floor((Math.sin(i * 12.9898) * 0.5 + 0.5) * 3)), shape);
  const { output } = (layer as unknown as { forward(x: weft.tf.Tensor[]): { output: weft.tf.Tensor4D } }).forward([x]);
  const dy = tf.tensor(Float32Array.from({ length: output.size }, (_, i) => 1 + (i % 7)), output.shape);
  const saved = { inputs: [x], output, weights: [], cache: undefined } as unknown as Saved;
  const ours = (layer.backward(dy, saved, [true]).inputs[0] as weft.tf.Tensor).dataSync() as Float32Array;
  const theirs = firstMaxGradient(x.dataSync() as Float32Array, shape, dy.dataSync() as Float32Array, poolSize);
  expect(Buffer.from(ours.buffer).equals(Buffer.from(theirs.buffer))).toBe(true);
  // Not vacuous: there were ties, and every window passed its gradient on once.
  expect(Array.from(x.dataSync()).filter((v) => v === 2).length).toBeGreaterThan(output.size);
  expect(Array.from(ours).reduce((a, b) => a + b, 0)).toBeCloseTo(dy.sum().dataSync()[0], 3);
}

// wasm's own MaxPoolGrad (used for overlapping or padded windows) gives a tie to the last maximum.
describe("MaxPooling2D's gradient over tiling windows", () => {
  it.each([
    ['2×2 on 6×6', [2, 2], [3, 6, 6, 4]],
    ['2×2 on 7×5 (a row and a column left out)', [2, 2], [2, 7, 5, 3]],
    ['3×2 on 9×4', [3, 2], [2, 9, 4, 2]],
    ['1×3 on 4×6', [1, 3], [2, 4, 6, 2]],
  ] as const)("%s: bitwise TensorFlow's MaxPoolGrad, ties going to the first maximum", (_, pool, shape) => {
    compare([...pool] as [number, number], [...shape] as [number, number, number, number]);
  });
});
