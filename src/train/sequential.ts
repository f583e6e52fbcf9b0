import { checkOptions, invalidType, ShapeError, StateError } from '../errors.js';
import type { Layer } from '../graph/layer.js';
import { symbolicInput } from '../graph/layers/index.js';
import { SymbolicTensor } from '../graph/symbolic.js';
import { Model, type ModelConfig } from './model.js';

export interface SequentialConfig extends Omit<ModelConfig, 'inputs' | 'outputs'> {
  /** Layers to add at once, in order (the first declares `inputShape`, or is preceded by `weft.input`). */
  layers?: (Layer | SymbolicTensor)[];
}

/**
 * tfjs-layers' and Keras's Sequential: a stack of layers, each applied to the last one's output.
 * A functional model underneath — every call of Model works on it — whose graph grows with
 * each `add`. The input comes from the first layer's `inputShape` (or `batchInputShape`), or
 * from a `weft.input(...)` added first, as Keras 3 writes it.
 */
export class Sequential extends Model {
  private input: SymbolicTensor | null = null;
  private output: SymbolicTensor | null = null;

  constructor(config: SequentialConfig = {}) {
    const { layers = [], ...rest } = checkOptions<SequentialConfig>('config', config, ['layers', 'name', 'seed', 'resourceLimits']);
    super({ ...rest, name: rest.name ?? nextName() } as ModelConfig, true);
    if (!Array.isArray(layers)) throw invalidType('layers', 'an array of layers', layers);
    for (const layer of layers) this.add(layer);
  }

  /** Appends a layer (or, first of all, the model's `weft.input`). */
  add(layer: Layer | SymbolicTensor): void {
    if (layer instanceof SymbolicTensor) {
      if (this.input !== null) throw new ShapeError('weft.input() can only be the first thing added to a Sequential model');
      if (!layer.node.layer.isInput) throw invalidType('layer', 'a layer, or a weft.input() first', layer);
      this.input = this.output = layer;
      return;
    }
    if (layer === null || typeof layer !== 'object' || typeof (layer as Layer).apply !== 'function') {
      throw invalidType('layer', 'a layer, e.g. weft.layers.dense({units})', layer);
    }
    if (this.output === null) this.start(layer);
    const out = layer.apply(this.output as SymbolicTensor);
    this.setGraph(this.input as SymbolicTensor, out);
    this.output = out;
  }

  /** The input of a model whose first layer declares its shape. */
  private start(first: Layer): void {
    const shape = first.declaredInputShape;
    if (shape === null) {
      throw new StateError(`The first layer of a Sequential model must declare its input: add it with inputShape (e.g. weft.layers.dense({units, inputShape: [784]})) or add weft.input({shape}) first; layer '${first.name}' has none`);
    }
    this.input = this.output = symbolicInput({ shape: shape.slice(1) as number[], name: `${first.name}_input` });
  }

  override compile(args: Parameters<Model['compile']>[0]): void {
    if (this.output === null || this.layers.length <= 1) throw new StateError('This Sequential model has no layers yet: add() them before compile()');
    super.compile(args);
  }
}

let sequentials = 0;
const nextName = (): string => (sequentials++ === 0 ? 'sequential' : `sequential_${sequentials - 1}`);
