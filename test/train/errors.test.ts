import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { disposeAfterEach } from '../support/dispose.js';

const track = disposeAfterEach();

// Every bad call names the layer or argument, what was expected and what was received, throws
// a definite class, and leaves the model usable: the next correct call works.

// fit starts a worker pool per model: close them all after each test.

function mlp(features = 4, classes = 3): weft.Model {
  const inputs = weft.input({ shape: [features] });
  const h = weft.layers.dense({ units: 8, activation: 'relu' }).apply(inputs);
  return track(weft.model({ inputs, outputs: weft.layers.dense({ units: classes, activation: 'softmax' }).apply(h), seed: 1 }));
}

function compiled(): weft.Model {
  const m = mlp();
  m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return m;
}

const X = Array.from({ length: 10 }, (_, r) => [r / 10, 1 - r / 10, (r % 3) / 3, 0.5]);
const Y = Array.from({ length: 10 }, (_, r) => [0, 1, 2].map((c) => (c === r % 3 ? 1 : 0)));
const quiet = { verbose: 0 as const, epochs: 1, batchSize: 4, seed: 1, workers: 1 };

describe('build-time errors name the layer or argument, the expected and the received value', () => {
  it('a Dense built for 100 features cannot be reused on 50', () => {
    const shared = weft.layers.dense({ units: 4, name: 'reused' });
    shared.apply(weft.input({ shape: [100] }));
    const err = () => shared.apply(weft.input({ shape: [50] }));
    expect(err).toThrow(weft.ShapeError);
    expect(err).toThrow(/Layer 'reused' was built for input shape \[null,100\] and cannot be applied to \[null,50\]/);
    // ...nor on an input of another rank.
    expect(() => shared.apply(weft.input({ shape: [2, 100] }))).toThrow(/'reused'.*\[null,100\].*\[null,2,100\]/);
    // The failed application left no node behind: the layer still serves its own shape.
    expect(shared.nodes).toHaveLength(1);
    expect(shared.apply(weft.input({ shape: [100] })).shape).toEqual([null, 4]);
  });

  it('concatenate of mismatched shapes names the layer, the axis and every input shape', () => {
    const a = weft.input({ shape: [3, 4] });
    const b = weft.input({ shape: [5, 4] });
    const err = () => weft.layers.concatenate({ name: 'joiner' }).apply([a, b]);
    expect(err).toThrow(weft.ShapeError);
    expect(err).toThrow(/'joiner' requires inputs with matching shapes except for the concatenation axis -1. Received: input_shape=\[\(None, 3, 4\), \(None, 5, 4\)\]/);
    expect(() => weft.layers.concatenate({ name: 'rank' }).apply([a, weft.input({ shape: [4] })])).toThrow(/'rank'.*\(None, 3, 4\), \(None, 4\)/);
    expect(() => weft.layers.concatenate({ name: 'single' }).apply([a])).toThrow(/Layer 'single' \(Concatenate\) expects at least 2 input\(s\), received 1/);
    expect(() => weft.layers.concatenate({ axis: 0, name: 'batchaxis' }).apply([a, a])).toThrow(/'batchaxis'.*axis 0 is out of range/);
    expect(weft.layers.concatenate({ axis: 1 }).apply([a, b]).shape).toEqual([null, 8, 4]);
  });

  it('rate outside [0, 1]', () => {
    for (const rate of [1.5, -0.5]) {
      expect(() => weft.layers.dropout({ rate })).toThrow(RangeError);
      expect(() => weft.layers.dropout({ rate })).toThrow(`Invalid value received for argument \`rate\`. Expected a float value between 0 and 1. Received: rate=${rate}`);
    }
  });

  it('units <= 0, non-integer or NaN; a non-number is a TypeError', () => {
    for (const units of [0, -3, 2.5, Number.NaN]) {
      expect(() => weft.layers.dense({ units })).toThrow(RangeError);
      expect(() => weft.layers.dense({ units })).toThrow(`Invalid value received for argument \`units\`. Expected an integer >= 1. Received: units=${units}`);
    }
    expect(() => weft.layers.dense({ units: '4' as unknown as number })).toThrow(new TypeError("Invalid type received for argument `units`. Expected an integer >= 1. Received: units='4'"));
    expect(() => weft.layers.embedding({ inputDim: 0, outputDim: 2 })).toThrow(/argument `inputDim`.*Received: inputDim=0/);
    expect(() => weft.input({ shape: [3, 0] })).toThrow(/argument `shape\[1\]`.*Received: shape\[1\]=0/);
  });

  it('unknown activation, loss, optimizer and metric names list the valid ones', () => {
    expect(() => weft.layers.dense({ units: 2, activation: 'relu7' })).toThrow(/^Unknown activation: 'relu7'. Expected one of: 'linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'gelu'/);
    const m = mlp();
    expect(() => m.compile({ optimizer: 'adam', loss: 'crossentropy' })).toThrow(RangeError);
    expect(() => m.compile({ optimizer: 'adam', loss: 'crossentropy' })).toThrow(/Unknown loss: 'crossentropy'. Expected one of: 'categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'binaryCrossentropy', 'meanSquaredError'.*'categorical_crossentropy'/);
    expect(() => m.compile({ optimizer: 'ftrl', loss: 'mse' })).toThrow("Unknown optimizer: 'ftrl'. Expected one of: 'adam', 'sgd', 'rmsprop', 'adamw', 'adamax', 'nadam', 'adagrad', 'adadelta'.");
    expect(() => m.compile({ optimizer: 'adam', loss: 'mse', metrics: ['f1_score'] })).toThrow(/Unknown metric: 'f1_score'. Expected one of: 'accuracy', 'acc'/);
  });

  it('a graph with an input missing from `inputs`, or an unused input, fails at model()', () => {
    const a = weft.input({ shape: [2], name: 'in_a' });
    const b = weft.input({ shape: [2], name: 'in_b' });
    const joined = weft.layers.concatenate([a, b], { name: 'join_ab' });
    const out = weft.layers.dense({ units: 1 }).apply(joined);
    expect(() => weft.model({ inputs: a, outputs: out })).toThrow(weft.ShapeError);
    expect(() => weft.model({ inputs: a, outputs: out })).toThrow(/Graph disconnected: cannot obtain value for tensor 'in_b' at layer 'join_ab'/);
    const c = weft.input({ shape: [2], name: 'in_unused' });
    expect(() => weft.model({ inputs: [a, b, c], outputs: out })).toThrow(/Input 'in_unused' is not connected to any output/);
    expect(() => weft.model({ inputs: [a, a, b], outputs: out })).toThrow(/listed twice/);
    expect(() => weft.model({ inputs: joined, outputs: out })).toThrow(/argument `inputs\[0\]`.*layer 'join_ab' \(Concatenate\)/);
    expect(weft.model({ inputs: [a, b], outputs: out }).countParams()).toBe(5);
  });

  it('duplicate layer names in one model', () => {
    const inputs = weft.input({ shape: [3] });
    const h = weft.layers.dense({ units: 2, name: 'twin' }).apply(inputs);
    const out = weft.layers.dense({ units: 2, name: 'twin' }).apply(h);
    expect(() => weft.model({ inputs, outputs: out })).toThrow(new weft.ShapeError("The name 'twin' is used 2 times in the model. All layer names should be unique."));
  });
});

describe('fit / evaluate / predict errors', () => {
  it('fit and evaluate before compile are StateErrors; predict needs no compile', async () => {
    const m = mlp();
    await expect(m.fit(X, Y, quiet)).rejects.toThrow(weft.StateError);
    await expect(m.fit(X, Y, quiet)).rejects.toThrow(/You must call compile\(\) before fit\(\)/);
    await expect(m.evaluate(X, Y)).rejects.toThrow(/compile\(\) before evaluate\(\)/);
    expect(((await m.predict(X)) as tf.Tensor).shape).toEqual([10, 3]);
    m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    expect((await m.fit(X, Y, quiet)).history.loss).toHaveLength(1);
  });

  it('x/y length mismatch and wrong feature or class count', async () => {
    const m = compiled();
    await expect(m.fit(X, Y.slice(0, 9), quiet)).rejects.toThrow(new weft.ShapeError('`x` and `y`: expected the same number of examples, received 10 in x and 9 in y'));
    await expect(m.fit(X.map((r) => [...r, 0]), Y, quiet)).rejects.toThrow('`x`: expected shape (None, 4), received shape (10, 5)');
    await expect(m.evaluate(X, Y.map((r) => [...r, 0]))).rejects.toThrow('`y`: expected shape (None, 3), received shape (10, 4)');
    await expect(m.predict(tf.zeros([2, 3]))).rejects.toThrow(/`x`: expected shape \(None, 4\), received shape \(2, 3\)/);
    await expect(m.fit([[1, 2, 3, 4], [1, 2]], Y.slice(0, 2), quiet)).rejects.toThrow(/argument `x\[1\]`. Expected an array of length 4/);
    await expect(m.fit(X.map((r, i) => (i === 3 ? [1, Number.NaN, 0, 0] : r)), Y, quiet)).rejects.toThrow(/Expected finite numbers. Received: x='NaN at example 3'/);
    expect((await m.fit(X, Y, quiet)).history.loss[0]).toBeGreaterThan(0);
  });

  it('a disposed tensor is refused by name', async () => {
    const m = compiled();
    const x = tf.tensor2d(X);
    x.dispose();
    await expect(m.predict(x)).rejects.toThrow('Invalid value received for argument `x`. Expected a live tensor. Received: x=\'a disposed tensor\'');
    await expect(m.fit(tf.tensor2d(X), Y, quiet)).resolves.toBeInstanceOf(weft.History);
  });

  it('batchSize 0, epochs 1.5, workers 0 and unknown options are refused before any step', async () => {
    const m = compiled();
    const before = Float32Array.from(m.params);
    await expect(m.fit(X, Y, { ...quiet, batchSize: 0 })).rejects.toThrow('Invalid value received for argument `batchSize`. Expected an integer >= 1. Received: batchSize=0');
    await expect(m.fit(X, Y, { ...quiet, epochs: 1.5 })).rejects.toThrow('Invalid value received for argument `epochs`. Expected an integer >= 0. Received: epochs=1.5');
    await expect(m.fit(X, Y, { ...quiet, workers: 0 })).rejects.toThrow(/argument `workers`. Expected an integer >= 1. Received: workers=0/);
    await expect(m.fit(X, Y, { ...quiet, epoch: 3 } as weft.FitArgs)).rejects.toThrow(/Received: args='epoch'/);
    await expect(m.evaluate(X, Y, { batchSize: 0 })).rejects.toThrow(/batchSize=0/);
    await expect(m.predict(X, { batchSize: -1 })).rejects.toThrow(/batchSize=-1/);
    expect(m.params).toEqual(before);
    await m.fit(X, Y, quiet);
    expect(m.params).not.toEqual(before);
  });

  it('Embedding indices that are not integers or lie outside [0, inputDim), at fit and predict', async () => {
    const inputs = weft.input({ shape: [3], dtype: 'int32' });
    const e = weft.layers.embedding({ inputDim: 10, outputDim: 2 }).apply(inputs);
    const out = weft.layers.dense({ units: 2, activation: 'softmax' }).apply(weft.layers.flatten().apply(e));
    const m = track(weft.model({ inputs, outputs: out, seed: 2 }));
    m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const y = [0, 1];
    const before = Float32Array.from(m.params);
    await expect(m.fit([[1, 2, 3], [4, 5.5, 6]], y, quiet)).rejects.toThrow('Invalid value received for argument `x[1][1]`. Expected an integer (the input is int32). Received: x[1][1]=5.5');
    await expect(m.predict(tf.tensor2d([[1, 2, 3], [0.5, 0, 0]]))).rejects.toThrow(/argument `x \(flat index 3\)`. Expected an integer.*Received: .*=0.5/);
    await expect(m.fit([[1, 2, 3], [4, 10, 6]], y, quiet)).rejects.toThrow(/argument `x`. Expected Embedding indices \(integers\) in \[0, 10\). Received: x='10 at example 1'/);
    await expect(m.predict([[-1, 0, 0]])).rejects.toThrow(/in \[0, 10\). Received: x='-1 at example 0'/);
    await expect(m.predict(tf.tensor2d([[0, 0, 12]], undefined, 'int32'))).rejects.toThrow(/in \[0, 10\)/);
    expect(m.params).toEqual(before);
    await m.fit([[1, 2, 3], [4, 9, 0]], y, quiet);
    expect(((await m.predict([[9, 0, 1]])) as tf.Tensor).shape).toEqual([1, 2]);
  });

  it('sparse targets outside [0, classes) or of the wrong shape', async () => {
    const m = mlp();
    m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics: ['acc'] });
    const labels = X.map((_, r) => r % 3);
    await expect(m.fit(X, labels.map((l, i) => (i === 4 ? 3 : l)), quiet)).rejects.toThrow(/argument `y`. Expected class indices \(integers\) in \[0, 3\). Received: y='3 at example 4'/);
    await expect(m.fit(X, Y, quiet)).rejects.toThrow(/sparse crossentropy.*shape \(None,\) or \(None, 1\), received shape \(10, 3\)/);
    expect((await m.fit(X, labels, quiet)).history.acc).toHaveLength(1);
  });

  it('a failed compile keeps the previous compile', async () => {
    const m = compiled();
    expect(() => m.compile({ optimizer: 'adam', loss: 'focal' })).toThrow(/Unknown loss: 'focal'/);
    const result = (await m.evaluate(X, Y)) as tf.Scalar[];
    expect(result).toHaveLength(2);
  });
});
