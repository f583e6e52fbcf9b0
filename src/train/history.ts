/** What fit returns, shaped like tfjs-layers' History: per-epoch logs by key. */
export class History {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};

  record(epoch: number, logs: Readonly<Record<string, number>>): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) (this.history[key] ??= []).push(value);
  }
}

/** Keras's log line for an epoch: `loss: 0.1234 - acc: 0.9500`. */
export function formatLogs(logs: Readonly<Record<string, number>>): string {
  return Object.entries(logs).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(' - ');
}
