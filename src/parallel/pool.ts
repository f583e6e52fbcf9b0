import type { ResourceLimits } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { checkOptions, invalidArgument, invalidType } from '../errors.js';
import type { Task, TaskTiming } from './messages.js';

/**
 * The compiled worker next to this module in dist/, or, when running from TypeScript sources
 * (tests, tsx), a shim that loads the .ts worker through tsx inside the thread.
 */
function workerEntry(): string {
  const here = import.meta.url;
  return new URL(here.endsWith('.ts') ? './tsx-worker.mjs' : './worker.js', here).href;
}

/**
 * A worker's young generation capped at 24 MB: uncapped, V8 grows it once after a few hundred
 * fits of steady garbage (its semi-spaces double) and each thread's resident memory jumps by
 * ~16 MB for good (bench:soak: +24.6% RSS over 450 fits, +7.4% capped). Steps allocate little on
 * the JS heap, so the cap costs nothing measurable; a caller's own resourceLimits override it.
 */
const DEFAULT_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 24 };

/** The keys of Node's Worker resourceLimits. */
const LIMIT_KEYS = ['maxYoungGenerationSizeMb', 'maxOldGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];

/** Checks a resourceLimits option: only Node's keys, each a positive number of megabytes. */
export function checkResourceLimits(value: unknown): ResourceLimits | undefined {
  if (value === undefined) return undefined;
  const limits = checkOptions<Record<string, unknown>>('resourceLimits', value, LIMIT_KEYS);
  for (const [key, v] of Object.entries(limits)) {
    if (v === undefined) continue;
    if (typeof v !== 'number') throw invalidType(`resourceLimits.${key}`, 'a number of megabytes > 0', v);
    if (!(Number.isFinite(v) && v > 0)) throw invalidArgument(`resourceLimits.${key}`, 'a number of megabytes > 0', v);
  }
  return limits as ResourceLimits;
}

/**
 * A fixed set of worker threads (minThreads = maxThreads: a thread never retires mid-fit and a
 * thread never runs two ranks of one step at once). Between calls the threads are unref'd, so
 * a script that trains and returns exits by itself; during a call they hold the process open.
 */
export class WorkerPool {
  private readonly piscina: Piscina;
  private destroyed = false;

  constructor(
    readonly size: number,
    /** Node's Worker resourceLimits for each thread: a thread over them dies, the fit fails cleanly. */
    resourceLimits?: ResourceLimits,
  ) {
    this.piscina = new Piscina({
      filename: workerEntry(),
      minThreads: size,
      maxThreads: size,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      resourceLimits: { ...DEFAULT_LIMITS, ...resourceLimits },
    });
  }

  run(task: Task): Promise<TaskTiming> {
    return this.piscina.run(task) as Promise<TaskTiming>;
  }

  /** Keeps the process alive while a call is in flight. */
  hold(): void {
    for (const thread of this.piscina.threads) thread.ref();
  }

  /** Lets the process exit while the pool idles between calls. */
  release(): void {
    for (const thread of this.piscina.threads) thread.unref();
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await this.piscina.destroy();
  }
}
