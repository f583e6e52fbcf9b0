import { unknownName } from '../../errors.js';
import type { Layer } from '../layer.js';
import { Concatenate } from './concatenate.js';
import { Dense, type DenseConfig } from './dense.js';
import { Dropout, type DropoutConfig } from './dropout.js';
import { Embedding, type EmbeddingConfig } from './embedding.js';
import { Flatten } from './flatten.js';
import { InputLayer, type InputConfig } from './input.js';

export { Concatenate, Dense, Dropout, Embedding, Flatten, InputLayer };
export type { DenseConfig, DropoutConfig, EmbeddingConfig, InputConfig };

/** className → constructor, for rebuilding a graph from its JSON spec (in a worker, from a file). */
const LAYER_CLASSES: Record<string, new (config: never) => Layer> = {
  InputLayer, Dense, Dropout, Embedding, Flatten, Concatenate,
};

export function layerFromConfig(className: string, config: Record<string, unknown>): Layer {
  const ctor = LAYER_CLASSES[className];
  if (ctor === undefined) throw unknownName('layer class', className, Object.keys(LAYER_CLASSES));
  // JSON has no undefined: a null optional field means "not set".
  const cleaned = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null));
  return new ctor(cleaned as never);
}
