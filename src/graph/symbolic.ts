import type { Layer } from './layer.js';
import type { DType, Shape } from './shape.js';

/**
 * The output of a layer applied to symbolic inputs: a shape and a dtype, no data. A graph is
 * the set of these tensors and the nodes that made them; a Model walks it back from its outputs.
 */
export class SymbolicTensor {
  private static nextId = 0;
  readonly id = SymbolicTensor.nextId++;

  constructor(
    readonly shape: Shape,
    readonly dtype: DType,
    /** The node that produced this tensor. */
    readonly node: Node,
  ) {}

  get name(): string {
    return this.node.layer.name;
  }
}

/** One application of a layer: which tensors went in and which came out. */
export class Node {
  readonly output: SymbolicTensor;

  constructor(
    readonly layer: Layer,
    readonly inputs: readonly SymbolicTensor[],
    outputShape: Shape,
    outputDtype: DType,
  ) {
    this.output = new SymbolicTensor(outputShape, outputDtype, this);
  }
}
