import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    expect(resumed.resumeFrom).toEqual({ initialEpoch: 2, seed: 5, workers: 2 });
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

  describe('a damaged checkpoint is a DataFileError naming the file at fault', () => {
    /** A compiled, trained model's checkpoint in a fresh directory, with its model.json parsed and its file names. */
    async function checkpoint(): Promise<{ dir: string; mj: Record<string, any>; optimizerFile: string; slotBytes: number }> {
      const { x, y } = classification(16);
      const model = dropoutModel(3);
      await model.fit(x, y, { epochs: 1, batchSize: 8, workers: 1, verbose: 0, seed: 2 });
      const dir = tempDir();
      await model.save(dir, { includeOptimizer: true });
      await model.dispose();
      const mj = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      const optimizerFile = join(dir, mj.weightsManifest[1].paths[0]);
      return { dir, mj, optimizerFile, slotBytes: 4 * model.countParams() };
    }

    async function fileError(load: Promise<unknown>): Promise<weft.DataFileError> {
      const err = await load.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(weft.DataFileError);
      return err as weft.DataFileError;
    }

    it('a truncated optimizer file: expected and received byte counts', async () => {
      const { dir, optimizerFile, slotBytes } = await checkpoint();
      writeFileSync(optimizerFile, readFileSync(optimizerFile).subarray(0, 100));
      const err = await fileError(weft.loadModel(dir));
      expect(err.path).toBe(optimizerFile);
      expect(err.message).toBe(
        `Invalid optimizer weights file of weightsManifest[1] '${optimizerFile}'. Expected ${2 * slotBytes} bytes (the 2 weights model.json lists for it). Received: 100 bytes (truncated)`,
      );
    });

    it('a missing optimizer file', async () => {
      const { dir, optimizerFile } = await checkpoint();
      rmSync(optimizerFile);
      const err = await fileError(weft.loadModel(dir));
      expect(err.path).toBe(optimizerFile);
      expect(err.message).toMatch(/^Cannot read optimizer weights file of weightsManifest\[1\] '.*'\. Expected a file of float32 weights named by model\.json\. Received: no such file$/);
    });

    it('a truncated weights file of a checkpoint', async () => {
      const { dir, mj, slotBytes } = await checkpoint();
      const weightsFile = join(dir, mj.weightsManifest[0].paths[0]);
      writeFileSync(weightsFile, readFileSync(weightsFile).subarray(0, slotBytes - 4));
      const err = await fileError(weft.loadModel(dir));
      expect(err.path).toBe(weightsFile);
      expect(err.message).toMatch(`Expected ${slotBytes} bytes (the 4 weights model.json lists for it). Received: ${slotBytes - 4} bytes (truncated)`);
    });

    it('a run position or compile config of the wrong types in model.json', async () => {
      const { dir, mj } = await checkpoint();
      const modelJson = join(dir, 'model.json');
      writeFileSync(modelJson, JSON.stringify({ ...mj, weftTrainingState: { epoch: '1', seed: 2, iterations: 2 } }));
      const position = await fileError(weft.loadModel(dir));
      expect(position.path).toBe(modelJson);
      expect(position.message).toBe(
        `Invalid model.json '${modelJson}'. Expected weftTrainingState to be {epoch, seed, iterations, workers?}, non-negative integers (workers >= 1). Received: weftTrainingState={"epoch":"1","seed":2,"iterations":2}`,
      );
      writeFileSync(modelJson, JSON.stringify({ ...mj, weftTrainingState: { epoch: 1, seed: 2, iterations: 2, workers: 0 } }));
      expect((await fileError(weft.loadModel(dir))).message).toMatch(/workers >= 1\)\. Received: weftTrainingState=\{"epoch":1,"seed":2,"iterations":2,"workers":0\}/);
      writeFileSync(modelJson, JSON.stringify({ ...mj, trainingConfig: { ...mj.trainingConfig, metrics: 'accuracy' } }));
      const config = await fileError(weft.loadModel(dir));
      expect(config.path).toBe(modelJson);
      expect(config.message).toBe(`Invalid model.json '${modelJson}'. Expected trainingConfig.metrics to be an array of metric names or specs (an object of them by output name for several outputs). Received: trainingConfig.metrics='accuracy'`);
      const { trainingConfig, ...withoutConfig } = mj;
      writeFileSync(modelJson, JSON.stringify(withoutConfig));
      expect((await fileError(weft.loadModel(dir))).message).toMatch(/Expected trainingConfig to be \{loss, metrics, optimizer_config\} \(a weft checkpoint has one beside weftTrainingState\)\. Received: trainingConfig=undefined$/);
      expect(trainingConfig.loss).toBe('categoricalCrossentropy');
    });
  });
});
