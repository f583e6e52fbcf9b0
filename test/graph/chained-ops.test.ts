import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';

const { tf } = weft;

/** Every method name tfjs-core's chained_ops modules assign to the Tensor prototype. */
function tfjsChainedOps(): string[] {
  const core = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-core/package.json'));
  const dir = join(core, 'dist', 'public', 'chained_ops');
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.js') && !f.endsWith('_test.js'))
    .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/getGlobalTensorClass\(\)\.prototype\.(\w+) =/g)].map((m) => m[1]));
  return [...new Set(names)].sort();
}

describe('chained ops on weft.tf tensors, as @tensorflow/tfjs has them', () => {
  it('every method of tfjs-core\'s chained_ops modules exists', () => {
    const expected = tfjsChainedOps();
    expect(expected.length).toBeGreaterThan(130);
    const t = tf.tensor1d([1, 2, 3]);
    const missing = expected.filter((name) => typeof (t as unknown as Record<string, unknown>)[name] !== 'function');
    expect(missing).toEqual([]);
    t.dispose();
  });

  it('reshape, slice, add, mul, sum, mean, matMul, transpose, square, sqrt, argMax compute what the ops do', () => tf.tidy(() => {
    const m = tf.tensor2d([[1, 2], [3, 4]]);
    expect(Array.from(m.reshape([4]).slice(1, 2).dataSync())).toEqual([2, 3]);
    expect(m.reshape([4]).shape).toEqual([4]);
    expect(m.add(tf.scalar(1)).arraySync()).toEqual([[2, 3], [4, 5]]);
    expect(m.mul(m).arraySync()).toEqual([[1, 4], [9, 16]]);
    expect(m.sum().dataSync()[0]).toBe(10);
    expect(Array.from(m.sum(0).dataSync())).toEqual([4, 6]);
    expect(m.mean().dataSync()[0]).toBe(2.5);
    expect(m.matMul(tf.tensor2d([[1], [1]])).arraySync()).toEqual([[3], [7]]);
    expect(m.transpose().arraySync()).toEqual([[1, 3], [2, 4]]);
    expect(m.square().arraySync()).toEqual([[1, 4], [9, 16]]);
    expect(m.square().sqrt().arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(Array.from(m.argMax(1).dataSync())).toEqual([1, 1]);
    expect(m.argMax(1).dtype).toBe('int32');
  }));

  it('cast, toFloat, toInt, expandDims, squeeze, flatten, concat, stack, oneHot, where, asScalar', () => {
    tf.tidy(() => {
      const i = tf.tensor1d([1, 2, 3], 'int32');
      expect(i.toFloat().dtype).toBe('float32');
      expect(i.cast('float32').div(tf.scalar(2)).arraySync()).toEqual([0.5, 1, 1.5]);
      expect(tf.tensor1d([1.7, -2.2]).toInt().arraySync()).toEqual([1, -2]);
      const e = i.expandDims(0);
      expect(e.shape).toEqual([1, 3]);
      expect(e.squeeze().shape).toEqual([3]);
      expect(tf.ones([2, 3]).flatten().shape).toEqual([6]);
      expect(i.concat(i).arraySync()).toEqual([1, 2, 3, 1, 2, 3]);
      expect((i.stack as (x: weft.tf.Tensor[]) => weft.tf.Tensor)([i, i]).shape).toEqual([3, 3]);
      expect(tf.tensor1d([0, 2], 'int32').oneHot(3, 1, 0).arraySync()).toEqual([[1, 0, 0], [0, 0, 1]]);
      expect(tf.tensor1d([1, 2]).where(tf.tensor1d([1, 0], 'bool'), tf.tensor1d([9, 9])).arraySync()).toEqual([1, 9]);
      expect(tf.tensor1d([5]).asScalar().shape).toEqual([]);
      expect(() => i.asScalar()).toThrow('The array must have only 1 element.');
    });
  });

  it('dispose still works, and a disposed tensor refuses chained calls as tfjs does', () => {
    const before = tf.memory().numTensors;
    const t = tf.tensor2d([[1, 2], [3, 4]]);
    const r = t.reshape([4]);
    expect(tf.memory().numTensors).toBe(before + 2);
    t.dispose();
    r.dispose();
    expect(t.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => t.reshape([4])).toThrow('Tensor is disposed.');
  });

  it('chained results feed the ops and weft alike (tf.tidy frees the intermediates)', () => {
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => tf.tensor2d([[1, 2], [3, 4]]).transpose().matMul(tf.eye(2)).sum(1));
    expect(Array.from(y.dataSync())).toEqual([4, 6]);
    expect(tf.memory().numTensors).toBe(before + 1);
    y.dispose();
  });
});
