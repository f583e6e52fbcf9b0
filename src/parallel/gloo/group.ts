import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { hostname } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { hostConfig, type HostConfig, type HostGroupOptions } from './config.js';
import { ControlLine } from './control-line.js';
import { HostGroupError, HostLostError } from './errors.js';
import { glooBinding, type GlooBinding, type GlooHandle } from './native.js';
import { StoreServer } from './store-server.js';

/** The local address this host's packets to host:port leave from (a connected UDP socket sends nothing). */
function addressTowards(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    socket.on('error', () => {
      socket.close();
      resolve(hostname());
    });
    socket.connect(port, host, () => {
      const { address } = socket.address();
      socket.close();
      resolve(address);
    });
  });
}

/** How long a failed collective waits to hear from rank 0's store which rank was lost. */
const NAME_THE_RANK_MS = 3000;

/**
 * This process's place in a group of hosts, and the collectives weft's protocol is built of
 * (each through Gloo, off the event loop). After one fails the group is broken: every later
 * call fails at once with the same error, so nothing waits on a peer that is gone.
 */
export class HostGroup {
  private broken: HostLostError | null = null;
  private closed = false;

  private constructor(
    readonly config: HostConfig,
    private readonly gloo: GlooBinding,
    private readonly handle: GlooHandle,
    private readonly control: ControlLine | null,
    private readonly server: StoreServer | null,
  ) {}

  get rank(): number {
    return this.config.rank;
  }

  get size(): number {
    return this.config.worldSize;
  }

  /**
   * Rendezvous and connect: rank 0 serves the store (the default TCP one), every rank
   * registers and waits for the others, then Gloo connects the full mesh and a barrier
   * confirms it. Rejects with a named HostGroupError, never hangs past the timeout.
   */
  static async join(config: HostConfig): Promise<HostGroup> {
    const gloo = glooBinding();
    const { rank, worldSize: size, timeoutMs, store } = config;
    let server: StoreServer | null = null;
    let control: ControlLine | null = null;
    let handle: GlooHandle | null = null;
    try {
      if (store.kind === 'tcp') {
        if (rank === 0) server = await StoreServer.listen(store.port, size, timeoutMs, Math.min(timeoutMs, 30_000));
        control = await ControlLine.open(store.host, store.port, { rank, worldSize: size, pid: process.pid, host: hostname() }, timeoutMs);
      }
      // Gloo listens on the named interface, else where rank 0's store saw this host from (so
      // every peer can reach it), else where this host reaches the Redis server from.
      const address = config.iface !== '' ? '' : control?.address ?? (store.kind === 'redis' ? await addressTowards(store.host, store.port) : hostname());
      try {
        handle = await gloo.connect({ rank, size, timeoutMs, hostname: address, iface: config.iface, prefix: config.runId, store });
      } catch (err) {
        throw new HostGroupError(`rank ${rank} could not connect to the other ${size - 1} rank(s) through Gloo: ${(err as Error).message}`, { cause: err });
      }
      const group = new HostGroup(config, gloo, handle, control, server);
      await group.barrier('while the group formed');
      return group;
    } catch (err) {
      if (handle !== null) gloo.close(handle);
      control?.close();
      server?.close();
      throw err;
    }
  }

  /** Collectives in the order they were asked for: Gloo runs one at a time on a context. */
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs a collective; its failure becomes a HostLostError naming the lost rank where the store knows it. */
  private collective(what: string, call: (h: GlooHandle, timeoutMs: number) => Promise<void>): Promise<void> {
    const run = this.queue.then(() => this.runCollective(what, call));
    this.queue = run.catch(() => {});
    return run;
  }

  private async runCollective(what: string, call: (h: GlooHandle, timeoutMs: number) => Promise<void>): Promise<void> {
    if (this.closed) throw new HostGroupError(`the group was closed: cannot communicate ${what}`);
    if (this.broken !== null) throw this.broken;
    try {
      await call(this.handle, this.config.timeoutMs);
    } catch (err) {
      await this.control?.whenLost(NAME_THE_RANK_MS);
      const lost = [...(this.control?.lost ?? [])].find(([r]) => r !== this.rank);
      const gloo = (err as Error).message;
      this.broken = lost !== undefined
        ? new HostLostError(`rank ${lost[0]} of ${this.size} was lost ${what}: ${lost[1]}. This rank (${this.rank}) keeps the weights of the last whole step; ` +
            `resume from the last checkpoint. (Gloo: ${gloo})`, lost[0], { cause: err })
        : new HostLostError(`a collective across the ${this.size} hosts failed ${what} on rank ${this.rank} (a host died, stalled past the ` +
            `${this.config.timeoutMs / 1000} s timeout, or the network failed). This rank keeps the weights of the last whole step. (Gloo: ${gloo})`, null, { cause: err });
      throw this.broken;
    }
  }

