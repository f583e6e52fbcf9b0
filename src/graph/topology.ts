import { invalidType, ShapeError } from '../errors.js';
import type { Layer } from './layer.js';
import { Node, SymbolicTensor } from './symbolic.js';

export interface Topology {
  /** Nodes in an order where every node comes after the nodes it reads from. */
  readonly nodes: readonly Node[];
  /** Layers in Keras's model order: by decreasing depth from the outputs, ties by discovery. */
  readonly layers: readonly Layer[];
}

function asTensorList(argument: string, x: unknown): SymbolicTensor[] {
  const list = Array.isArray(x) ? x : [x];
  if (list.length === 0) throw invalidType(argument, 'a symbolic tensor or a non-empty array of them', x);
  list.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor)) throw invalidType(`${argument}[${i}]`, 'a symbolic tensor from weft.input() or layer.apply()', t);
  });
  return list as SymbolicTensor[];
}

/**
 * Walks the graph back from the outputs (Keras's _map_graph_network): a post-order DFS gives an
 * execution order; node depths give the layer order users see in summary() and getWeights().
 * Every wiring mistake is caught here, at model-build time, with the tensor's layer named.
 */
export function mapGraph(inputsArg: unknown, outputsArg: unknown): { inputs: SymbolicTensor[]; outputs: SymbolicTensor[] } & Topology {
  const inputs = asTensorList('inputs', inputsArg);
  const outputs = asTensorList('outputs', outputsArg);
  inputs.forEach((t, i) => {
    if (!(t.node.layer.isInput)) {
      throw invalidType(`inputs[${i}]`, 'a tensor made by weft.input()', `the output of layer '${t.name}' (${t.node.layer.className})`);
    }
  });
  if (new Set(inputs).size !== inputs.length) throw new ShapeError('The same input tensor is listed twice in `inputs`');

  const order: Node[] = [];
  const visited = new Set<Node>();
  const walk = (node: Node): void => {
    if (visited.has(node)) return;
    visited.add(node);
    node.inputs.forEach((t) => walk(t.node));
    order.push(node);
  };
  outputs.forEach((t) => walk(t.node));

  const reached = new Set(order.map((n) => n.layer));
  for (const node of order) {
    if (node.layer.isInput && !inputs.includes(node.output)) {
      const consumer = order.find((n) => n.inputs.includes(node.output));
      throw new ShapeError(consumer === undefined
        ? `Graph disconnected: output '${node.layer.name}' is an input tensor that is not in the model's \`inputs\``
        : `Graph disconnected: cannot obtain value for tensor '${node.layer.name}' at layer '${consumer.layer.name}'. It is not in the model's \`inputs\`.`);
    }
  }
  inputs.forEach((t) => {
    if (!reached.has(t.node.layer)) throw new ShapeError(`Input '${t.name}' is not connected to any output: every model input must be used`);
  });

  // Depth: outputs are 0; a node is one deeper than the deepest node that reads it.
  const depth = new Map<Node, number>();
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    const d = depth.get(node) ?? 0;
    depth.set(node, d);
    node.inputs.forEach((t) => depth.set(t.node, Math.max(depth.get(t.node) ?? 0, d + 1)));
  }
  const layerDepth = new Map<Layer, number>();
  const discovery = new Map<Layer, number>();
  order.forEach((n, i) => {
    layerDepth.set(n.layer, Math.max(layerDepth.get(n.layer) ?? 0, depth.get(n) as number));
    if (!discovery.has(n.layer)) discovery.set(n.layer, i);
  });
  const layers = [...discovery.keys()].sort(
    (a, b) => (layerDepth.get(b) as number) - (layerDepth.get(a) as number) || (discovery.get(a) as number) - (discovery.get(b) as number),
  );

  const counts = new Map<string, number>();
  layers.forEach((l) => counts.set(l.name, (counts.get(l.name) ?? 0) + 1));
  for (const [name, n] of counts) {
    if (n > 1) throw new ShapeError(`The name '${name}' is used ${n} times in the model. All layer names should be unique.`);
  }
  return { inputs, outputs, nodes: order, layers };
}
