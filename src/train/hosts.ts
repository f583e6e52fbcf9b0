import { createHash } from 'node:crypto';
import { hostPart } from '../parallel/engine-api.js';
import { HostGroupError } from '../parallel/gloo/errors.js';
import { activeHostGroup, type HostGroup } from '../parallel/gloo/group.js';
import type { Callback } from './callbacks/callback.js';
import { sliceDataset, type Dataset, type InferenceEngine } from './engine.js';
import type { TrainingState } from './training-state.js';

/**
 * What a training call does differently as one rank of a group of hosts: every rank checks
 * that it is training the same run as rank 0, starts from rank 0's weights, optimizer state and
 * seed, and only rank 0 prints and writes files. The step itself (coordinator.ts) and
 * inference (acrossHosts below) split the rows by global index.
 */
export { activeHostGroup };
export type { HostGroup };

/** Fit options the ranks must agree on, as rank 0 resolved them. */
interface RunOptions {
  readonly seed: number;
  readonly verbose: number;
  readonly callbacks: Callback[];
}

/** What each rank's fit describes of itself: a field that differs names what to fix. */
export type RunDescription = Readonly<Record<string, unknown>>;

/** A 4-byte digest of each field, in the description's key order. */
function digests(description: RunDescription): Uint8Array {
  const keys = Object.keys(description);
  const out = new Uint8Array(keys.length * 4);
  keys.forEach((k, i) => out.set(createHash('sha256').update(JSON.stringify(description[k])).digest().subarray(0, 4), i * 4));
  return out;
}

/**
 * Joins this fit's ranks: fails, on every rank at once and before any step, when one trains
 * another model, batch size, data or optimizer than rank 0 (naming the ranks and what
 * differs); then copies rank 0's weights, optimizer state and seed to every rank, and returns
 * the options this rank trains with (no progress and no file-writing callbacks but on rank 0).
 */
export async function joinRun<T extends RunOptions>(group: HostGroup, description: RunDescription, params: Float32Array, state: TrainingState, options: T): Promise<T> {
  const fields = Object.keys(description);
  const all = await group.allgather(digests(description), 'checking that every rank trains the same run');
  const differ: string[] = [];
  all.forEach((d, rank) => {
    const fieldsOff = fields.filter((_, i) => d.subarray(i * 4, i * 4 + 4).some((b, j) => b !== (all[0] as Uint8Array)[i * 4 + j]));
    if (fieldsOff.length > 0) differ.push(`rank ${rank}: ${fieldsOff.join(', ')}`);
  });
  if (differ.length > 0) {
    throw new HostGroupError(`the ranks are not training the same run: these differ from rank 0's (${differ.join('; ')}). ` +
      'Every rank must build the same model and call fit with the same data shape and options');
  }
  await group.broadcast(params, 0, "sharing rank 0's weights");
  for (const slot of state.slots) await group.broadcast(slot, 0, "sharing rank 0's optimizer state");
  const seed = new Float64Array([options.seed]);
  await group.broadcast(seed, 0, "sharing rank 0's seed");
  if (group.rank === 0) return options;
  return { ...options, seed: seed[0] as number, verbose: 0, callbacks: options.callbacks.filter((c) => c.rankZeroOnly !== true) };
}

/**
 * An inference engine whose rows are split across the hosts as a step's are: each host
 * evaluates or predicts its contiguous part, then the sums (evaluate) or the rows (predict:
 * each host's rows in an otherwise zero array of `outputWidths` floats a row per output) are
 * summed across hosts, so every rank returns the whole answer.
 */
export function acrossHosts(engine: InferenceEngine, group: HostGroup | null, outputWidths: readonly number[]): InferenceEngine {
  if (group === null || group.size === 1) return engine;
  return {
    async evaluate(data: Dataset, batchSize: number): Promise<Float64Array> {
      const [a, b] = hostPart(0, data.rows, group);
      const sums = await engine.evaluate(sliceDataset(data, a, b), batchSize);
      await group.allreduce(sums, 'summing evaluate\'s loss and metrics');
      return sums;
    },
    async predict(xs, rows, batchSize): Promise<Float32Array[]> {
      const [a, b] = hostPart(0, rows, group);
      const part = b > a ? await engine.predict(sliceDataset({ xs, y: null, rows }, a, b).xs, b - a, batchSize) : [];
      const outs = outputWidths.map((width, o) => {
        const full = new Float32Array(rows * width);
        const mine = part[o];
        if (mine !== undefined) full.set(mine, a * width);
        return full;
      });
      for (const full of outs) await group.allreduce(full, 'gathering predict\'s rows');
      return outs;
    },
    dispose: () => engine.dispose(),
  };
}
