/**
 * `workers: 'auto'`: the worker count that runs this model's step fastest at this batch size,
 * chosen by timing trial steps before training starts. A trial changes nothing (the engine's
 * trialStep), so the run that follows is exactly the run a fixed count of the chosen size gives:
 * the choice is kept in History and checkpoints, and passing it back replays the run bitwise.
 *
 * Timing is the only honest judge here: a small model's step is dispatch-bound and fastest on
 * one worker, a wide one's scales with the cores, and where the curve bends depends on the
 * machine. Counts are tried from the most to the fewest; the search stops once a count is
 * clearly slower than the best so far (step time against workers is unimodal in practice).
 */
import { availableParallelism } from 'node:os';

export interface AutoChoice {
  /** The count chosen. */
  readonly workers: number;
  /** The median trial step time of each count tried, in milliseconds, in the order tried. */
  readonly trials: readonly { readonly workers: number; readonly ms: number }[];
}

export interface AutoOptions {
  /** Timed trials per count (after one untimed warm-up each). */
  readonly repeats?: number;
  /** The clock, in milliseconds (tests inject one). */
  readonly now?: () => number;
}

/** A count within this fraction of a faster one's time counts as no slower: fewer threads win ties. */
const TIE = 0.03;
/** A count this much slower than the best so far ends the search. */
const GIVE_UP = 1.25;

/** The counts `'auto'` tries on `cores` threads for `rows` rows a step: cores, then powers of two below it, none above the rows. */
export function candidateCounts(cores: number, rows: number): number[] {
  const top = Math.max(1, Math.min(cores, rows));
  const out = [top];
  for (let p = 2 ** Math.floor(Math.log2(top)); p >= 1; p /= 2) if (p < top) out.push(p);
  return out;
}

/** The threads `'auto'` may use: every core Node reports. */
export function autoPoolSize(): number {
  return availableParallelism();
}

/**
 * Times `trial(k)` for each candidate count and returns the fastest (fewer workers on a tie).
 * One untimed trial at the largest count first warms every thread (their first step builds the
 * model); each count then gets one more untimed trial and `repeats` timed ones, their median
 * its time.
 */
export async function chooseWorkers(candidates: readonly number[], trial: (workers: number) => Promise<void>, options: AutoOptions = {}): Promise<AutoChoice> {
  const repeats = options.repeats ?? 3;
  const now = options.now ?? (() => performance.now());
  if (candidates.length === 1) return { workers: candidates[0], trials: [] };
  await trial(candidates[0]);
  const trials: { workers: number; ms: number }[] = [];
  let best: { workers: number; ms: number } | null = null;
  for (const workers of candidates) {
    await trial(workers);
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t0 = now();
      await trial(workers);
      times.push(now() - t0);
    }
    times.sort((a, b) => a - b);
    const ms = times[times.length >> 1];
    trials.push({ workers, ms });
    // Counts come largest first: a later (smaller) one wins unless clearly slower.
    if (best === null) best = { workers, ms };
    else if (ms <= best.ms * (1 + TIE)) best = { workers, ms: Math.min(ms, best.ms) };
    else if (ms > best.ms * GIVE_UP) break;
  }
  return { workers: best === null ? candidates[0] : best.workers, trials };
}

/** The one line `verbose >= 1` prints about the choice. */
export function describeChoice(choice: AutoChoice): string {
  const tried = choice.trials.map((t) => `${t.workers} → ${t.ms.toFixed(2)} ms`).join(', ');
  return `workers: auto chose ${choice.workers}${tried === '' ? '' : ` (median trial step: ${tried})`}; pass workers: ${choice.workers} to replay this run exactly`;
}
