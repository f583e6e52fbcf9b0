import { describe, expect, it } from 'vitest';
import { bestWeft, idealPerWorker, peerRate, ratios, withEfficiency } from '../../bench/results.js';
import { around, mlpResult } from './fixtures.js';

describe('withEfficiency', () => {
  it('is 1 at one worker and rate(N) / (N × rate(1)) elsewhere', () => {
    const points = withEfficiency([
      { workers: 1, samplesPerSec: around(1000) },
      { workers: 4, samplesPerSec: around(3000) },
    ]);
    expect(points.map((p) => p.efficiency)).toEqual([1, 0.75]);
  });

  it('scales the fewest-worker point to a per-worker rate when 1 worker was not measured, whatever the order', () => {
    const points = withEfficiency([
      { workers: 8, samplesPerSec: around(6000) },
      { workers: 2, samplesPerSec: around(2000) },
      { workers: 4, samplesPerSec: around(4000) },
    ]);
    expect(points.map((p) => [p.workers, p.efficiency])).toEqual([[8, 0.75], [2, 1], [4, 1]]);
  });

  it('keeps the other fields of each point', () => {
    const [p] = withEfficiency([{ workers: 1, samplesPerSec: around(10), breakdown: { reduce: 1.5 } }]);
    expect(p.breakdown).toEqual({ reduce: 1.5 });
    expect(p.samplesPerSec).toEqual(around(10));
  });

  it('gives no points for no points', () => {
    expect(withEfficiency([])).toEqual([]);
    expect(idealPerWorker([])).toBeUndefined();
  });

  it('idealPerWorker is the per-worker rate at the fewest workers', () => {
    expect(idealPerWorker([{ workers: 4, samplesPerSec: around(3000) }, { workers: 2, samplesPerSec: around(2000) }])).toBe(1000);
  });
});

describe('bestWeft', () => {
  it('picks the highest median rate, not the most workers', () => {
    const model = mlpResult({
      weft: withEfficiency([
        { workers: 1, samplesPerSec: around(100) },
        { workers: 4, samplesPerSec: around(350) },
        { workers: 8, samplesPerSec: around(300) },
      ]),
    });
    expect(bestWeft(model)?.workers).toBe(4);
  });

  it('is undefined without weft points', () => {
    expect(bestWeft(mlpResult({ weft: [] }))).toBeUndefined();
  });
});

describe('peerRate', () => {
  const model = mlpResult();

  it("gives the peer's best thread count when no count is asked for", () => {
    expect(peerRate(model, 'pytorch')?.threads).toBe(4);
  });

  it('gives the point at the asked thread count, or undefined where none was measured', () => {
    expect(peerRate(model, 'pytorch', 2)?.samplesPerSec?.median).toBe(12_000);
    expect(peerRate(model, 'tfjs-layers-wasm', 4)).toBeUndefined();
  });

  it('never returns a skipped point', () => {
    expect(peerRate(model, 'tfjs-layers-cpu')).toBeUndefined();
    expect(peerRate(model, 'tfjs-layers-cpu', 1)).toBeUndefined();
  });
});

describe('ratios', () => {
  it('compares weft at 1 and at its best with each measured peer, and at the largest shared N', () => {
    const byLabel = Object.fromEntries(ratios(mlpResult()).map((r) => [r.label, r.value]));
    expect(byLabel).toEqual({
      'weft 1 worker / pytorch 1 thread': 10_000 / 4_000,
      'weft best (4 workers) / pytorch best (4 threads)': 34_000 / 15_000,
      'weft 4 workers / pytorch 4 threads': 34_000 / 15_000,
      'weft 1 worker / tfjs-layers-wasm 1 thread': 10_000 / 500,
      'weft best (4 workers) / tfjs-layers-wasm best (1 thread)': 34_000 / 500,
    });
  });

  it('uses the largest N both measured, even when the peer is faster elsewhere', () => {
    const model = mlpResult({
      peers: [
        { peer: 'pytorch', threads: 2, samplesPerSec: around(8_000) },
        { peer: 'pytorch', threads: 3, samplesPerSec: around(50_000) },
      ],
    });
    const labels = ratios(model).map((r) => r.label);
    expect(labels).toEqual(['weft best (4 workers) / pytorch best (3 threads)', 'weft 2 workers / pytorch 2 threads']);
    expect(ratios(model)[1].value).toBe(19_000 / 8_000);
  });

  it('gives nothing for a peer that was only skipped, or when weft has no points', () => {
    const onlySkipped = mlpResult({ peers: [{ peer: 'pytorch', threads: 1, skipped: 'python3 -c "import torch" failed' }] });
    expect(ratios(onlySkipped)).toEqual([]);
    expect(ratios(mlpResult({ weft: [] }))).toEqual([]);
  });
  it('does not repeat the 1-vs-1 ratio as best-vs-best when both bests are the single-thread points', () => {
    const single = mlpResult({
      weft: withEfficiency([{ workers: 1, samplesPerSec: around(10_000) }, { workers: 2, samplesPerSec: around(8_000) }]),
      peers: [{ peer: 'tfjs-layers-wasm', threads: 1, samplesPerSec: around(500) }],
    });
    expect(ratios(single).map((r) => r.label)).toEqual(['weft 1 worker / tfjs-layers-wasm 1 thread']);
    expect(ratios(single)[0].value).toBeCloseTo(20, 10);
  });
});
