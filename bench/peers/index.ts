/**
 * The peers the suite measures weft against, in the same run: tfjs-layers (a devDependency,
 * absent from production installs) on the wasm and cpu backends in this process, and PyTorch on
 * CPU in a Python child where `python3 -c "import torch"` works. A peer that is absent, fails or
 * would take longer than the budget becomes a PeerPoint with the reason, never a crashed suite.
 */
import type { Architecture, PeerName, PeerPoint } from '../results.js';
import { probeTorch, torchRate } from './pytorch.js';

export interface PeerProbe {
  /** Versions to record with the machine (tfjs-layers, torch), for the peers present. */
  readonly versions: Record<string, string>;
  /** Why each absent peer is absent. */
  readonly absent: ReadonlyMap<PeerName, string>;
}

type TfjsLayersModule = typeof import('./tfjs-layers.js');

let tfjsLayers: Promise<TfjsLayersModule> | undefined;
const loadTfjsLayers = (): Promise<TfjsLayersModule> => (tfjsLayers ??= import('./tfjs-layers.js'));

/** Which of `peers` can run here; `python` is the interpreter tried for PyTorch. */
export async function probePeers(peers: readonly PeerName[], python?: string): Promise<PeerProbe> {
  const versions: Record<string, string> = {};
  const absent = new Map<PeerName, string>();
  if (peers.some((p) => p.startsWith('tfjs-layers'))) {
    try {
      await loadTfjsLayers();
    } catch (e) {
      const reason = `@tensorflow/tfjs-layers could not be loaded (a devDependency: install with plain npm ci): ${(e as Error).message.split('\n')[0]}`;
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
          const r = await torchRate(arch, { batch: opts.batch, threads, repeats: opts.repeats, warmupMs: opts.warmupMs, minRepeatMs: opts.minRepeatMs, python: opts.python });
          record({ peer, threads, samplesPerSec: r.samplesPerSec });
        } else {
          const { tfjsLayersRate } = await loadTfjsLayers();
          const backend = peer === 'tfjs-layers-wasm' ? 'wasm' : 'cpu';
          const samplesPerSec = await tfjsLayersRate(arch, { backend, batch: opts.batch, repeats: opts.repeats, warmup: 1, budgetMs: opts.budgetMs });
          record({ peer, threads, samplesPerSec });
        }
      } catch (e) {
        record({ peer, threads, skipped: `${(e as Error).name === 'PeerTooSlow' ? 'too slow: ' : 'failed: '}${(e as Error).message.split('\n')[0]}` });
      }
    }
  }
  return points;
}
