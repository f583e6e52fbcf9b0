import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType, unknownName } from '../errors.js';
import type { Layer } from './layer.js';
import { InputLayer } from './layers/input.js';
import { ParamLayout } from './param-layout.js';
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

/**
 * A functional model: the DAG from its inputs to its outputs, its layers in Keras's order, and
 * the one flat parameter array every layer's weights are views of. Shapes were inferred as the
 * layers were applied, so a model that constructs is a model that can run.
 */
export class GraphModel {
  readonly name: string;
  readonly inputs: readonly SymbolicTensor[];
  readonly outputs: readonly SymbolicTensor[];
  readonly layers: readonly Layer[];
  /** Execution order: each node after the nodes it reads. */
  readonly nodes: readonly Node[];
  readonly layout: ParamLayout;
  private paramBuffer: Float32Array;

  constructor(config: GraphModelConfig) {
    if (config === null || typeof config !== 'object') throw invalidType('config', '{inputs, outputs, name?}', config);
    if (config.name !== undefined && typeof config.name !== 'string') throw invalidType('name', 'a string', config.name);
    const graph = mapGraph(config.inputs, config.outputs);
    this.inputs = graph.inputs;
    this.outputs = graph.outputs;
    this.nodes = graph.nodes;
    this.layers = graph.layers;
    this.name = config.name ?? (modelCount++ === 0 ? 'model' : `model_${modelCount - 1}`);
    this.layout = new ParamLayout(this.layers);
    this.paramBuffer = new Float32Array(this.layout.size);
    this.bindLayers();
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

  /** The plain JSON spec of the graph (no weights): what a worker rebuilds the model from. */
  toJSON(): ModelSpec {
    return toSpec(this);
  }

  countParams(): number {
    return this.layout.size;
  }

  getLayer(name: string): Layer {
    const layer = this.layers.find((l) => l.name === name);
    if (layer === undefined) throw unknownName('layer', name, this.layers.map((l) => l.name));
    return layer;
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
      isInput: layer instanceof InputLayer,
      paramCount: layer.countParams,
      inbound: layer.nodes.filter((n) => this.nodes.includes(n))
        .flatMap((n) => n.inputs.map((t) => ({ layer: t.name, nodeIndex: t.nodeIndex, tensorIndex: t.tensorIndex }))),
    }));
    const total = this.countParams();
    for (const line of formatSummary(this.name, rows, { total, trainable: total, nonTrainable: 0 }, lineLength, positions)) printFn(line);
  }
}
