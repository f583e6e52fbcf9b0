/**
 * weft's graph spec <-> the TensorFlow.js layers / Keras 2 `modelTopology` JSON: the topology half
 * of a `model.json` that `tf.loadLayersModel` reads. Pure conversion, no I/O (src/train/save.ts
 * reads and writes the files). The JSON written is what tfjs-layers 4.22's `model.toJSON(null,
 * false)` writes for the same functional model, key for key; the JSON read may come from
 * tfjs-layers ('Model', 'Sequential') or from Keras 2 via tensorflowjs_converter ('Functional',
 * wrapped in `model_config`).
 */
import { invalidArgument, invalidType, unknownName } from '../errors.js';
import { expectArray, expectObject, expectString, isObject, KerasConfigReader, type Json } from './keras-config.js';
import { layerClass } from './layers/index.js';
import { readRegularizer, regularizerToKeras } from './regularizers.js';
import { isRegisteredLayer, unknownLayerClass } from './layers/registry.js';
import type { GraphModel } from './model.js';
import { toSpec, type LayerSpec, type ModelSpec, type TensorRef } from './spec.js';

/** The version tfjs-layers writes in `keras_version`; weft matches its format. */
export const KERAS_VERSION = 'tfjs-layers 4.22.0';

/** The model classes `fromLayersTopology` reads. */
export const SUPPORTED_MODEL_CLASSES = ['Model', 'Functional', 'Sequential'] as const;

/** One layer as Keras serialises it in a functional model's config. */
export interface KerasLayerJSON {
  name: string;
  class_name: string;
  config: Json;
  inbound_nodes: [string, number, number, Json][][];
}

/** The `modelTopology` of a layers-model `model.json`. */
export interface LayersTopologyJSON {
  class_name: 'Model';
  config: {
    name: string;
    layers: KerasLayerJSON[];
    input_layers: [string, number, number][];
    output_layers: [string, number, number][];
  };
  keras_version: string;
  backend: 'tensor_flow.js';
}

// ---------------------------------------------------------------------------------------------
// weft -> Keras
// ---------------------------------------------------------------------------------------------

/** The `modelTopology` JSON of a functional model, as tfjs-layers writes it. */
export function toLayersTopology(model: GraphModel): LayersTopologyJSON {
  return specToLayersTopology(toSpec(model));
}

/** The same, from weft's plain spec (`model.toJSON()`). */
export function specToLayersTopology(spec: ModelSpec): LayersTopologyJSON {
  const first = new Map(spec.layers.map((ls) => [ls.config.name as string, firstNode(ls.className)]));
  const ref = ([name, node]: TensorRef): [string, number, number] => [name, node + (first.get(name) ?? 0), 0];
  const layers = spec.layers.map((ls): KerasLayerJSON => {
    const name = ls.config.name as string;
    return {
      name,
      class_name: ls.className,
      config: layerConfigToKeras(ls),
      inbound_nodes: ls.inboundNodes.map((refs) => refs.map((r) => [...ref(r), {}] as [string, number, number, Json])),
    };
  });
  return {
    class_name: 'Model',
    config: { name: spec.name, layers, input_layers: spec.inputs.map(ref), output_layers: spec.outputs.map(ref) },
    keras_version: KERAS_VERSION,
    backend: 'tensor_flow.js',
  };
}

/** Where a layer class's calls start in Keras's node numbering (a nested model's at 1). */
function firstNode(className: string): number {
  return isRegisteredLayer(className) ? layerClass(className).kerasFirstNode ?? 0 : 0;
}

/**
 * Keras's node indices as weft's: a nested model's calls are numbered from 1 in model.json
 * (node 0 is its construction). Files that number them from 0 anyway are read as written.
 */
function toWeftNodeIndices(layers: LayerSpec[], endpoints: TensorRef[][]): void {
  const refs = [...layers.flatMap((l) => l.inboundNodes.flat()), ...endpoints.flat()];
  for (const l of layers) {
    const name = l.config.name as string;
    const first = firstNode(l.className);
    const mine = refs.filter((r) => r[0] === name);
    if (first === 0 || mine.some((r) => r[1] < first)) continue;
    for (const r of mine) r[1] -= first;
  }
}

/** A layer's weft config as its Keras JSON config, through its class's own mapping. */
function layerConfigToKeras({ className, config }: LayerSpec): Json {
  const { activityRegularizer, trainable, ...own } = config;
  const mapped = layerClass(className).toKeras(own);
  // Each mapping writes Keras's `trainable: true` where Keras does (an InputLayer has none).
  const json = trainable === false || 'trainable' in mapped ? { ...mapped, trainable: trainable !== false } : mapped;
  return activityRegularizer == null ? json : { ...json, activity_regularizer: regularizerToKeras(activityRegularizer) };
}

