import { afterEach, describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { trainer, type Trainer } from '../../src/train/trainer.js';
import { classification, dropoutModel } from '../parallel/helpers.js';

// Issue 10, item 3: a model's weights serve one training run at a time. model.fit on the host
// and a weft.trainer of the same model (or two trainers) used to race on the shared weights.
const open: { dispose(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.dispose()));
});
const COMPILE = { optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] };
const args = { epochs: 2, batchSize: 16, seed: 1, workers: 1, verbose: 0 } as const;

async function modelAndTrainer(): Promise<{ model: weft.Model; t: Trainer }> {
  const model = dropoutModel(3);
  open.push(model);
  const t = await trainer(model, COMPILE);
  open.push(t);
  return { model, t };
}

describe('one training run per model', () => {
  it('model.fit while a trainer of the same model fits is a StateError, and the trainer finishes', async () => {
    const { x, y } = classification(64);
    const { model, t } = await modelAndTrainer();
    const running = t.fit(x, y, args);
    await expect(model.fit(x, y, args)).rejects.toThrow(weft.StateError);
    await expect(model.fit(x, y, args)).rejects.toThrow(/fit\(\) was called while a weft.trainer's fit\(\) is training this model/);
    const h = await running;
    expect(h.epoch).toEqual([0, 1]);
    // Released: the host can train it now.
    expect((await model.fit(x, y, args)).epoch).toEqual([0, 1]);
  });

  it("a trainer's fit while model.fit runs on the host is a StateError; a second trainer's too", async () => {
    const { x, y } = classification(64);
    const { model, t } = await modelAndTrainer();
    const other = await trainer(model, COMPILE);
    open.push(other);
    const host = model.fit(x, y, args);
    await expect(t.fit(x, y, args)).rejects.toThrow(/a weft.trainer's fit\(\) was called while fit\(\) is training this model/);
    await host;
    const first = t.fit(x, y, args);
    await expect(other.fit(x, y, args)).rejects.toThrow(weft.StateError);
    await first;
    expect((await other.fit(x, y, args)).epoch).toEqual([0, 1]);
  });

  it("one trainer's own fits queue rather than fail", async () => {
    const { x, y } = classification(64);
    const { t } = await modelAndTrainer();
    const [a, b] = await Promise.all([t.fit(x, y, args), t.fit(x, y, args)]);
    expect([a.epoch, b.epoch]).toEqual([[0, 1], [0, 1]]);
  });
});
