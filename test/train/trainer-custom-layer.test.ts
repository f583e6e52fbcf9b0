import { afterEach, describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import type { Layer } from '../../src/graph/layer.js';
import { trainer, type Trainer, type TrainerCompileArgs } from '../../src/train/trainer.js';
import { bitwiseEqual, classification } from '../parallel/helpers.js';

const fixture = (name: string): URL => new URL(`../fixtures/custom/${name}`, import.meta.url);
const open: { dispose(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.dispose()));
});

// A weft.trainer's thread rebuilds the model from its spec: it imports the user's layer modules
// as the pool's workers do, and trains what model.fit trains.

/**
 * Two copies of `build()`'s model, one trained by model.fit and one by a weft.trainer with the
 * same compile args and fit options: their Histories, after checking the weights are bitwise equal.
 */
async function fitBothWays(build: () => weft.Model, compile: TrainerCompileArgs): Promise<{ ours: weft.History; theirs: weft.History }> {
  const { x, y } = classification(32);
  const ref = build();
  const model = build();
  open.push(ref, model);
  ref.compile(compile as weft.CompileArgs);
  const t: Trainer = await trainer(model, compile);
  open.push(t);
  const args = { epochs: 2, batchSize: 8, seed: 1, workers: 2, verbose: 0 } as const;
  const ours = await t.fit(x, y, args);
  const theirs = await ref.fit(x, y, args);
  expect(bitwiseEqual(model.params, ref.params)).toBe(true);
  return { ours, theirs };
}

describe('weft.trainer with a custom layer', () => {
  it('trains bitwise what model.fit trains', async () => {
    const ScaledDense = (await weft.registerLayer('ScaledDense', fixture('scaled-dense.mjs'))) as unknown as new (c: Record<string, unknown>) => Layer;
    await fitBothWays(() => {
      const inputs = weft.input({ shape: [20] });
      const h = new ScaledDense({ units: 8, scale: 0.5 }).apply(inputs);
      return weft.model({ inputs, outputs: weft.layers.dense({ units: 5, activation: 'softmax' }).apply(h), seed: 2 });
    }, { optimizer: 'adam', loss: 'categoricalCrossentropy' });
  });

  it('takes a custom loss and metric by name: the thread imports their modules and trains what model.fit trains', async () => {
    await weft.registerLoss('customMse', fixture('objectives.mjs'));
    await weft.registerMetric('customMae', fixture('objectives.mjs'));
    const { ours, theirs } = await fitBothWays(() => {
      const inputs = weft.input({ shape: [20] });
      return weft.model({ inputs, outputs: weft.layers.dense({ units: 5 }).apply(weft.layers.dense({ units: 8, activation: 'tanh' }).apply(inputs)), seed: 3 });
    }, { optimizer: 'adam', loss: 'customMse', metrics: ['customMae'] });
    expect(ours.history.customMae).toEqual(theirs.history.customMae);
    expect((ours.history.customMae as number[]).length).toBe(2);
  });
});