// ---------------------------------------------------------------------------------------------
// Keras -> weft
// ---------------------------------------------------------------------------------------------

/**
 * A weft spec from a `modelTopology` (or a whole layers-model `model.json`, or the Keras
 * converter's `{model_config, training_config}`): functional models ('Model', 'Functional') and
 * tfjs-layers 'Sequential' models, of the layers weft has. Layer configs come out camelCase, as
 * weft's layer constructors take them; anything weft cannot reproduce is an error naming the
 * field, never silently dropped.
 */
export function fromLayersTopology(json: unknown): ModelSpec {
  let top = expectObject('modelTopology', json, 'a tfjs layers-model topology {class_name, config}');
  if (isObject(top.modelTopology)) top = top.modelTopology; // a whole model.json
  // The converter writes keras_version beside model_config; tfjs-layers beside class_name.
  let version = typeof top.keras_version === 'string' ? top.keras_version : null;
  if (isObject(top.model_config)) top = top.model_config; // tensorflowjs_converter's wrapping
  if (typeof top.keras_version === 'string') version = top.keras_version;
  const file: FileContext = { kerasVersion: version };
  const cls = expectString('modelTopology.class_name', top.class_name);
  if (cls === 'Sequential') return sequentialToSpec(top.config, file);
  if (cls !== 'Model' && cls !== 'Functional') throw unknownName('model class', cls, SUPPORTED_MODEL_CLASSES);
  const config = expectObject('modelTopology.config', top.config, 'an object {name, layers, input_layers, output_layers}');
  const name = config.name === undefined ? 'model' : expectString('modelTopology.config.name', config.name);
  const rawLayers = expectArray('modelTopology.config.layers', config.layers, 'an array of layers');
  const layers = rawLayers.map((raw, i) => {
    const where = `modelTopology.config.layers[${i}]`;
    const l = expectObject(where, raw, 'a layer {class_name, config, inbound_nodes}');
    const className = expectString(`${where}.class_name`, l.class_name);
    const lc = expectObject(`${where}.config`, l.config, 'an object (the layer config)');
    const layerName = expectString(`${where}.name`, l.name ?? lc.name);
    const inboundNodes = expectArray(`${where}.inbound_nodes`, l.inbound_nodes ?? [], 'an array of nodes (Keras 2: lists of [layerName, nodeIndex, tensorIndex, kwargs]; Keras 3: {args, kwargs})')
      .map((node, n) => inboundNode(`${where}.inbound_nodes[${n}]`, node));
    return layerFromKeras(className, layerName, lc, inboundNodes, file);
  });
  const names = new Set<string>();
  for (const l of layers) {
    const n = l.config.name as string;
    if (names.has(n)) throw invalidArgument('modelTopology.config.layers', 'layers with unique names', `two layers named '${n}'`);
    names.add(n);
  }
  const endpoints = (key: 'input_layers' | 'output_layers'): TensorRef[] => {
    const where = `modelTopology.config.${key}`;
    let list = expectArray(where, config[key], 'an array of [layerName, nodeIndex, tensorIndex]');
    if (typeof list[0] === 'string') list = [list]; // one endpoint written flat
    if (list.length === 0) throw invalidArgument(where, 'at least one [layerName, nodeIndex, tensorIndex]', list);
    return list.map((e, i) => {
      const ref = tensorRef(`${where}[${i}]`, e);
      if (!names.has(ref[0])) throw unknownName(`layer in ${where}[${i}]`, ref[0], [...names]);
      return ref;
    });
  };
  const inputs = endpoints('input_layers');
  const outputs = endpoints('output_layers');
  toWeftNodeIndices(layers, [inputs, outputs]);
  return { name, layers, inputs, outputs };
}

/** What every layer of one file shares. */
interface FileContext {
  readonly kerasVersion: string | null;
}

/** `[layerName, nodeIndex, tensorIndex, kwargs?]`; weft's layers have one output, so tensorIndex is 0. */
function tensorRef(where: string, entry: unknown): TensorRef {
  const expected = '[layerName, nodeIndex, tensorIndex, kwargs]';
  if (!Array.isArray(entry) || entry.length < 2 || typeof entry[0] !== 'string') throw invalidType(where, expected, entry);
  const [name, node, tensor = 0, kwargs] = entry as [string, unknown, unknown, unknown];
  if (typeof node !== 'number' || !Number.isInteger(node) || node < 0) throw invalidArgument(`${where}[1] (nodeIndex)`, 'an integer >= 0', node);
  if (tensor !== 0) throw invalidArgument(`${where}[2] (tensorIndex)`, "0 (weft's layers have one output)", tensor);
  if (kwargs !== undefined) checkCallKwargs(`${where}[3]`, kwargs);
  return [name, node];
}

