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

/** Keras's Progbar ETA: `42s`, `2:05`, `1:02:05`. */
function eta(ms: number): string {
  const s = Math.round(ms / 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s >= 3600) return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  if (s >= 60) return `${Math.floor(s / 60)}:${two(s % 60)}`;
  return `${s}s`;
}

/**
 * Keras-style progress: on a TTY an `Epoch 3/10` header and a bar with steps done, elapsed time,
 * ETA (Keras's: the mean time per step so far times the steps left), running loss/metrics and
 * samples/s; elsewhere (CI, a log file) one plain line per epoch. Before the first step the bar
 * shows only the bar, and once the epoch is done no ETA, as Keras's Progbar does.
 * verbose 2 always prints the plain lines; verbose 0 uses no progress at all.
 */
export function progressCallback(opts: { epochs: number; steps: number | undefined; verbose: 1 | 2; stream?: ProgressStream }): Callback {
  const stream = opts.stream ?? process.stdout;
  // A bar needs a known step count (a stream without batchesPerEpoch has none).
  const live = opts.verbose === 1 && stream.isTTY === true && opts.steps !== undefined;
  let bar: SingleBar | null = null;
  let began = 0;
  let samples = 0;
  let done = 0;
  const rate = () => `${Math.round(samples / Math.max(1e-9, (performance.now() - began) / 1000)).toLocaleString('en-US')} samples/s`;
  /** What follows the bar: ` - 1.2s - ETA: 3s - loss: 0.5000 - 1,234 samples/s`. */
  const info = (logs: string) => {
    const elapsed = performance.now() - began;
    const steps = opts.steps as number;
    const left = done < steps ? [`ETA: ${eta((elapsed / done) * (steps - done))}`] : [];
    return ` - ${[seconds(elapsed), ...left, ...(logs === '' ? [] : [logs]), rate()].join(' - ')}`;
  };
  return {
    onEpochBegin(epoch) {
      began = performance.now();
      samples = 0;
      done = 0;
      if (!live) return;
      stream.write(`Epoch ${epoch + 1}/${opts.epochs}\n`);
      bar = new SingleBar({
        stream: stream as NodeJS.WritableStream,
        format: ' {value}/{total} [{bar}]{info}',
        barCompleteChar: '=', barIncompleteChar: '.', barsize: 30, hideCursor: false, clearOnComplete: false,
        noTTYOutput: false, fps: 10,
      });
      bar.start(opts.steps as number, 0, { info: '' });
    },
    onBatchEnd(_batch, logs = {}) {
      samples += logs.size ?? 0;
      done += 1;
      bar?.increment(1, { info: info(fmt(logs, ['batch', 'size'])) });
    },
    onEpochEnd(epoch, logs = {}) {
      const elapsed = seconds(performance.now() - began);
      if (bar !== null) {
        done = opts.steps as number;
        bar.update(done, { info: info(fmt(logs)) });
        bar.stop();
        bar = null;
        return;
      }
      stream.write(`Epoch ${epoch + 1}/${opts.epochs} - ${elapsed} - ${fmt(logs)} - ${rate()}\n`);
    },
  };
}
