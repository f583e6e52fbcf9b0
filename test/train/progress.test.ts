import { afterEach, describe, expect, it, vi } from 'vitest';
import { dispatch } from '../../src/train/callbacks/callback.js';
import { progressCallback, type ProgressStream } from '../../src/train/progress.js';
import { classification, dropoutModel } from '../parallel/helpers.js';

/** A stream that records what it was sent; a TTY when asked (with a width, as a terminal has). */
function fakeStream(isTTY: boolean): ProgressStream & { text: string; columns: number } {
  return { isTTY, columns: 160, text: '', write(chunk: string) { this.text += chunk; return true; } };
}

/** Drives the progress callback through `epochs` epochs of `steps` batches, as fit does. */
async function drive(stream: ProgressStream, verbose: 1 | 2, steps: number | undefined, epochs = 2): Promise<void> {
  const cb = progressCallback({ epochs, steps, verbose, stream });
  for (let e = 0; e < epochs; e++) {
    await dispatch([cb], 'onEpochBegin', e, {});
    for (let b = 0; b < 3; b++) await dispatch([cb], 'onBatchEnd', b, { batch: b, size: 32, loss: 1 / (b + 1), acc: 0.5 });
    await dispatch([cb], 'onEpochEnd', e, { loss: 0.25, acc: 0.75 });
  }
}

afterEach(() => vi.restoreAllMocks());

describe('progress output', () => {
  it('on a TTY draws a Keras-style bar per epoch: header, steps, elapsed, running logs, samples/s; no ETA once done', async () => {
    const stream = fakeStream(true);
    await drive(stream, 1, 3);
    expect(stream.text).toContain('Epoch 1/2\n');
    expect(stream.text).toContain('Epoch 2/2\n');
    expect(stream.text).toMatch(/ 3\/3 \[={30}\] - \d+\.\ds - loss: 0\.2500 - acc: 0\.7500 - [\d,]+ samples\/s\x1B\[0K/);
    expect(stream.text).not.toMatch(/3\/3 [^\x1B]*ETA/);
  });

  it('the first frame, before any step has run, is the bar alone (no ETA, no empty logs)', async () => {
    const stream = fakeStream(true);
    const cb = progressCallback({ epochs: 1, steps: 3, verbose: 1, stream });
    await dispatch([cb], 'onEpochBegin', 0, {});
    expect(stream.text).toMatch(/^Epoch 1\/1\n.* 0\/3 \[\.{30}\]\x1B\[0K$/s);
    expect(stream.text).not.toContain('ETA');
    expect(stream.text).not.toContain(' - ');
    await dispatch([cb], 'onEpochEnd', 0, { loss: 1 });
  });

  it("mid-epoch frames show Keras's ETA: the mean time per step so far times the steps left", async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      const stream = fakeStream(true);
      const cb = progressCallback({ epochs: 1, steps: 100, verbose: 1, stream });
      await dispatch([cb], 'onEpochBegin', 0, {});
      vi.advanceTimersByTime(5000);
      await dispatch([cb], 'onBatchEnd', 0, { batch: 0, size: 32, loss: 2 });
      vi.advanceTimersByTime(200); // the bar redraws at 10 fps
      expect(stream.text).toMatch(/ 1\/100 \[\.{30}\] - 5\.0s - ETA: 8:15 - loss: 2\.0000 - 6 samples\/s\x1B\[0K/);
      vi.advanceTimersByTime(4800);
      for (let b = 1; b < 50; b++) await dispatch([cb], 'onBatchEnd', b, { batch: b, size: 32, loss: 1 });
      vi.advanceTimersByTime(200);
      expect(stream.text).toMatch(/ 50\/100 \[={15}\.{15}\] - 10s - ETA: 10s - loss: 1\.0000 - 160 samples\/s\x1B\[0K/);
      await dispatch([cb], 'onEpochEnd', 0, { loss: 1 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('off a TTY (CI, a log file) prints one plain line per epoch and nothing per batch', async () => {
    const stream = fakeStream(false);
    await drive(stream, 1, 3);
    const lines = stream.text.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Epoch 1\/2 - \d+\.\ds - loss: 0\.2500 - acc: 0\.7500 - [\d,]+ samples\/s$/);
    expect(stream.text).not.toContain('\x1B');
  });

  it('verbose 2, or a stream of unknown length, prints plain lines even on a TTY', async () => {
    for (const [verbose, steps] of [[2, 3], [1, undefined]] as const) {
      const stream = fakeStream(true);
      await drive(stream, verbose, steps);
      expect(stream.text.trimEnd().split('\n')).toHaveLength(2);
      expect(stream.text).not.toContain('[=');
    }
  });

  it('verbose 0 prints nothing during fit, verbose 2 one line per epoch on stdout', async () => {
    const { x, y } = classification(24);
    const model = dropoutModel(1);
    const writes: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { writes.push(String(chunk)); return true; });
    await model.fit(x, y, { epochs: 2, batchSize: 8, workers: 1, verbose: 0 });
    expect(writes.join('')).toBe('');
    await model.fit(x, y, { epochs: 2, batchSize: 8, workers: 1, verbose: 2 });
    vi.restoreAllMocks();
    expect(writes.join('').match(/^Epoch \d\/2 - .*loss: .*accuracy: .*samples\/s$/gm)).toHaveLength(2);
    await model.dispose();
  });
});
