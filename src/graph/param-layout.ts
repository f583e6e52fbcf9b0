import type { Layer } from './layer.js';
import { sizeOf } from './shape.js';

/** Where one weight lives in the model's flat parameter array. */
export interface ParamEntry {
  readonly layer: Layer;
  /** The weight's index within its layer (kernel 0, bias 1). */
  readonly index: number;
  /** 'dense/kernel', as tfjs-layers names weights. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/**
 * Every weight of a model at a fixed offset in one flat Float32Array (the tinygrad/optax way):
 * one buffer to share between threads, one loop for the optimizer, and each layer's weights are
 * views. Order is tfjs-layers' getWeights() order: layers in model order, kernel before bias.
 */
export class ParamLayout {
  readonly entries: readonly ParamEntry[];
  readonly size: number;

  constructor(layers: readonly Layer[]) {
    const entries: ParamEntry[] = [];
    let offset = 0;
    for (const layer of layers) {
      layer.params.forEach((p, index) => {
        const size = sizeOf(p.shape);
        entries.push({ layer, index, name: p.fullName ?? `${layer.name}/${p.name}`, shape: p.shape, offset, size });
        offset += size;
      });
    }
    this.entries = entries;
    this.size = offset;
  }

  /** Views of `buffer`, one per weight of `layer`, in its declaration order. */
  viewsFor(layer: Layer, buffer: Float32Array): Float32Array[] {
    return this.entries.filter((e) => e.layer === layer).map((e) => buffer.subarray(e.offset, e.offset + e.size));
  }
}
