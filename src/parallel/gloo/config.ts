import { fileURLToPath } from 'node:url';
import { HostGroupError } from './errors.js';

/**
 * Joining a group of hosts, as torch.distributed.init_process_group takes it: each option
 * overrides its environment variable (torchrun's, else Slurm's), as a torchrun script's
 * explicit arguments do.
 */
export interface HostGroupOptions {
  /** This process's rank, 0..worldSize-1 (RANK, else SLURM_PROCID). */
  rank?: number;
  /** How many processes train together (WORLD_SIZE, else SLURM_NTASKS). */
  worldSize?: number;
  /** Where rank 0 serves the rendezvous store (MASTER_ADDR). */
  masterAddr?: string;
  /** Its port (MASTER_PORT, default 29500 as torchrun's). */
  masterPort?: number;
  /** This process's index among the weft processes on its host (LOCAL_RANK, else SLURM_LOCALID). */
  localRank?: number;
  /** How many weft processes share this host (LOCAL_WORLD_SIZE): they split its cores. */
  localWorldSize?: number;
  /**
   * The rendezvous (WEFT_STORE): 'tcp' (default: rank 0 serves it on masterAddr:masterPort),
   * 'redis://host:port' (Gloo's RedisStore), or 'file:///shared/dir' (Gloo's FileStore on a
   * directory every host sees; start each run in an empty one or with a new runId).
   */
  store?: string;
  /** Seconds a rendezvous or a collective may wait for the others before failing (WEFT_TIMEOUT, default 120). */
  timeout?: number;
  /** Names this run's keys in a shared Redis or directory (TORCHELASTIC_RUN_ID, default 'weft'). */
  runId?: string;
  /** The network interface Gloo uses (GLOO_SOCKET_IFNAME, as PyTorch); default: the one that reaches rank 0. */
  iface?: string;
}

export type StoreSpec =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'redis'; readonly host: string; readonly port: number }
  | { readonly kind: 'file'; readonly path: string };

/** A checked configuration of one process of a group. */
export interface HostConfig {
  readonly rank: number;
  readonly worldSize: number;
  readonly localRank: number;
  readonly localWorldSize: number;
  readonly store: StoreSpec;
  readonly timeoutMs: number;
  readonly runId: string;
  readonly iface: string;
}

export const DEFAULT_MASTER_PORT = 29500;
export const DEFAULT_TIMEOUT_S = 120;
const MAX_TIMEOUT_S = 2_147_483;

type Env = Readonly<Record<string, string | undefined>>;

/** A value and where it came from ('worldSize', 'WORLD_SIZE', ...), for the error that names it. */
interface Sourced<T> {
  readonly value: T;
  readonly from: string;
}

function pick(option: unknown, optionName: string, env: Env, names: readonly string[]): Sourced<string> | null {
  if (option !== undefined) return { value: String(option), from: optionName };
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return { value: v, from: n };
  }
  return null;
}

function wholeNumber(s: Sourced<string>, min: number, what: string): number {
  const n = Number(s.value);
  if (!/^\s*\d+\s*$/.test(s.value) || !Number.isSafeInteger(n) || n < min) {
    throw new HostGroupError(`${s.from} must be ${what}, a whole number >= ${min}; received ${s.from}=${JSON.stringify(s.value)}`);
  }
  return n;
}

/** Slurm's SLURM_NTASKS_PER_NODE / SLURM_TASKS_PER_NODE: '4' or '4(x2)' (the first node's count). */
function slurmTasksPerNode(env: Env): string | undefined {
  const v = env.SLURM_NTASKS_PER_NODE ?? env.SLURM_TASKS_PER_NODE;
  return v?.match(/^\d+/)?.[0];
}

function parseStore(s: Sourced<string> | null, master: () => { host: string; port: number }): StoreSpec {
  const v = s?.value ?? 'tcp';
  const bad = (why: string) => new HostGroupError(`${s?.from ?? 'store'} must be 'tcp', a redis://host:port URL or a file:///directory URL${why}; received ${s?.from ?? 'store'}=${JSON.stringify(v)}`);
  if (v === 'tcp') return { kind: 'tcp', ...master() };
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw bad('');
  }
  if (url.protocol === 'redis:') {
    // Debian's Gloo RedisStore connects without AUTH or a database number.
    if (url.username !== '' || url.password !== '' || (url.pathname !== '' && url.pathname !== '/')) throw bad(" (Gloo's RedisStore takes no user, password or database)");
    return { kind: 'redis', host: url.hostname, port: url.port === '' ? 6379 : Number(url.port) };
  }
  if (url.protocol === 'file:') return { kind: 'file', path: fileURLToPath(url) };
  throw bad('');
}

