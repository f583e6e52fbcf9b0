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
import { layerClass, registeredLayerClassNames } from './layers/index.js';
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
  const ref = ([name, node]: TensorRef): [string, number, number] => [name, node, 0];
  const layers = spec.layers.map((ls): KerasLayerJSON => {
    const name = ls.config.name as string;
    return {
      name,
      class_name: ls.className,
      config: layerConfigToKeras(ls),
      inbound_nodes: ls.inboundNodes.map((refs) => refs.map(([n, i]) => [n, i, 0, {}])),
    };
  });
  return {
    class_name: 'Model',
    config: { name: spec.name, layers, input_layers: spec.inputs.map(ref), output_layers: spec.outputs.map(ref) },
    keras_version: KERAS_VERSION,
    backend: 'tensor_flow.js',
  };
}

/** A layer's weft config as its Keras JSON config, through its class's own mapping. */
function layerConfigToKeras({ className, config }: LayerSpec): Json {
  return layerClass(className).toKeras(config);
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
  if (isObject(top.model_config)) top = top.model_config; // tensorflowjs_converter's wrapping
  const cls = expectString('modelTopology.class_name', top.class_name);
  if (cls === 'Sequential') return sequentialToSpec(top.config);
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
    const inboundNodes = expectArray(`${where}.inbound_nodes`, l.inbound_nodes ?? [], 'an array of nodes, each an array of [layerName, nodeIndex, tensorIndex, kwargs]')
      .map((node, n) => expectArray(`${where}.inbound_nodes[${n}]`, node, 'an array of [layerName, nodeIndex, tensorIndex, kwargs]')
        .map((entry, k) => tensorRef(`${where}.inbound_nodes[${n}][${k}]`, entry)));
    return layerFromKeras(className, layerName, lc, inboundNodes);
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
  return { name, layers, inputs: endpoints('input_layers'), outputs: endpoints('output_layers') };
}

/** `[layerName, nodeIndex, tensorIndex, kwargs?]`; weft's layers have one output, so tensorIndex is 0. */
function tensorRef(where: string, entry: unknown): TensorRef {
  const expected = '[layerName, nodeIndex, tensorIndex, kwargs]';
  if (!Array.isArray(entry) || entry.length < 2 || typeof entry[0] !== 'string') throw invalidType(where, expected, entry);
  const [name, node, tensor = 0] = entry as [string, unknown, unknown];
  if (typeof node !== 'number' || !Number.isInteger(node) || node < 0) throw invalidArgument(`${where}[1] (nodeIndex)`, 'an integer >= 0', node);
  if (tensor !== 0) throw invalidArgument(`${where}[2] (tensorIndex)`, "0 (weft's layers have one output)", tensor);
  return [name, node];
}

function sequentialToSpec(configArg: unknown): ModelSpec {
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
    layers.push(layerFromKeras('InputLayer', parsed[0].name, parsed[0].lc, []));
    prev = parsed[0].name;
    rest = parsed.slice(1);
  } else {
    // tfjs-layers makes the input from the first layer's batch_input_shape, named '<layer>_input'.
    const first = parsed[0];
    const shape = first.lc.batch_input_shape ?? first.lc.batch_shape;
    if (shape == null) {
      throw invalidArgument(`${where}.layers[0].config.batch_input_shape`, "the input shape (the first layer of a Sequential model must declare it)", shape);
    }
    prev = `${first.name}_input`;
    const dtype = first.lc.dtype ?? (first.className === 'Embedding' ? 'int32' : 'float32');
    layers.push(layerFromKeras('InputLayer', prev, { batch_input_shape: shape, dtype, name: prev }, []));
  }
  for (const l of rest) {
    layers.push(layerFromKeras(l.className, l.name, l.lc, [[[prev, 0]]]));
    prev = l.name;
  }
  return { name, layers, inputs: [[layers[0].config.name as string, 0]], outputs: [[prev, 0]] };
}

/** One Keras layer as a weft LayerSpec: its class's own mapping reads the snake_case config. */
function layerFromKeras(className: string, name: string, c: Json, inboundNodes: TensorRef[][]): LayerSpec {
  const reader = new KerasConfigReader(className, name, c);
  reader.mustBe('trainable', [true], 'weft trains every layer');
  let cls;
  try {
    cls = layerClass(className);
  } catch {
    throw unknownName(`layer class (layer '${name}')`, className, registeredLayerClassNames());
  }
  return { className, config: cls.fromKeras(reader), inboundNodes };
}
