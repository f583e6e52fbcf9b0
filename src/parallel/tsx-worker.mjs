// Development entry for the worker: runs src/parallel/worker.ts through tsx's ESM loader, so
// tests need no build. Node 20 ignores `--import tsx` in a worker's execArgv for ESM
// (DESIGN.md), hence registering the loader here, inside the thread. Production uses dist/.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');
export default worker.default;
