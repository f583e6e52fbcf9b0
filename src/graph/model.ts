import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType, StateError, unknownName } from '../errors.js';
import type { Layer } from './layer.js';
import { modelAsLayer } from './layers/index.js';
import { ParamLayout, type ParamEntry } from './param-layout.js';
import { sizeOf } from './shape.js';
import { readWeightValues } from './weight-values.js';
import { formatSummary, type SummaryRow } from './summary.js';
import type { Node, SymbolicTensor } from './symbolic.js';
import { mapGraph } from './topology.js';
import { toSpec, type ModelSpec } from './spec.js';

export interface GraphModelConfig {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

let modelCount = 0;

/** What a model's graph is made of, derived once from its inputs and outputs. */
interface Graph {
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  readonly layers: readonly Layer[];
  readonly nodes: readonly Node[];
  readonly layout: ParamLayout;
  readonly weightList: readonly ModelWeight[];
}

const EMPTY_GRAPH: Graph = { inputs: [], outputs: [], layers: [], nodes: [], layout: new ParamLayout([]), weightList: [] };

/**
 * One weight of a model, in the shape of tfjs-layers' LayerVariable: its name ('dense/kernel'),
 * shape, dtype and whether training updates it. It is a window on the model's flat parameter
 * array, not a copy: `read()` always returns the current value, during or after fit.
 */
export class ModelWeight {
  readonly name: string;
  readonly shape: readonly number[];
  /** weft keeps every weight in one Float32Array. */
  readonly dtype = 'float32' as const;

  constructor(
    private readonly model: GraphModel,
    private readonly entry: ParamEntry,
  ) {
    this.name = entry.name;
    this.shape = entry.shape;
  }

  /**
   * Whether training updates it: its model and layer are trainable and the layer declared it so
   * (BatchNorm's moving statistics are not). The current flags: fit follows them from the next compile.
   */
  get trainable(): boolean {
    return this.model.trainable && this.entry.layer.paramTrainable(this.entry.index);
  }

  /**
   * The current value as a new tensor, which the caller owns and disposes (tfjs's read() hands
   * out the variable itself; weft's weights live in shared memory, so this is a copy).
   */
  read(): tf.Tensor {
    return tf.tensor(this.model.valuesOf(this.entry).slice(), [...this.shape], 'float32');
  }
}

/**
 * A functional model: the DAG from its inputs to its outputs, its layers in Keras's order, and
 * the one flat parameter array every layer's weights are views of. Shapes were inferred as the
 * layers were applied, so a model that constructs is a model that can run.
 */
export class GraphModel {
  readonly name: string;
  private graph: Graph = EMPTY_GRAPH;
  /** The whole flat array; null for a nested model whose two regions lie apart in its outer model's. */
  private paramBuffer: Float32Array | null = new Float32Array(0);
  /** The trainable prefix and the non-trainable rest of the weights (views of paramBuffer when there is one). */
  private regions: readonly [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)];
  private trainableFlag = true;

  /**
   * `emptyAllowed`: a model whose graph comes later (a Sequential before its first layer);
   * setGraph gives it one.
   */
  constructor(config: GraphModelConfig, emptyAllowed = false) {
    if (config === null || typeof config !== 'object') throw invalidType('config', '{inputs, outputs, name?}', config);
    if (config.name !== undefined && typeof config.name !== 'string') throw invalidType('name', 'a string', config.name);
    this.name = config.name ?? (modelCount++ === 0 ? 'model' : `model_${modelCount - 1}`);
    if (!(emptyAllowed && config.inputs === undefined && config.outputs === undefined)) this.setGraph(config.inputs, config.outputs);
  }

