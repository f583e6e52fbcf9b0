import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { classification, dropoutModel } from '../parallel/helpers.js';
import { disposeAfterEach } from '../support/dispose.js';

const track = disposeAfterEach();

// Issue 10, item 10: epochs 0 and a learning rate of 0 are valid calls in tfjs-layers and Keras.
describe('zero epochs and a zero learning rate', () => {
  it('epochs: 0 returns an empty History, calls onTrainBegin/End, trains nothing (verbose 0 and 1)', async () => {
    const { x, y } = classification(16);
    const model = track(dropoutModel(1));
    const before = model.params.slice();
    const calls: string[] = [];
    const callbacks = { onTrainBegin: () => { calls.push('begin'); }, onTrainEnd: () => { calls.push('end'); }, onEpochBegin: () => { calls.push('epoch'); } };
    for (const verbose of [0, 1] as const) {
      const h = await model.fit(x, y, { epochs: 0, verbose, workers: 1, callbacks });
      expect(h.epoch).toEqual([]);
      expect(h.history).toEqual({});
    }
    const streamed = await model.fitDataset([{ xs: x, ys: y }], { epochs: 0, verbose: 0, workers: 1 });
    expect(streamed.epoch).toEqual([]);
    expect(calls).toEqual(['begin', 'end', 'begin', 'end']);
    expect(Array.from(model.params)).toEqual(Array.from(before));
  });

  for (const make of [() => weft.optimizers.adam({ learningRate: 0 }), () => weft.optimizers.sgd({ learningRate: 0, momentum: 0.9 }), () => weft.optimizers.rmsprop({ learningRate: 0 })]) {
    it(`${make().className} with learningRate 0 trains without moving the weights`, async () => {
      const { x, y } = classification(16);
      const model = track(dropoutModel(2));
      model.compile({ optimizer: make(), loss: 'categoricalCrossentropy' });
      const before = model.params.slice();
      const h = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, workers: 2 });
      expect(h.history.loss.every(Number.isFinite)).toBe(true);
      expect(Array.from(model.params)).toEqual(Array.from(before));
    });
  }

  it('a warm-up schedule may start at 0: epoch 0 leaves the weights, epoch 1 moves them', async () => {
    const { x, y } = classification(16);
    const model = track(dropoutModel(3));
    const before = model.params.slice();
    let afterFirst: Float32Array | null = null;
    await model.fit(x, y, {
      epochs: 2, batchSize: 8, verbose: 0, workers: 1,
      callbacks: [weft.callbacks.learningRateScheduler((epoch) => epoch * 0.01), { onEpochEnd: (e) => { if (e === 0) afterFirst = model.params.slice(); } }],
    });
    expect(Array.from(afterFirst as unknown as Float32Array)).toEqual(Array.from(before));
    expect(Array.from(model.params)).not.toEqual(Array.from(before));
  });
});
