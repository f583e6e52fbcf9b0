/**
 * tfjs-layers' measurement in its own thread, so the suite can stop a peer that overruns its
 * budget: a tfjs step is synchronous and cannot be interrupted from inside (the cpu backend took
 * 110 s for one seed-3 step here), but a thread can be terminated.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Architecture } from '../results.js';
import { tfjsLayersRate, type TfjsLayersRateOptions } from './tfjs-layers.js';

const { arch, opts } = workerData as { arch: Architecture; opts: TfjsLayersRateOptions };
try {
  parentPort!.postMessage({ ok: await tfjsLayersRate(arch, opts) });
} catch (e) {
  parentPort!.postMessage({ error: { name: (e as Error).name, message: (e as Error).message } });
}
