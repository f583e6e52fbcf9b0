/**
 * Weight constraints (issue 11.4), Keras 3 semantics: each constrained weight is projected
 * after every optimizer step, in the central and in the sharded update alike, with no
 * dependence on the worker count. tfjs-layers skips constraints in fit, so the reference for a
 * step is its autodiff SGD step followed by Keras's constraint formula in float64.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import * as weft from '../../src/index.js';
import { tf } from '../../src/index.js';
import { constraintFromKeras, constraintToKeras, maxNorm, minMaxNorm, nonNeg, resolveConstraint, unitNorm, type ConstraintSpec } from '../../src/graph/constraints.js';
import { applyConstraints, normGroups, weightConstraints } from '../../src/train/constraints.js';
import { getLoss } from '../../src/graph/losses.js';
import { l1, l2 } from '../../src/graph/regularizers.js';
import { ParallelEngine, WorkerError } from '../../src/parallel/coordinator.js';
import { injectFault } from '../../src/parallel/faults.js';
import { WorkerPool } from '../../src/parallel/pool.js';
import { keyFromSeed } from '../../src/parallel/random.js';
import { toInputColumns, toTargetColumn } from '../../src/train/data.js';
import type { ModelJSON } from '../../src/train/save.js';
import { TrainingState } from '../../src/train/training-state.js';
import { floatRows } from '../support/random-data.js';
import { bitwiseEqual, classification, maxRelativeDiff } from '../parallel/helpers.js';
import { onCpu } from '../support/cpu.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'weft-constraints-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);
const EPS = 1e-7;

/**
 * Keras 3's formulas (keras/src/constraints/constraints.py) in float64 on a row-major weight:
 * norms = sqrt(Σ_axis w²) (keepdims), then w·desired/(ε + norms).
 */
function reference(spec: ConstraintSpec, w: readonly number[], shape: readonly number[]): number[] {
  if (spec.className === 'NonNeg') return w.map((v) => (v >= 0 ? v : 0));
  const rank = shape.length;
  const axes = (typeof spec.config.axis === 'number' ? [spec.config.axis] : [...(spec.config.axis as number[])]).map((a) => (a < 0 ? a + rank : a));
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const keyOf = (i: number) => shape.map((n, d) => (axes.includes(d) ? 0 : Math.floor(i / strides[d]) % n)).join(',');
  const sq = new Map<string, number>();
  w.forEach((v, i) => sq.set(keyOf(i), (sq.get(keyOf(i)) ?? 0) + v * v));
  const c = spec.config;
  return w.map((v, i) => {
    const norm = Math.sqrt(sq.get(keyOf(i)) as number);
    let desired: number;
    if (spec.className === 'MaxNorm') desired = Math.min(Math.max(norm, 0), c.maxValue as number);
    else if (spec.className === 'MinMaxNorm') desired = (c.rate as number) * Math.min(Math.max(norm, c.minValue as number), c.maxValue as number) + (1 - (c.rate as number)) * norm;
    else return v / (EPS + norm);
    return v * (desired / (EPS + norm));
  });
}

/** One weight of `shape` under `spec`, applied by weft's pass. */
function applied(spec: ConstraintSpec, w: Float32Array, shape: number[]): Float32Array {
  const out = w.slice();
  const layer = { params: [{ name: 'w', shape, initializer: 'zeros', constraint: spec }] };
  const list = weightConstraints({ entries: [{ layer: layer as never, index: 0, name: 'l/w', shape, offset: 0, size: w.length, trainable: true }] });
  applyConstraints(list, out);
  return out;
}