  /** Maps the graph from `inputs` to `outputs` and gives it a new, zeroed parameter array. */
  protected setGraph(inputs: SymbolicTensor | SymbolicTensor[], outputs: SymbolicTensor | SymbolicTensor[]): void {
    const mapped = mapGraph(inputs, outputs);
    // Layers already in another model (a new head on a loaded model's layers) keep their weights,
    // as in Keras, where a layer's weights are its own.
    const carried = mapped.layers.map((l) => (l.params.length === 0 ? null : l.currentValues()));
    const layout = new ParamLayout(mapped.layers, this.trainableFlag);
    this.graph = { ...mapped, layout, weightList: layout.entries.map((e) => new ModelWeight(this, e)) };
    this.setBuffer(new Float32Array(layout.size));
    this.bindLayers();
    this.carriedLayers = new Set(mapped.layers.filter((l, i) => carried[i] !== null));
    for (const e of layout.entries) {
      const values = carried[mapped.layers.indexOf(e.layer)];
      if (values != null) this.valuesOf(e).set(values[e.index]);
    }
  }

  /** Layers whose weights came with them from another model: initialisation leaves them as they are. */
  private carriedLayers: ReadonlySet<Layer> = new Set();

  /** Whether `layer` brought its weights from another model (they are not drawn afresh). */
  carriesWeightsOf(layer: Layer): boolean {
    return this.carriedLayers.has(layer);
  }

  /**
   * Keras's `model.trainable`: false freezes every weight of the model; setting it sets every
   * layer's flag too (as Keras does), so a layer can be thawed again after `model.trainable = true`.
   * Takes effect at the next compile.
   */
  get trainable(): boolean {
    return this.trainableFlag;
  }

  set trainable(value: boolean) {
    if (typeof value !== 'boolean') throw invalidType(`trainable of model '${this.name}'`, 'a boolean', value);
    this.trainableFlag = value;
    for (const layer of this.layers) layer.trainable = value;
  }

  /**
   * Lays the weights out again from the current trainable flags (compile calls it): weights that
   * changed side move between the trainable prefix and the rest, values kept. Nested models'
   * layouts follow. Returns whether anything moved.
   */
  relayout(): boolean {
    const values = this.layout.entries.map((e) => this.valuesOf(e));
    this.refreshNested();
    const layout = new ParamLayout(this.layers, this.trainableFlag);
    if (layout.sameAs(this.layout)) return false;
    const buffer = this.freshParams(layout.size);
    layout.entries.forEach((e, i) => buffer.set(values[i], e.offset));
    this.graph = { ...this.graph, layout, weightList: layout.entries.map((e) => new ModelWeight(this, e)) };
    this.setBuffer(buffer);
    this.bindLayers();
    return true;
  }

  /**
   * The layout a nested model's outer model is about to rebind it to: made from the current
   * flags, its values left where they are (the outer model moves them, then rebinds).
   */
  refreshLayout(): void {
    this.refreshNested();
    const layout = new ParamLayout(this.layers, this.trainableFlag);
    if (!layout.sameAs(this.layout)) this.graph = { ...this.graph, layout, weightList: layout.entries.map((e) => new ModelWeight(this, e)) };
  }

  private refreshNested(): void {
    for (const layer of this.layers) layer.refreshLayout();
  }

  /** A new, zeroed parameter array of `size` floats (the training model's lives in shared memory). */
  protected freshParams(size: number): Float32Array {
    return new Float32Array(size);
  }

  /** Makes `buffer` the whole flat array: its trainable prefix and the rest are the regions. */
  private setBuffer(buffer: Float32Array): void {
    const t = this.layout.trainableSize;
    this.paramBuffer = buffer;
    this.regions = [buffer.subarray(0, t), buffer.subarray(t)];
  }

  /** The values of one weight of this model's layout: a view, not a copy. */
  valuesOf(e: ParamEntry): Float32Array {
    const t = this.layout.trainableSize;
    return e.trainable ? this.regions[0].subarray(e.offset, e.offset + e.size) : this.regions[1].subarray(e.offset - t, e.offset - t + e.size);
  }

  get inputs(): readonly SymbolicTensor[] {
    return this.graph.inputs;
  }

  get outputs(): readonly SymbolicTensor[] {
    return this.graph.outputs;
  }

  get layers(): readonly Layer[] {
    return this.graph.layers;
  }

