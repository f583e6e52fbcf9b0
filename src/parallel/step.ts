import * as tf from '@tensorflow/tfjs-core';
import { Executor, isLogitsLayer } from '../graph/executor.js';
import type { CallContext, Layer } from '../graph/layer.js';
import type { Loss } from '../graph/losses.js';
import type { Metric } from '../graph/metrics.js';
import type { GraphModel } from '../graph/model.js';
import { readTensor, scoped } from '../graph/tensor-io.js';
import { fillDropoutMask, fillExampleNormal, fillExampleUniform, foldIn, keyFromSeed, type Key } from './random.js';
import { allFinite } from './reduce.js';

/** A contiguous block of examples, already gathered into row-major arrays. */
export interface Batch {
  /** One array per model input, `rows` examples each. */
  readonly xs: readonly (Float32Array | Int32Array)[];
  readonly y: Float32Array | Int32Array | null;
  readonly rows: number;
  /** Index within the epoch of row 0: the dropout key of row r is firstExample + r. */
  readonly firstExample: number;
}

/** Which random stream a training step draws from. */
export interface StepKey {
  readonly runKey: Key;
  readonly epoch: number;
}

/** Shapes of the model's inputs and target for `rows` examples. */
function batchShape(t: { shape: readonly (number | null)[] }, rows: number): number[] {
  return [rows, ...(t.shape.slice(1) as number[])];
}

/**
 * One model's forward/backward step on one block of examples: the unit of work a worker runs
 * for its shard, and what the single-thread path runs for a whole batch. Everything it returns
 * is a sum over its examples, so shards add up to the batch.
 */
export class StepRunner {
  private readonly executor: Executor;
  private readonly drawScratch = new Map<Layer, Map<string, Float32Array>>();
  /** Each layer's key, by the seed it asked with ('' for the run's). */
  private readonly layerKeys = new Map<Layer, Map<number | '', Key>>();
  private keyOwner: Key | null = null;
  /** Where the last training step's time went outside the math, for the benchmarks. */
  readonly timing = { copyInMs: 0, exportMs: 0 };

  constructor(
    readonly model: GraphModel,
    readonly loss: Loss | null,
    readonly metrics: readonly Metric[],
  ) {
    this.executor = new Executor(model);
  }

  private inputTensors(batch: Batch): tf.Tensor[] {
    return this.model.inputs.map((t, i) => tf.tensor(batch.xs[i], batchShape(t, batch.rows), t.dtype));
  }

  private targetTensor(batch: Batch): tf.Tensor {
    const out = this.model.outputs[0];
    const shape = this.loss?.sparseTargets ? [batch.rows] : batchShape(out, batch.rows);
    return tf.tensor(batch.y as Float32Array, shape, 'float32');
  }

  /** A layer's key: its own seed if it asks with one, else the run's; folded with its model index. */
  private layerKey(layer: Layer, runKey: Key, seed: number | undefined): Key {
    if (this.keyOwner !== runKey) {
      this.layerKeys.clear();
      this.keyOwner = runKey;
    }
    let keys = this.layerKeys.get(layer);
    if (keys === undefined) this.layerKeys.set(layer, (keys = new Map()));
    let key = keys.get(seed ?? '');
    if (key === undefined) {
      key = foldIn(seed === undefined ? runKey : keyFromSeed(seed), this.model.layerIndex(layer));
      keys.set(seed ?? '', key);
    }
    return key;
  }

  /** A scratch array of `size` floats for one kind of draw of one layer, reused from step to step. */
  private scratch(layer: Layer, kind: string, size: number): Float32Array {
    let byKind = this.drawScratch.get(layer);
    if (byKind === undefined) this.drawScratch.set(layer, (byKind = new Map()));
    let out = byKind.get(kind);
    if (out === undefined || out.length !== size) byKind.set(kind, (out = new Float32Array(size)));
    return out;
  }

