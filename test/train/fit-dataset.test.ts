import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { bitwiseEqual, classification, dropoutModel, flatWeights } from '../parallel/helpers.js';
import { disposeAfterEach } from '../support/dispose.js';

const track = disposeAfterEach();

const { tf } = weft;

/** Batches of `size` rows of x/y, in order, as an async generator. */
async function* batches(x: weft.tf.Tensor2D, y: weft.tf.Tensor2D, size: number) {
  for (let start = 0; start < x.shape[0]; start += size) {
    const n = Math.min(size, x.shape[0] - start);
    yield { xs: tf.slice(x, [start, 0], [n, -1]), ys: tf.slice(y, [start, 0], [n, -1]) };
  }
}

describe('fitDataset', () => {
  it('trains exactly as fit on the same batches in the same order', async () => {
    const { x, y } = classification(50);
    const a = track(dropoutModel(3));
    const b = track(dropoutModel(3));
    await a.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, seed: 4, workers: 2, verbose: 0 });
    const reiterable = { [Symbol.asyncIterator]: () => batches(x, y, 16) };
    const h = await b.fitDataset(reiterable, { epochs: 2, seed: 4, workers: 2, verbose: 0 });
    expect(h.epoch).toEqual([0, 1]);
    expect(bitwiseEqual(flatWeights(b), flatWeights(a))).toBe(true);
  });

  it('draws batchesPerEpoch batches per epoch from one generator, and reports validation', async () => {
    const { x, y } = classification(64);
    const model = track(dropoutModel(5));
    const seen: number[] = [];
    const h = await model.fitDataset(batches(x, y, 8), {
      epochs: 2, batchesPerEpoch: 3, seed: 1, workers: 1, verbose: 0, validationData: [x, y],
      callbacks: { onBatchEnd: (_b, logs) => { seen.push(logs?.size ?? -1); } },
    });
    expect(seen).toEqual([8, 8, 8, 8, 8, 8]);
    expect(Object.keys(h.history).sort()).toEqual(['acc', 'loss', 'val_acc', 'val_loss'].sort().map((k) => k.replace('acc', 'accuracy')));
  });

  it('stops when a one-shot generator runs dry instead of training on nothing', async () => {
    const { x, y } = classification(32);
    const model = track(dropoutModel(5));
    const h = await model.fitDataset(batches(x, y, 16), { epochs: 3, workers: 1, verbose: 0 });
    expect(h.epoch).toEqual([0]);
  });

  it('accepts a tf.data-style dataset with iterator()', async () => {
    const { x, y } = classification(24);
    const model = track(dropoutModel(5));
    const dataset = { iterator: async () => batches(x, y, 12) };
    const h = await model.fitDataset(dataset, { epochs: 2, workers: 1, verbose: 0 });
    expect(h.history.loss).toHaveLength(2);
  });

  it('trains batches that grow (1, 7, 32 rows) as tfjs does: the same weights as one fit per batch', async () => {
    const { x, y } = classification(40);
    const rows = [[0, 1], [1, 7], [8, 32]];
    const slice = ([at, n]: number[]) => ({ xs: tf.slice(x, [at, 0], [n, -1]), ys: tf.slice(y, [at, 0], [n, -1]) });
    // Dropout off: fit keys each call's examples from 0, a stream from the epoch's start.
    const streamed = track(dropoutModel(5, 0));
    const h = await streamed.fitDataset(rows.map(slice), { epochs: 2, workers: 2, verbose: 0, seed: 1 });
    expect(h.epoch).toEqual([0, 1]);
    const ref = track(dropoutModel(5, 0));
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const r of rows) {
        const b = slice(r);
        await ref.fit(b.xs, b.ys, { epochs: 1, batchSize: r[1], shuffle: false, workers: 2, verbose: 0, seed: 1 });
      }
    }
    expect(bitwiseEqual(flatWeights(streamed), flatWeights(ref))).toBe(true);
  });

  it('rejects an empty dataset, a malformed batch and fit-only options', async () => {
    const { x, y } = classification(40);
    const model = track(dropoutModel(5));
    await expect(model.fitDataset([], { verbose: 0, workers: 1 })).rejects.toThrow(/`dataset`.*at least one \{xs, ys\} batch/);
    await expect(model.fitDataset([{ xs: x }] as never, { verbose: 0, workers: 1 })).rejects.toThrow(/dataset batch 0.*\{xs, ys\}/);
    await expect(model.fitDataset([{ xs: x, ys: y }], { batchSize: 8 } as never)).rejects.toThrow(/batchSize/);
  });

  // Issue 10, item 9: tfjs-layers takes a dataset as fitDataset's validationData, and has evaluateDataset.
  it('validationData may be a dataset of batches: val_ logs equal evaluateDataset and evaluate on the same rows', async () => {
    const { x, y } = classification(40);
    const model = track(dropoutModel(5));
    const valBatches = { [Symbol.asyncIterator]: () => batches(x, y, 16) };
    let evaluatedAfterEpoch: number[] = [];
    const h = await model.fitDataset(batches(x, y, 10), {
      epochs: 1, workers: 2, verbose: 0, validationData: valBatches,
      callbacks: { onEpochEnd: async () => { evaluatedAfterEpoch = ((await model.evaluate(x, y)) as weft.tf.Scalar[]).map((s) => s.dataSync()[0]); } },
    });
    const fromDataset = ((await model.evaluateDataset(valBatches)) as weft.tf.Scalar[]).map((s) => s.dataSync()[0]);
    expect(h.history.val_loss[0]).toBeCloseTo(evaluatedAfterEpoch[0], 6);
    expect(h.history.val_accuracy[0]).toBeCloseTo(evaluatedAfterEpoch[1], 6);
    expect(fromDataset[0]).toBeCloseTo(evaluatedAfterEpoch[0], 6);
    expect(fromDataset[1]).toBeCloseTo(evaluatedAfterEpoch[1], 6);
    // An [x, y] pair still works, and an array of {xs, ys} batches is read as a dataset.
    const pair = await model.fitDataset(batches(x, y, 10), { epochs: 1, workers: 1, verbose: 0, validationData: [x, y] });
    expect(pair.history.val_loss).toHaveLength(1);
    const asArray = await model.fitDataset(batches(x, y, 10), { epochs: 1, workers: 1, verbose: 0, validationData: [{ xs: x, ys: y }] });
    expect(asArray.history.val_loss).toHaveLength(1);
  });

  it('evaluateDataset: batches limits what is drawn; in this thread or on the pool alike; errors name the dataset', async () => {
    const { x, y } = classification(32);
    const model = track(dropoutModel(6));
    const head = tf.slice(x, [0, 0], [8, -1]);
    const headY = tf.slice(y, [0, 0], [8, -1]);
    const local = (await model.evaluateDataset(batches(x, y, 8), { batches: 1 })) as weft.tf.Scalar[];
    const direct = (await model.evaluate(head, headY)) as weft.tf.Scalar[];
    expect(local.map((s) => s.dataSync()[0])).toEqual(direct.map((s) => s.dataSync()[0]));
    const pooled = (await model.evaluateDataset(batches(x, y, 8), { workers: 2 })) as weft.tf.Scalar[];
    const whole = (await model.evaluate(x, y, { workers: 2 })) as weft.tf.Scalar[];
    expect(pooled[0].dataSync()[0]).toBeCloseTo(whole[0].dataSync()[0], 6);
    await expect(model.evaluateDataset([])).rejects.toThrow(/`dataset`.*at least one \{xs, ys\} batch/);
    await expect(model.evaluateDataset([{ xs: x }] as never)).rejects.toThrow(/dataset batch 0.*\{xs, ys\}/);
    await expect(model.evaluateDataset(batches(x, y, 8), { batches: 0 })).rejects.toThrow(/`batches`/);
  });
});