  /** Execution order: each node after the nodes it reads. */
  get nodes(): readonly Node[] {
    return this.graph.nodes;
  }

  get layout(): ParamLayout {
    return this.graph.layout;
  }

  private get weightList(): readonly ModelWeight[] {
    return this.graph.weightList;
  }

  /** Every weight, trainable ones first, each group in layer order (tfjs-layers' and Keras's order). */
  get weights(): ModelWeight[] {
    return [...this.trainableWeights, ...this.nonTrainableWeights];
  }

  /** The weights fit updates: layers in model order, kernel before bias. */
  get trainableWeights(): ModelWeight[] {
    return this.weightList.filter((w) => w.trainable);
  }

  /** The weights fit does not update (none until a layer declares one, e.g. BatchNorm's moving mean). */
  get nonTrainableWeights(): ModelWeight[] {
    return this.weightList.filter((w) => !w.trainable);
  }

  /** The flat parameter array (the only copy of the weights): the trainable prefix, then the rest. */
  get params(): Float32Array {
    if (this.paramBuffer === null) {
      throw new StateError(`Model '${this.name}' is nested in another model that keeps its trainable and non-trainable weights apart: read them with getWeights(), or through the outer model`);
    }
    return this.paramBuffer;
  }

  /**
   * Moves the weights into `buffer` (e.g. a SharedArrayBuffer-backed array) and makes it the
   * model's only copy: layers' views are rebound, nothing else holds the old array.
   */
  adoptParams(buffer: Float32Array, copy = true): void {
    if (buffer.length !== this.layout.size) throw invalidArgument('buffer', `a Float32Array of length ${this.layout.size}`, buffer);
    const t = this.layout.trainableSize;
    this.adoptRegions(buffer.subarray(0, t), buffer.subarray(t), copy);
  }

  /**
   * adoptParams for a model nested in another: its trainable weights and the rest as two arrays
   * (each a run of the outer model's regions), which may lie apart.
   */
  adoptRegions(trainable: Float32Array, state: Float32Array, copy = true): void {
    const t = this.layout.trainableSize;
    if (trainable.length !== t) throw invalidArgument('trainable', `a Float32Array of length ${t}`, trainable);
    if (state.length !== this.layout.size - t) throw invalidArgument('state', `a Float32Array of length ${this.layout.size - t}`, state);
    if (copy) {
      trainable.set(this.regions[0]);
      state.set(this.regions[1]);
    }
    const adjacent = trainable.buffer === state.buffer && trainable.byteOffset + trainable.byteLength === state.byteOffset;
    this.paramBuffer = state.length === 0 ? trainable : trainable.length === 0 ? state
      : adjacent ? new Float32Array(trainable.buffer, trainable.byteOffset, this.layout.size) : null;
    this.regions = [trainable, state];
    this.bindLayers();
  }

  private bindLayers(): void {
    for (const layer of this.layers) layer.bindWeights(this.layout.entries.filter((e) => e.layer === layer).map((e) => this.valuesOf(e)));
  }

  /** This model as a layer of other models, made by the first apply. */
  private asLayer: Layer | null = null;

