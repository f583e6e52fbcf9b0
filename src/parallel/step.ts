import * as tf from '@tensorflow/tfjs-core';
import { Executor, isLogitsLayer, type ForwardPass, type OutputSeed } from '../graph/executor.js';
import type { CallContext, Layer } from '../graph/layer.js';
import type { Head, Loss } from '../graph/losses.js';
import type { Metric } from '../graph/metrics.js';
import type { GraphModel } from '../graph/model.js';
import { regularizerFactors } from '../graph/regularizers.js';
import type { Node, SymbolicTensor } from '../graph/symbolic.js';
import { readTensor, scoped } from '../graph/tensor-io.js';
import { fillDropoutMask, fillExampleNormal, fillExampleUniform, foldIn, keyFromSeed, type Key } from './random.js';
import { HOST_HEAD_MAX, hostScorer, type HostHead, type HostScorer } from './host-head.js';
import { readStats, statColumns, weightedSum, type Stat, type StatColumn } from './step-stats.js';
import { SOLO, type Collective } from './collective.js';

/** A contiguous block of examples, already gathered into row-major arrays. */
export interface Batch {
  /** One array per model input, `rows` examples each. */
  readonly xs: readonly (Float32Array | Int32Array)[];
  /** The first output's targets (a one-output model's); `ys` wins when given. */
  readonly y: Float32Array | Int32Array | null;
  /** One target array per model output (several outputs). */
  readonly ys?: readonly (Float32Array | Int32Array)[];
  /** Each output's sample weights (one per row), or null where it has none. */
  readonly weights?: readonly (Float32Array | Int32Array | null)[];
  readonly rows: number;
  /** Index within the epoch of row 0: the dropout key of row r is firstExample + r. */
  readonly firstExample: number;
}

/** How one model output is scored: its loss, its loss weight, its plain and weighted metrics. */
export interface Scoring {
  readonly loss: Loss;
  readonly weight: number;
  readonly metrics: readonly Metric[];
  readonly weightedMetrics: readonly Metric[];
}

/** What one output contributes to a block's stats, and its gradient seed when training. */
interface ScoredOutput {
  readonly loss: Stat;
  readonly plain: readonly Stat[];
  readonly weighted: readonly Stat[];
  /** Σ w of the output's rows, when it has weighted metrics. */
  readonly weightSum: Stat | null;
  readonly seed: OutputSeed | null;
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

function isScoringList(objective: Loss | readonly Scoring[]): objective is readonly Scoring[] {
  return Array.isArray(objective);
}

/** λ·w as a factor on the gradient's rows ([rows, 1, ...]); null when it is 1 throughout. */
function rowScale(w: tf.Tensor1D | null, lossWeight: number, rank: number): tf.Tensor | null {
  if (w === null) return lossWeight === 1 ? null : tf.scalar(lossWeight);
  const column = tf.reshape(w, [w.shape[0], ...new Array<number>(rank - 1).fill(1)]);
  return lossWeight === 1 ? column : tf.mul(column, lossWeight);
}

/**
 * One model's forward/backward step on one block of examples: the unit of work a worker runs
 * for its shard, and what the single-thread path runs for a whole batch. Everything it returns
 * is a sum over its examples, so shards add up to the batch.
 */
export class StepRunner {
  private readonly executor: Executor;
  private readonly drawScratch = new Map<Layer, Map<string, Float32Array>>();
  /** Each layer's keys, by the seed it asked with ('' for the run's) and its path inside it. */
  private readonly layerKeys = new Map<Layer, Map<string, Key>>();
  private keyOwner: Key | null = null;
  /** Where the last training step's time went outside the math, for the benchmarks. */
  readonly timing = { copyInMs: 0, exportMs: 0, collectiveMs: 0, collectiveCalls: 0 };
  /** The collective the running step sums over (SOLO outside a multi-rank training step). */
  private collective: Collective = SOLO;
  /** The last step's new values of non-trainable weights (ctx.assign), by layout entry index. */
  private readonly assigned = new Map<number, Float32Array>();

  /** How each output is scored (none: the runner only predicts). */
  readonly scoring: readonly Scoring[];
  /** The stats row train and evaluate return. */
  readonly columns: readonly StatColumn[];

