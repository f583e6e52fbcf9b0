import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { abortCollective, COLLECTIVE_ABORTED, collectiveBuffers, resetCollective, type CollectiveBuffers } from '../../src/parallel/collective.js';

// The in-step collective on real threads, one rank each: many back-to-back calls (the two
// alternating regions and the generation barrier), sums in rank order, and an abort releasing
// every waiting rank. A hang guard ends a stuck run as a failure, not a timeout.

interface Outcome { sums?: number[][]; error?: string }

function runRanks(buffers: CollectiveBuffers, ranks: number, calls: number, length: number, failAt: (rank: number) => number = () => -1): Promise<Outcome[]> {
  const url = new URL('./collective-worker.mjs', import.meta.url);
  const runs = Array.from({ length: ranks }, (_, rank) => new Promise<Outcome>((resolve, reject) => {
    const w = new Worker(url, { workerData: { buffers, rank, ranks, calls, length, failAt: failAt(rank) } });
    w.once('message', (m: Outcome) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  }));
  const hung = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the collective hung')), 60_000).unref());
  return Promise.race([Promise.all(runs), hung]);
}

/** What every rank must get at call c: the partials added in rank order, from 0. */
function expected(ranks: number, c: number, length: number): number[] {
  return Array.from({ length }, (_, i) => {
    let s = 0;
    for (let r = 0; r < ranks; r++) s += (r + 1) * 1e16 ** (i % 2) + c * 0.1 + i;
    return s;
  });
}

describe('the in-step collective', () => {
  it('4 ranks, 200 calls back to back: every rank gets bitwise the rank-order sum of every call', async () => {
    const buffers = collectiveBuffers(4, 8, (n) => new SharedArrayBuffer(n));
    resetCollective(buffers);
    const out = await runRanks(buffers, 4, 200, 5);
    for (const o of out) {
      expect(o.error).toBeUndefined();
      expect(o.sums).toHaveLength(200);
      o.sums!.forEach((s, c) => expect(s).toEqual(expected(4, c, 5)));
    }
  }, 90_000);

  it('a rank that fails before its third call releases the others with the abort error', async () => {
    const buffers = collectiveBuffers(3, 4, (n) => new SharedArrayBuffer(n));
    resetCollective(buffers);
    const url = new URL('./collective-worker.mjs', import.meta.url);
    // Rank 2 fails; as the worker entry does, the failure aborts the collective.
    const workers = [0, 1, 2].map((rank) => new Worker(url, { workerData: { buffers, rank, ranks: 3, calls: 10, length: 4, failAt: rank === 2 ? 2 : -1 } }));
    const outcomes = workers.map((w) => new Promise<Outcome>((resolve) => w.once('message', (m: Outcome) => { resolve(m); void w.terminate(); })));
    const failed = await outcomes[2];
    expect(failed.error).toMatch(/rank 2 fails at call 2/);
    abortCollective(buffers);
    const hung = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the collective hung')), 60_000).unref());
    const others = await Promise.race([Promise.all(outcomes.slice(0, 2)), hung]);
    for (const o of others) expect(o.error).toBe(COLLECTIVE_ABORTED);
  }, 90_000);

  it('one rank sums nothing across threads; a vector over the capacity is a RangeError', async () => {
    const { SharedCollective } = await import('../../src/parallel/collective.js');
    const buffers = collectiveBuffers(2, 3, (n) => new SharedArrayBuffer(n));
    const solo = new SharedCollective(buffers).begin(0, 1);
    const v = Float64Array.from([1, 2, 3]);
    expect(solo.sum(v)).toBe(v);
    expect(() => new SharedCollective(buffers).begin(0, 2).sum(new Float64Array(4))).toThrow(/exceeds the collective's capacity of 3/);
    expect(() => new SharedCollective(buffers).begin(0, 3)).toThrow(RangeError);
  });
});
