import { MessageChannel, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { isModelAware, type Callback, type Logs, type TrainingTarget } from './callbacks/callback.js';
import type { Model } from './model.js';
import { HOOKS, nodeEndpoint, type Hook, type HookControl, type HostCallbacks, type NodeEndpoint } from './trainer-wire.js';

/**
 * Runs a fit's callbacks on the host when the thread asks, through one MessagePort it owns and
 * closes after the fit. Model-aware callbacks get a target whose stop flag and learning rate
 * are reported back to the thread after each hook, and whose weights are the shared ones.
 */
export class HostCallbackRunner implements HostCallbacks {
  readonly hooks: Hook[];
  /** The first error a callback threw: fit rejects with it, as model.fit would. */
  error: unknown = undefined;
  private port: MessagePort | null = null;
  private stop = false;
  private learningRate = Number.NaN;
  private workers: number | undefined = undefined;

  constructor(
    private readonly model: Model,
    private readonly callbacks: readonly Callback[],
    /** A checkpoint is saved by the thread, which holds the optimizer state (a direct call: fit holds the queue). */
    save: (path: string) => Promise<unknown>,
  ) {
    this.hooks = HOOKS.filter((h) => callbacks.some((c) => typeof c[h] === 'function'));
    const runner = this;
    const target: TrainingTarget = {
      get stopTraining() { return runner.stop || model.stopTraining; },
      set stopTraining(v: boolean) { runner.stop = v; model.stopTraining = v; },
      getWeightValues: () => model.params.slice(),
      setWeightValues: (values) => model.params.set(values),
      get learningRate() { return runner.learningRate; },
      set learningRate(v: number) { runner.learningRate = v; },
      get workers() { return runner.workers; },
      save,
      namedWeights: () => model.namedWeightValues(),
    };
    for (const c of callbacks) if (isModelAware(c)) c.setModel(target);
  }

  /** The port the thread calls back on, or null when no callback has a hook. */
  open(): MessagePort | null {
    if (this.hooks.length === 0) return null;
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(this, nodeEndpoint(port1 as unknown as NodeEndpoint));
    this.port = port1;
    this.stop = false;
    this.model.stopTraining = false;
    return port2;
  }

  close(): void {
    this.port?.close();
    this.port = null;
  }

  async call(hook: Hook, args: unknown[], learningRate: number, workers?: number): Promise<HookControl> {
    // The stop flag is cleared once per fit (open), as fit clears model.stopTraining: a flag set
    // between hooks, e.g. from a timer, is reported at the next hook.
    this.learningRate = learningRate;
    this.workers = workers;
    try {
      for (const c of this.callbacks) {
        const fn = c[hook] as ((...a: unknown[]) => void | Promise<void>) | undefined;
        if (fn !== undefined) await fn.apply(c, args as [number, Logs]);
      }
    } catch (err) {
      this.error ??= err;
      throw err;
    }
    const logs = args[args.length - 1];
    return {
      stopTraining: this.stop || this.model.stopTraining,
      learningRate: this.learningRate,
      logs: logs !== null && typeof logs === 'object' ? (logs as Logs) : null,
    };
  }
}
