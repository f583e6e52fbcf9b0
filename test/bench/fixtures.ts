/** Synthetic suite results shared by the bench tests: round numbers so expected ratios are exact. */
import type { Machine, ModelResult, SuiteResult } from '../../bench/results.js';
import { withEfficiency } from '../../bench/results.js';
import type { Summary } from '../../bench/stats.js';

/** A summary with min and max `spread` (a fraction) either side of the median. */
export const around = (median: number, spread = 0.1): Summary => ({ median, min: median * (1 - spread), max: median * (1 + spread) });

/**
 * weft at 1, 2, 4 workers (10k, 19k, 34k samples/s); PyTorch at 1, 2, 4 threads (4k, 12k, 15k);
 * tfjs-layers wasm at 1 thread (500); tfjs-layers cpu skipped.
 */
export function mlpResult(overrides: Partial<ModelResult> = {}): ModelResult {
  return {
    key: 'mlp',
    name: 'MLP 784-512-512-10',
    batch: 512,
    params: 669_706,
    architecture: { input: { kind: 'features', size: 784 }, hidden: [512, 512], dropout: 0.2, classes: 10 },
    weft: withEfficiency([
      { workers: 1, samplesPerSec: around(10_000) },
      { workers: 2, samplesPerSec: around(19_000) },
      { workers: 4, samplesPerSec: around(34_000) },
    ]),
    peers: [
      { peer: 'pytorch', threads: 1, samplesPerSec: around(4_000) },
      { peer: 'pytorch', threads: 2, samplesPerSec: around(12_000) },
      { peer: 'pytorch', threads: 4, samplesPerSec: around(15_000) },
      { peer: 'tfjs-layers-wasm', threads: 1, samplesPerSec: around(500) },
      { peer: 'tfjs-layers-cpu', threads: 1, skipped: 'the cpu backend ran out of time budget' },
    ],
    ...overrides,
  };
}

/**
 * The convnet at batch 128 as the suite records it on wasm: weft at 1 and 2 workers (700, 1,300),
 * PyTorch at 1 and 2 threads (1,700, 1,000), both tfjs-layers peers skipped.
 */
export function convnetResult(): ModelResult {
  return {
    key: 'convnet@128',
    name: 'Keras MNIST convnet (Conv2D 32-64, dropout 0.5)',
    batch: 128,
    params: 34_826,
    architecture: {
      input: { kind: 'image', height: 28, width: 28, channels: 1, conv: [{ filters: 32, kernel: 3, pool: 2 }, { filters: 64, kernel: 3, pool: 2 }] },
      hidden: [],
      dropout: 0.5,
      classes: 10,
    },
    weft: withEfficiency([
      { workers: 1, samplesPerSec: around(700) },
      { workers: 2, samplesPerSec: around(1_300) },
    ]),
    peers: [
      { peer: 'tfjs-layers-wasm', threads: 1, skipped: "cannot train: Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'" },
      { peer: 'tfjs-layers-cpu', threads: 1, skipped: 'too slow: did not finish 1 + 5 steps within the 60 s budget; stopped' },
      { peer: 'pytorch', threads: 1, samplesPerSec: around(1_700) },
      { peer: 'pytorch', threads: 2, samplesPerSec: around(1_000) },
    ],
  };
}

export const machine: Machine = {
  label: 'amd-epyc-7b13-2c',
  cpu: 'AMD EPYC 7B13',
  cores: 2,
  memoryGiB: 7.8,
  os: 'linux 6.1.0 x64',
  node: 'v20.19.0',
  versions: { weft: '0.1.0', 'tfjs-core': '4.22.0', torch: '2.11.0' },
};

export function suiteResult(models: readonly ModelResult[] = [mlpResult()]): SuiteResult {
  return { machine, date: '2026-11-27T10:00:00.000Z', command: 'weft bench --quick', quick: true, repeats: 5, models };
}
