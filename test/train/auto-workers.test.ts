import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as weft from '../../src/index.js';
import { candidateCounts, chooseWorkers } from '../../src/train/auto-workers.js';
import { bitwiseEqual, classification, dropoutModel, flatWeights, wideModel } from '../parallel/helpers.js';

// workers: 'auto' (issue 12.3): the count chosen from trial steps that change nothing, kept in
// History and checkpoints, so passing it back replays the run bitwise.

/** A trial whose cost per count comes from a table, on a clock it advances: no real timing. */
function fakeTrials(cost: Record<number, number>) {
  let t = 0;
  const calls: number[] = [];
  return {
    now: () => t,
    calls,
    trial: async (k: number) => {
      calls.push(k);
      t += cost[k];
    },
  };
}

describe('choosing the count', () => {
  it('tries the cores, then powers of two below them, never more than the rows of a step', () => {
    expect(candidateCounts(2, 32)).toEqual([2, 1]);
    expect(candidateCounts(16, 2048)).toEqual([16, 8, 4, 2, 1]);
    expect(candidateCounts(12, 100)).toEqual([12, 8, 4, 2, 1]);
    expect(candidateCounts(16, 3)).toEqual([3, 2, 1]);
    expect(candidateCounts(1, 10)).toEqual([1]);
  });

  it('picks the fastest median on an injected clock, the counts interleaved: two untimed rounds, then 3 timed', async () => {
    const f = fakeTrials({ 2: 400, 1: 300 });
    const choice = await chooseWorkers([2, 1], f.trial, { now: f.now });
    expect(choice.workers).toBe(1);
    expect(choice.trials).toEqual([{ workers: 2, ms: 400 }, { workers: 1, ms: 300 }]);
    expect(f.calls).toEqual([2, 1, 2, 1, 2, 1, 2, 1, 2, 1]);
  });

  it('drops clearly slower counts after the first timed round, and prefers fewer threads on a near tie', async () => {
    const wide = fakeTrials({ 8: 100, 4: 150, 2: 300, 1: 600 });
    const a = await chooseWorkers([8, 4, 2, 1], wide.trial, { now: wide.now });
    expect(a.workers).toBe(8);
    expect(a.trials).toEqual([{ workers: 8, ms: 100 }, { workers: 4, ms: 150 }, { workers: 2, ms: 300 }, { workers: 1, ms: 600 }]);
    // 2 and 1 are over 1.5x the best after one timed round: not timed again.
    expect(wide.calls).toEqual([8, 4, 2, 1, 8, 4, 2, 1, 8, 4, 2, 1, 8, 4, 8, 4]);
    const tie = fakeTrials({ 2: 100, 1: 102 });
    expect((await chooseWorkers([2, 1], tie.trial, { now: tie.now })).workers).toBe(1);
    // Short steps get more timed rounds (noise), up to 15: 2 untimed + 15 timed of each count.
    const short = fakeTrials({ 2: 1.2, 1: 1 });
    await chooseWorkers([2, 1], short.trial, { now: short.now });
    expect(short.calls.length).toBe(2 * (2 + 15));
    const one = fakeTrials({ 1: 1 });
    expect(await chooseWorkers([1], one.trial, { now: one.now })).toEqual({ workers: 1, trials: [] });
    expect(one.calls).toEqual([]);
  });
});

describe("fit with workers: 'auto' (the default)", () => {
  it.each([
    ['a small model (central update)', dropoutModel],
    ['a large model (sharded update)', wideModel],
  ])('keeps the count in History; replaying it as workers gives the same run bitwise: %s', async (_name, build) => {
    const { x, y } = classification(48);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const auto = build(3);
    const h = await auto.fit(x, y, { epochs: 2, batchSize: 16, seed: 4, verbose: 1 });
    const printed = log.mock.calls.map((c) => String(c[0])).find((l) => l.startsWith('workers: auto chose'));
    log.mockRestore();
    const chosen = h.params!.workers;
    expect(candidateCounts(availableParallelism(), 16)).toContain(chosen);
    expect(printed).toMatch(new RegExp(`^workers: auto chose ${chosen} \\(median trial step: .*\\); pass workers: ${chosen} to replay this run exactly$`));
    const fixed = build(3);
    await fixed.fit(x, y, { epochs: 2, batchSize: 16, seed: 4, verbose: 0, workers: chosen });
    expect(bitwiseEqual(flatWeights(auto), flatWeights(fixed))).toBe(true);
    await Promise.all([auto.dispose(), fixed.dispose()]);
  });

  it('a checkpoint keeps the count, and resuming with model.resumeFrom continues the run bitwise', async () => {
    const { x, y } = classification(48);
    const args = { batchSize: 16, seed: 6, verbose: 0 as const };
    const first = dropoutModel(2);
    const h = await first.fit(x, y, { ...args, epochs: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'weft-auto-'));
    await first.save(dir, { includeOptimizer: true });
    const resumed = await weft.loadModel(dir);
    expect(resumed.resumeFrom).toEqual({ initialEpoch: 1, seed: 6, workers: h.params!.workers });
    await resumed.fit(x, y, { ...args, ...resumed.resumeFrom, epochs: 2 });
    const whole = dropoutModel(2);
    await whole.fit(x, y, { ...args, epochs: 2, workers: h.params!.workers });
    expect(bitwiseEqual(flatWeights(resumed), flatWeights(whole))).toBe(true);
    await Promise.all([first.dispose(), resumed.dispose(), whole.dispose()]);
  });

  it("refuses other strings, naming 'auto'", async () => {
    const m = dropoutModel(1);
    const { x, y } = classification(8);
    await expect(m.fit(x, y, { workers: 'many' as never, verbose: 0 })).rejects.toThrow(/argument `workers`. Expected an integer in \[1, 256\] or 'auto'. Received: workers='many'/);
    await m.dispose();
  });
});
