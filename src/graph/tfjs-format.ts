/**
 * weft's graph spec <-> the TensorFlow.js layers / Keras 2 `modelTopology` JSON: the topology half
 * of a `model.json` that `tf.loadLayersModel` reads. Pure conversion, no I/O (src/train/save.ts
 * reads and writes the files). The JSON written is what tfjs-layers 4.22's `model.toJSON(null,
 * false)` writes for the same functional model, key for key; the JSON read may come from
 * tfjs-layers ('Model', 'Sequential') or from Keras 2 via tensorflowjs_converter ('Functional',
 * wrapped in `model_config`).
 */
import { invalidArgument, invalidType, unknownName } from '../errors.js';
import { canonicalName, resolveInitializer, type InitializerConfig, type InitializerName, type InitializerSpec } from './initializers.js';
import type { GraphModel } from './model.js';
import { toSpec, type LayerSpec, type ModelSpec, type TensorRef } from './spec.js';

/** The version tfjs-layers writes in `keras_version`; weft matches its format. */
export const KERAS_VERSION = 'tfjs-layers 4.22.0';

/** The layer classes weft converts, in both directions. */
export const SUPPORTED_LAYER_CLASSES = ['InputLayer', 'Dense', 'Dropout', 'Embedding', 'Flatten', 'Concatenate'] as const;

/** The model classes `fromLayersTopology` reads. */
export const SUPPORTED_MODEL_CLASSES = ['Model', 'Functional', 'Sequential'] as const;

type Json = Record<string, unknown>;

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

const NO_REGULARIZERS = { kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null };

function layerConfigToKeras({ className, config: c }: LayerSpec): Json {
  const name = c.name as string;
  switch (className) {
    case 'InputLayer':
      return { batch_input_shape: [null, ...(c.shape as number[])], dtype: c.dtype ?? 'float32', sparse: false, name };
    case 'Dense':
      return {
        units: c.units, activation: c.activation ?? 'linear', use_bias: c.useBias ?? true,
        kernel_initializer: initializerToKeras(c.kernelInitializer ?? 'glorotUniform'),
        bias_initializer: initializerToKeras(c.biasInitializer ?? 'zeros'),
        ...NO_REGULARIZERS, name, trainable: true,
      };
    case 'Dropout':
      return { rate: c.rate, noise_shape: c.noiseShape ?? null, seed: c.seed ?? null, name, trainable: true };
    case 'Embedding':
      // tfjs-layers writes every field, the unset ones as null, and the batch_input_shape it
      // derives when input_length is unset.
      return {
        input_dim: c.inputDim, output_dim: c.outputDim,
        embeddings_initializer: initializerToKeras(c.embeddingsInitializer ?? 'randomUniform'),
        embeddings_regularizer: null, activity_regularizer: null, embeddings_constraint: null,
        mask_zero: null, input_length: null, name, trainable: true, batch_input_shape: [null, null],
      };
    case 'Flatten':
      return { name, trainable: true };
    case 'Concatenate':
      return { axis: c.axis ?? -1, name, trainable: true };
    default:
      throw unknownName('layer class (for the TensorFlow.js layers format)', className, SUPPORTED_LAYER_CLASSES);
  }
}

/** weft's initializers as the tfjs/Keras classes: the variance-scaling family as VarianceScaling. */
const VARIANCE_SCALING: Partial<Record<InitializerName, { scale: number; mode: string; distribution: string }>> = {
  glorotUniform: { scale: 1, mode: 'fan_avg', distribution: 'uniform' },
  glorotNormal: { scale: 1, mode: 'fan_avg', distribution: 'normal' },
  heUniform: { scale: 2, mode: 'fan_in', distribution: 'uniform' },
  heNormal: { scale: 2, mode: 'fan_in', distribution: 'normal' },
  leCunUniform: { scale: 1, mode: 'fan_in', distribution: 'uniform' },
  leCunNormal: { scale: 1, mode: 'fan_in', distribution: 'normal' },
};

