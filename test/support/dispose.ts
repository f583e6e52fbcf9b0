import { afterEach } from 'vitest';

/**
 * Disposes, after each test, every model (or trainer) passed to the returned function: fit
 * starts a worker pool per model, and a test file should not leave them piling up.
 */
export function disposeAfterEach(): <T extends { dispose(): Promise<void> }>(m: T) => T {
  const live: { dispose(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(live.splice(0).map((m) => m.dispose()));
  });
  return (m) => {
    live.push(m);
    return m;
  };
}
