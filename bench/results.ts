/**
 * The benchmark suite's result record (what `bench/results/<date>-<machine>.json` holds) and the
 * pure computations over it: scaling efficiency and the ratios against peers. The Markdown table
 * and the SVG plot are drawn from this record alone, so a committed JSON can be re-rendered.
 */
import type { Summary } from './stats.js';

/** What the numbers were measured on. */
export interface Machine {
  /** Short name for file names: e.g. "amd-epyc-7b13-2c". */
  readonly label: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** Library versions: weft, tfjs-core, tfjs-backend-wasm, tfjs-layers, torch (absent ones left out). */
  readonly versions: Readonly<Record<string, string>>;
}

/** One convolution stage of an image input: Conv2D (valid padding, stride 1, relu), then MaxPooling2D(`pool`) when `pool` > 1. */
export interface ConvStage {
  readonly filters: number;
  /** Square kernel side. */
  readonly kernel: number;
  /** Square pooling window and stride; 1 for no pooling. */
  readonly pool: number;
}

/**
 * A benchmark model as every framework builds it: an input stage, Dense-relu layers each followed
 * by Dropout(`dropout`), and `classes` softmax outputs. An image input's conv stack ends in
 * Flatten then Dropout(`dropout`) too, so Keras's simple MNIST convnet is an image input with
 * two stages and no hidden Dense layers.
 */
export interface Architecture {
  /**
   * Float feature vectors; int token sequences read through an Embedding then flattened; or
   * channels-last float images read through `conv` (PyTorch builds the same model NCHW).
   */
  readonly input:
    | { readonly kind: 'features'; readonly size: number }
    | { readonly kind: 'tokens'; readonly vocab: number; readonly length: number; readonly embed: number }
    | { readonly kind: 'image'; readonly height: number; readonly width: number; readonly channels: number; readonly conv: readonly ConvStage[] };
  readonly hidden: readonly number[];
  readonly dropout: number;
  readonly classes: number;
  /**
   * Each hidden layer as Dense (no bias) → BatchNormalization → relu, the usual form: weft's
   * statistics span the global batch (two in-step exchanges per layer and step), PyTorch's one
   * process normalizes over its whole batch too.
   */
  readonly batchNorm?: boolean;
}

/** The shape of one example of `arch`'s input: [size], [length] or [height, width, channels] (channels-last). */
export function inputShape(arch: Architecture): number[] {
  const { input } = arch;
  switch (input.kind) {
    case 'features': return [input.size];
    case 'tokens': return [input.length];
    case 'image': return [input.height, input.width, input.channels];
  }
}

/** Values per row of `arch`'s input. */
export const rowSize = (arch: Architecture): number => inputShape(arch).reduce((a, b) => a * b, 1);

/**
 * `arch` as one line of layers, as a reader of the results table wants it, e.g.
 * "28×28×1 image → Conv2D 32 3×3 relu → MaxPooling2D 2 → … → Flatten → Dropout 0.5 → Dense 10 softmax".
 */
export function describeArchitecture(arch: Architecture): string {
  const { input } = arch;
  const dropout = arch.dropout > 0 ? [`Dropout ${arch.dropout}`] : [];
  const stages = input.kind === 'features' ? [`${input.size} features`]
    : input.kind === 'tokens' ? [`${input.length} tokens (vocabulary ${input.vocab.toLocaleString('en-US')})`, `Embedding ${input.embed}`, 'Flatten']
    : [
      `${input.height}×${input.width}×${input.channels} image`,
      ...input.conv.flatMap((c) => [`Conv2D ${c.filters} ${c.kernel}×${c.kernel} relu`, ...(c.pool > 1 ? [`MaxPooling2D ${c.pool}`] : [])]),
      'Flatten',
      ...dropout,
    ];
  for (const units of arch.hidden) stages.push(...(arch.batchNorm ? [`Dense ${units}`, 'BatchNorm', 'relu'] : [`Dense ${units} relu`]), ...dropout);
  stages.push(`Dense ${arch.classes} softmax`);
  return stages.join(' → ');
}

export interface WeftPoint {
  readonly workers: number;
  readonly samplesPerSec: Summary;
  /** rate(N) / (N × rate(1)), from the medians; 1 is ideal. */
  readonly efficiency: number;
  /** Median per-step times (ms): where a step's time goes. */
  readonly breakdown?: Readonly<Record<string, number>>;
}

