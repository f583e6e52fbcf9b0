import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

/**
 * Makes tfjs-core run on its wasm backend in this thread (the host or a worker). setBackend
 * resolves to false rather than throwing when the backend fails to load, so check it.
 */
export async function initBackend(): Promise<void> {
  if (tf.getBackend() === 'wasm') return;
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error("weft: the tfjs wasm backend failed to initialise (tf.setBackend('wasm') returned false)");
  await tf.ready();
}
