// A thread for test/parallel/collective.test.ts: one rank of the in-step collective, loaded
// from the TypeScript sources through tsx (as src/parallel/tsx-worker.mjs loads the worker).
import { workerData, parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { SharedCollective } = await import('../../src/parallel/collective.ts');
const { buffers, rank, ranks, calls, length, failAt } = workerData;
const collective = new SharedCollective(buffers).begin(rank, ranks);
const sums = [];
try {
  for (let c = 0; c < calls; c++) {
    if (c === failAt) throw new Error(`rank ${rank} fails at call ${c}`);
    // Rank r's partial at call c: values whose float64 sum depends on the order they are added in.
    const partial = Float64Array.from({ length }, (_, i) => (rank + 1) * 1e16 ** (i % 2) + c * 0.1 + i);
    sums.push(Array.from(collective.sum(partial)));
  }
  parentPort.postMessage({ sums });
} catch (err) {
  parentPort.postMessage({ error: err.message });
}
