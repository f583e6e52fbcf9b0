/**
 * How a fit ran, as tfjs-layers' History.params has it, plus the worker count (weft's: passing
 * it back as `workers` replays the run). `steps` and `samples` are null for a stream that is
 * read to its end each epoch (their count is not known in advance).
 */
export interface HistoryParams {
  readonly epochs: number;
  readonly initialEpoch: number;
  /** Batches per epoch. */
  readonly steps: number | null;
  /** Training examples per epoch. */
  readonly samples: number | null;
  /** The global batch size (null for a stream, whose batches decide it). */
  readonly batchSize: number | null;
  readonly workers: number;
  readonly verbose: 0 | 1 | 2;
  readonly doValidation: boolean;
  /** The log keys: 'loss', the metrics, then their 'val_' forms when validating. */
  readonly metrics: readonly string[];
}

/** What fit returns, shaped like tfjs-layers' History: per-epoch logs by key, and the run's params. */
export class History {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};

  constructor(readonly params: HistoryParams | null = null) {}

  record(epoch: number, logs: Readonly<Record<string, number>>): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) (this.history[key] ??= []).push(value);
  }
}

/** A History as the JSON `weft train --out` writes to history.json (`weft plot` draws it): epochs, logs by key, params. */
export function historyJson(history: History): string {
  return `${JSON.stringify({ epoch: history.epoch, history: history.history, params: history.params }, null, 2)}\n`;
}
