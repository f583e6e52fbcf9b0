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

  /** Which application of its layer made this tensor (Keras's `node_index`, tfjs's `nodeIndex`). */
  get nodeIndex(): number {
    return this.node.index;
  }

  /** Which output of that application it is: always 0, as every weft layer has one output. */
  get tensorIndex(): number {
    return 0;
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

  /**
   * This node's position among its layer's applications: 0 for the first call, 1 for the second.
   * Like Keras's `node_index`, it counts every call of the layer, including calls outside the
   * model at hand, so a shared layer's second application is `[1]` wherever it is printed.
   */
  get index(): number {
    return this.layer.nodes.indexOf(this);
  }
}
