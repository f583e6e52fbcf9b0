import { invalidArgument, invalidType } from '../errors.js';
import type { Layer } from './layer.js';
import { layerFromConfig, layerModuleUrl } from './layers/index.js';
import type { GraphModel } from './model.js';
import type { SymbolicTensor } from './symbolic.js';

/** A reference to a tensor: the layer that made it and which of its applications (node). */
export type TensorRef = [layerName: string, nodeIndex: number];

/** One layer of a ModelSpec: how to rebuild it and what each of its applications read. */
export interface LayerSpec {
  className: string;
  config: Record<string, unknown>;
  /** One entry per application of the layer: the tensors it read. */
  inboundNodes: TensorRef[][];
  /**
   * A user's layer class (weft.registerLayer): the URL of the module that exports it, which a
   * worker imports before it rebuilds the graph. Absent for built-in layers.
   */
  module?: string;
}

/**
 * The plain JSON a graph is rebuilt from — in a worker, or from a file. It holds the topology
 * and the layer configs, not the weights: those travel as the flat parameter array.
 */
export interface ModelSpec {
  name: string;
  layers: LayerSpec[];
  inputs: TensorRef[];
  outputs: TensorRef[];
}

export function toSpec(model: GraphModel): ModelSpec {
  const modelNodes = new Set(model.nodes);
  const ref = (t: SymbolicTensor): TensorRef => {
    const nodes = t.node.layer.nodes.filter((n) => modelNodes.has(n));
    return [t.node.layer.name, nodes.indexOf(t.node)];
  };
  const layers = model.layers.map((layer): LayerSpec => {
    const module = layerModuleUrl(layer.className);
    return {
      className: layer.className,
      // Trainability as the model's layout has it (the last compile's), so a worker's agrees.
      config: layer.specConfig(model.layout.layerTrainable(layer)),
      inboundNodes: layer.isInput ? [] : layer.nodes.filter((n) => modelNodes.has(n)).map((n) => n.inputs.map(ref)),
      ...(module === null ? {} : { module }),
    };
  });
  return { name: model.name, layers, inputs: model.inputs.map(ref), outputs: model.outputs.map(ref) };
}

const isRef = (r: unknown): boolean => Array.isArray(r) && r.length === 2 && typeof r[0] === 'string' && Number.isInteger(r[1]);

/** The shape of a spec, checked field by field so a hand-edited one fails with the field named. */
function checkSpec(spec: ModelSpec): void {
  spec.layers.forEach((ls: unknown, i) => {
    const at = `spec.layers[${i}]`;
    if (ls === null || typeof ls !== 'object') throw invalidType(at, 'an object {className, config, inboundNodes}', ls);
    const { className, config, inboundNodes, module } = ls as Partial<LayerSpec>;
    if (typeof className !== 'string') throw invalidType(`${at}.className`, 'a layer class name', className);
    if (module !== undefined && typeof module !== 'string') throw invalidType(`${at}.module`, 'the URL of the module that exports the layer class', module);
    if (config === null || typeof config !== 'object') throw invalidType(`${at}.config`, 'a config object', config);
    if (typeof config.name !== 'string') throw invalidType(`${at}.config.name`, 'the layer name (a string)', config.name);
    if (!Array.isArray(inboundNodes) || !inboundNodes.every((n) => Array.isArray(n) && n.every(isRef))) {
      throw invalidType(`${at}.inboundNodes`, 'an array of nodes, each an array of [layerName, nodeIndex]', inboundNodes);
    }
  });
  for (const key of ['inputs', 'outputs'] as const) {
    const refs: unknown = spec[key];
    if (!Array.isArray(refs) || refs.length === 0 || !refs.every(isRef)) throw invalidType(`spec.${key}`, 'a non-empty array of [layerName, nodeIndex]', refs);
  }
}

/** The module URLs of the user layer classes a spec uses (what a worker imports first). */
export function specModules(spec: ModelSpec): { className: string; module: string }[] {
  const seen = new Set<string>();
  const out: { className: string; module: string }[] = [];
  const walk = (layers: readonly LayerSpec[]) => layers.forEach((ls) => {
    // A nested model's config is a spec itself: its layers may be a user's too.
    if (Array.isArray(ls.config.layers)) walk(ls.config.layers as LayerSpec[]);
    if (ls.module === undefined || seen.has(ls.className)) return;
    seen.add(ls.className);
    out.push({ className: ls.className, module: ls.module });
  });
  walk(spec.layers);
  return out;
}

/**
 * Rebuilds the symbolic graph of a spec: every layer from its config, then every node once the
 * tensors it reads exist (Keras's from_config loop). Returns what a model constructor takes.
 */
export function graphFromSpec(spec: ModelSpec): { inputs: SymbolicTensor[]; outputs: SymbolicTensor[]; name: string } {
  if (spec === null || typeof spec !== 'object' || !Array.isArray(spec.layers)) {
    throw invalidType('spec', 'a model spec {name, layers, inputs, outputs}', spec);
  }
  checkSpec(spec);
  const layers = new Map<string, Layer>();
  const made = new Map<string, SymbolicTensor[]>();
  for (const ls of spec.layers) {
    const layer = layerFromConfig(ls.className, ls.config);
    layers.set(layer.name, layer);
    if (layer.isInput) made.set(layer.name, [layer.nodes[0].output]);
  }
  const pending = spec.layers.flatMap((ls) => ls.inboundNodes.map((refs) => ({ layer: layers.get(ls.config.name as string) as Layer, refs })));
  const lookup = ([name, index]: TensorRef): SymbolicTensor | undefined => made.get(name)?.[index];
  while (pending.length > 0) {
    const i = pending.findIndex((p) => p.refs.every((r) => lookup(r) !== undefined));
    if (i < 0) throw invalidArgument('spec', 'a graph whose every node reads tensors made by other nodes', `unresolvable inputs of layer '${pending[0].layer.name}'`);
    const [{ layer, refs }] = pending.splice(i, 1);
    const out = layer.apply(refs.map((r) => lookup(r) as SymbolicTensor));
    made.set(layer.name, [...(made.get(layer.name) ?? []), out]);
  }
  const resolve = (r: TensorRef): SymbolicTensor => {
    const t = lookup(r);
    if (t === undefined) throw invalidArgument('spec', 'inputs and outputs that name tensors in the graph', r);
    return t;
  };
  return { inputs: spec.inputs.map(resolve), outputs: spec.outputs.map(resolve), name: spec.name };
}
