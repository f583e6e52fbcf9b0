import { describe, expect, it } from 'vitest';
import { measurePeers, probePeers, skipReason } from '../../bench/peers/index.js';
import type { Architecture } from '../../bench/results.js';

const tiny: Architecture = { input: { kind: 'features', size: 20 }, hidden: [16], dropout: 0.1, classes: 10 };
/** A convnet small enough for tfjs-layers' cpu backend to train in a test: 8×8×1 → Conv2D 2 3×3 → MaxPooling 2 → 10. */
const smallConv: Architecture = {
  input: { kind: 'image', height: 8, width: 8, channels: 1, conv: [{ filters: 2, kernel: 3, pool: 2 }] }, hidden: [], dropout: 0.5, classes: 10,
};
const base = { batch: 32, threads: [1, 2], repeats: 5, budgetMs: 60_000, warmupMs: 0, minRepeatMs: 1 };

describe('bench peers', () => {
  it('an absent PyTorch is probed once and reported as skipped at every thread count, with the reason', async () => {
    const probe = await probePeers(['pytorch'], '/nonexistent/python3');
    expect(probe.absent.get('pytorch')).toMatch(/nonexistent\/python3/);
    expect(probe.versions.torch).toBeUndefined();
    const lines: string[] = [];
    const points = await measurePeers(tiny, { ...base, peers: ['pytorch'], probe, log: (l) => lines.push(l) });
    expect(points).toEqual([
      { peer: 'pytorch', threads: 1, skipped: probe.absent.get('pytorch') },
      { peer: 'pytorch', threads: 2, skipped: probe.absent.get('pytorch') },
    ]);
    expect(lines[0]).toMatch(/^pytorch 1 thread: skipped: /);
  });

  it('tfjs-layers on wasm trains the model once, at one thread, with a median of the repeats', async () => {
    const probe = await probePeers(['tfjs-layers-wasm']);
    expect(probe.absent.size).toBe(0);
    const [point, ...rest] = await measurePeers(tiny, { ...base, peers: ['tfjs-layers-wasm'], probe });
    expect(rest).toEqual([]);
    expect(point.peer).toBe('tfjs-layers-wasm');
    expect(point.threads).toBe(1);
    expect(point.skipped).toBeUndefined();
    const r = point.samplesPerSec!;
    expect(r.min).toBeGreaterThan(0);
    expect(r.min).toBeLessThanOrEqual(r.median);
    expect(r.median).toBeLessThanOrEqual(r.max);
  });

  it('tfjs-layers trains an Embedding model too', async () => {
    const tokens: Architecture = { input: { kind: 'tokens', vocab: 50, length: 6, embed: 4 }, hidden: [8], dropout: 0, classes: 10 };
    const [point] = await measurePeers(tokens, { ...base, peers: ['tfjs-layers-cpu'], probe: await probePeers(['tfjs-layers-cpu']) });
    expect(point.skipped).toBeUndefined();
    expect(point.samplesPerSec!.median).toBeGreaterThan(0);
  });

  it("tfjs-layers on wasm cannot train a convnet: skipped with the backend's own error, not a crash", async () => {
    const [point, ...rest] = await measurePeers(smallConv, { ...base, batch: 8, peers: ['tfjs-layers-wasm'], probe: await probePeers(['tfjs-layers-wasm']) });
    expect(rest).toEqual([]);
    expect(point).toEqual({ peer: 'tfjs-layers-wasm', threads: 1, skipped: "cannot train: Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'" });
  });

  it('tfjs-layers on cpu trains the convnet', async () => {
    const [point] = await measurePeers(smallConv, { ...base, batch: 8, repeats: 2, peers: ['tfjs-layers-cpu'], probe: await probePeers(['tfjs-layers-cpu']) });
    expect(point.skipped).toBeUndefined();
    expect(point.samplesPerSec!.median).toBeGreaterThan(0);
  });

  it('words a skip by its cause: over budget, a kernel the backend lacks, anything else', () => {
    expect(skipReason({ name: 'PeerTooSlow', message: 'did not finish in time' })).toBe('too slow: did not finish in time');
    expect(skipReason({ name: 'Error', message: "Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'" })).toBe(
      "cannot train: Kernel 'UnsortedSegmentSum' not registered for backend 'wasm'",
    );
    expect(skipReason({ name: 'Error', message: 'out of memory\n  at step' })).toBe('failed: out of memory');
  });

  it('a peer that overruns the time budget is stopped and reported as too slow, not waited for', async () => {
    // One cpu-backend step of this model takes tens of seconds; the thread is terminated at 2 s.
    const slow: Architecture = { input: { kind: 'features', size: 784 }, hidden: [2048, 2048], dropout: 0.2, classes: 10 };
    const t0 = performance.now();
    const [point] = await measurePeers(slow, { ...base, batch: 512, peers: ['tfjs-layers-cpu'], budgetMs: 2000, probe: await probePeers(['tfjs-layers-cpu']) });
    expect(performance.now() - t0).toBeLessThan(8000);
    expect(point.samplesPerSec).toBeUndefined();
    expect(point.skipped).toMatch(/^too slow: did not finish 1 \+ 5 steps within the 2 s budget; stopped$/);
  });

  it('tfjsLayersRate gives up after its first step when the steps it still needs would overrun the budget', async () => {
    const { tfjsLayersRate, PeerTooSlow } = await import('../../bench/peers/tfjs-layers.js');
    const run = tfjsLayersRate(tiny, { backend: 'cpu', batch: 32, repeats: 5, warmup: 1, budgetMs: 0.001 });
    await expect(run).rejects.toBeInstanceOf(PeerTooSlow);
    await expect(run).rejects.toThrow(/^one step takes [\d.]+ s, so 6 steps would take ~\d+ s, over the 0 s budget$/);
  });
});
