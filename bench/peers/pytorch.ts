/**
 * Peer benchmark: PyTorch on CPU, run by bench/peers/pytorch_peer.py in a child Python process.
 * Python is optional: `probeTorch` says whether torch imports and, if not, why, so the suite can
 * report the peer as skipped instead of failing.
 *
 * The protocol is one JSON job in argv, JSON lines back on stdout, logs on stderr. The child is
 * told to exit when its stdin closes (`exitWithParent`): Node holds that pipe and never writes, so
 * an aborted, killed or crashed benchmark never leaves PyTorch training on cores the next
 * measurement needs. An AbortSignal kills it at once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Architecture } from '../results.js';
import { summarize, type Summary } from '../stats.js';

export type TorchProbe =
  | { readonly available: true; readonly version: string; readonly python: string }
  | { readonly available: false; readonly reason: string };

export interface TorchRateOptions {
  readonly batch: number;
  /** torch.set_num_threads, and the OpenMP/OpenBLAS/MKL pools capped to match. */
  readonly threads: number;
  readonly repeats: number;
  /** Untimed training before the first repeat (ms). */
  readonly warmupMs: number;
  /** Each repeat trains whole steps until at least this long has passed (ms). */
  readonly minRepeatMs: number;
  /** The Python to run; by default the one `probeTorch()` finds. */
  readonly python?: string;
  readonly signal?: AbortSignal;
}

export interface TorchRate {
  readonly samplesPerSec: Summary;
  /** The parameter count of the model the child built: weft's own for the same architecture. */
  readonly params: number;
  /** torch.get_num_threads() as the child saw it. */
  readonly threads: number;
  readonly version: string;
  /** Best effort: torch's BLAS_INFO and the BLAS libraries loaded, e.g. "BLAS_INFO=generic; loaded openblas-pthread/libopenblasp-r0.3.21.so". */
  readonly blas: string;
}

export interface TorchFashionOptions {
  /** Holds Fashion-MNIST's four gzip IDX files (train-images-idx3-ubyte.gz, …). */
  readonly dataDir: string;
  /** A features input of 784 (images flattened) or a 28×28×1 image input; the child checks it against the files. */
  readonly architecture: Architecture;
  readonly batch: number;
  readonly epochs: number;
  readonly threads: number;
  /** Stop after the first epoch whose test accuracy reaches this; by default all `epochs` run. */
  readonly target?: number;
  /** Seeds the initial weights, dropout and the shuffle. Default 1. */
  readonly seed?: number;
  readonly python?: string;
  readonly signal?: AbortSignal;
}

export interface TorchEpoch {
  readonly epoch: number;
  /** Cumulative training wall time (s), evaluation excluded. */
  readonly trainSeconds: number;
  /** Cumulative wall time (s) since training began, evaluation included. */
  readonly wallSeconds: number;
  readonly testAccuracy: number;
  /** Mean training loss over the epoch. */
  readonly loss: number;
}

export interface TorchFashion {
  readonly epochs: readonly TorchEpoch[];
  readonly params: number;
  readonly version: string;
  readonly threads: number;
}

/** Importing torch can take seconds on a cold disk; a probe that takes longer than this says so. */
const PROBE_TIMEOUT_MS = 60_000;
const STDERR_TAIL = 4000;

/**
 * The peer script. tsc does not copy .py files, so from dist/bench/peers/ it is found back in the
 * source tree: three levels up is the repository root.
 */
function peerScript(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, 'pytorch_peer.py'), resolve(here, '../../../bench/peers/pytorch_peer.py')].find((p) => existsSync(p));
}

/**
 * Whether `python` can import torch, and its version. With no argument it tries $WEFT_PYTHON
 * alone when set, else `python3` and then `/usr/bin/python3`: Debian's python3-torch lives in
 * the system Python, which a pyenv or virtualenv `python3` earlier on PATH hides.
 */
export function probeTorch(python?: string): TorchProbe {
  if (peerScript() === undefined) return { available: false, reason: 'bench/peers/pytorch_peer.py is missing' };
  const env = process.env.WEFT_PYTHON;
  const candidates = python !== undefined ? [python] : env !== undefined && env !== '' ? [env] : ['python3', '/usr/bin/python3'];
  const reasons: string[] = [];
  for (const candidate of candidates) {
    const probe = probeOne(candidate);
    if (probe.available) return probe;
    reasons.push(probe.reason);
  }
  return { available: false, reason: reasons.join('; ') };
}

function probeOne(python: string): TorchProbe {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: PROBE_TIMEOUT_MS });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { available: false, reason: `${python}: not found` };
    if (code === 'ETIMEDOUT') return { available: false, reason: `${python}: importing torch took over ${PROBE_TIMEOUT_MS / 1000} s` };
    return { available: false, reason: `${python}: ${r.error.message}` };
  }
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    return { available: false, reason: `${python} cannot import torch: ${last || `exit ${r.status ?? r.signal}`}` };
  }
  return { available: true, version: r.stdout.trim(), python };
}

let defaultProbe: TorchProbe | undefined;