function initializerToKeras(spec: unknown): Json {
  const { className, config = {} } = resolveInitializer('initializer', spec);
  const seed = config.seed ?? null;
  const vs = VARIANCE_SCALING[className];
  if (vs !== undefined) return { class_name: 'VarianceScaling', config: { ...vs, seed } };
  switch (className) {
    case 'zeros': return { class_name: 'Zeros', config: {} };
    case 'ones': return { class_name: 'Ones', config: {} };
    case 'randomUniform':
      return { class_name: 'RandomUniform', config: { minval: config.minval ?? -0.05, maxval: config.maxval ?? 0.05, seed } };
    case 'randomNormal':
      return { class_name: 'RandomNormal', config: { mean: config.mean ?? 0, stddev: config.stddev ?? 0.05, seed } };
    default: // truncatedNormal
      return { class_name: 'TruncatedNormal', config: { mean: config.mean ?? 0, stddev: config.stddev ?? 0.05, seed } };
  }
}

// ---------------------------------------------------------------------------------------------
// Keras -> weft
// ---------------------------------------------------------------------------------------------

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function expectObject(where: string, v: unknown, what: string): Json {
  if (!isObject(v)) throw invalidType(where, what, v);
  return v;
}

function expectString(where: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw invalidType(where, 'a non-empty string', v);
  return v;
}

function expectArray(where: string, v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw invalidType(where, what, v);
  return v;
}

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

/** One Keras layer as a weft LayerSpec: snake_case config to the camelCase weft's constructors take. */
function layerFromKeras(className: string, name: string, c: Json, inboundNodes: TensorRef[][]): LayerSpec {
  const where = (key: string): string => `config.${key} of layer '${name}' (${className})`;
  /** A field weft cannot honour must be unset (null/absent) or at the value weft implements. */
  const mustBe = (key: string, allowed: unknown[], why: string): void => {
    const v = c[key];
    if (v !== undefined && v !== null && !allowed.includes(v)) throw invalidArgument(where(key), `${allowed.length ? `${allowed.map((a) => JSON.stringify(a)).join(' or ')} or ` : ''}null (${why})`, v);
  };
  mustBe('trainable', [true], 'weft trains every layer');
  const noRegularizers = (keys: string[]): void => keys.forEach((k) => mustBe(k, [], 'weft has no regularizers or constraints'));
  let config: Record<string, unknown>;
  switch (className) {
    case 'InputLayer': {
      const shape = c.batch_input_shape ?? c.batch_shape;
      const key = c.batch_input_shape !== undefined ? 'batch_input_shape' : 'batch_shape';
      if (!Array.isArray(shape) || shape.length < 2) throw invalidType(where(key), 'a shape [batch, ...dims] of rank >= 2', shape);
      const dims = shape.slice(1);
      if (!dims.every((d) => Number.isInteger(d) && (d as number) >= 1)) {
        throw invalidArgument(where(key), 'known positive dimensions after the batch one (weft needs a fixed example shape)', shape);
      }
      mustBe('sparse', [false], 'weft has no sparse inputs');
      mustBe('ragged', [false], 'weft has no ragged inputs');
      config = { name, shape: dims, dtype: c.dtype ?? 'float32' };
      break;
    }
    case 'Dense':
      noRegularizers(['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint']);
      config = {
        name, units: c.units, activation: c.activation ?? 'linear', useBias: c.use_bias ?? true,
        kernelInitializer: initializerFromKeras(where('kernel_initializer'), c.kernel_initializer) ?? 'glorotUniform',
        biasInitializer: initializerFromKeras(where('bias_initializer'), c.bias_initializer) ?? 'zeros',
      };
      break;
    case 'Dropout':
      config = { name, rate: c.rate, noiseShape: c.noise_shape ?? null, seed: c.seed ?? null };
      break;
    case 'Embedding':
      noRegularizers(['embeddings_regularizer', 'activity_regularizer', 'embeddings_constraint']);
      mustBe('mask_zero', [false], 'weft has no masking');
      config = {
        name, inputDim: c.input_dim, outputDim: c.output_dim,
        embeddingsInitializer: initializerFromKeras(where('embeddings_initializer'), c.embeddings_initializer) ?? 'randomUniform',
      };
      break;
    case 'Flatten':
      mustBe('data_format', ['channels_last'], 'weft flattens channels-last');
      config = { name };
      break;
    case 'Concatenate':
      config = { name, axis: c.axis ?? -1 };
      break;
    default:
      throw unknownName(`layer class (layer '${name}')`, className, SUPPORTED_LAYER_CLASSES);
  }
  return { className, config, inboundNodes };
}

