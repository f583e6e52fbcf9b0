/**
 * The in-step collective: ranks that are all in flight at once sum a few partial vectors in
 * the middle of a step (BatchNormalization's batch statistics, forward and backward), through
 * shared memory, in rank order — so every rank gets bitwise the same sums, and N workers
 * normalise with the statistics of the whole global batch, exactly as one worker would.
 *
 * It relies on the pool running one rank per thread (minThreads = maxThreads, one task per
 * thread): a rank waiting here blocks its thread, so two ranks on one thread would deadlock.
 */

/** Indices of the control words (Int32). */
const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;
/** Across hosts: calls the last rank handed to the coordinator, and the vector length of the latest. */
const REQUESTS = 3;
const LENGTH = 4;
/** Set by the coordinator when the step's tasks have settled: its relay stops. */
const STOPPED = 5;
const CONTROL_WORDS = 8;

/**
 * How long one wait sleeps before it looks at the abort flag again. A failing rank and the
 * coordinator both notify the waiters, so this only bounds a missed wake-up.
 */
const WAIT_SLICE_MS = 100;

/** What a rank waiting in the collective throws when another rank failed (or the step was aborted). */
export const COLLECTIVE_ABORTED = 'weft: the in-step collective was aborted because another rank failed';

/** The collective as a layer's step sees it: `sum` adds one vector over the step's ranks. */
export interface Collective {
  readonly ranks: number;
  sum(partial: Float64Array): Float64Array;
}

/** One rank alone: the sum is its own partial. */
export const SOLO: Collective = { ranks: 1, sum: (partial) => partial };

/**
 * The shared memory of a collective: control words and two regions of `maxRanks` + 1 rows of
 * `capacity` float64s (a row per rank, then the combined sum when it spans hosts).
 */
export interface CollectiveBuffers {
  readonly control: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
  /** The longest vector one call may sum. */
  readonly capacity: number;
  /** The most ranks a step may have. */
  readonly maxRanks: number;
  /**
   * The sum spans hosts: the last rank to arrive hands the call to the coordinator, which sums
   * the host's rows, all-reduces that across hosts and releases the ranks (relayAcrossHosts).
   */
  readonly acrossHosts: boolean;
}

export function collectiveBuffers(maxRanks: number, capacity: number, allocate: (bytes: number) => SharedArrayBuffer, acrossHosts = false): CollectiveBuffers {
  return { control: allocate(CONTROL_WORDS * 4), data: allocate(2 * (maxRanks + 1) * capacity * 8), capacity, maxRanks, acrossHosts };
}

/** The first `length` values of rows 0..ranks-1 of a region, added in rank order. */
function addRows(data: Float64Array, region: number, ranks: number, capacity: number, length: number): Float64Array {
  const out = new Float64Array(length);
  for (let r = 0; r < ranks; r++) {
    const row = region + r * capacity;
    for (let i = 0; i < length; i++) out[i] += data[row + i] as number;
  }
  return out;
}

/** Where call `call`'s rows start (two regions, alternating). */
const regionOf = (b: CollectiveBuffers, call: number) => (call & 1) * (b.maxRanks + 1) * b.capacity;

/**
 * Clears the control words before a step's ranks start (the coordinator, while no rank runs):
 * no rank has arrived, nothing is aborted.
 */
export function resetCollective(buffers: CollectiveBuffers): void {
  const control = new Int32Array(buffers.control);
  Atomics.store(control, ARRIVED, 0);
  Atomics.store(control, ABORTED, 0);
  Atomics.store(control, REQUESTS, 0);
  Atomics.store(control, STOPPED, 0);
}

/**
 * Releases every rank waiting in the collective with an error (the coordinator, when a rank's
 * task failed or its thread died; a rank, when it fails itself): no rank waits for one that
 * will never arrive.
 */
export function abortCollective(buffers: CollectiveBuffers): void {
  const control = new Int32Array(buffers.control);
  Atomics.store(control, ABORTED, 1);
  Atomics.notify(control, GENERATION);
}

/**
 * One rank's view of the shared collective for one step (`begin` for each step).
 *
 * Protocol, per call: the rank writes its partial into its row of the call's region, then waits
 * at a barrier until every rank has written, then sums the rows in rank order. Calls alternate
 * between two regions, so one barrier per call is enough: a rank can only write a region again
 * two calls later, after the next barrier, which no rank passes before every rank has finished
 * reading this call's sums. The barrier counts arrivals; the last to arrive resets the count and
 * bumps the generation, which wakes the others (a generation barrier: a fast rank may arrive at
 * the next barrier before a slow one has woken from this one, and still cannot be miscounted).
 */
