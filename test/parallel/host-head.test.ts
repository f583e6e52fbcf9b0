import { describe, expect, it } from 'vitest';
import * as weft from '../../src/index.js';
import { getLoss } from '../../src/graph/losses.js';
import { getMetric } from '../../src/graph/metrics.js';
import { HOST_HEAD_MAX, hostScorer } from '../../src/parallel/host-head.js';
import { keyFromSeed } from '../../src/parallel/random.js';
import { StepRunner, type Batch, type Scoring } from '../../src/parallel/step.js';
import { floatRows } from '../support/random-data.js';

// A small softmax-crossentropy head is scored in JS (host-head.ts) instead of by kernels: the
// stats and every gradient must be what the kernel path gives, for each form it takes.

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);

function classifier(units: number, activation: 'softmax' | 'linear', seed: number): weft.Model {
  const i = weft.input({ shape: [6] });
  const h = weft.layers.dense({ units: 8, activation: 'tanh' }).apply(i);
  return weft.model({ inputs: i, outputs: weft.layers.dense({ units, activation }).apply(h), seed });
}

/** Stats and gradient of one training step and one evaluation, through the JS head and through kernels. */
function bothPaths(model: weft.Model, scoring: Scoring[], batch: Batch) {
  const run = (hostHead: boolean) => {
    const runner = new StepRunner(model, scoring, [], { hostHead });
    const grad = new Float32Array(model.layout.size);
    const stats = runner.train(model.params, batch, { runKey: keyFromSeed(1), epoch: 0 }, grad);
    return { stats, grad, evaluated: runner.evaluate(model.params, batch) };
  };
  return { host: run(true), kernels: run(false) };
}

function expectSame(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(rel(a[i], b[i]), `at ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol);
}

describe('the JS head', () => {
  const rows = 12;
  const x = Float32Array.from(floatRows(rows, 6, 3).flat());
  const labels = Float32Array.from({ length: rows }, (_, r) => (r * 7) % 5);
  const oneHot = new Float32Array(rows * 5);
  labels.forEach((l, r) => { oneHot[r * 5 + l] = 1; });
  const weights = Float32Array.from({ length: rows }, (_, r) => (r % 3) * 0.5);

  const cases: { name: string; loss: string | object; sparse: boolean; activation: 'softmax' | 'linear'; weighted?: boolean; lossWeight?: number }[] = [
    { name: 'categorical crossentropy on a softmax Dense (the fused logits form)', loss: 'categoricalCrossentropy', sparse: false, activation: 'softmax' },
    { name: 'sparse categorical crossentropy, sample weights, weighted accuracy, loss weight 0.5', loss: 'sparseCategoricalCrossentropy', sparse: true, activation: 'softmax', weighted: true, lossWeight: 0.5 },
    { name: 'categorical crossentropy fromLogits on a linear Dense', loss: { name: 'categoricalCrossentropy', config: { fromLogits: true } }, sparse: false, activation: 'linear' },
    { name: 'sparse categorical crossentropy fromLogits', loss: { name: 'sparseCategoricalCrossentropy', config: { fromLogits: true } }, sparse: true, activation: 'linear', weighted: true },
  ];
  for (const c of cases) {
    it(`${c.name}: stats and gradients equal the kernel path's`, () => {
      const model = classifier(5, c.activation, 4);
      const loss = getLoss(c.loss as never);
      const accuracy = getMetric(c.sparse ? 'sparseCategoricalAccuracy' : 'categoricalAccuracy', loss, 5);
      const scoring: Scoring[] = [{ loss, weight: c.lossWeight ?? 1, metrics: [accuracy], weightedMetrics: c.weighted ? [accuracy] : [] }];
      expect(hostScorer(loss, [accuracy, ...scoring[0].weightedMetrics], c.activation, true)).not.toBeNull();
      const batch: Batch = { xs: [x], y: c.sparse ? labels : oneHot, rows, firstExample: 0, ...(c.weighted ? { weights: [weights] } : {}) };
      const { host, kernels } = bothPaths(model, scoring, batch);
      expectSame(host.stats, kernels.stats, 1e-5);
      expectSame(host.evaluated, kernels.evaluated, 1e-5);
      expectSame(host.grad, kernels.grad, 1e-4);
      expect(host.stats[0]).toBeGreaterThan(0);
      return model.dispose();
    });
  }

  it('takes only what it computes exactly: other losses, label smoothing, other metrics and big heads go to the kernels', () => {
    const ce = getLoss('categoricalCrossentropy');
    const acc = getMetric('categoricalAccuracy', ce, 5);
    expect(hostScorer(getLoss('meanSquaredError'), [], 'linear', true)).toBeNull();
    expect(hostScorer(getLoss({ name: 'categoricalCrossentropy', config: { labelSmoothing: 0.1 } } as never), [], 'softmax', true)).toBeNull();
    expect(hostScorer(ce, [getMetric('topKCategoricalAccuracy', ce, 5)], 'softmax', true)).toBeNull();
    expect(hostScorer(ce, [acc], 'softmax', false)).toBeNull(); // the output feeds another layer: no fused logits
    expect(hostScorer(ce, [acc], 'sigmoid', true)).toBeNull();
    expect(HOST_HEAD_MAX).toBeGreaterThanOrEqual(512 * 10);
  });
});