/** The Python a run uses when its options name none: the probe's, looked up once. */
function pythonFor(python: string | undefined): string {
  if (python !== undefined) return python;
  defaultProbe ??= probeTorch();
  if (!defaultProbe.available) throw new Error(`weft bench: PyTorch peer unavailable: ${defaultProbe.reason}`);
  return defaultProbe.python;
}

const positiveInt = (name: string, v: number): void => {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`Invalid value received for argument \`${name}\`. Expected a positive integer. Received: ${name}=${v}`);
};
const nonNegative = (name: string, v: number): void => {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`Invalid value received for argument \`${name}\`. Expected a finite number >= 0. Received: ${name}=${v}`);
};

/**
 * Samples/s of PyTorch training `arch` on synthetic data at `threads` threads: one rate per
 * repeat (whole steps over at least `minRepeatMs`), after `warmupMs` of untimed steps.
 */
export async function torchRate(arch: Architecture, opts: TorchRateOptions): Promise<TorchRate> {
  positiveInt('batch', opts.batch);
  positiveInt('threads', opts.threads);
  positiveInt('repeats', opts.repeats);
  nonNegative('warmupMs', opts.warmupMs);
  nonNegative('minRepeatMs', opts.minRepeatMs);
  const { batch, threads, repeats, warmupMs, minRepeatMs } = opts;
  const job = { mode: 'rate', architecture: arch, batch, threads, repeats, warmupMs, minRepeatMs };
  const lines = await runPeer(pythonFor(opts.python), job, opts.signal);
  const out = lines.at(-1);
  if (out === undefined || !Array.isArray(out.samplesPerSec)) throw new Error(`weft bench: pytorch_peer.py printed no rates: ${JSON.stringify(lines)}`);
  return {
    samplesPerSec: summarize(out.samplesPerSec as number[]),
    params: out.params as number,
    threads: out.threads as number,
    version: out.torch as string,
    blas: out.blas as string,
  };
}

/**
 * PyTorch training `architecture` (the MLP or the convnet) on Fashion-MNIST: after each epoch the
 * test accuracy and cumulative times, each passed to `onEpoch` as it arrives.
 */
export async function torchFashion(opts: TorchFashionOptions, onEpoch?: (e: TorchEpoch) => void): Promise<TorchFashion> {
  positiveInt('batch', opts.batch);
  positiveInt('epochs', opts.epochs);
  positiveInt('threads', opts.threads);
  const { architecture } = opts;
  architecture.hidden.forEach((u, i) => positiveInt(`hidden[${i}]`, u));
  if (!(architecture.dropout >= 0 && architecture.dropout < 1)) {
    throw new RangeError(`Invalid value received for argument \`dropout\`. Expected a number in [0, 1). Received: dropout=${architecture.dropout}`);
  }
  const { dataDir, batch, epochs, threads, target = null, seed = 1 } = opts;
  const job = { mode: 'fashion', dataDir: resolve(dataDir), architecture, batch, epochs, threads, target, seed };
  const epochRecords: TorchEpoch[] = [];
  const lines = await runPeer(pythonFor(opts.python), job, opts.signal, (line) => {
    if (line.done === true) return;
    const e = line as unknown as TorchEpoch;
    epochRecords.push(e);
    onEpoch?.(e);
  });
  const done = lines.at(-1);
  if (done?.done !== true) throw new Error(`weft bench: pytorch_peer.py ended without its done line`);
  return { epochs: epochRecords, params: done.params as number, version: done.torch as string, threads: done.threads as number };
}

type Line = Record<string, unknown>;

/**
 * Runs pytorch_peer.py with `job`; resolves with its stdout lines, parsed, once it exits 0.
 * Rejects with the tail of its stderr when it fails, and with the signal's reason (the child
 * killed) when `signal` aborts.
 */
function runPeer(python: string, job: object, signal?: AbortSignal, onLine?: (line: Line) => void): Promise<Line[]> {
  const script = peerScript();
  if (script === undefined) return Promise.reject(new Error('weft bench: bench/peers/pytorch_peer.py is missing'));
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolvePeer, reject) => {
    const child = spawn(python, [script, JSON.stringify({ ...job, exitWithParent: true })], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    const lines: Line[] = [];
    let stderr = '';
    let failure: unknown;
    const fail = (e: unknown): void => {
      failure ??= e;
      child.kill('SIGKILL');
    };
    const onAbort = (): void => fail(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr = (stderr + s).slice(-STDERR_TAIL);
    });
    createInterface({ input: child.stdout }).on('line', (text) => {
      if (failure !== undefined || text.trim() === '') return;
      let line: Line;
      try {
        line = JSON.parse(text) as Line;
      } catch {
        return fail(new Error(`weft bench: pytorch_peer.py printed a line that is not JSON: ${text.slice(0, 200)}`));
      }
      lines.push(line);
      try {
        onLine?.(line);
      } catch (e) {
        fail(e);
      }
    });
    child.on('error', fail);
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (failure !== undefined) return reject(failure);
      if (code === 0) return resolvePeer(lines);
      reject(new Error(`weft bench: ${python} pytorch_peer.py exited with ${code ?? sig}:\n${stderr.trim()}`));
    });
  });
}
