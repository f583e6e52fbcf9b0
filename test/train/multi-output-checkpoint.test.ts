import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { bitwiseEqual } from '../parallel/helpers.js';
import { floatRows } from '../support/random-data.js';
import { disposeAfterEach } from '../support/dispose.js';

const track = disposeAfterEach();

/** A classification head and a regression head on one trunk. */
function twoHeaded(): weft.Model {
  const inputs = weft.input({ shape: [6] });
  const h = weft.layers.dense({ units: 8, activation: 'tanh', name: 'trunk' }).apply(inputs);
  const cls = weft.layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(h);
  const reg = weft.layers.dense({ units: 2, name: 'reg' }).apply(h);
  const m = track(weft.model({ inputs, outputs: [cls, reg], seed: 4 }));
  m.compile({
    optimizer: 'adam', loss: { cls: 'sparseCategoricalCrossentropy', reg: 'meanSquaredError' },
    lossWeights: { cls: 1, reg: 0.5 }, metrics: { cls: ['accuracy'], reg: ['mae'] },
  } as weft.CompileArgs);
  return m;
}

const x = floatRows(40, 6, 1);
const labels = x.map((r) => (r[0] > 0 ? 1 : r[1] > 0 ? 2 : 0));
const targets = x.map((r) => [r[2] + r[3], r[4] - r[5]]);

describe('a two-output model as a checkpoint', () => {
  it('saves with its per-output losses, weights and metrics; loads compiled; resumes bitwise as if never stopped', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-mo-ckpt-'));
    try {
      const args = { batchSize: 8, seed: 6, workers: 2, verbose: 0 } as const;
      const straight = twoHeaded();
      const h = await straight.fit(x, { cls: labels, reg: targets }, { ...args, epochs: 4 });
      const first = twoHeaded();
      await first.fit(x, [labels, targets], { ...args, epochs: 2 });
      await first.save(`file://${dir}`, { includeOptimizer: true });
      const resumed = track(await weft.loadModel(`file://${dir}`));
      const rest = await resumed.fit(x, [labels, targets], { ...args, ...resumed.resumeFrom, epochs: 4 });
      expect(rest.epoch).toEqual([2, 3]);
      expect(Object.keys(rest.history).sort()).toEqual(['cls_accuracy', 'cls_loss', 'loss', 'reg_loss', 'reg_mae']);
      expect(rest.history.loss).toEqual(h.history.loss.slice(2));
      expect(bitwiseEqual(resumed.params, straight.params)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