const DEFAULT_PARAMS: Record<string, number> = { minval: -0.05, maxval: 0.05, mean: 0, stddev: 0.05 };
const INITIALIZER_CLASSES = [
  'VarianceScaling', 'GlorotUniform', 'GlorotNormal', 'HeUniform', 'HeNormal', 'LecunUniform', 'LecunNormal',
  'Zeros', 'Ones', 'Constant', 'RandomUniform', 'RandomNormal', 'TruncatedNormal',
];

/**
 * A Keras initializer `{class_name, config}` as a weft initializer: a plain name when it has no
 * settings beyond the defaults (so a weft model read back has the config it was written with).
 */
function initializerFromKeras(where: string, v: unknown): InitializerSpec | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return resolveInitializer(where, v).className;
  const o = expectObject(where, v, 'an initializer {class_name, config}');
  const cls = expectString(`${where}.class_name`, o.class_name);
  const c = o.config === undefined || o.config === null ? {} : expectObject(`${where}.config`, o.config, 'an object');
  let name: string;
  if (cls === 'VarianceScaling') {
    const dist = c.distribution === 'truncated_normal' || c.distribution === 'truncatedNormal' ? 'normal' : c.distribution;
    const found = Object.entries(VARIANCE_SCALING).find(([, p]) => p.scale === c.scale && p.mode === c.mode && p.distribution === dist);
    if (found === undefined) {
      throw invalidArgument(where, "a VarianceScaling weft has: {scale 1, mode 'fan_avg'} (glorot), {2, 'fan_in'} (he) or {1, 'fan_in'} (lecun), with distribution 'uniform' or 'normal'", JSON.stringify(c));
    }
    name = found[0];
  } else if (cls === 'Constant') {
    if (c.value !== 0 && c.value !== 1) throw invalidArgument(`${where}.config.value`, '0 or 1 (weft has zeros and ones, not other constants)', c.value);
    name = c.value === 0 ? 'zeros' : 'ones';
  } else {
    name = canonicalName(cls);
    if (!INITIALIZER_CLASSES.includes(cls) && !INITIALIZER_CLASSES.some((k) => canonicalName(k) === name)) {
      throw unknownName(`initializer for ${where}`, cls, INITIALIZER_CLASSES);
    }
  }
  const params: Record<string, number> = {};
  if (typeof c.seed === 'number') params.seed = c.seed;
  if (name === 'randomUniform' || name === 'randomNormal' || name === 'truncatedNormal') {
    const keys = name === 'randomUniform' ? ['minval', 'maxval'] : ['mean', 'stddev'];
    for (const k of keys) {
      if (c[k] === undefined || c[k] === null) continue;
      if (typeof c[k] !== 'number') throw invalidType(`${where}.config.${k}`, 'a number', c[k]);
      if (c[k] !== DEFAULT_PARAMS[k]) params[k] = c[k] as number;
    }
  }
  const resolved = resolveInitializer(where, name).className; // checks the name
  return Object.keys(params).length === 0 ? resolved : ({ className: resolved, config: params } satisfies InitializerConfig);
}
