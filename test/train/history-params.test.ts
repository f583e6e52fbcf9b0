import { afterEach, describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { trainer } from '../../src/train/trainer.js';
import { bitwiseEqual, classification, dropoutModel } from '../parallel/helpers.js';

const open: { dispose(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.dispose()));
});
const track = <T extends { dispose(): Promise<void> }>(o: T): T => (open.push(o), o);

// Issue 10, item 12: History.params as tfjs-layers keeps it, with the worker count.
describe('history.params', () => {
  it('fit records epochs, steps, samples, batch size, workers and the log keys; passing workers back replays the run', async () => {
    const { x, y } = classification(50);
    const model = track(dropoutModel(4));
    const h = await model.fit(x, y, { epochs: 2, batchSize: 16, workers: 2, seed: 9, verbose: 0, validationSplit: 0.2 });
    expect(h.params).toEqual({
      epochs: 2, initialEpoch: 0, steps: 3, samples: 40, batchSize: 16, workers: 2, verbose: 0, doValidation: true,
      metrics: ['loss', 'accuracy', 'val_loss', 'val_accuracy'],
    });
    const replay = track(dropoutModel(4));
    await replay.fit(x, y, { epochs: 2, batchSize: 16, workers: h.params!.workers, seed: 9, verbose: 0, validationSplit: 0.2 });
    expect(bitwiseEqual(replay.params, model.params)).toBe(true);
  });

  it('fitDataset and the trainer report theirs too', async () => {
    const { x, y } = classification(32);
    const model = track(dropoutModel(4));
    const hs = await model.fitDataset([{ xs: x, ys: y }], { epochs: 1, workers: 1, verbose: 0 });
    expect(hs.params).toMatchObject({ epochs: 1, steps: null, samples: null, batchSize: null, workers: 1, doValidation: false, metrics: ['loss', 'accuracy'] });
    const limited = await model.fitDataset([{ xs: x, ys: y }], { epochs: 1, batchesPerEpoch: 1, workers: 1, verbose: 0 });
    expect(limited.params?.steps).toBe(1);
    const t = track(await trainer(model, { optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] }));
    const ht = await t.fit(x, y, { epochs: 1, batchSize: 8, workers: 1, verbose: 0 });
    expect(ht.params).toMatchObject({ epochs: 1, steps: 4, samples: 32, batchSize: 8, workers: 1 });
  });

  it('predict and evaluate take verbose as tfjs-layers does', async () => {
    const { x, y } = classification(8);
    const model = track(dropoutModel(4));
    expect(((await model.predict(x, { verbose: false })) as weft.tf.Tensor).shape).toEqual([8, 5]);
    expect(((await model.predict(x, { verbose: 0 })) as weft.tf.Tensor).shape).toEqual([8, 5]);
    expect(await model.evaluate(x, y, { verbose: 0 })).toHaveLength(2);
    await expect(model.predict(x, { verbose: 3 as never })).rejects.toThrow(/`verbose`/);
  });
});