/**
 * The group this process belongs to, from `options` over `env`; null when it trains alone
 * (no world size, or 1). Every inconsistency is a named error here, before anything connects.
 */
export function hostConfig(options: HostGroupOptions = {}, env: Env = process.env): HostConfig | null {
  const size = pick(options.worldSize, 'worldSize', env, ['WORLD_SIZE', 'SLURM_NTASKS']);
  if (size === null) return null;
  const worldSize = wholeNumber(size, 1, 'the number of processes');
  if (worldSize === 1 && options.worldSize === undefined) return null;
  // Slurm's variables only where the world size came from Slurm, so torchrun's are never mixed with them.
  const slurm = size.from === 'SLURM_NTASKS';
  const rankFrom = pick(options.rank, 'rank', env, slurm ? ['SLURM_PROCID'] : ['RANK']);
  if (rankFrom === null) {
    throw new HostGroupError(`${size.from}=${worldSize} is set but ${slurm ? 'SLURM_PROCID' : 'RANK'} is not: each process needs its rank in 0..${worldSize - 1}`);
  }
  const rank = wholeNumber(rankFrom, 0, 'this process\'s rank');
  if (rank >= worldSize) throw new HostGroupError(`${rankFrom.from}=${rank} is not below ${size.from}=${worldSize}: ranks run 0..${worldSize - 1}`);
  const local = pick(options.localRank, 'localRank', env, slurm ? ['SLURM_LOCALID'] : ['LOCAL_RANK']);
  const localSize = pick(options.localWorldSize, 'localWorldSize', env, slurm ? [] : ['LOCAL_WORLD_SIZE']) ??
    (slurm && slurmTasksPerNode(env) !== undefined ? { value: slurmTasksPerNode(env) as string, from: 'SLURM_NTASKS_PER_NODE' } : null);
  const localWorldSize = localSize === null ? 1 : wholeNumber(localSize, 1, 'the number of processes on this host');
  const localRank = local === null ? 0 : wholeNumber(local, 0, 'this process\'s index on its host');
  if (localRank >= localWorldSize && localSize !== null) {
    throw new HostGroupError(`${local?.from}=${localRank} is not below ${localSize.from}=${localWorldSize}`);
  }
  const timeout = pick(options.timeout, 'timeout', env, ['WEFT_TIMEOUT']);
  const seconds = timeout === null ? DEFAULT_TIMEOUT_S : Number(timeout.value);
  // Node's timers (and Gloo's int32 milliseconds) hold at most 2^31 - 1 ms, about 24.8 days.
  if (!(seconds >= 0.001 && seconds <= MAX_TIMEOUT_S)) {
    throw new HostGroupError(`${timeout?.from} must be a number of seconds from 0.001 to ${MAX_TIMEOUT_S}; received ${timeout?.from}=${JSON.stringify(timeout?.value)}`);
  }
  const store = parseStore(pick(options.store, 'store', env, ['WEFT_STORE']), () => {
    const addr = pick(options.masterAddr, 'masterAddr', env, ['MASTER_ADDR']);
    if (addr === null) {
      throw new HostGroupError(`${size.from}=${worldSize} is set but MASTER_ADDR is not: set it to the address of rank 0's host (every rank the same)` +
        (slurm ? ', e.g. in the sbatch script: export MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)' : ''));
    }
    const portFrom = pick(options.masterPort, 'masterPort', env, ['MASTER_PORT']);
    const port = portFrom === null ? DEFAULT_MASTER_PORT : wholeNumber(portFrom, 1, 'a TCP port');
    if (port > 65535) throw new HostGroupError(`${portFrom?.from} must be a TCP port (1..65535); received ${portFrom?.from}=${port}`);
    return { host: addr.value, port };
  });
  return {
    rank, worldSize, localRank, localWorldSize, store, timeoutMs: Math.round(seconds * 1000),
    runId: pick(options.runId, 'runId', env, ['TORCHELASTIC_RUN_ID'])?.value ?? 'weft',
    iface: pick(options.iface, 'iface', env, ['GLOO_SOCKET_IFNAME'])?.value ?? '',
  };
}
