/**
 * Shared memory handed out again instead of allocated afresh for every fit, evaluate or predict.
 *
 * Why: a SharedArrayBuffer's memory is freed only when every thread that ever received it has
 * garbage-collected its handle. The coordinator collects its own handles, but a worker thread
 * runs a full collection rarely (its heap grows slowly) and V8 does not count a shared backing
 * store against a receiving thread's external-memory budget, so nothing hurries it. A process
 * that fits the same model again and again therefore piled up every call's data columns and
 * gradient slots — about 0.5 MB per short fit of seed example 1, 230 MB over 500 fits — until
 * the workers happened to collect. Recycling the buffers makes the steady state allocate no
 * shared memory at all; only a change of size allocates, and that is bounded below.
 */

import { StateError } from '../errors.js';

/** Where an engine or a call takes its shared memory from. */
export interface SharedAllocator {
  /** A zero-filled SharedArrayBuffer of exactly `bytes` bytes, as `new SharedArrayBuffer` gives. */
  buffer(bytes: number): SharedArrayBuffer;
}

/** Fresh memory every time: for callers that own no cache (tests, one-off engines). */
export const freshMemory: SharedAllocator = { buffer: (bytes) => new SharedArrayBuffer(bytes) };

export function float32From(memory: SharedAllocator, length: number): Float32Array {
  return new Float32Array(memory.buffer(length * 4));
}

/**
 * A model's free buffers, by exact size. Each public call takes a lease, allocates through it and
 * ends it when no thread will read or write its buffers again; they go back here for the next
 * call. Free memory is capped at the most the leases have held at once: a model that keeps
 * fitting the same shapes reuses everything, and one whose shapes change keeps no more than its
 * calls needed at their peak, dropping the buffers returned longest ago first.
 */
export class SharedBufferCache {
  /** Free buffers by byte length. */
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  /** Buffers returned, oldest first, for eviction. */
  private readonly returned: SharedArrayBuffer[] = [];
  private freeBytes = 0;
  /** Bytes held by leases not yet ended, and the most they ever held at once. */
  private leasedBytes = 0;
  private capBytes = 0;
  /** Bytes ever allocated afresh: constant while calls only reuse. */
  private allocatedBytes = 0;

  /** For tests and the soak benchmark. */
  get stats(): { freeBuffers: number; freeBytes: number; allocatedBytes: number } {
    return { freeBuffers: this.returned.length, freeBytes: this.freeBytes, allocatedBytes: this.allocatedBytes };
  }

  lease(): SharedLease {
    return new SharedLease(this);
  }

  /** A free buffer of exactly `bytes`, zero-filled, or a new one; counted as leased. */
  take(bytes: number): SharedArrayBuffer {
    this.leasedBytes += bytes;
    this.capBytes = Math.max(this.capBytes, this.leasedBytes);
    const buffer = this.free.get(bytes)?.pop();
    if (buffer === undefined) {
      this.allocatedBytes += bytes;
      return new SharedArrayBuffer(bytes);
    }
    this.returned.splice(this.returned.indexOf(buffer), 1);
    this.freeBytes -= bytes;
    new Uint8Array(buffer).fill(0);
    return buffer;
  }

  /** Takes back a finished lease's buffers. */
  give(buffers: readonly SharedArrayBuffer[]): void {
    for (const b of buffers) {
      this.leasedBytes -= b.byteLength;
      const list = this.free.get(b.byteLength) ?? [];
      list.push(b);
      this.free.set(b.byteLength, list);
      this.returned.push(b);
      this.freeBytes += b.byteLength;
    }
    while (this.freeBytes > this.capBytes) {
      const old = this.returned.shift() as SharedArrayBuffer;
      const list = this.free.get(old.byteLength) as SharedArrayBuffer[];
      list.splice(list.indexOf(old), 1);
      if (list.length === 0) this.free.delete(old.byteLength);
      this.freeBytes -= old.byteLength;
    }
  }

  /** Forgets every free buffer (the model's pool closed: its threads' handles are gone too). */
  clear(): void {
    this.free.clear();
    this.returned.length = 0;
    this.freeBytes = 0;
  }
}

/** The buffers one call took; end() returns them, once no thread uses them any more. */
export class SharedLease implements SharedAllocator {
  private readonly held: SharedArrayBuffer[] = [];
  private ended = false;

  constructor(private readonly cache: SharedBufferCache) {}

  buffer(bytes: number): SharedArrayBuffer {
    if (this.ended) throw new StateError('a shared-memory lease was used after its call ended');
    const b = this.cache.take(bytes);
    this.held.push(b);
    return b;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.cache.give(this.held);
    this.held.length = 0;
  }
}
