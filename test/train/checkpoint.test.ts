import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { bitwiseEqual, classification, dropoutModel, flatWeights, wideModel } from '../parallel/helpers.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'weft-ckpt-'));

describe('checkpoints', () => {
  it.each([
    ['a small model (central update)', dropoutModel],
    ['a large model (sharded update)', wideModel],
  ])('resume after epoch k ends bitwise equal to the uninterrupted run: %s', async (_name, build) => {
    const { x, y } = classification(60);
    const args = { batchSize: 16, seed: 5, workers: 2, verbose: 0 as const };
    const whole = build(1);
    await whole.fit(x, y, { ...args, epochs: 4 });
    const first = build(1);
    await first.fit(x, y, { ...args, epochs: 2 });
    const dir = tempDir();
    await first.save(`file://${dir}`, { includeOptimizer: true });
    const resumed = await weft.loadModel(`file://${dir}/model.json`);
    expect(resumed.resumeFrom).toEqual({ initialEpoch: 2, seed: 5 });
    const h = await resumed.fit(x, y, { ...args, epochs: 4, initialEpoch: 2, seed: (resumed.resumeFrom as { seed: number }).seed });
    expect(h.epoch).toEqual([2, 3]);
    expect(bitwiseEqual(flatWeights(resumed), flatWeights(whole))).toBe(true);
    await Promise.all([whole.dispose(), first.dispose(), resumed.dispose()]);
  });

  it('a modelCheckpoint-style save each epoch keeps one set of files and no temporaries', async () => {
    const { x, y } = classification(32);
    const model = dropoutModel(2);
    const dir = tempDir();
    await model.fit(x, y, {
      epochs: 3, batchSize: 8, workers: 1, verbose: 0, seed: 1,
      callbacks: { onEpochEnd: async () => { await model.save(dir, { includeOptimizer: true }); } },
    });
    const files = readdirSync(dir).sort();
    expect(files.filter((f) => f.startsWith('weights.'))).toHaveLength(1);
    expect(files.filter((f) => f.startsWith('optimizer.'))).toHaveLength(1);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const loaded = await weft.loadModel(dir);
    expect(loaded.resumeFrom?.initialEpoch).toBe(3);
    expect(bitwiseEqual(flatWeights(loaded), flatWeights(model))).toBe(true);
    await model.dispose();
  });

  it('a process killed at random moments while saving (50 times) always leaves a whole, loadable checkpoint', async () => {
    const dir = tempDir();
    const script = join(dir, 'saver.mts');
    const index = new URL('../../src/index.ts', import.meta.url).pathname;
    writeFileSync(script, [
      `import * as weft from ${JSON.stringify(index)};`,
      `const inputs = weft.input({ shape: [300] });`,
      `const outputs = weft.layers.dense({ units: 300 }).apply(inputs);`,
      `const model = weft.model({ inputs, outputs, seed: 1 });`,
      `model.compile({ optimizer: 'adam', loss: 'mse' });`,
      `for (let i = 1; ; i++) { model.params.fill(i); await model.save(${JSON.stringify(join(dir, 'ckpt'))}, { includeOptimizer: true }); if (i === 2) console.log('saving'); }`,
    ].join('\n'));
    for (let round = 0; round < 50; round++) {
      // node itself, not the tsx CLI: SIGKILL must hit the process that writes.
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: new URL('../..', import.meta.url).pathname });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, Math.random() * 150));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const loaded = await weft.loadModel(join(dir, 'ckpt'));
      const values = flatWeights(loaded);
      // Every weight of a save holds the same value i: a torn save would mix two of them.
      expect(values.every((v) => v === values[0] && v >= 1)).toBe(true);
    }
  }, 300_000);
});