  /** `objective`: one loss (a one-output model, with `metrics`), each output's Scoring, or null to only predict. */
  /**
   * `options.hostHead: false` scores every output through its kernels (the benchmarks compare
   * both forms in one run).
   */
  constructor(
    readonly model: GraphModel,
    objective: Loss | readonly Scoring[] | null,
    metrics: readonly Metric[] = [],
    options: { hostHead?: boolean } = {},
  ) {
    this.executor = new Executor(model);
    this.scoring = objective === null ? [] : isScoringList(objective) ? objective : [{ loss: objective, weight: 1, metrics, weightedMetrics: [] }];
    if (this.scoring.length > 0 && this.scoring.length !== model.outputs.length) {
      throw new Error(`StepRunner needs one scoring per model output: ${this.scoring.length} for ${model.outputs.length}`);
    }
    this.columns = statColumns(this.scoring);
    this.regularized = model.nodes.filter((n) => n.layer.activityRegularizer !== null);
    this.readFurther = new Set(model.outputs.filter((o) => model.nodes.some((n) => n.inputs.includes(o)) || o.node.layer.activityRegularizer !== null));
    this.hosts = this.scoring.map((s, i) => {
      const layer = model.outputs[i].node.layer;
      const fused = isLogitsLayer(layer) && !this.readFurther.has(model.outputs[i]);
      return options.hostHead === false ? null : hostScorer(s.loss, [...s.metrics, ...s.weightedMetrics], isLogitsLayer(layer) ? layer.activation.name : 'linear', fused);
    });
  }

  /**
   * Outputs whose gradient has a term besides their loss's: another layer reads them, or their
   * layer's activity regularizer adds one.
   */
  private readonly readFurther: ReadonlySet<SymbolicTensor>;
  /** The nodes whose layer has an activity regularizer. */
  private readonly regularized: readonly Node[];
  /** Each output's JS scorer (host-head.ts), or null where its loss or a metric has none. */
  private readonly hosts: readonly (HostScorer | null)[];

  /**
   * Σ over the block of each activity regularizer's penalty, l1·Σ|y| + l2·Σy² of its node's
   * output (Keras 3 adds it divided by the batch size, as the mean loss is: a sum over examples
   * here, like every stat); when training, its gradient l1·sign(y) + 2·l2·y joins the seeds.
   */
  private activityPenalty(pass: ForwardPass, seeds: OutputSeed[] | null): tf.Scalar {
    let total: tf.Scalar = tf.scalar(0);
    for (const node of this.regularized) {
      const { l1, l2 } = regularizerFactors(node.layer.activityRegularizer!);
      const y = pass.values.get(node.output) as tf.Tensor;
      if (l1 !== 0) total = tf.add(total, tf.mul(tf.sum(tf.abs(y)), l1));
      if (l2 !== 0) total = tf.add(total, tf.mul(tf.sum(tf.square(y)), l2));
      if (seeds === null) continue;
      const grad = l1 === 0 ? tf.mul(y, 2 * l2) : l2 === 0 ? tf.mul(tf.sign(y), l1) : tf.add(tf.mul(tf.sign(y), l1), tf.mul(y, 2 * l2));
      seeds.push({ output: node.output, grad, gradIsLogits: false });
    }
    return total;
  }

  private inputTensors(batch: Batch): tf.Tensor[] {
    return this.model.inputs.map((t, i) => tf.tensor(batch.xs[i], batchShape(t, batch.rows), t.dtype));
  }

  /** Output i's targets in the block: `ys[i]`, or `y` for the first output. */
  private targetValues(batch: Batch, i: number): Float32Array | Int32Array {
    const values = batch.ys?.[i] ?? (i === 0 ? batch.y : null);
    if (values === null) throw new Error(`StepRunner has no targets for output ${i}`);
    return values;
  }

  private targetTensor(batch: Batch, i: number): tf.Tensor {
    const out = this.model.outputs[i];
    const shape = this.scoring[i].loss.sparseTargets ? [batch.rows] : batchShape(out, batch.rows);
    return tf.tensor(this.targetValues(batch, i), shape, 'float32');
  }

  /**
   * The head the loss of output i sees: the output, and its logits when its layer has them and
   * nothing else reads the output (a gradient from further on cannot join the fused form).
   */
  private head(pass: ForwardPass, i: number): Head {
    const tensor = this.model.outputs[i];
    const output = pass.values.get(tensor) as tf.Tensor;
    const saved = pass.saved.get(tensor.node);
    const layer = tensor.node.layer;
    const fusable = saved !== undefined && isLogitsLayer(layer) && !this.readFurther.has(tensor);
    const logits = fusable ? layer.logits(saved) : null;
    return { output, logits, activation: isLogitsLayer(layer) ? layer.activation.name : 'linear' };
  }

