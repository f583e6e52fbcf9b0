import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { registerChainedOps } from './chained-ops.js';

// `weft.tf` tensors get the chained methods `@tensorflow/tfjs` users write (t.reshape(...)),
// in the host and in every worker, since both import this module.
registerChainedOps();

/**
 * The process events whose listeners the wasm module's emscripten glue adds when it is
 * instantiated (inside setBackend('wasm'), not at import): an 'uncaughtException' listener that
 * rethrows and an 'unhandledRejection' one that throws. A listener that throws makes Node exit
 * with code 7 behind a dump of the minified glue, for any error anywhere in the user's program;
 * and while any 'unhandledRejection' listener exists, Node treats rejections as handled. The
 * glue removes them only in its module's `_dispose`, which tfjs never calls. (It also replaces
 * its own `quit_` to set process.exitCode, but calls that only when the wasm program exits,
 * which tfjs's never does.) In a worker, Piscina catches a task's error itself and a truly
 * uncaught one ends the thread with Node's default 'error' event, so the removal is safe there.
 */
const GLUE_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/** The initialisation under way, if any. */
let initializing: Promise<void> | null = null;

/**
 * Makes tfjs-core run on its wasm backend in this thread (the host or a worker). setBackend
 * resolves to false rather than throwing when the backend fails to load, so check it.
 * Leaves the process's error handling as it found it (see GLUE_EVENTS). Concurrent calls share
 * one initialisation.
 */
export function initBackend(): Promise<void> {
  if (initializing !== null) return initializing;
  if (tf.getBackend() === 'wasm') return Promise.resolve();
  initializing = loadWasm().finally(() => {
    initializing = null;
  });
  return initializing;
}

async function loadWasm(): Promise<void> {
  const events: NodeJS.EventEmitter = process; // listeners by event name, whatever the event
  const before = new Map(GLUE_EVENTS.map((e) => [e, events.listeners(e)]));
  try {
    const ok = await tf.setBackend('wasm');
    if (!ok) throw new Error("weft: the tfjs wasm backend failed to initialise (tf.setBackend('wasm') returned false)");
    await tf.ready();
  } finally {
    for (const event of GLUE_EVENTS) {
      const kept = before.get(event) ?? [];
      for (const listener of events.listeners(event)) {
        if (!kept.includes(listener)) events.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
}
