import { createHash } from 'node:crypto';
import { hostPart } from '../parallel/engine-api.js';
import { HostGroupError } from '../parallel/gloo/errors.js';
import { activeHostGroup, type HostGroup } from '../parallel/gloo/group.js';
import type { Callback } from './callbacks/callback.js';
import type { Column } from '../parallel/batch.js';
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
 * Fails on every rank at once when a rank's `description` differs from rank 0's, naming the
 * ranks and the fields that differ (an all-gather of each field's digest).
 */
async function checkSameRun(group: HostGroup, description: RunDescription, problem: string, advice: string): Promise<void> {
  const fields = Object.keys(description);
  const all = await group.allgather(digests(description), 'checking that the ranks agree');
  const differ: string[] = [];
  all.forEach((d, rank) => {
    const off = fields.filter((_, i) => d.subarray(i * 4, i * 4 + 4).some((b, j) => b !== (all[0] as Uint8Array)[i * 4 + j]));
    if (off.length > 0) differ.push(`rank ${rank}: ${off.join(', ')}`);
  });
  if (differ.length > 0) throw new HostGroupError(`${problem}: these differ from rank 0's (${differ.join('; ')}). ${advice}`);
}

/** A digest of a dataset's size and its first and last rows: what ranks compare before splitting its rows. */
function dataSample(xs: readonly Column[], rows: number): string {
  const hash = createHash('sha256').update(String(rows));
  for (const c of xs) {
    const d = c.data as unknown as ArrayBufferView & { subarray(a: number, b: number): ArrayBufferView };
    for (const r of rows > 0 ? [0, rows - 1] : []) {
      const row = d.subarray(r * c.rowSize, (r + 1) * c.rowSize);
      hash.update(new Uint8Array(row.buffer, row.byteOffset, row.byteLength));
    }
  }
  return hash.digest('hex');
}

/** The data of an evaluate or predict across hosts must be the same on every rank: each computes a part of it. */
function sameData(group: HostGroup, call: string, xs: readonly Column[], rows: number, batchSize: number): Promise<void> {
  return checkSameRun(group, { rows: { rows }, data: dataSample(xs, rows), batchSize }, `the ranks called ${call} on different data`,
    `Across hosts ${call} is collective: every rank calls it with the same data and each computes its part of the rows (unset WORLD_SIZE to ${call} alone)`);
}

/**
 * Joins this fit's ranks: fails, on every rank at once and before any step, when one trains
 * another model, batch size, data or optimizer than rank 0 (naming the ranks and what
 * differs); then copies rank 0's weights, optimizer state and seed to every rank, and returns
 * the options this rank trains with (no progress and no file-writing callbacks but on rank 0).
 */
export async function joinRun<T extends RunOptions>(group: HostGroup, description: RunDescription, params: Float32Array, state: TrainingState, options: T): Promise<T> {
  await checkSameRun(group, description, 'the ranks are not training the same run', 'Every rank must build the same model and call fit with the same data shape and options');
  await group.broadcast(params, 0, "sharing rank 0's weights");
  for (const slot of state.slots) await group.broadcast(slot, 0, "sharing rank 0's optimizer state");
  const seed = new Float64Array([options.seed]);
  await group.broadcast(seed, 0, "sharing rank 0's seed");
  if (group.rank === 0) return options;
  return { ...options, seed: seed[0] as number, verbose: 0, callbacks: options.callbacks.filter((c) => c.rankZeroOnly !== true) };
}

/**
 * With layers whose statistics span the hosts inside a step (BatchNormalization), every batch
 * needs a row on every host: refused at the start of fit, on every rank alike, otherwise.
 */
export function checkBatchesForHosts(group: HostGroup, model: { readonly layers: readonly { readonly collectiveLength: number; readonly name: string }[] }, rows: number, batchSize: number): void {
  const layer = model.layers.find((l) => l.collectiveLength > 0);
  if (layer === undefined) return;
  const last = rows % batchSize;
  const smallest = Math.min(batchSize, rows, last === 0 ? batchSize : last);
  if (smallest < group.size) {
    throw new RangeError(`Layer '${layer.name}' sums its batch statistics across the ${group.size} hosts in every step, so every batch needs a row on every host; ` +
      `with ${rows} rows in batches of ${batchSize} the smallest batch has ${smallest}: choose a batch size (and row count) whose batches have at least ${group.size} rows`);
  }
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
      await sameData(group, 'evaluate', data.xs, data.rows, batchSize);
      const [a, b] = hostPart(0, data.rows, group);
      const sums = await engine.evaluate(sliceDataset(data, a, b), batchSize);
      await group.allreduce(sums, 'summing evaluate\'s loss and metrics');
      return sums;
    },
    async predict(xs, rows, batchSize): Promise<Float32Array[]> {
      await sameData(group, 'predict', xs, rows, batchSize);
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