  /**
   * A layer's key: its own seed if it asks with one, else the run's; folded with its model
   * index, then with each index of `path` (a layer inside a nested model).
   */
  private layerKey(layer: Layer, path: readonly number[], runKey: Key, seed: number | undefined): Key {
    if (this.keyOwner !== runKey) {
      this.layerKeys.clear();
      this.keyOwner = runKey;
    }
    let keys = this.layerKeys.get(layer);
    if (keys === undefined) this.layerKeys.set(layer, (keys = new Map()));
    const id = `${seed ?? ''}/${path.join('/')}`;
    let key = keys.get(id);
    if (key === undefined) {
      key = foldIn(seed === undefined ? runKey : keyFromSeed(seed), this.model.layerIndex(layer));
      for (const index of path) key = foldIn(key, index);
      keys.set(id, key);
    }
    return key;
  }

  /** The layout entry of weight `index` of `layer`, which must be a non-trainable one. */
  private entryIndex(layer: Layer, index: number): number {
    const entries = this.model.layout.entries;
    const i = entries.findIndex((e) => e.layer === layer) + index;
    const e = entries[i];
    if (e === undefined || e.layer !== layer || e.trainable) throw new Error(`layer '${layer.name}' assigned its weight ${index}, which is not one of its non-trainable weights`);
    return i;
  }

  /**
   * The new values of non-trainable weights the last training step computed (moving
   * statistics), by layout entry index: the engine applies them once the step has succeeded.
   */
  get assignments(): ReadonlyMap<number, Float32Array> {
    return this.assigned;
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
    const at = (layer: Layer, path: readonly number[]): CallContext => {
      const scratch = (kind: string, size: number) => this.scratch(layer, `${kind}/${path.join('/')}`, size);
      const draw = (what: string, seed: number | undefined) => {
        const k = keyed(what);
        return { key: this.layerKey(layer, path, k.runKey, seed), epoch: k.epoch };
      };
      return {
        training,
        dropoutMask: (rate, rowSize, rows, seed) => {
          const d = draw('dropoutMask', seed);
          const out = scratch('mask', rows * rowSize);
          fillDropoutMask(d.key, d.epoch, batch.firstExample, rows, rowSize, rate, out);
          return out;
        },
        uniform: (rowSize, rows, seed) => {
          const d = draw('uniform noise', seed);
          const out = scratch('uniform', rows * rowSize);
          fillExampleUniform(d.key, d.epoch, batch.firstExample, rows, rowSize, out);
          return out;
        },
        normal: (rowSize, rows, seed) => {
          const d = draw('normal noise', seed);
          const out = scratch('normal', rows * rowSize);
          fillExampleNormal(d.key, d.epoch, batch.firstExample, rows, rowSize, out);
          return out;
        },
        nested: (index) => at(layer, [...path, index]),
        allSum: (partial) => {
          const began = performance.now();
          const out = this.collective.sum(partial);
          this.timing.collectiveMs += performance.now() - began;
          this.timing.collectiveCalls += 1;
          return out;
        },
        assign: (index, value) => {
          // A nested model's layers assign through their Functional layer, which maps the index.
          if (path.length > 0) throw new Error(`assign from inside layer '${layer.name}' without its nested model's mapping`);
          const entry = this.entryIndex(layer, index);
          this.assigned.set(entry, Float32Array.from(value));
        },
      };
    };
    return (layer) => at(layer, []);
  }

  /**
   * One output's share of a block: its loss sum Σ w·loss, metric sums, weighted metric sums and
   * Σ w, and (training) its gradient seed scaled by λ·w. A small softmax-crossentropy head is
   * scored in JS from heap views (host-head.ts); any other through the loss's kernels.
   */
  private scoreOutput(s: Scoring, i: number, pass: ForwardPass, batch: Batch, withGrad: boolean): ScoredOutput {
    const head = this.head(pass, i);
    const w = batch.weights?.[i] ?? null;
    const host = this.hosts[i];
    if (host !== null && head.output.rank === 2 && head.output.size <= HOST_HEAD_MAX) {
      return this.scoreOnHost(host, s, i, head, this.targetValues(batch, i), w, batch.rows, withGrad);
    }
    const y = this.targetTensor(batch, i);
    const result = s.loss.compute(head, y);
    const wt = w === null ? null : tf.tensor1d(w, 'float32');
    const scored: ScoredOutput = {
      loss: tf.sum(wt === null ? result.perExample : tf.mul(result.perExample, wt)),
      plain: s.metrics.map((m) => m.sum(head.output, y)),
      weighted: s.weightedMetrics.map((m) => weightedSum(m, head.output, y, w)),
      weightSum: s.weightedMetrics.length === 0 ? null : wt === null ? batch.rows : tf.sum(wt),
      seed: null,
    };
    if (!withGrad) return scored;
    const scale = rowScale(wt, s.weight, result.grad.rank);
    return { ...scored, seed: { output: this.model.outputs[i], grad: scale === null ? result.grad : tf.mul(result.grad, scale), gradIsLogits: result.gradIsLogits } };
  }

