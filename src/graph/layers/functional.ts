import * as tf from '@tensorflow/tfjs-core';
import { invalidType, notSupported, ShapeError } from '../../errors.js';
import { Executor, type ForwardPass } from '../executor.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkLayerConfig, Layer, type CallContext, type Gradients, type ParamSpec, type Saved, type SparseGrad } from '../layer.js';
import { GraphModel } from '../model.js';
import { formatShape, type Shape } from '../shape.js';
import { graphFromSpec, type ModelSpec } from '../spec.js';
import { fromLayersTopology, specToLayersTopology } from '../tfjs-format.js';

/**
 * A model applied as a layer of another (Keras's `outer = Model(x, inner(x))`): one layer whose
 * weights are the inner model's, whose forward and backward run the inner graph. The inner
 * model keeps working on its own and shares its weights with every model it is nested in: they
 * are views of the outer model's flat array from the moment it is built.
 *
 * Its weft config is the inner model's spec; in model.json it is a 'Functional' layer whose
 * config is the inner topology, as Keras and tfjs-layers write it.
 */
export class Functional extends Layer {
  static override readonly className: string = 'Functional';
  /** Keras numbers a nested model's calls from 1 in model.json: node 0 is the model's own construction. */
  static readonly kerasFirstNode = 1;

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    const config = Object.fromEntries(Object.keys(r.config).map((k) => [k, r.get(k)]));
    const classWritten = (this as typeof Functional).className === 'Sequential' ? 'Sequential' : 'Functional';
    const spec = fromLayersTopology({ class_name: classWritten, config: { ...config, name: r.name }, keras_version: r.kerasVersion });
    return { ...spec, name: r.name };
  }

  static override toKeras(config: Record<string, unknown>): Json {
    return specToLayersTopology(config as unknown as ModelSpec).config as unknown as Json;
  }

  /** Every nested model is written as a 'Functional' layer (tfjs-layers and Keras read it). */
  override get className(): string {
    return 'Functional';
  }

  /** The nested model: `outer.getLayer('inner').model` is the model that was applied. */
  readonly model: GraphModel;
  /**
   * True when wrapping a model the user built, whose weights hold values: they move into each
   * model it is nested in. False when rebuilt from a spec (a worker, a file): the outer model's
   * array is the source of its values.
   */
  private readonly ownsValues: boolean;
  protected override readonly minInputs: number;
  protected override readonly maxInputs: number;
  /** Executors with and without input gradients, made when first needed. */
  private readonly executors = new Map<boolean, Executor>();

  constructor(config: GraphModel | (ModelSpec & { name?: string })) {
    const live = config instanceof GraphModel;
    const spec = live ? null : checkLayerConfig<ModelSpec>('Functional', config, ['name', 'layers', 'inputs', 'outputs']);
    super(live ? config.name : spec?.name, 'functional');
    this.model = live ? config : new GraphModel(graphFromSpec({ ...(spec as ModelSpec), name: this.name }));
    this.ownsValues = live;
    // `trainable: false` in a spec or a file freezes the whole inner model (its layers' flags say so too).
    if (!this.trainableFlag) this.model.trainable = false;
    const outputs = this.model.outputs.length;
    if (outputs !== 1) {
      throw new ShapeError(`Model '${this.name}' has ${outputs} outputs: weft applies a model as a layer only when it has one output (apply each head's own one-output model instead)`);
    }
    this.minInputs = this.maxInputs = this.model.inputs.length;
    const penalized = this.model.layers.find((l) => l.activityRegularizer !== null);
    if (penalized !== undefined) {
      throw notSupported(`Layer '${penalized.name}' inside the nested model '${this.name}'`, 'activityRegularizer', penalized.activityRegularizer);
    }
  }

  protected build(shapes: readonly Shape[]): ParamSpec[] {
    shapes.forEach((shape, i) => {
      const expected = this.model.inputs[i].shape;
      if (shape.length !== expected.length || shape.some((d, j) => j > 0 && expected[j] !== null && d !== expected[j])) {
        throw new ShapeError(`Input ${i} of layer '${this.name}' (Functional) is incompatible with the layer: expected shape=${formatShape(expected)}, found shape=${formatShape(shape)}`);
      }
    });
    // The inner weights under their own names ('dense/kernel'), as tfjs-layers names them.
    return this.model.layout.entries.map((e) => ({ ...e.layer.params[e.index], name: e.name, fullName: e.name, preset: this.ownsValues }));
  }

  computeOutputShape(shapes: readonly Shape[]): Shape {
    return [shapes[0][0], ...this.model.outputs[0].shape.slice(1)];
  }

  /** The nested model's flag: freezing the layer freezes the model (Keras: every sublayer). */
  override get trainable(): boolean {
    return this.model.trainable;
  }

  override set trainable(value: boolean) {
    if (typeof value !== 'boolean') throw invalidType(`trainable of layer '${this.name}'`, 'a boolean', value);
    this.model.trainable = value;
  }

  /** An inner weight is trainable where the inner model says so (its layout's classification, made from the same flags). */
  override paramTrainable(index: number): boolean {
    const e = this.model.layout.entries[index];
    return this.model.trainable && e.layer.paramTrainable(e.index);
  }

  override refreshLayout(): void {
    this.model.refreshLayout();
  }

  override get collectiveLength(): number {
    return Math.max(0, ...this.model.layers.map((l) => l.collectiveLength));
  }

  override integerInputBound(index: number): number | null {
    return this.model.integerBound(this.model.inputs[index]);
  }

  override bindWeights(views: Float32Array[]): void {
    super.bindWeights(views);
    if (views.length === 0) return;
    // The outer layout keeps this layer's trainable weights together in its trainable prefix and
    // the rest together past it, each run in the inner layout's order: the inner model's two regions.
    const layout = this.model.layout;
    const run = (trainable: boolean, length: number): Float32Array => {
      const first = layout.entries.findIndex((e) => e.trainable === trainable);
      return first < 0 ? new Float32Array(0) : new Float32Array(views[first].buffer, views[first].byteOffset, length);
    };
    // The inner values move into the outer array once, when first nested; a later rebinding (a
    // relayout, another outer model) has its values moved by the outer model.
    this.model.adoptRegions(run(true, layout.trainableSize), run(false, layout.size - layout.trainableSize), this.ownsValues && !this.adopted);
    this.adopted = true;
  }

  private adopted = false;

  private executor(inputGradients: boolean): Executor {
    let e = this.executors.get(inputGradients);
    if (e === undefined) this.executors.set(inputGradients, (e = new Executor(this.model, inputGradients)));
    return e;
  }

  forward(inputs: readonly tf.Tensor[], weights: readonly tf.Tensor[], ctx: CallContext): { output: tf.Tensor; cache: ForwardPass } {
    const byLayer = new Map<Layer, tf.Tensor[]>();
    this.model.layout.entries.forEach((e, i) => byLayer.set(e.layer, [...(byLayer.get(e.layer) ?? []), weights[i]]));
    const pass = this.executor(false).forward(inputs, byLayer, (layer) => {
      const inner = ctx.nested(this.model.layerIndex(layer));
      // An inner layer's weight k is this layer's weight at its place in the inner layout.
      const base = this.model.layout.entries.findIndex((e) => e.layer === layer);
      return { ...inner, assign: (index: number, value: Float32Array) => ctx.assign(base + index, value) };
    });
    return { output: pass.values.get(this.model.outputs[0]) as tf.Tensor, cache: pass };
  }

  backward(dy: tf.Tensor, saved: Saved, needInputGrads: readonly boolean[]): Gradients {
    const entries = this.model.layout.entries;
    const parts: tf.Tensor[][] = entries.map(() => []);
    const sink = (i: number, g: tf.Tensor | SparseGrad) => {
      if (g instanceof tf.Tensor) {
        parts[i].push(g);
        return;
      }
      // A sparse gradient reads the wasm heap: it becomes a dense tensor before more kernels run.
      const dense = new Float32Array(entries[i].size);
      g.addInto(dense);
      parts[i].push(tf.tensor(dense, entries[i].shape as number[]));
    };
    const wantInputs = needInputGrads.some((n) => n);
    const grads = this.executor(wantInputs).propagate(saved.cache as ForwardPass, [{ output: this.model.outputs[0], grad: dy, gradIsLogits: false }], sink);
    return {
      inputs: this.model.inputs.map((t, k) => (needInputGrads[k] ? grads.get(t) ?? tf.zerosLike(saved.inputs[k]) : null)),
      weights: parts.map((p) => (p.length === 0 ? null : p.length === 1 ? p[0] : tf.addN(p))),
    };
  }

  getConfig(): Record<string, unknown> {
    return { ...this.model.toJSON(), name: this.name };
  }

  /** The nested model's summary (Keras's `outer.get_layer('inner').summary()`). */
  summary(lineLength?: number, positions?: number[], printFn?: (line: string) => void): void {
    this.model.summary(lineLength, positions, printFn);
  }
}

/** Keras 2's `class_name: 'Model'` (tfjs-layers' `tf.model`) for a nested model: the same layer. */
export class NestedModel extends Functional {
  static override readonly className: string = 'Model';
}

/** A nested Sequential model (config {name, layers}), read as the functional model it is. */
export class NestedSequential extends Functional {
  static override readonly className: string = 'Sequential';
}
