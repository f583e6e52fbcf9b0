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
  /** Whether training updates it, as it was when the layout was made (at compile). */
  readonly trainable: boolean;
}

/**
 * Every weight of a model at a fixed offset in one flat Float32Array (the tinygrad/optax way):
 * one buffer to share between threads, one loop for the optimizer, and each layer's weights are
 * views. `entries` are in layer order, kernel before bias (tfjs-layers' per-layer order); the
 * offsets put every trainable weight first, in that order, then every non-trainable one — so the
 * optimizer, the gradient slots and the optimizer's state cover exactly [0, trainableSize), and
 * the state it never touches (moving statistics, frozen layers) lies past it.
 */
export class ParamLayout {
  readonly entries: readonly ParamEntry[];
  readonly size: number;
  /** Floats of the trainable prefix: the gradient's and the optimizer's length. */
  readonly trainableSize: number;
  /**
   * The layers that were trainable when the layout was made: what the spec a worker rebuilds
   * the model from says, so its layout and its frozen BatchNorms agree with this one even when
   * a flag changed after compile.
   */
  private readonly trainableLayers: ReadonlySet<Layer>;

  /** `trainable: false` freezes every weight (Keras's `model.trainable = false`). */
  constructor(layers: readonly Layer[], trainable = true) {
    this.trainableLayers = new Set(layers.filter((l) => trainable && l.trainable));
    const flags = layers.map((layer) => layer.params.map((_, index) => trainable && layer.paramTrainable(index)));
    let trainableSize = 0;
    flags.forEach((f, l) => f.forEach((t, index) => { if (t) trainableSize += sizeOf(layers[l].params[index].shape); }));
    const entries: ParamEntry[] = [];
    const next = [0, trainableSize];
    layers.forEach((layer, l) => {
      layer.params.forEach((p, index) => {
        const size = sizeOf(p.shape);
        const isTrainable = flags[l][index];
        const region = isTrainable ? 0 : 1;
        entries.push({ layer, index, name: p.fullName ?? `${layer.name}/${p.name}`, shape: p.shape, offset: next[region], size, trainable: isTrainable });
        next[region] += size;
      });
    });
    this.entries = entries;
    this.size = next[1];
    this.trainableSize = trainableSize;
  }

  /** Whether `layer` was trainable when this layout was made. */
  layerTrainable(layer: Layer): boolean {
    return this.trainableLayers.has(layer);
  }

  /** The entries of the trainable prefix, in layer order. */
  get trainableEntries(): ParamEntry[] {
    return this.entries.filter((e) => e.trainable);
  }

  /** Views of `buffer`, one per weight of `layer`, in its declaration order. */
  viewsFor(layer: Layer, buffer: Float32Array): Float32Array[] {
    return this.entries.filter((e) => e.layer === layer).map((e) => buffer.subarray(e.offset, e.offset + e.size));
  }

  /** True when `other` puts every weight at the same place (a relayout would change nothing). */
  sameAs(other: ParamLayout): boolean {
    const sameFlags = [...this.trainableLayers].every((l) => other.trainableLayers.has(l)) && this.trainableLayers.size === other.trainableLayers.size;
    return sameFlags && other.entries.length === this.entries.length && other.entries.every((e, i) => e.offset === this.entries[i].offset && e.layer === this.entries[i].layer && e.size === this.entries[i].size);
  }
}