  /** scoreOutput in JS: every sum in float64, the gradient's rows scaled in place. */
  private scoreOnHost(host: HostScorer, s: Scoring, i: number, head: Head, y: ArrayLike<number>, w: ArrayLike<number> | null, rows: number, withGrad: boolean): ScoredOutput {
    const width = head.output.shape[1] as number;
    // Heap views: valid until the next tfjs op, so everything is read before one runs.
    const view: HostHead = { output: readTensor(head.output), logits: head.logits === null ? null : readTensor(head.logits), rows, width };
    const { perExample, grad } = host.loss(view, y, withGrad);
    // Σ_r weight_r·v_r, each weight 1 where `weights` is null or `v` is (Σ w itself).
    const weightedSumOf = (v: Float64Array | null, weights: ArrayLike<number> | null) => {
      let sum = 0;
      for (let r = 0; r < rows; r++) sum += (weights === null ? 1 : weights[r]) * (v === null ? 1 : v[r]);
      return sum;
    };
    const plain = host.metrics.slice(0, s.metrics.length).map((m) => weightedSumOf(m(view, y), null));
    const weighted = host.metrics.slice(s.metrics.length).map((m) => weightedSumOf(m(view, y), w));
    const weightSum = s.weightedMetrics.length === 0 ? null : weightedSumOf(null, w);
    const scored: ScoredOutput = { loss: weightedSumOf(perExample, w), plain, weighted, weightSum, seed: null };
    if (grad === null) return scored;
    if (w !== null || s.weight !== 1) {
      for (let r = 0; r < rows; r++) {
        const f = s.weight * (w === null ? 1 : w[r]);
        for (let j = 0; j < width; j++) grad[r * width + j] *= f;
      }
    }
    return { ...scored, seed: { output: this.model.outputs[i], grad: tf.tensor2d(grad, [rows, width]), gradIsLogits: host.gradIsLogits } };
  }

  /**
   * The stats row and (when gradOut is given) the gradient sum, for one block. Each output's
   * loss is differentiated from its own head (the fused logits path where its layer has one);
   * a sample weight w scales its example's loss and gradient row, a loss weight λ the output's,
   * so the gradient is that of Σ_i λ_i Σ_b w_b·loss_i,b: still a sum over examples.
   */
  private run(params: Float32Array, batch: Batch, key: StepKey | null, gradOut: Float32Array | null): Float64Array {
    if (this.scoring.length === 0) throw new Error('StepRunner needs a loss to train or evaluate');
    this.assigned.clear();
    this.timing.collectiveMs = 0;
    this.timing.collectiveCalls = 0;
    return scoped(() => {
      const began = performance.now();
      const weights = this.executor.weightTensors(params);
      const inputs = this.inputTensors(batch);
      this.timing.copyInMs = performance.now() - began;
      const pass = this.executor.forward(inputs, weights, this.context(gradOut !== null, batch, key));
      const withGrad = gradOut !== null;
      const scored = this.scoring.map((s, i) => this.scoreOutput(s, i, pass, batch, withGrad));
      const seeds = scored.flatMap((o) => (o.seed === null ? [] : [o.seed]));
      const activity = this.regularized.length === 0 ? 0 : this.activityPenalty(pass, withGrad ? seeds : null);
      const losses = scored.map((o) => o.loss);
      const rest = [...(losses.length > 1 ? losses : []), ...scored.flatMap((o) => o.plain), ...scored.flatMap((o) => o.weighted), ...scored.flatMap((o) => (o.weightSum === null ? [] : [o.weightSum]))];
      const [activityValue, lossValues, restValues] = readStats([activity], losses, rest);
      const total = lossValues.reduce((sum, l, i) => sum + l[0] * this.scoring[i].weight, activityValue[0][0]);
      const stats = Float64Array.from([total, ...restValues.flatMap((v) => Array.from(v))]);
      if (gradOut !== null) {
        this.executor.backward(pass, seeds, gradOut);
        this.timing.exportMs = this.executor.exportMs;
      }
      return stats;
    });
  }

  /**
   * Training step on one block: writes Σ gradients into gradOut and returns [Σ loss, Σ metric...].
   * Whether the gradients are finite is the update's to check, as it reads their sum.
   */
  /**
   * `collective`: the step's ranks, for layers whose statistics span the global batch (every
   * rank of the step must call train with it, on its own shard).
   */
  train(params: Float32Array, batch: Batch, key: StepKey, gradOut: Float32Array, collective: Collective = SOLO): Float64Array {
    this.collective = collective;
    try {
      return this.run(params, batch, key, gradOut);
    } finally {
      this.collective = SOLO;
    }
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
