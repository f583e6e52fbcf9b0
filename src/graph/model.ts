import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType, unknownName } from '../errors.js';
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
  readonly trainable: boolean;

  constructor(
    private readonly model: GraphModel,
    private readonly entry: ParamEntry,
  ) {
    this.name = entry.name;
    this.shape = entry.shape;
    this.trainable = isTrainable(entry);
  }

  /**
   * The current value as a new tensor, which the caller owns and disposes (tfjs's read() hands
   * out the variable itself; weft's weights live in shared memory, so this is a copy).
   */
  read(): tf.Tensor {
    const { offset, size } = this.entry;
    return tf.tensor(this.model.params.slice(offset, offset + size), [...this.shape], 'float32');
  }
}

/**
 * Whether training updates a weight. Every weight is trainable until a layer declares otherwise
 * through its ParamSpec's `trainable` flag (BatchNorm's moving statistics); read it once it is there.
 */
function isTrainable(entry: ParamEntry): boolean {
  const spec = entry.layer.params[entry.index];
  return !(spec !== undefined && 'trainable' in spec && spec.trainable === false);
}

/**
 * A functional model: the DAG from its inputs to its outputs, its layers in Keras's order, and
 * the one flat parameter array every layer's weights are views of. Shapes were inferred as the
 * layers were applied, so a model that constructs is a model that can run.
 */
export class GraphModel {
  readonly name: string;
  private graph: Graph = EMPTY_GRAPH;
  private paramBuffer: Float32Array = new Float32Array(0);

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
    const layout = new ParamLayout(mapped.layers);
    this.graph = { ...mapped, layout, weightList: layout.entries.map((e) => new ModelWeight(this, e)) };
    this.paramBuffer = new Float32Array(layout.size);
    this.bindLayers();
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

  /** The flat parameter array (the only copy of the weights). */
  get params(): Float32Array {
    return this.paramBuffer;
  }

  /**
   * Moves the weights into `buffer` (e.g. a SharedArrayBuffer-backed array) and makes it the
   * model's only copy: layers' views are rebound, nothing else holds the old array.
   */
  adoptParams(buffer: Float32Array, copy = true): void {
    if (buffer.length !== this.layout.size) throw invalidArgument('buffer', `a Float32Array of length ${this.layout.size}`, buffer);
    if (copy) buffer.set(this.paramBuffer);
    this.paramBuffer = buffer;
    this.bindLayers();
  }

  private bindLayers(): void {
    for (const layer of this.layers) layer.bindWeights(this.layout.viewsFor(layer, this.paramBuffer));
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

  getWeights(): tf.Tensor[] {
    return this.layout.entries.map((e) => tf.tensor(this.paramBuffer.slice(e.offset, e.offset + e.size), e.shape as number[]));
  }

  setWeights(weights: readonly tf.Tensor[]): void {
    const entries = this.layout.entries;
    const values = readWeightValues('weights', weights, entries);
    values.forEach((v, i) => this.paramBuffer.set(v, entries[i].offset));
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
