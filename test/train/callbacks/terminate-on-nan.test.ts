import { afterEach, describe, expect, it, vi } from 'vitest';
import { terminateOnNaN } from '../../../src/train/callbacks/terminate-on-nan.js';
import { drive, FakeTarget } from './fake-target.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const epochs = (n: number) => Array.from({ length: n }, () => ({ loss: 1 }));

describe('terminateOnNaN: Keras semantics on synthetic batch logs', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`stops after the batch whose loss is ${bad}, and remembers where`, async () => {
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      const target = new FakeTarget();
      const cb = terminateOnNaN();
      const batches = [[{ loss: 0.5 }, { loss: 0.4 }], [{ loss: 0.3 }, { loss: bad }, { loss: 0.2 }]];
      const run = await drive(cb, target, epochs(4), batches);
      expect(target.stopTraining).toBe(true);
      // The epoch in progress still ends (its logs are recorded), then fit stops.
      expect(run.epochs).toEqual([0, 1]);
      expect(cb.terminatedAt).toEqual({ epoch: 1, batch: 1, loss: bad });
      expect(log).toHaveBeenCalledWith('Batch 1: Invalid loss, terminating training');
    });
  }

  it('finite losses, or batch logs without a loss, never stop', async () => {
    const target = new FakeTarget();
    const cb = terminateOnNaN();
    const run = await drive(cb, target, epochs(3), [[{ loss: 1e30 }, { loss: -5 }], [{ accuracy: NaN }], [{ loss: 0 }]]);
    expect(run.epochs).toEqual([0, 1, 2]);
    expect(target.stopTraining).toBe(false);
    expect(cb.terminatedAt).toBeNull();
  });

  it('verbose 0 is silent; onTrainBegin forgets the last stop', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const cb = terminateOnNaN({ verbose: 0 });
    await drive(cb, new FakeTarget(), epochs(2), [[{ loss: NaN }]]);
    expect(cb.terminatedAt).toEqual({ epoch: 0, batch: 0, loss: NaN });
    expect(log).not.toHaveBeenCalled();
    await drive(cb, new FakeTarget(), epochs(2), [[{ loss: 1 }]]);
    expect(cb.terminatedAt).toBeNull();
  });

  it('raiseError throws at the bad batch instead of stopping gracefully', async () => {
    const target = new FakeTarget();
    await expect(drive(terminateOnNaN({ raiseError: true }), target, epochs(2), [[{ loss: 1 }, { loss: NaN }]])).rejects.toThrow(
      'NaN or Inf loss encountered at batch 1. Loss value: NaN. Terminating training immediately.',
    );
    expect(target.stopTraining).toBe(false);
  });

  it('validates its options', () => {
    expect(() => terminateOnNaN({ raiseError: 1 as never })).toThrow(/argument `raiseError`. Expected a boolean. Received: raiseError=1/);
    expect(() => terminateOnNaN({ verbose: 3 as never })).toThrow(RangeError);
    expect(() => terminateOnNaN({ patience: 1 } as never)).toThrow(/Unknown terminateOnNaN option: 'patience'/);
  });
});