/**
 * One inbound node: Keras 2 and tfjs-layers write the list of its input tensors, each
 * `[layerName, nodeIndex, tensorIndex, kwargs]`; Keras 3 writes the call itself,
 * `{args: [tensor or [tensors...]], kwargs}`, each tensor
 * `{class_name: '__keras_tensor__', config: {keras_history: [layerName, nodeIndex, tensorIndex]}}`.
 */
function inboundNode(where: string, node: unknown): TensorRef[] {
  if (Array.isArray(node)) return node.map((entry, k) => tensorRef(`${where}[${k}]`, entry));
  const call = expectObject(where, node, 'a list of [layerName, nodeIndex, tensorIndex, kwargs] (Keras 2) or {args, kwargs} (Keras 3)');
  const args = expectArray(`${where}.args`, call.args, 'the list of the call\'s arguments');
  const refs: TensorRef[] = [];
  const walk = (at: string, v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(`${at}[${i}]`, x));
    else refs.push(kerasTensor(at, v));
  };
  args.forEach((a, i) => walk(`${where}.args[${i}]`, a));
  if (call.kwargs !== undefined && call.kwargs !== null) checkCallKwargs(`${where}.kwargs`, call.kwargs);
  return refs;
}

/** A Keras 3 symbolic tensor: its `keras_history` names the layer, node and tensor it comes from. */
function kerasTensor(where: string, v: unknown): TensorRef {
  const expected = "a tensor {class_name: '__keras_tensor__', config: {keras_history: [layerName, nodeIndex, tensorIndex]}} (weft's layers take only tensors as arguments)";
  if (!isObject(v)) throw invalidType(where, expected, v);
  const history = isObject(v.config) ? v.config.keras_history : v.keras_history;
  if ((v.class_name !== undefined && v.class_name !== '__keras_tensor__') || !Array.isArray(history)) throw invalidType(where, expected, JSON.stringify(v));
  return tensorRef(`${where}.config.keras_history`, history);
}

/**
 * The keyword arguments of a layer call. weft calls each layer with the step's training flag
 * and no mask, so a call that fixes `training` or passes a mask (Keras's frozen-BatchNorm idiom,
 * `layer(x, training=False)`) is refused by name; null values say nothing.
 */
function checkCallKwargs(where: string, kwargs: unknown): void {
  const o = expectObject(where, kwargs, 'an object of call keyword arguments');
  for (const [k, v] of Object.entries(o)) {
    if (v !== null) throw invalidArgument(`${where}.${k}`, "null or absent (weft calls every layer with the step's training flag and no mask)", JSON.stringify(v));
  }
}

function sequentialToSpec(configArg: unknown, file: FileContext): ModelSpec {
  const where = 'modelTopology.config';
  // tfjs-layers writes {name, layers}; Keras before 2.3 wrote the layer list itself.
  const config = Array.isArray(configArg) ? { layers: configArg } : expectObject(where, configArg, 'an object {name, layers}');
  const name = config.name === undefined ? 'sequential' : expectString(`${where}.name`, config.name);
  const raw = expectArray(`${where}.layers`, config.layers, 'an array of layers');
  if (raw.length === 0) throw invalidArgument(`${where}.layers`, 'a non-empty array of layers', raw);
  const parsed = raw.map((r, i) => {
    const l = expectObject(`${where}.layers[${i}]`, r, 'a layer {class_name, config}');
    const className = expectString(`${where}.layers[${i}].class_name`, l.class_name);
    const lc = expectObject(`${where}.layers[${i}].config`, l.config, 'an object (the layer config)');
    return { className, lc, name: expectString(`${where}.layers[${i}].config.name`, l.name ?? lc.name) };
  });
  const layers: LayerSpec[] = [];
  let prev: string;
  let rest = parsed;
  if (parsed[0].className === 'InputLayer') {
    layers.push(layerFromKeras('InputLayer', parsed[0].name, parsed[0].lc, [], file));
    prev = parsed[0].name;
    rest = parsed.slice(1);
  } else {
    // tfjs-layers makes the input from the first layer's batch_input_shape, named '<layer>_input'
    // (Keras 2 wrote an Embedding's as input_length alone at times: [null, input_length]).
    const first = parsed[0];
    const length = first.className === 'Embedding' && typeof first.lc.input_length === 'number' ? [null, first.lc.input_length] : null;
    const shape = first.lc.batch_input_shape ?? first.lc.batch_shape ?? length;
    if (shape == null) {
      throw invalidArgument(`${where}.layers[0].config.batch_input_shape`, "the input shape (the first layer of a Sequential model must declare it)", shape);
    }
    prev = `${first.name}_input`;
    // A Keras 3 layer's dtype is a DTypePolicy; the input takes the name of its dtype.
    const layerDtype = isObject(first.lc.dtype) && isObject(first.lc.dtype.config) ? first.lc.dtype.config.name : first.lc.dtype;
    const dtype = layerDtype ?? (first.className === 'Embedding' ? 'int32' : 'float32');
    layers.push(layerFromKeras('InputLayer', prev, { batch_input_shape: shape, dtype, name: prev }, [], file));
  }
  for (const l of rest) {
    layers.push(layerFromKeras(l.className, l.name, l.lc, [[[prev, 0]]], file));
    prev = l.name;
  }
  return { name, layers, inputs: [[layers[0].config.name as string, 0]], outputs: [[prev, 0]] };
}

