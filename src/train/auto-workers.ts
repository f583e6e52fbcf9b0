/**
 * `workers: 'auto'`: the worker count that runs this model's step fastest at this batch size,
 * chosen by timing trial steps before training starts. A trial changes nothing (the engine's
 * trialStep), so the run that follows is exactly the run a fixed count of the chosen size gives:
 * the choice is kept in History and checkpoints, and passing it back replays the run bitwise.
 *
 * Timing is the only honest judge here: a small model's step is dispatch-bound and fastest on
 * one worker, a wide one's scales with the cores, and where the curve bends depends on the
 * machine. Counts are timed in interleaved rounds (see chooseWorkers).
 */
import { availableParallelism } from 'node:os';
import { hostConfig } from '../parallel/gloo/config.js';
import { joinedHostConfig } from '../parallel/gloo/group.js';

export interface AutoChoice {
  /** The count chosen. */
  readonly workers: number;
  /** The median trial step time of each count tried, in milliseconds, in the order tried. */
  readonly trials: readonly { readonly workers: number; readonly ms: number }[];
}

export interface AutoOptions {
  /** Timed rounds at least (default 3); short steps get more, up to MAX_ROUNDS, to fill TIME_BUDGET_MS. */
  readonly repeats?: number;
  /** The clock, in milliseconds (tests inject one). */
  readonly now?: () => number;
}

/** A count within this fraction of a faster one's time counts as no slower: fewer threads win ties. */
const TIE = 0.03;
/** After the first timed round, a count this much slower than the best is dropped. */
const GIVE_UP = 1.5;
/** Timed rounds are added, up to MAX_ROUNDS, until they take about this long: short steps are noisy. */
const TIME_BUDGET_MS = 200;
const MAX_ROUNDS = 15;

/** The counts `'auto'` tries on `cores` threads for `rows` rows a step: cores, then powers of two below it, none above the rows. */
export function candidateCounts(cores: number, rows: number): number[] {
  const top = Math.max(1, Math.min(cores, rows));
  const out = [top];
  for (let p = 2 ** Math.floor(Math.log2(top)); p >= 1; p /= 2) if (p < top) out.push(p);
  return out;
}

/** The threads `'auto'` may use: every core Node reports. */
/** The weft processes sharing this host: the joined group's, else the environment's (1 alone or if unreadable). */
function processesOnThisHost(): number {
  const joined = joinedHostConfig();
  if (joined !== null) return joined.localWorldSize;
  try {
    return hostConfig()?.localWorldSize ?? 1;
  } catch {
    return 1;
  }
}

export function autoPoolSize(): number {
  // Several weft processes on one host (LOCAL_WORLD_SIZE as torchrun sets it, Slurm's tasks per
  // node, or the localWorldSize given to weft.hosts.init) share its cores.
  return Math.max(1, Math.floor(availableParallelism() / processesOnThisHost()));
}

/**
 * Times `trial(k)` for each candidate count and returns the fastest (fewer workers on a tie).
 * The trials run in rounds, one trial of each count per round, so whatever drifts while they
 * run — threads still warming up (V8 tiers wasm code up in the background), a noisy neighbour —
 * falls on every count alike: two untimed rounds, then at least `repeats` timed ones (more for
 * short steps, to fill TIME_BUDGET_MS), each count's time the median of its timed trials. After
 * the first timed round a clearly slower count is dropped.
 */
export async function chooseWorkers(candidates: readonly number[], trial: (workers: number) => Promise<void>, options: AutoOptions = {}): Promise<AutoChoice> {
  const repeats = options.repeats ?? 3;
  const now = options.now ?? (() => performance.now());
  if (candidates.length === 1) return { workers: candidates[0], trials: [] };
  for (let round = 0; round < 2; round++) for (const k of candidates) await trial(k);
  const times = new Map<number, number[]>(candidates.map((k) => [k, []]));
  let live = [...candidates];
  let rounds = repeats;
  for (let round = 0; round < rounds; round++) {
    const began = now();
    for (const k of live) {
      const t0 = now();
      await trial(k);
      (times.get(k) as number[]).push(now() - t0);
    }
    if (round === 0) {
      const fastest = Math.min(...live.map((k) => (times.get(k) as number[])[0]));
      live = live.filter((k) => (times.get(k) as number[])[0] <= fastest * GIVE_UP);
      const perRound = Math.max(now() - began, 1e-3) * (live.length / candidates.length);
      rounds = Math.min(MAX_ROUNDS, Math.max(repeats, Math.ceil(TIME_BUDGET_MS / perRound)));
    }
  }
  const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
  const trials = candidates.map((workers) => ({ workers, ms: median(times.get(workers) as number[]) }));
  // Counts come largest first: a smaller one wins unless clearly slower than the best so far.
  let best = trials[0];
  for (const t of trials.slice(1)) if (t.ms <= best.ms * (1 + TIE)) best = { workers: t.workers, ms: Math.min(t.ms, best.ms) };
  return { workers: best.workers, trials };
}

/** The one line `verbose >= 1` prints about the choice. */
export function describeChoice(choice: AutoChoice): string {
  const tried = choice.trials.map((t) => `${t.workers} → ${t.ms.toFixed(2)} ms`).join(', ');
  return `workers: auto chose ${choice.workers}${tried === '' ? '' : ` (median trial step: ${tried})`}; pass workers: ${choice.workers} to replay this run exactly`;
}