  /**
   * This rank failed its part of a collective step (`reason`) while the others may be waiting
   * in it: the group cannot stay in step, so it breaks here, says why to rank 0's store (which
   * tells the others, so their error names this rank) and closes Gloo's pairs, which fails the
   * others' waiting collective at once instead of at the timeout.
   */
  abandon(reason: Error): void {
    if (this.broken !== null || this.closed) return;
    this.broken = new HostLostError(`this rank (${this.rank}) failed a step shared with the other hosts, so the group cannot continue: ${reason.message}`, this.rank, { cause: reason });
    this.control?.report(reason.message);
    // Closed after the report has left, so the others hear why before their pairs close.
    setTimeout(() => this.gloo.close(this.handle), 200).unref();
  }

  /**
   * Runs `call` on memory no one can detach meanwhile: a SharedArrayBuffer's as is, any other
   * through a shared copy (an ArrayBuffer transferred mid-call would free memory Gloo writes).
   */
  private async onSharedMemory<T extends ArrayBufferView>(values: T, call: (v: T) => Promise<void>): Promise<void> {
    if (values.buffer instanceof SharedArrayBuffer) return call(values);
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const shared = new Uint8Array(new SharedArrayBuffer(values.byteLength));
    shared.set(bytes);
    const Kind = values.constructor as new (b: SharedArrayBuffer) => T;
    await call(new Kind(shared.buffer as SharedArrayBuffer));
    bytes.set(shared);
  }

  /** The elementwise sum over every rank, in place (the array's own memory, shared or not). */
  allreduce(values: Float32Array | Float64Array, what: string): Promise<void> {
    return this.onSharedMemory(values, (v) => this.collective(what, (h, t) => this.gloo.allreduce(h, v, t)));
  }

  /** `root`'s bytes into every rank's `values`. */
  broadcast(values: ArrayBufferView, root: number, what: string): Promise<void> {
    return this.onSharedMemory(values, (v) => this.collective(what, (h, t) => this.gloo.broadcast(h, v, root, t)));
  }

  barrier(what: string): Promise<void> {
    return this.collective(what, (h, t) => this.gloo.barrier(h, t));
  }

  /**
   * Every rank's `bytes` (the same length on each), by rank: an all-reduce of a zeroed float
   * array where each rank fills only its own row. Bytes are small whole numbers, so the float
   * sums are exact.
   */
  async allgather(bytes: Uint8Array, what: string): Promise<Uint8Array[]> {
    const n = bytes.length;
    const table = new Float32Array(this.size * n);
    table.set(bytes, this.rank * n);
    await this.allreduce(table, what);
    return Array.from({ length: this.size }, (_, r) => Uint8Array.from(table.subarray(r * n, (r + 1) * n)));
  }

  /** Leaves the group: closes Gloo's pairs, the control line and (rank 0) the store. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.gloo.close(this.handle);
    this.control?.close();
    this.server?.close();
  }
}

/** The process's group: joined explicitly (initHostGroup), or on first use from the environment. */
let current: Promise<HostGroup> | null = null;
/** The configuration of the group joined or being joined (what autoPoolSize reads synchronously). */
let currentConfig: HostConfig | null = null;

/** The joined group's configuration, or null. */
export function joinedHostConfig(): HostConfig | null {
  return currentConfig;
}

/**
 * Joins a group of hosts, as torch.distributed.init_process_group: `options` override the
 * environment (torchrun's variables, else Slurm's). A process is in at most one group.
 */
export async function initHostGroup(options: HostGroupOptions = {}): Promise<HostGroup> {
  if (current !== null) throw new HostGroupError('this process has already joined a group of hosts: call weft.hosts.leave() first');
  const config = hostConfig(options);
  if (config === null) throw new HostGroupError('initHostGroup needs a world size: pass {worldSize, rank, ...} or set WORLD_SIZE and RANK (torchrun sets both)');
  return joinAs(config);
}

function joinAs(config: HostConfig): Promise<HostGroup> {
  // One group per process, joined by its main thread (a weft.trainer's thread included in "not").
  if (!isMainThread) {
    return Promise.reject(new HostGroupError(`WORLD_SIZE=${config.worldSize}: training across hosts runs in each rank's main thread, ` +
      'not in a worker thread (weft.trainer does not train across hosts yet): call model.fit in the main thread of each rank'));
  }
  const joining = HostGroup.join(config);
  current = joining;
  currentConfig = config;
  joining.catch(() => {
    if (current !== joining) return;
    current = null;
    currentConfig = null;
  });
  return joining;
}

/**
 * The group training runs in: the joined one, else one joined now from the environment when
 * it names a world size above 1 (a torchrun script's fit joins by itself), else null: one host.
 */
export async function activeHostGroup(): Promise<HostGroup | null> {
  if (current !== null) return current;
  const config = hostConfig();
  return config === null ? null : joinAs(config);
}

/** Leaves the process's group, if any. */
export async function leaveHostGroup(): Promise<void> {
  const joined = current;
  current = null;
  currentConfig = null;
  if (joined !== null) (await joined.catch(() => null))?.close();
}