export class SharedCollective implements Collective {
  private readonly control: Int32Array;
  private readonly data: Float64Array;
  private call = 0;
  private rank = 0;
  ranks = 1;

  constructor(private readonly buffers: CollectiveBuffers) {
    this.control = new Int32Array(buffers.control);
    this.data = new Float64Array(buffers.data);
  }

  /** True when the sum spans hosts (the coordinator relays it). */
  get acrossHosts(): boolean {
    return this.buffers.acrossHosts;
  }

  /** This rank's collective for a step of `ranks` ranks. */
  begin(rank: number, ranks: number): this {
    if (ranks > this.buffers.maxRanks) throw new RangeError(`a collective of ${ranks} ranks in buffers made for ${this.buffers.maxRanks}`);
    this.rank = rank;
    this.ranks = ranks;
    this.call = 0;
    return this;
  }

  sum(partial: Float64Array): Float64Array {
    const { capacity } = this.buffers;
    if (partial.length > capacity) throw new RangeError(`an in-step sum of ${partial.length} values exceeds the collective's capacity of ${capacity} (a layer's collectiveLength is too small)`);
    const across = this.buffers.acrossHosts;
    if (this.ranks === 1 && !across) return partial;
    const region = regionOf(this.buffers, this.call);
    this.call += 1;
    this.data.set(partial, region + this.rank * capacity);
    this.barrier(partial.length);
    // Across hosts the coordinator left every host's total in the region's last row.
    if (across) return this.data.slice(region + this.buffers.maxRanks * capacity, region + this.buffers.maxRanks * capacity + partial.length);
    return addRows(this.data, region, this.ranks, capacity, partial.length);
  }

  /**
   * Waits until every rank of the step has arrived (and, across hosts, until the coordinator
   * has brought back every host's total); throws if the step is aborted meanwhile.
   */
  private barrier(length: number): void {
    const c = this.control;
    // Read before arriving: once this rank has counted itself, the generation may move at once.
    const generation = Atomics.load(c, GENERATION);
    if (Atomics.load(c, ABORTED) !== 0) throw new Error(COLLECTIVE_ABORTED);
    const last = Atomics.add(c, ARRIVED, 1) === this.ranks - 1;
    if (last && this.buffers.acrossHosts) {
      // The coordinator moves the generation once the hosts' sum is back.
      Atomics.store(c, LENGTH, length);
      Atomics.add(c, REQUESTS, 1);
      Atomics.notify(c, REQUESTS);
    } else if (last) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
      return;
    }
    while (Atomics.load(c, GENERATION) === generation) {
      if (Atomics.load(c, ABORTED) !== 0) throw new Error(COLLECTIVE_ABORTED);
      Atomics.wait(c, GENERATION, generation, WAIT_SLICE_MS);
    }
  }
}

/** Atomics.waitAsync (in V8 since Node 16; typed from ES2024 on, past this project's lib). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: false; value: string } | { async: true; value: Promise<string> };
}).waitAsync;

/**
 * The coordinator's half of a collective that spans hosts, for one step: for each call the
 * last local rank hands over, sums the host's rows in rank order, all-reduces that across the
 * hosts (`allreduce`, off the event loop) into the call's last row and releases the ranks.
 * `stop()` once the step's tasks have settled; `done` rejects with the all-reduce's error
 * (after aborting the ranks waiting on it), so the step fails with the host's cause.
 */
export function relayAcrossHosts(buffers: CollectiveBuffers, ranks: number, allreduce: (sum: Float64Array) => Promise<void>): { done: Promise<void>; stop(): void } {
  const c = new Int32Array(buffers.control);
  const data = new Float64Array(buffers.data);
  const done = (async () => {
    let served = 0;
    for (;;) {
      while (Atomics.load(c, REQUESTS) === served) {
        if (Atomics.load(c, STOPPED) !== 0) return;
        const wait = waitAsync(c, REQUESTS, served);
        if (wait.async) await wait.value;
      }
      const region = regionOf(buffers, served);
      served += 1;
      const length = Atomics.load(c, LENGTH);
      const sum = addRows(data, region, ranks, buffers.capacity, length);
      try {
        await allreduce(sum);
      } catch (err) {
        abortCollective(buffers);
        throw err;
      }
      data.set(sum, region + buffers.maxRanks * buffers.capacity);
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, GENERATION, 1);
      Atomics.notify(c, GENERATION);
    }
  })();
  // Awaited once the step's tasks settle; until then a rejection must not count as unhandled.
  done.catch(() => {});
  return {
    done,
    stop: () => {
      Atomics.store(c, STOPPED, 1);
      Atomics.notify(c, REQUESTS);
    },
  };
}