  /**
   * The model applied to symbolic tensors as one layer of a bigger model (Keras's `model(x)`):
   * one layer of class Functional whose weights are this model's, shared, not copied. Applied
   * again, it is the same layer (shared weights, a second node). One-output models only.
   */
  apply(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor {
    this.asLayer ??= modelAsLayer(this);
    return this.asLayer.apply(x);
  }

  /** The plain JSON spec of the graph (no weights): what a worker rebuilds the model from. */
  toJSON(): ModelSpec {
    return toSpec(this);
  }

  countParams(): number {
    return this.layout.size;
  }

  /** Each weight by name with a copy of its values, in getWeights' order (TensorBoard's histograms). */
  namedWeightValues(): { name: string; values: Float32Array }[] {
    return this.entriesInWeightOrder().map((e) => ({ name: e.name, values: this.valuesOf(e).slice() }));
  }

  /** The layout's entries in the order of `weights` (trainable first): getWeights', setWeights' and a saved file's order, as tfjs-layers'. */
  entriesInWeightOrder(): ParamEntry[] {
    const entries = this.layout.entries;
    const trainable = entries.map((e) => this.weightList[entries.indexOf(e)].trainable);
    return [...entries.filter((_, i) => trainable[i]), ...entries.filter((_, i) => !trainable[i])];
  }

  /**
   * A layer by name, or by its index in `model.layers` (tfjs-layers' `getLayer(name?, index?)`,
   * Keras's `get_layer(name=None, index=None)`): `getLayer('dense')`, `getLayer(2)` or
   * `getLayer(undefined, 2)`. Giving both a name and an index is refused, as Keras refuses it.
   */
  getLayer(name: string): Layer;
  getLayer(index: number): Layer;
  getLayer(name: undefined, index: number): Layer;
  getLayer(nameOrIndex?: string | number, index?: number): Layer {
    if (index !== undefined) {
      if (nameOrIndex !== undefined) throw invalidArgument('name', 'no name when `index` is given (pass one or the other)', nameOrIndex);
      return this.layerAt(index);
    }
    if (typeof nameOrIndex === 'number') return this.layerAt(nameOrIndex);
    if (typeof nameOrIndex !== 'string') throw invalidType('name', 'a layer name (string) or an index into model.layers (integer)', nameOrIndex);
    const layer = this.layers.find((l) => l.name === nameOrIndex);
    if (layer === undefined) throw unknownName('layer', nameOrIndex, this.layers.map((l) => l.name));
    return layer;
  }

  private layerAt(index: unknown): Layer {
    const n = this.layers.length;
    const expected = `an integer in [0, ${n - 1}] (an index into model.layers, which has ${n} layers)`;
    if (typeof index !== 'number') throw invalidType('index', expected, index);
    if (!Number.isInteger(index) || index < 0 || index >= n) throw invalidArgument('index', expected, index);
    return this.layers[index];
  }

  /**
   * The tightest integer bound (an Embedding's inputDim) of the layers `input` feeds directly,
   * or null: the data loader checks every value of that input against it.
   */
  integerBound(input: SymbolicTensor): number | null {
    const bounds = this.nodes.flatMap((n) => n.inputs.map((t, k) => (t === input ? n.layer.integerInputBound(k) : null)))
      .filter((b): b is number => b !== null);
    return bounds.length > 0 ? Math.min(...bounds) : null;
  }

  /** The model's index for each layer: part of each dropout layer's random key. */
  layerIndex(layer: Layer): number {
    return this.layers.indexOf(layer);
  }

  /** Every weight's value, trainable weights first (tfjs-layers' and Keras's order). */
  getWeights(): tf.Tensor[] {
    return this.entriesInWeightOrder().map((e) => tf.tensor(this.valuesOf(e).slice(), e.shape as number[]));
  }

  setWeights(weights: readonly tf.Tensor[]): void {
    const entries = this.entriesInWeightOrder();
    const values = readWeightValues('weights', weights, entries);
    values.forEach((v, i) => this.valuesOf(entries[i]).set(v));
  }

  summary(lineLength?: number, positions?: number[], printFn: (line: string) => void = console.log): void {
    const rows: SummaryRow[] = this.layers.map((layer) => ({
      name: layer.name,
      className: layer.className,
      outputShape: [...layer.nodes.find((n) => this.nodes.includes(n))!.output.shape],
      isInput: layer.isInput,
      paramCount: layer.countParams,
      inbound: layer.nodes.filter((n) => this.nodes.includes(n))
        .flatMap((n) => n.inputs.map((t) => ({ layer: t.name, nodeIndex: t.nodeIndex, tensorIndex: t.tensorIndex }))),
    }));
    const total = this.countParams();
    const trainable = this.trainableWeights.reduce((n, w) => n + sizeOf(w.shape), 0);
    const totals = { total, trainable, nonTrainable: total - trainable };
    for (const line of formatSummary(this.name, rows, totals, lineLength, positions)) printFn(line);
  }
}
