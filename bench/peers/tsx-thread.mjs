// Development entry for a bench thread run from TypeScript sources (tests, tsx): registers tsx's
// ESM loader inside the thread (Node 20 ignores `--import tsx` in a worker's execArgv for ESM),
// then loads the .ts module named in workerData.entry. Compiled runs start dist/'s .js directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