describe('constraint formulas, against float64 Keras 3', () => {
  const shape = [4, 3, 2];
  const w = Float32Array.from(floatRows(1, 24, 31)[0].map((v) => v * 3));
  const cases: [string, ConstraintSpec][] = [
    ['maxNorm() (max 2, axis 0)', maxNorm()],
    ['maxNorm(0.5, axis 1)', maxNorm({ maxValue: 0.5, axis: 1 })],
    ['maxNorm(1, axis [0, 2])', maxNorm({ maxValue: 1, axis: [0, 2] })],
    ['maxNorm(1, axis -1)', maxNorm({ maxValue: 1, axis: -1 })],
    ['minMaxNorm() (0..1, rate 1)', minMaxNorm()],
    ['minMaxNorm(1.5..2, rate 0.3, axis 2)', minMaxNorm({ minValue: 1.5, maxValue: 2, rate: 0.3, axis: 2 })],
    ['unitNorm()', unitNorm()],
    ['unitNorm(axis [0, 1, 2])', unitNorm({ axis: [0, 1, 2] })],
    ['nonNeg()', nonNeg()],
  ];
  for (const [name, spec] of cases) {
    it(name, () => {
      const ours = applied(spec, w, shape);
      const want = reference(spec, Array.from(w), shape);
      want.forEach((v, i) => expect(rel(ours[i], v), `element ${i}: ${ours[i]} vs ${v}`).toBeLessThan(1e-6));
      expect(ours.some((v, i) => v !== w[i])).toBe(true);
    });
  }

  it("a Dense kernel [in, units] under axis 0 is normed per column (each unit's incoming weights)", () => {
    expect(Array.from(normGroups([3, 2], [0]).groups)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(Array.from(normGroups([3, 2], [1]).groups)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(normGroups([3, 2], [0, 1]).count).toBe(1);
  });
});

describe('constraint configs', () => {
  it("factories take Keras's defaults and check their options", () => {
    expect(maxNorm()).toEqual({ className: 'MaxNorm', config: { maxValue: 2, axis: 0 } });
    expect(minMaxNorm()).toEqual({ className: 'MinMaxNorm', config: { minValue: 0, maxValue: 1, rate: 1, axis: 0 } });
    expect(unitNorm()).toEqual({ className: 'UnitNorm', config: { axis: 0 } });
    expect(nonNeg()).toEqual({ className: 'NonNeg', config: {} });
    expect(() => maxNorm({ maxValue: -1 })).toThrow('Invalid value received for argument `maxValue`. Expected a finite number >= 0. Received: maxValue=-1');
    expect(() => maxNorm({ axis: 0.5 })).toThrow(RangeError);
    expect(() => maxNorm({ axis: 'x' as never })).toThrow(TypeError);
    expect(() => minMaxNorm({ rate: 2 })).toThrow('Expected a number in [0, 1]. Received: rate=2');
    expect(() => minMaxNorm({ minValue: 2, maxValue: 1 })).toThrow(/`maxValue`. Expected a number >= minValue \(2\)/);
    expect(() => unitNorm({ maxValue: 1 } as never)).toThrow(/Unknown option of constraints.unitNorm: 'maxValue'/);
  });

  it('layers take names and specs, and check the axes against the weight at build', () => {
    expect(resolveConstraint('kernelConstraint', 'maxNorm')).toEqual(maxNorm());
    expect(resolveConstraint('kernelConstraint', 'non_neg')).toEqual(nonNeg());
    expect(resolveConstraint('kernelConstraint', 'unit_norm')).toEqual(unitNorm());
    expect(() => resolveConstraint('kernelConstraint', 'radial')).toThrow("Unknown constraint for `kernelConstraint`: 'radial'");
    const dense = weft.layers.dense({ units: 3, kernelConstraint: maxNorm({ maxValue: 3 }), biasConstraint: 'nonNeg' });
    expect(dense.getConfig()).toMatchObject({ kernelConstraint: maxNorm({ maxValue: 3 }), biasConstraint: nonNeg() });
    const tooFar = weft.layers.dense({ units: 3, kernelConstraint: maxNorm({ axis: 2 }) });
    expect(() => tooFar.apply(weft.input({ shape: [4] }))).toThrow(/MaxNorm axis 2 is out of range for a weight of rank 2/);
    expect(weft.layers.embedding({ inputDim: 4, outputDim: 2, embeddingsConstraint: 'unitNorm' }).getConfig()).toMatchObject({ embeddingsConstraint: unitNorm() });
    expect(weft.layers.layerNormalization({ gammaConstraint: 'nonNeg' }).getConfig()).toMatchObject({ gammaConstraint: nonNeg() });
  });

  it('Keras JSON both ways (snake_case config, Keras 3 extras ignored)', () => {
    expect(constraintToKeras(maxNorm({ maxValue: 3 }))).toEqual({ class_name: 'MaxNorm', config: { max_value: 3, axis: 0 } });
    expect(constraintToKeras(minMaxNorm())).toEqual({ class_name: 'MinMaxNorm', config: { min_value: 0, max_value: 1, rate: 1, axis: 0 } });
    expect(constraintToKeras(nonNeg())).toEqual({ class_name: 'NonNeg', config: {} });
    expect(constraintFromKeras('k', { class_name: 'MaxNorm', config: { max_value: 0.5, axis: 0 }, module: 'keras.constraints', registered_name: null })).toEqual(maxNorm({ maxValue: 0.5 }));
    expect(constraintFromKeras('k', { class_name: 'UnitNorm', config: { axis: [0, 1] } })).toEqual(unitNorm({ axis: [0, 1] }));
    expect(constraintFromKeras('k', 'max_norm')).toEqual(maxNorm());
    expect(constraintFromKeras('k', null)).toBeUndefined();
    expect(() => constraintFromKeras('k', { class_name: 'RadialConstraint', config: {} })).toThrow(/Unknown constraint for k: 'RadialConstraint'/);
  });
});

/** Input(6) → Dense(8, tanh, kernel maxNorm(0.5)) → Dense(3, bias nonNeg). */
function constrained(seed = 5): weft.Model {
  const inputs = weft.input({ shape: [6] });
  const h = weft.layers.dense({ units: 8, activation: 'tanh', kernelConstraint: maxNorm({ maxValue: 0.5 }) }).apply(inputs);
  const outputs = weft.layers.dense({ units: 3, biasConstraint: nonNeg() }).apply(h);
  return weft.model({ inputs, outputs, seed });
}

describe('applied after each step', () => {
  it("one SGD step = tfjs-layers' autodiff step followed by the float64 constraint, within 2e-4", async () => {
    const model = constrained();
    const rows = 8;
    const x = floatRows(rows, 6, 41);
    const y = floatRows(rows, 3, 42);
    const before = model.getWeights().map((t) => Array.from(t.dataSync()));
    const shapes = model.getWeights().map((t) => t.shape);
    model.compile({ optimizer: weft.optimizers.sgd({ learningRate: 0.5 }), loss: 'meanSquaredError' });
    await model.fit(x, y, { epochs: 1, batchSize: rows, shuffle: false, workers: 1, verbose: 0 });
    const ours = model.getWeights().map((t) => Array.from(t.dataSync()));
    const stepped = await onCpu(async () => {
      const i = tfl.input({ shape: [6] });
      const a = tfl.layers.dense({ units: 8, activation: 'tanh' }).apply(i) as tfl.SymbolicTensor;
      const m = tfl.model({ inputs: i, outputs: tfl.layers.dense({ units: 3 }).apply(a) as tfl.SymbolicTensor });
      m.setWeights(m.weights.map((w, k) => tf.tensor(before[k], w.shape as number[])));
      m.compile({ optimizer: tf.train.sgd(0.5), loss: 'meanSquaredError' });
      await m.trainOnBatch(tf.tensor2d(x), tf.tensor2d(y));
      return m.getWeights().map((w) => Array.from(w.dataSync()));
    });
    const specs = [maxNorm({ maxValue: 0.5 }), null, null, nonNeg()];
    const want = stepped.map((w, k) => (specs[k] === null ? w : reference(specs[k] as ConstraintSpec, w, shapes[k])));
    const steps = (w: number[][]) => w.flatMap((v, k) => v.map((a, j) => a - before[k][j]));
    const [a, b] = [steps(ours), steps(want)];
    expect(Math.max(...a.map((s, i) => rel(s, b[i])))).toBeLessThanOrEqual(2e-4);
    await model.dispose();
  });

  it('maxNorm(0.5): every column norm <= 0.5 + 1e-6 after fit, where without it they exceed 0.5', async () => {
    const { x, y } = classification(64);
    const columnNorms = (model: weft.Model): number[] => {
      const [kernel] = model.layers[1].getWeights();
      const [rows, cols] = kernel.shape;
      const v = kernel.dataSync();
      return Array.from({ length: cols }, (_, c) => Math.sqrt(Array.from({ length: rows }, (_, r) => v[r * cols + c] ** 2).reduce((s, q) => s + q, 0)));
    };
    const run = async (constraint: ConstraintSpec | null) => {
      const inputs = weft.input({ shape: [20] });
      const h = weft.layers.dense({ units: 16, activation: 'relu', kernelConstraint: constraint }).apply(inputs);
      const model = weft.model({ inputs, outputs: weft.layers.dense({ units: 5, activation: 'softmax' }).apply(h), seed: 2 });
      model.compile({ optimizer: weft.optimizers.adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy' });
      await model.fit(x, y, { epochs: 3, batchSize: 16, workers: 2, seed: 1, verbose: 0 });
      const norms = columnNorms(model);
      await model.dispose();
      return norms;
    };
    const free = await run(null);
    const held = await run(maxNorm({ maxValue: 0.5 }));
    expect(Math.max(...free)).toBeGreaterThan(0.5);
    for (const n of held) expect(n).toBeLessThanOrEqual(0.5 + 1e-6);
  });
});

/** Every weight constrained: Dense kernels by column norms, biases non-negative, the last kernel unit-normed. */
function constrainedModel(wide: boolean, seed = 1): weft.Model {
  const inputs = weft.input({ shape: [20] });
  const units = wide ? 256 : 16;
  let h = weft.layers.dense({ units, activation: 'relu', kernelConstraint: maxNorm({ maxValue: 0.8 }), biasConstraint: nonNeg() }).apply(inputs);
  if (wide) h = weft.layers.dense({ units, activation: 'relu', kernelConstraint: minMaxNorm({ minValue: 0.2, maxValue: 0.9, rate: 0.5 }) }).apply(h);
  const outputs = weft.layers.dense({ units: 5, activation: 'softmax', kernelConstraint: unitNorm({ axis: 0 }) }).apply(h);
  const model = weft.model({ inputs, outputs, seed });
  model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
  return model;
}

describe('N workers train what 1 worker trains', () => {
  for (const wide of [false, true]) {
    it(`${wide ? 'a wide model (the sharded update: constraints once every range is updated)' : 'a small model (the central update)'}: 1 vs 2 workers within 1e-5`, async () => {
      const { x, y } = classification(96);
      const run = async (workers: number) => {
        const model = constrainedModel(wide);
        if (wide) expect(model.layout.size).toBeGreaterThanOrEqual(65_536);
        await model.fit(x, y, { epochs: 2, batchSize: 32, workers, seed: 3, verbose: 0 });
        const params = model.params.slice();
        const biases = model.layers[1].getWeights()[1].dataSync();
        await model.dispose();
        return { params, biases };
      };
      const one = await run(1);
      const two = await run(2);
      // Float32 Adam (as Keras's) after six steps of two summation orders, projected twice per step.
      expect(maxRelativeDiff(two.params, one.params)).toBeLessThan(2e-5);
      expect(Math.min(...two.biases)).toBeGreaterThanOrEqual(0);
    });
  }
});

describe('the sharded update and the central one', () => {
  /** The wide constrained model, its kernels regularized too. */
  function both(seed = 4): weft.Model {
    const inputs = weft.input({ shape: [20] });
    let h = weft.layers.dense({ units: 256, activation: 'relu', kernelConstraint: maxNorm({ maxValue: 0.8 }), kernelRegularizer: l2(), biasConstraint: nonNeg() }).apply(inputs);
    h = weft.layers.dense({ units: 256, activation: 'relu', kernelConstraint: unitNorm(), biasRegularizer: l1() }).apply(h);
    return weft.model({ inputs, outputs: weft.layers.dense({ units: 5, activation: 'softmax' }).apply(h), seed });
  }

  it('give bitwise the same weights with regularizers and constraints (same kernels, same pass, other threads)', async () => {
    const run = async (sharded: boolean) => {
      const steps = 3;
      const rows = 16 * steps;
      const { x, y } = classification(rows);
      const model = both();
      const loss = getLoss('categoricalCrossentropy');
      const state = new TrainingState(weft.optimizers.adam({ learningRate: 0.01 }), loss, [], model.layout);
      const data = { xs: toInputColumns(model, x), y: toTargetColumn(model, loss, y, rows), rows };
      const pool = new WorkerPool(2);
      const losses: number[] = [];
      try {
        const engine = new ParallelEngine(pool, model, { loss: loss.spec, metrics: [] }, { data, runKey: keyFromSeed(3), optimizer: state, shardedUpdate: sharded });
        for (let k = 0; k < steps; k++) losses.push((await engine.trainBatch(0, null, k * 16, (k + 1) * 16))[0]);
        await engine.dispose();
      } finally {
        await pool.destroy();
      }
      return { params: model.params.slice(), losses };
    };
    const central = await run(false);
    const sharded = await run(true);
    expect(bitwiseEqual(sharded.params, central.params)).toBe(true);
    expect(sharded.losses).toEqual(central.losses);
  });

  it('a worker failing in the update round leaves the last complete, constrained step', async () => {
    const { x, y } = classification(64);
    const reference = both(2);
    reference.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    await reference.fit(classification(48).x, classification(48).y, { epochs: 1, batchSize: 16, shuffle: false, seed: 1, workers: 2, verbose: 0 });
    await reference.dispose();
    const model = both(2);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });
    injectFault({ step: 3, rank: 1, kind: 'throw', phase: 'update' });
    const error = await model.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, seed: 1, workers: 2, verbose: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerError);
    expect(bitwiseEqual(model.params.slice(), reference.params.slice())).toBe(true);
    await model.dispose();
  });
});

// PReLU arrived beside this work (the activation layers); its alpha takes both, as Keras's.
const prelu = (weft.layers as unknown as Record<string, ((c: object) => weft.Layer) | undefined>).prelu;
describe.skipIf(prelu === undefined)('PReLU alphaRegularizer and alphaConstraint', () => {
  it('are part of its config, its Keras JSON and its weight', () => {
    const layer = (prelu as (c: object) => weft.Layer)({ alphaRegularizer: 'l2', alphaConstraint: nonNeg() });
    expect(layer.getConfig()).toMatchObject({ alphaRegularizer: { className: 'L2', config: { l2: 0.01 } }, alphaConstraint: nonNeg() });
    layer.apply(weft.input({ shape: [3] }));
    expect(layer.params[0]).toMatchObject({ name: 'alpha', regularizer: { className: 'L2' }, constraint: { className: 'NonNeg' } });
    const cls = layer.constructor as unknown as { toKeras(c: Record<string, unknown>): Record<string, unknown> };
    expect(cls.toKeras(layer.getConfig())).toMatchObject({ alpha_regularizer: { class_name: 'L1L2', config: { l1: 0, l2: 0.01 } }, alpha_constraint: { class_name: 'NonNeg', config: {} } });
  });
});

describe('files keep the constraints', () => {
  it("weft's save → weft's load and tfjs-layers' loadLayersModel", async () => {
    const inputs = weft.input({ shape: [4], dtype: 'int32' });
    const e = weft.layers.embedding({ inputDim: 10, outputDim: 3, embeddingsConstraint: unitNorm({ axis: 1 }) }).apply(inputs);
    const f = weft.layers.flatten().apply(e);
    const n = weft.layers.layerNormalization({ gammaConstraint: nonNeg(), betaConstraint: maxNorm({ maxValue: 1 }) }).apply(f);
    const out = weft.layers.dense({ units: 2, kernelConstraint: minMaxNorm({ minValue: 0.1, maxValue: 2, rate: 0.5, axis: 0 }), biasConstraint: 'nonNeg' }).apply(n);
    const model = weft.model({ inputs, outputs: out, seed: 2 });
    const dir = join(root, 'm');
    await model.save(dir);
    const loaded = await weft.loadModel(dir);
    expect(loaded.layers.map((l) => l.getConfig())).toEqual(model.layers.map((l) => l.getConfig()));
    const mj = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as ModelJSON;
    const data = await readFile(join(dir, 'weights.bin'));
    const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    const weightSpecs = mj.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[];
    const ref = await onCpu(() => tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: mj.modelTopology, weightSpecs, weightData })));
    const byName = new Map(ref.layers.map((l) => [l.name, l.getConfig() as Record<string, { className: string; config: Record<string, unknown> } | null>]));
    const dense = byName.get(model.layers[4].name);
    expect(dense?.kernelConstraint).toEqual({ className: 'MinMaxNorm', config: { minValue: 0.1, maxValue: 2, rate: 0.5, axis: 0 } });
    expect(dense?.biasConstraint?.className).toBe('NonNeg');
    expect(byName.get(model.layers[1].name)?.embeddingsConstraint).toEqual({ className: 'UnitNorm', config: { axis: 1 } });
    // tfjs-layers' LayerNormalization has no constraints (Keras 3's has): it loads the file without them.
    const ln = (mj.modelTopology as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers[3].config;
    expect(ln.beta_constraint).toEqual({ class_name: 'MaxNorm', config: { max_value: 1, axis: 0 } });
    expect(ln.gamma_constraint).toEqual({ class_name: 'NonNeg', config: {} });
    await loaded.dispose();
    await model.dispose();
  });
});
