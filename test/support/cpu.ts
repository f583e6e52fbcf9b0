import { expect } from 'vitest';
import '@tensorflow/tfjs-backend-cpu';
import { tf } from '../../src/index.js';

/**
 * Runs `fn` on tfjs's cpu backend — where tfjs-layers' autodiff gives the reference values —
 * then makes wasm, weft's backend, active again.
 */
export async function onCpu<T>(fn: () => T | Promise<T>): Promise<T> {
  expect(await tf.setBackend('cpu')).toBe(true);
  try {
    return await fn();
  } finally {
    expect(await tf.setBackend('wasm')).toBe(true);
  }
}