/**
 * One Keras layer as a weft LayerSpec: its class's own mapping reads the snake_case config, then
 * every field it did not read must be one that changes nothing in weft (INERT_FIELDS, or null:
 * Keras writes an unset option as null); any other is refused by name, as Keras refuses an
 * unknown keyword argument, never dropped.
 */
function layerFromKeras(className: string, name: string, c: Json, inboundNodes: TensorRef[][], file: FileContext): LayerSpec {
  const reader = new KerasConfigReader(className, name, c, file.kerasVersion);
  const trainable = reader.get('trainable');
  if (trainable != null && typeof trainable !== 'boolean') throw invalidArgument(reader.where('trainable'), 'a boolean', JSON.stringify(trainable));
  reader.get('name');
  if (!isRegisteredLayer(className)) throw unknownLayerClass(`layer class (layer '${name}')`, className);
  const cls = layerClass(className);
  // Keras's base Layer takes an activity regularizer, whatever the layer.
  const activityRegularizer = readRegularizer(reader, 'activity_regularizer');
  const config = { ...cls.fromKeras(reader), ...(activityRegularizer === undefined ? {} : { activityRegularizer }), ...(trainable === false ? { trainable: false } : {}) };
  for (const key of reader.unreadKeys()) {
    const v = c[key];
    if (v === null) continue;
    const inert = INERT_FIELDS[key];
    if (inert === undefined) {
      throw invalidArgument(reader.where(key), `a field weft implements for ${className} (it reads ${readKeys(reader, c)}; Keras's fields that change nothing load too)`, JSON.stringify(v));
    }
    if (!inert.holds(v)) throw invalidArgument(reader.where(key), inert.expected, JSON.stringify(v));
  }
  return { className, config, inboundNodes };
}

/** The fields the layer's mapping read, for the message that refuses another. */
function readKeys(reader: KerasConfigReader, c: Json): string {
  const unread = new Set(reader.unreadKeys());
  const read = Object.keys(c).filter((k) => !unread.has(k) && k !== 'name' && k !== 'trainable');
  return read.length === 0 ? 'no fields' : read.join(', ');
}

/** A Keras dtype that means float32: 'float32', or Keras 3's DTypePolicy of float32. */
function isFloat32(v: unknown): boolean {
  if (v === 'float32') return true;
  return isObject(v) && (v.class_name === 'DTypePolicy' || v.class_name === 'Policy') && isObject(v.config) && v.config.name === 'float32';
}

/**
 * Layer fields with no effect on what weft computes, at the values that have none: the compute
 * dtype (weft computes in float32), the input-shape declarations Sequential reads from its first
 * layer (checked there by the graph), and Keras 3's serialization bookkeeping.
 */
const INERT_FIELDS: Readonly<Record<string, { holds: (v: unknown) => boolean; expected: string }>> = {
  dtype: { holds: isFloat32, expected: "'float32', a DTypePolicy of float32, or null (weft computes in float32)" },
  batch_input_shape: { holds: Array.isArray, expected: 'a shape [batch, ...dims]' },
  batch_shape: { holds: Array.isArray, expected: 'a shape [batch, ...dims]' },
  input_shape: { holds: Array.isArray, expected: 'a shape [...dims]' },
  input_length: { holds: (v) => typeof v === 'number', expected: 'an integer or null' },
  sparse: { holds: (v) => v === false, expected: 'false or null (weft has no sparse tensors)' },
  ragged: { holds: (v) => v === false, expected: 'false or null (weft has no ragged tensors)' },
  optional: { holds: (v) => v === false, expected: 'false or null (weft has no optional inputs)' },
  autocast: { holds: (v) => typeof v === 'boolean', expected: 'a boolean (it matters only for mixed precision, which weft does not run)' },
  build_config: { holds: isObject, expected: 'an object' },
  module: { holds: (v) => typeof v === 'string', expected: 'a string' },
  registered_name: { holds: (v) => typeof v === 'string', expected: 'a string' },
};