  /**
   * What each layer may ask of this step. Every draw is keyed by the layer (its own seed or the
   * run's), the epoch and each example's index in it, so it does not depend on the worker count.
   */
  private context(training: boolean, batch: Batch, key: StepKey | null): (layer: Layer) => CallContext {
    const keyed = (what: string): StepKey => {
      if (key === null) throw new Error(`${what} requested outside training`);
      return key;
    };
    return (layer) => ({
      training,
      dropoutMask: (rate, rowSize, rows, seed) => {
        const k = keyed('dropoutMask');
        const out = this.scratch(layer, 'mask', rows * rowSize);
        fillDropoutMask(this.layerKey(layer, k.runKey, seed), k.epoch, batch.firstExample, rows, rowSize, rate, out);
        return out;
      },
      uniform: (rowSize, rows, seed) => {
        const k = keyed('uniform noise');
        const out = this.scratch(layer, 'uniform', rows * rowSize);
        fillExampleUniform(this.layerKey(layer, k.runKey, seed), k.epoch, batch.firstExample, rows, rowSize, out);
        return out;
      },
      normal: (rowSize, rows, seed) => {
        const k = keyed('normal noise');
        const out = this.scratch(layer, 'normal', rows * rowSize);
        fillExampleNormal(this.layerKey(layer, k.runKey, seed), k.epoch, batch.firstExample, rows, rowSize, out);
        return out;
      },
    });
  }

  /** Loss, metric sums and (when gradOut is given) the gradient sum, for one block. */
  private run(params: Float32Array, batch: Batch, key: StepKey | null, gradOut: Float32Array | null): Float64Array {
    const loss = this.loss;
    if (loss === null) throw new Error('StepRunner needs a loss to train or evaluate');
    return scoped(() => {
      const began = performance.now();
      const weights = this.executor.weightTensors(params);
      const inputs = this.inputTensors(batch);
      this.timing.copyInMs = performance.now() - began;
      const pass = this.executor.forward(inputs, weights, this.context(gradOut !== null, batch, key));
      const outNode = this.model.outputs[0].node;
      const output = pass.values.get(this.model.outputs[0]) as tf.Tensor;
      const saved = pass.saved.get(outNode);
      const layer = outNode.layer;
      const logits = saved !== undefined && isLogitsLayer(layer) ? layer.logits(saved) : null;
      const head = { output, logits, activation: isLogitsLayer(layer) ? layer.activation.name : 'linear' };
      const y = this.targetTensor(batch);
      const result = loss.compute(head, y);
      const sums = [tf.sum(result.perExample), ...this.metrics.map((m) => m.sum(output, y))];
      const stats = Float64Array.from(readTensor(tf.stack(sums)));
      if (gradOut !== null) {
        this.executor.backward(pass, result.grad, result.gradIsLogits, gradOut);
        this.timing.exportMs = this.executor.exportMs;
      }
      return stats;
    });
  }

  /**
   * Training step on one block: writes Σ gradients into gradOut and returns [Σ loss, Σ metric...]
   * and whether every gradient is finite. The loss alone cannot tell: wasm's fused matMul+relu
   * clamps a NaN pre-activation to 0, so a NaN weight can leave the loss finite while the
   * gradients of the layers below it are NaN.
   */
  train(params: Float32Array, batch: Batch, key: StepKey, gradOut: Float32Array): { stats: Float64Array; finiteGradient: boolean } {
    const stats = this.run(params, batch, key, gradOut);
    return { stats, finiteGradient: allFinite(gradOut) };
  }

  /** Inference-mode loss and metric sums (dropout off). */
  evaluate(params: Float32Array, batch: Batch): Float64Array {
    return this.run(params, batch, null, null);
  }

  /** Inference-mode outputs for one block, row-major, one array per model output. */
  predict(params: Float32Array, batch: Batch): Float32Array[] {
    return scoped(() => {
      const weights = this.executor.weightTensors(params);
      const pass = this.executor.forward(this.inputTensors(batch), weights, this.context(false, batch, null));
      return this.model.outputs.map((o) => Float32Array.from(readTensor(pass.values.get(o) as tf.Tensor)));
    });
  }
}
