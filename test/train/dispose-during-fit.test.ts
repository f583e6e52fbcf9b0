import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { classification, dropoutModel } from '../parallel/helpers.js';
import { disposeAfterEach } from '../support/dispose.js';

const track = disposeAfterEach();

// Issue 10, item 15: dispose() during fit used to surface as a WorkerError, as if a thread had
// crashed. It is an abort: a StateError saying so, the weights whole, the model usable after.
describe('dispose() during fit', () => {
  for (const where of ['onBatchBegin', 'onBatchEnd'] as const) {
    it(`called (not awaited) from ${where} ends fit with a StateError, never a WorkerError`, async () => {
      const { x, y } = classification(64);
      const model = track(dropoutModel(2));
      let batches = 0;
      let disposed: Promise<void> | null = null;
      const callbacks = { [where]: () => { if (++batches === 2) disposed = model.dispose(); } };
      const error = await model.fit(x, y, { epochs: 20, batchSize: 8, workers: 2, verbose: 0, callbacks }).catch((e: unknown) => e);
      await disposed;
      expect(error).toBeInstanceOf(weft.StateError);
      expect((error as Error).message).toMatch(/disposed while it was training.*last complete step/);
      expect(model.params.every(Number.isFinite)).toBe(true);
      // The model is still usable: the next fit starts a new pool.
      const h = await model.fit(x, y, { epochs: 1, batchSize: 8, workers: 2, verbose: 0 });
      expect(h.epoch).toEqual([0]);
    });
  }

  it('from a timer while steps run, repeatedly: always the StateError', async () => {
    const { x, y } = classification(256);
    const model = track(dropoutModel(3));
    for (let i = 0; i < 3; i++) {
      let steps = 0;
      const running = model.fit(x, y, { epochs: 50, batchSize: 16, workers: 2, verbose: 0, callbacks: { onBatchEnd: () => { steps++; } } });
      // Wait until training is under way, then dispose while a step is most likely in flight.
      while (steps < 3 + i) await new Promise((r) => setTimeout(r, 1));
      const disposed = model.dispose();
      const error = await running.catch((e: unknown) => e);
      await disposed;
      expect(error).toBeInstanceOf(weft.StateError);
    }
  });
});
