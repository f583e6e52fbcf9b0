/**
 * The suite's plan from its flags (`weft bench --help` lists them): which models at which batch,
 * which worker counts, which peers, how long to time. Pure, so the defaults and the checks are
 * tested without running a benchmark.
 */
import { flagInts, flagNumber } from './args.js';
import { BENCH_MODELS } from './models.js';
import type { PeerName } from './results.js';

export const PEER_NAMES: readonly PeerName[] = ['tfjs-layers-wasm', 'tfjs-layers-cpu', 'pytorch'];

/** The models the full suite measures, as `--models` would name them. */
export const DEFAULT_MODELS = 'mlp@128,mlp@512,seed1,seed3,wide,convnet@128,convnet@512,bnmlp@512';
/** The models of `--quick`. */
export const QUICK_MODELS = 'mlp,seed1';

export interface SuitePlan {
  readonly quick: boolean;
  readonly workers: readonly number[];
  readonly models: readonly { readonly key: string; readonly batch: number }[];
  readonly peers: readonly PeerName[];
  readonly repeats: number;
  readonly warmupMs: number;
  readonly minRepeatMs: number;
  readonly steps: number;
  readonly sharded: boolean | undefined;
  /** Wall-time budget per peer measurement: a peer slower than that is reported as unable, not waited for. */
  readonly peerBudgetMs: number;
  /** Directory for the JSON/Markdown/SVG, or null for none (`--out none`). */
  readonly out: string | null;
}

/** 1, 2, 4, 8, ... below the core count, then the core count itself. */
export function defaultWorkerCounts(cores: number): number[] {
  const counts: number[] = [];
  for (let n = 1; n < cores; n *= 2) counts.push(n);
  counts.push(cores);
  return counts;
}

/** The plan for flags as `parseBenchFlags` returns them, on a machine of `cores` cores; files go to `defaultOut` unless `--out` says otherwise. */
export function suitePlan(flags: Readonly<Record<string, string | boolean | undefined>>, cores: number, defaultOut: string): SuitePlan {
  const quick = flags.quick === true;
  const str = (name: string): string | undefined => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  const models = (str('models') ?? (quick ? QUICK_MODELS : DEFAULT_MODELS)).split(',').map((spec) => {
    const [key, batch, extra] = spec.split('@');
    if (!Object.hasOwn(BENCH_MODELS, key) || extra !== undefined) {
      throw new RangeError(`--models: expected NAME or NAME@BATCH with NAME one of ${Object.keys(BENCH_MODELS).join(', ')}, received '${spec}'`);
    }
    return { key, batch: batch === undefined ? BENCH_MODELS[key].batch : flagNumber('models', batch, 'a positive integer') };
  });
  const peerText = str('peers') ?? PEER_NAMES.join(',');
  const peers = peerText === 'none' ? [] : peerText.split(',').map((p) => {
    if (!PEER_NAMES.includes(p as PeerName)) throw new RangeError(`--peers: expected 'none' or some of ${PEER_NAMES.join(', ')}, received '${p}'`);
    return p as PeerName;
  });
  const sharded = str('sharded') ?? 'auto';
  if (!['auto', 'on', 'off'].includes(sharded)) throw new RangeError(`--sharded: expected auto, on or off, received '${sharded}'`);
  const out = str('out') ?? null;
  return {
    quick,
    workers: str('workers') === undefined ? (quick ? [...new Set([1, cores])] : defaultWorkerCounts(cores)) : flagInts('workers', str('workers')!),
    models,
    peers,
    repeats: flagNumber('repeats', str('repeats') ?? '5', 'a positive integer'),
    warmupMs: flagNumber('warmup-ms', str('warmup-ms') ?? (quick ? '500' : '2000'), 'a number >= 0'),
    minRepeatMs: quick ? 150 : 500,
    steps: flagNumber('steps', str('steps') ?? '10', 'a positive integer'),
    sharded: sharded === 'auto' ? undefined : sharded === 'on',
    peerBudgetMs: 1000 * flagNumber('peer-budget-s', str('peer-budget-s') ?? (quick ? '8' : '60'), 'a number > 0'),
    out: out === 'none' ? null : out ?? defaultOut,
  };
}
