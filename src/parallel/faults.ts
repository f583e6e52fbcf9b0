import type { Fault } from './messages.js';

/**
 * A test hook, not an API: the next training run makes one worker fail at one step, so tests
 * can prove a failure never leaves half-updated weights, a hung fit or a leaked pool.
 */
let pending: Fault | null = null;

export function injectFault(fault: Fault | null): void {
  pending = fault;
}

/** The fault for this run, consumed so it fires once. */
export function takeFault(): Fault | null {
  const f = pending;
  pending = null;
  return f;
}

/** Called in the worker before the step: fails as the task asks. */
export function triggerFault(fault: Fault | null, step: number, rank: number, phase: 'gradients' | 'update' | 'exchange'): void {
  if (fault === null || fault.step !== step || fault.rank !== rank || (fault.phase ?? 'gradients') !== phase) return;
  if (fault.kind === 'exit') process.exit(3);
  if (fault.kind === 'oom') {
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array<number>(1 << 20).fill(step));
  }
  throw new Error(`injected fault at step ${step} on rank ${rank} (${phase})`);
}