export type PeerName = 'tfjs-layers-wasm' | 'tfjs-layers-cpu' | 'pytorch';

/** One peer at one thread count: a measured rate, or why there is none. */
export interface PeerPoint {
  readonly peer: PeerName;
  readonly threads: number;
  readonly samplesPerSec?: Summary;
  readonly skipped?: string;
}

export interface ModelResult {
  readonly key: string;
  readonly name: string;
  readonly batch: number;
  readonly params: number;
  readonly architecture: Architecture;
  readonly weft: readonly WeftPoint[];
  readonly peers: readonly PeerPoint[];
}

export interface SuiteResult {
  readonly machine: Machine;
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  readonly repeats: number;
  readonly models: readonly ModelResult[];
}

/**
 * The slope of the ideal-scaling line: the median rate per worker at the 1-worker point (or at the
 * fewest workers measured). Undefined when there are no points.
 */
export function idealPerWorker(points: readonly Pick<WeftPoint, 'workers' | 'samplesPerSec'>[]): number | undefined {
  if (points.length === 0) return undefined;
  const base = points.reduce((a, b) => (b.workers < a.workers ? b : a));
  return base.samplesPerSec.median / base.workers;
}

/** Scaling efficiency of each point against the 1-worker point (or the fewest workers measured, scaled to per-worker). */
export function withEfficiency(points: readonly Omit<WeftPoint, 'efficiency'>[]): WeftPoint[] {
  const perWorker = idealPerWorker(points);
  if (perWorker === undefined) return [];
  return points.map((p) => ({ ...p, efficiency: p.samplesPerSec.median / (p.workers * perWorker) }));
}

/** The weft point with the highest median rate. */
export function bestWeft(model: ModelResult): WeftPoint | undefined {
  return model.weft.reduce<WeftPoint | undefined>((a, b) => (a === undefined || b.samplesPerSec.median > a.samplesPerSec.median ? b : a), undefined);
}

/** The measured rate of `peer` at `threads` threads (at its best thread count when `threads` is omitted). */
export function peerRate(model: ModelResult, peer: PeerName, threads?: number): PeerPoint | undefined {
  const measured = model.peers.filter((p) => p.peer === peer && p.samplesPerSec !== undefined && (threads === undefined || p.threads === threads));
  return measured.reduce<PeerPoint | undefined>((a, b) => (a === undefined || b.samplesPerSec!.median > a.samplesPerSec!.median ? b : a), undefined);
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface Ratio {
  readonly label: string;
  readonly value: number;
}

/**
 * The comparisons a reader wants, each a ratio of medians from the same run: weft at 1 worker and
 * at its best against each peer's one-thread and best rates, and weft at N against PyTorch at N
 * threads for the largest N both measured.
 */
export function ratios(model: ModelResult): Ratio[] {
  const out: Ratio[] = [];
  const one = model.weft.find((p) => p.workers === 1);
  const best = bestWeft(model);
  if (best === undefined) return out;
  const peers = [...new Set(model.peers.map((p) => p.peer))];
  for (const peer of peers) {
    const peerBest = peerRate(model, peer);
    if (peerBest === undefined) continue;
    const peerOne = peerRate(model, peer, 1);
    if (one !== undefined && peerOne !== undefined) {
      out.push({ label: `weft 1 worker / ${peer} 1 thread`, value: one.samplesPerSec.median / peerOne.samplesPerSec!.median });
    }
    if (best !== one || peerBest !== peerOne) {
      out.push({
        label: `weft best (${plural(best.workers, 'worker')}) / ${peer} best (${plural(peerBest.threads, 'thread')})`,
        value: best.samplesPerSec.median / peerBest.samplesPerSec!.median,
      });
    }
    const shared = model.weft
      .filter((w) => w.workers > 1 && peerRate(model, peer, w.workers) !== undefined)
      .reduce<WeftPoint | undefined>((a, b) => (a === undefined || b.workers > a.workers ? b : a), undefined);
    if (shared !== undefined) {
      out.push({
        label: `weft ${shared.workers} workers / ${peer} ${shared.workers} threads`,
        value: shared.samplesPerSec.median / peerRate(model, peer, shared.workers)!.samplesPerSec!.median,
      });
    }
  }
  return out;
}
