// Development entry for the trainer thread: runs src/train/trainer-thread.ts through tsx's ESM
// loader, so tests and `tsx` scripts need no build (Node 20 ignores `--import tsx` in a worker's
// execArgv for ESM; see src/parallel/tsx-worker.mjs). Production uses dist/.../trainer-thread.js.
import { register } from 'tsx/esm/api';

register();
await import('./trainer-thread.ts');
