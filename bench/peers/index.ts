/**
 * The peers the suite measures weft against, in the same run: tfjs-layers (a devDependency,
 * absent from production installs) on the wasm and cpu backends in this process, and PyTorch on
 * CPU in a Python child where `python3 -c "import torch"` works. A peer that is absent, fails or
 * would take longer than the budget becomes a PeerPoint with the reason, never a crashed suite.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Architecture, PeerName, PeerPoint } from '../results.js';
import type { Summary } from '../stats.js';
import { probeTorch, torchRate } from './pytorch.js';
import type { TfjsLayersRateOptions } from './tfjs-layers.js';

export interface PeerProbe {
  /** Versions to record with the machine (tfjs-layers, torch), for the peers present. */
  readonly versions: Record<string, string>;
  /** Why each absent peer is absent. */
  readonly absent: ReadonlyMap<PeerName, string>;
}

const require = createRequire(import.meta.url);

/** Which of `peers` can run here; `python` is the interpreter tried for PyTorch. */
export async function probePeers(peers: readonly PeerName[], python?: string): Promise<PeerProbe> {
  const versions: Record<string, string> = {};
  const absent = new Map<PeerName, string>();
  if (peers.some((p) => p.startsWith('tfjs-layers'))) {
    try {
      for (const pkg of ['@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu']) require.resolve(pkg);
    } catch (e) {
      const reason = `@tensorflow/tfjs-layers is not installed (a devDependency: install with plain npm ci): ${(e as Error).message.split('\n')[0]}`;
      for (const p of peers) if (p.startsWith('tfjs-layers')) absent.set(p, reason);
    }
  }
  if (peers.includes('pytorch')) {
    const torch = probeTorch(python);
    if (torch.available) versions.torch = torch.version;
    else absent.set('pytorch', torch.reason);
  }
  return { versions, absent };
}

export interface PeerRunOptions {
  readonly peers: readonly PeerName[];
  readonly probe: PeerProbe;
  readonly batch: number;
  /** Thread counts for PyTorch (tfjs-layers runs on one thread). */
  readonly threads: readonly number[];
  readonly repeats: number;
  readonly budgetMs: number;
  readonly warmupMs: number;
  readonly minRepeatMs: number;
  readonly python?: string;
  readonly log?: (line: string) => void;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Measures each present peer training `arch`; absent, failing or too slow peers come back with `skipped`. */
export async function measurePeers(arch: Architecture, opts: PeerRunOptions): Promise<PeerPoint[]> {
  const points: PeerPoint[] = [];
  const record = (point: PeerPoint): void => {
    points.push(point);
    const at = `${point.peer}${point.peer === 'pytorch' ? ` ${point.threads} thread${point.threads === 1 ? '' : 's'}` : ''}`;
    opts.log?.(point.samplesPerSec === undefined
      ? `${at}: skipped: ${point.skipped}`
      : `${at}: ${fmt(point.samplesPerSec.median)} samples/s (min ${fmt(point.samplesPerSec.min)}, max ${fmt(point.samplesPerSec.max)})`);
  };
  for (const peer of opts.peers) {
    const threadCounts = peer === 'pytorch' ? opts.threads : [1];
    const reason = opts.probe.absent.get(peer);
    if (reason !== undefined) {
      for (const threads of threadCounts) record({ peer, threads, skipped: reason });
      continue;
    }
    for (const threads of threadCounts) {
      try {
        if (peer === 'pytorch') {
          const signal = AbortSignal.timeout(opts.budgetMs);
          const r = await torchRate(arch, { batch: opts.batch, threads, repeats: opts.repeats, warmupMs: opts.warmupMs, minRepeatMs: opts.minRepeatMs, python: opts.python, signal })
            .catch((e: unknown) => {
              if (!signal.aborted) throw e;
              throw named('PeerTooSlow', `did not finish within the ${(opts.budgetMs / 1000).toFixed(0)} s budget; stopped`);
            });
          record({ peer, threads, samplesPerSec: r.samplesPerSec });
        } else {
          const backend = peer === 'tfjs-layers-wasm' ? 'wasm' : 'cpu';
          const samplesPerSec = await inThread(arch, { backend, batch: opts.batch, repeats: opts.repeats, warmup: 1, budgetMs: opts.budgetMs });
          record({ peer, threads, samplesPerSec });
        }
      } catch (e) {
        record({ peer, threads, skipped: skipReason(e as Error) });
      }
    }
  }
  return points;
}

/**
 * Why a peer has no rate, from its error: 'too slow: …' for one stopped at the budget; 'cannot
 * train: …' for a kernel its backend lacks (tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter or
 * UnsortedSegmentSum: a convnet or an Embedding cannot train there); 'failed: …' otherwise. The
 * error's first line follows, as the peer wrote it.
 */
export function skipReason(e: Pick<Error, 'name' | 'message'>): string {
  const text = e.message.split('\n')[0];
  if (e.name === 'PeerTooSlow') return `too slow: ${text}`;
  if (/^Kernel '\w+' not registered for backend '\w+'/.test(text)) return `cannot train: ${text}`;
  return `failed: ${text}`;
}

/** An Error named like the thread's, so measurePeers words it the same ('too slow' or 'failed'). */
function named(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/**
 * tfjsLayersRate in a thread of its own (bench/peers/tfjs-layers-thread), terminated when it
 * overruns the budget: a tfjs step cannot be interrupted, a thread can.
 */
function inThread(arch: Architecture, opts: TfjsLayersRateOptions & { budgetMs: number }): Promise<Summary> {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './tfjs-layers-thread.ts' : './tfjs-layers-thread.js', import.meta.url);
  const worker = fromSources
    ? new Worker(new URL('./tsx-thread.mjs', import.meta.url), { workerData: { entry: entry.href, arch, opts } })
    : new Worker(entry, { workerData: { arch, opts } });
  return new Promise<Summary>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(named('PeerTooSlow', `did not finish ${opts.warmup} + ${opts.repeats} steps within the ${(opts.budgetMs / 1000).toFixed(0)} s budget; stopped`));
      void worker.terminate();
    }, opts.budgetMs);
    worker.once('message', (m: { ok?: Summary; error?: { name: string; message: string } }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (m.ok !== undefined) resolve(m.ok);
      else reject(named(m.error!.name, m.error!.message));
    });
    worker.once('error', (e) => { clearTimeout(timer); reject(e); });
    worker.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the tfjs-layers thread exited (code ${code}) before reporting`)); });
  });
}
