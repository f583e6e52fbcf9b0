import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { ShapeError, StateError } from '../../src/errors.js';
import { learningRateScheduler } from '../../src/train/callbacks/lr-scheduler.js';
import { trainer, type Trainer, type TrainerCompileArgs } from '../../src/train/trainer.js';
import { bitwiseEqual, classification, dropoutModel, flatWeights, wideModel } from '../parallel/helpers.js';

const { tf } = weft;

// Every model and trainer a test makes is closed after it (pools, threads).
const open: { dispose(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.dispose()));
});
function track<T extends { dispose(): Promise<void> }>(o: T): T {
  open.push(o);
  return o;
}

/** What helpers.ts compiles its models with. */
const COMPILE: TrainerCompileArgs = { optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] };

async function start(model: weft.Model, compile: TrainerCompileArgs = COMPILE): Promise<Trainer> {
  return track(await trainer(track(model), compile));
}

const values = (r: weft.tf.Scalar | weft.tf.Scalar[]) => (Array.isArray(r) ? r : [r]).map((s) => s.dataSync()[0]);

describe('weft.trainer: fit in a dedicated thread', () => {
  it('trains the same weights and history as model.fit (same seed and workers), bitwise, into the host model\'s buffer', async () => {
    const { x, y } = classification(150);
    // wideModel is big enough that fit shards the optimizer update (the buffer flip path).
    const ref = track(wideModel(4));
    const model = wideModel(4);
    const params = model.params;
    const t = await start(model);
    const args = { epochs: 2, batchSize: 16, seed: 11, workers: 2, verbose: 0 } as const;
    const h = await t.fit(x, y, args);
    const hRef = await ref.fit(x, y, args);
    expect(h).toBeInstanceOf(weft.History);
    expect(h.epoch).toEqual(hRef.epoch);
    expect(h.history).toEqual(hRef.history);
    expect(model.params).toBe(params);
    expect(bitwiseEqual(model.params, ref.params)).toBe(true);
    // Inference in the thread matches too; the thread holds no tensors afterwards.
    expect(values(await t.evaluate(x, y))).toEqual(values(await ref.evaluate(x, y)));
    const p = (await t.predict(x)) as weft.tf.Tensor;
    const pRef = (await ref.predict(x)) as weft.tf.Tensor;
    expect(p.shape).toEqual([150, 5]);
    expect(bitwiseEqual(p.dataSync() as Float32Array, pRef.dataSync() as Float32Array)).toBe(true);
    expect((await t.inspect()).tensors).toBe(0);
    // A second fit continues the thread's optimizer state, as a second model.fit does.
    await t.fit(x, y, args);
    await ref.fit(x, y, args);
    expect(bitwiseEqual(model.params, ref.params)).toBe(true);
  });

  it('accepts nested arrays, validationSplit and an optimizer object (sent as its config)', async () => {
    const x = Array.from({ length: 40 }, (_, r) => Array.from({ length: 20 }, (_, j) => Math.sin(r * 20 + j)));
    const y = x.map((row) => Array.from({ length: 5 }, (_, c) => (c === (row[0] > 0 ? 1 : 0) ? 1 : 0)));
    const compile = { optimizer: weft.optimizers.sgd({ learningRate: 0.05, momentum: 0.9 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] };
    const ref = track(dropoutModel(2));
    ref.compile(compile);
    const t = await start(dropoutModel(2), compile);
    const args = { epochs: 2, batchSize: 8, seed: 5, workers: 1, verbose: 0, validationSplit: 0.25 } as const;
    const h = await t.fit(x, y, args);
    const hRef = await ref.fit(x, y, args);
    expect(Object.keys(h.history)).toEqual(['loss', 'accuracy', 'val_loss', 'val_accuracy']);
    expect(h.history).toEqual(hRef.history);
    expect(bitwiseEqual(t.model.params, ref.params)).toBe(true);
  });

  it('runs the callbacks on the host with Keras\'s logs; model.params there are the current weights', async () => {
    const { x, y } = classification(96);
    const args = { epochs: 3, batchSize: 16, seed: 3, workers: 2, verbose: 0 } as const;
    const ref = track(wideModel(9));
    const refSnapshots: Float32Array[] = [];
    await ref.fit(x, y, { ...args, callbacks: { onEpochEnd: () => { refSnapshots.push(ref.params.slice()); } } });

    const model = wideModel(9);
    const t = await start(model);
    const events: string[] = [];
    const epochLogs: weft.Logs[] = [];
    const snapshots: Float32Array[] = [];
    let batches = 0;
    const h = await t.fit(x, y, {
      ...args,
      callbacks: [
        {
          onTrainBegin: () => { events.push('trainBegin'); },
          onEpochBegin: (epoch) => { events.push(`epochBegin ${epoch}`); },
          onBatchEnd: (_batch, logs) => {
            batches += 1;
            expect(logs?.size).toBe(16);
          },
          // Awaited in the thread: the next epoch waits for this promise.
          onEpochEnd: async (epoch, logs) => {
            await new Promise((r) => setTimeout(r, 20));
            events.push(`epochEnd ${epoch}`);
            epochLogs.push(logs as weft.Logs);
            snapshots.push(model.params.slice());
          },
          onTrainEnd: () => { events.push('trainEnd'); },
        },
      ],
    });
    expect(events).toEqual(['trainBegin', 'epochBegin 0', 'epochEnd 0', 'epochBegin 1', 'epochEnd 1', 'epochBegin 2', 'epochEnd 2', 'trainEnd']);
    expect(batches).toBe(18);
    expect(epochLogs.map((l) => l.loss)).toEqual(h.history.loss);
    expect(epochLogs.map((l) => l.accuracy)).toEqual(h.history.accuracy);
    // The sharded update flips the thread's weights between two buffers; a host hook still sees the current ones.
    expect(snapshots.map((s, i) => bitwiseEqual(s, refSnapshots[i]))).toEqual([true, true, true]);
  });

  it('model.stopTraining = true from a host callback ends the fit, as in Keras', async () => {
    const { x, y } = classification(64);
    const model = dropoutModel(1);
    const t = await start(model);
    const h = await t.fit(x, y, {
      epochs: 10, batchSize: 16, workers: 1, verbose: 0,
      callbacks: { onEpochEnd: (epoch) => { if (epoch === 1) model.stopTraining = true; } },
    });
    expect(h.epoch).toEqual([0, 1]);
  });

  it('a built-in model-aware callback (learningRateScheduler) reaches the thread\'s optimizer', async () => {
    const { x, y } = classification(64);
    const schedule = (epoch: number, lr: number) => (epoch === 0 ? 0.01 : lr / 2);
    const args = { epochs: 3, batchSize: 16, seed: 8, workers: 1, verbose: 0 } as const;
    const ref = track(dropoutModel(6));
    const hRef = await ref.fit(x, y, { ...args, callbacks: learningRateScheduler(schedule) });
    const t = await start(dropoutModel(6));
    const seen: number[] = [];
    const h = await t.fit(x, y, {
      ...args, callbacks: [learningRateScheduler(schedule), { onEpochEnd: (_e, logs) => { seen.push(logs?.learning_rate as number); } }],
    });
    // The scheduler's log entry reaches the callbacks after it, as in model.fit.
    expect(seen).toEqual([0.01, 0.005, 0.0025]);
    expect(h.history).toEqual(hRef.history);
    expect(bitwiseEqual(t.model.params, ref.params)).toBe(true);
  });

  it('a callback that throws rejects fit with that very error, and the trainer goes on working', async () => {
    const { x, y } = classification(32);
    const t = await start(dropoutModel(1));
    const boom = new Error('callback failed');
    await expect(t.fit(x, y, { epochs: 2, batchSize: 8, workers: 1, verbose: 0, callbacks: { onEpochEnd: () => { throw boom; } } })).rejects.toBe(boom);
    expect((await t.inspect()).poolOpen).toBe(false);
    const h = await t.fit(x, y, { epochs: 1, batchSize: 8, workers: 1, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
  });
});

describe('weft.trainer: cancellation', () => {
  it('an aborted signal stops fit at a step boundary within a second: whole-step weights, pool closed, the next fit works', async () => {
    const { x, y } = classification(4000);
    const args = { epochs: 50, batchSize: 8, shuffle: false, seed: 2, workers: 2, verbose: 0 } as const;
    const model = wideModel(13);
    const t = await start(model);
    const controller = new AbortController();
    let steps = 0;
    let abortedAt = 0;
    const reason = new DOMException('stop now', 'AbortError');
    const began = performance.now();
    const error = await t.fit(x, y, {
      ...args, signal: controller.signal,
      callbacks: {
        onBatchEnd: () => {
          steps += 1;
          // Aborted from outside the callback (a timer), once the pool is warm.
          if (steps === 5) setTimeout(() => { abortedAt = performance.now(); controller.abort(reason); }, 50);
        },
      },
    }).catch((e: unknown) => e);
    const stoppedAt = performance.now();
    expect(error).toBe(reason);
    expect(abortedAt).toBeGreaterThan(began);
    expect(stoppedAt - abortedAt).toBeLessThan(1000);
    expect(steps).toBeGreaterThanOrEqual(5);
    expect(steps).toBeLessThan(500 * 50); // it did not run to the end
    expect((await t.inspect()).poolOpen).toBe(false);

    // Not torn: exactly the weights of `steps` whole steps (a reference run stopped there).
    const ref = track(wideModel(13));
    let refSteps = 0;
    await ref.fit(x, y, { ...args, callbacks: { onBatchEnd: () => { if (++refSteps === steps) ref.stopTraining = true; } } });
    expect(refSteps).toBe(steps);
    expect(bitwiseEqual(flatWeights(model), flatWeights(ref))).toBe(true);

    const h = await t.fit(x, y, { epochs: 1, batchSize: 500, workers: 2, verbose: 0 });
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
  });

  it('an already aborted signal rejects with its reason and leaves the weights as they were', async () => {
    const { x, y } = classification(16);
    const model = dropoutModel(13);
    const t = await start(model);
    const before = flatWeights(model);
    const reason = new Error('shutting down');
    await expect(t.fit(x, y, { workers: 1, verbose: 0, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(bitwiseEqual(flatWeights(model), before)).toBe(true);
  });

  it('dispose during a fit stops it (AbortError) and ends the thread', async () => {
    const { x, y } = classification(2000);
    const t = await trainer(track(dropoutModel(4)), COMPILE);
    let steps = 0;
    let disposing: Promise<void> | null = null;
    const fit = t.fit(x, y, {
      epochs: 100, batchSize: 8, workers: 1, verbose: 0,
      callbacks: { onBatchEnd: () => { if (++steps === 3) disposing = t.dispose(); } },
    });
    await expect(fit).rejects.toMatchObject({ name: 'AbortError' });
    await disposing;
    await expect(t.fit(x, y, { workers: 1, verbose: 0 })).rejects.toBeInstanceOf(StateError);
  });
});

describe('weft.trainer: the host stays responsive', () => {
  it('the host event loop keeps ticking while trainer.fit runs', async () => {
    const { x, y } = classification(1000);
    const model = wideModel(3);
    const t = await start(model);
    await t.fit(x, y, { epochs: 1, batchSize: 64, workers: 1, verbose: 0 }); // warm the pool
    let ticks = 0;
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks += 1;
    }, 5);
    const began = performance.now();
    // Epochs until about 1.5 s have passed, whatever the machine's speed.
    await t.fit(x, y, {
      epochs: 10_000, batchSize: 32, workers: 1, verbose: 0,
      callbacks: { onEpochEnd: () => { if (performance.now() - began > 1500) model.stopTraining = true; } },
    });
    const elapsed = performance.now() - began;
    clearInterval(timer);
    expect(elapsed).toBeGreaterThan(1000);
    expect(ticks).toBeGreaterThan((elapsed / 5) * 0.5);
    expect(maxGap).toBeLessThan(250);
  });
});

/** The nice value of each thread of this process (Linux). */
function threadNices(): Map<number, number> {
  const nices = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    nices.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return nices;
}

describe.skipIf(process.platform !== 'linux')('weft.trainer: priority', () => {
  it('{ priority } nices the trainer thread and the pool threads it starts, not the host', async () => {
    const { x, y } = classification(32);
    const before = [...threadNices().values()].filter((n) => n === 10).length;
    const t = await start(dropoutModel(1), COMPILE);
    const niced = track(await trainer(track(dropoutModel(1)), COMPILE, { priority: 10 }));
    await niced.fit(x, y, { epochs: 1, batchSize: 8, workers: 2, verbose: 0 });
    await t.fit(x, y, { epochs: 1, batchSize: 8, workers: 2, verbose: 0 });
    const nices = threadNices();
    // The trainer thread and its two pool threads; the other trainer's threads keep the default.
    expect([...nices.values()].filter((n) => n === 10).length - before).toBeGreaterThanOrEqual(3);
    expect(nices.get(process.pid)).toBe(0);
    await expect(trainer(dropoutModel(1), COMPILE, { priority: 20 })).rejects.toThrow(/priority/);
  });
});

describe('weft.trainer: errors and lifetime', () => {
  it('reports bad data, options and compile args with weft\'s error classes', async () => {
    const { x, y } = classification(16);
    const t = await start(dropoutModel(1));
    await expect(t.fit(tf.zeros([16, 3]), y, { verbose: 0 })).rejects.toBeInstanceOf(ShapeError);
    await expect(t.fit(x, y, { verbose: 0, epochz: 2 } as never)).rejects.toThrow(/epochz/);
    const noCompile = track(await trainer(track(dropoutModel(1))));
    await expect(noCompile.fit(x, y, { verbose: 0 })).rejects.toBeInstanceOf(StateError);
    expect(((await noCompile.predict(x)) as weft.tf.Tensor).shape).toEqual([16, 5]);
    await expect(trainer(dropoutModel(1), { optimizer: () => 1, loss: 'categoricalCrossentropy' } as never)).rejects.toThrow(/optimizer/);
  });

  it.each([true, false])('a script that trains through a trainer exits by itself (dispose called: %s)', (dispose) => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-trainer-exit-'));
    const script = join(dir, 'trainer.mts');
    const index = new URL('../../src/index.ts', import.meta.url).pathname;
    const module = new URL('../../src/train/trainer.ts', import.meta.url).pathname;
    writeFileSync(script, [
      `import * as weft from ${JSON.stringify(index)};`,
      `import { trainer } from ${JSON.stringify(module)};`,
      `const inputs = weft.input({ shape: [4] });`,
      `const outputs = weft.layers.dense({ units: 2, activation: 'softmax' }).apply(inputs);`,
      `const model = weft.model({ inputs, outputs, seed: 1 });`,
      `const t = await trainer(model, { optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });`,
      `await t.fit([[1, 2, 3, 4], [4, 3, 2, 1]], [0, 1], { epochs: 2, workers: 2, verbose: 0 });`,
      dispose ? `await t.dispose();` : ``,
      `console.log('fit done', model.params.every(Number.isFinite));`,
    ].join('\n'));
    const tsx = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
    const result = spawnSync(tsx, [script], { timeout: 60_000, encoding: 'utf8' });
    expect(result.stdout).toContain('fit done true');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
  });
});
