import { SingleBar } from 'cli-progress';
import type { Callback, Logs } from './callbacks/callback.js';

/** The stream progress goes to: a TTY gets a live bar, anything else one line per epoch. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

const fmt = (logs: Logs, skip: readonly string[] = []) =>
  Object.entries(logs).filter(([k]) => !skip.includes(k)).map(([k, v]) => `${k}: ${v.toFixed(4)}`).join(' - ');

const seconds = (ms: number) => (ms >= 10_000 ? `${Math.round(ms / 1000)}s` : `${(ms / 1000).toFixed(1)}s`);

/**
 * Keras-style progress: on a TTY an `Epoch 3/10` header and a bar with steps done, elapsed time,
 * ETA, running loss/metrics and samples/s; elsewhere (CI, a log file) one plain line per epoch.
 * verbose 2 always prints the plain lines; verbose 0 uses no progress at all.
 */
export function progressCallback(opts: { epochs: number; steps: number | undefined; verbose: 1 | 2; stream?: ProgressStream }): Callback {
  const stream = opts.stream ?? process.stdout;
  // A bar needs a known step count (a stream without batchesPerEpoch has none).
  const live = opts.verbose === 1 && stream.isTTY === true && opts.steps !== undefined;
  let bar: SingleBar | null = null;
  let began = 0;
  let samples = 0;
  const rate = () => `${Math.round(samples / Math.max(1e-9, (performance.now() - began) / 1000)).toLocaleString('en-US')} samples/s`;
  return {
    onEpochBegin(epoch) {
      began = performance.now();
      samples = 0;
      if (!live) return;
      stream.write(`Epoch ${epoch + 1}/${opts.epochs}\n`);
      bar = new SingleBar({
        stream: stream as NodeJS.WritableStream,
        format: ' {value}/{total} [{bar}] - {elapsed} - ETA: {eta_formatted} - {logs} - {rate}',
        barCompleteChar: '=', barIncompleteChar: '.', barsize: 30, hideCursor: false, clearOnComplete: false,
        noTTYOutput: false, etaBuffer: 20, fps: 10,
      });
      bar.start(opts.steps as number, 0, { logs: '', rate: '', elapsed: '0.0s' });
    },
    onBatchEnd(_batch, logs = {}) {
      samples += logs.size ?? 0;
      bar?.increment(1, { logs: fmt(logs, ['batch', 'size']), rate: rate(), elapsed: seconds(performance.now() - began) });
    },
    onEpochEnd(epoch, logs = {}) {
      const elapsed = seconds(performance.now() - began);
      if (bar !== null) {
        bar.update(opts.steps as number, { logs: fmt(logs), rate: rate(), elapsed });
        bar.stop();
        bar = null;
        return;
      }
      stream.write(`Epoch ${epoch + 1}/${opts.epochs} - ${elapsed} - ${fmt(logs)} - ${rate()}\n`);
    },
  };
}
