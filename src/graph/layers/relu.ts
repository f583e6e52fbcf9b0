import { reluFn, type ActivationFn } from '../activations.js';
import { checkLayerConfig } from '../layer.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkNonNegative, ElementwiseLayer } from './elementwise.js';

export interface ReLUConfig {
  /** The largest output; null (the default) for none. */
  maxValue?: number | null;
  /** The slope below the threshold (Keras 3; default 0). */
  negativeSlope?: number;
  /** Inputs above it pass (Keras 3; default 0). */
  threshold?: number;
  name?: string;
}

/**
 * Keras 3's ReLU: min(x, maxValue) where x > threshold, negativeSlope·(x − threshold) elsewhere.
 * tfjs-layers 4.22's ReLU has maxValue only: it ignores the other two in a file.
 */
export class ReLU extends ElementwiseLayer {
  static override readonly className = 'ReLU';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, maxValue: r.value('max_value', null), negativeSlope: r.value('negative_slope', 0), threshold: r.value('threshold', 0) };
  }

  /** tfjs-layers writes max_value alone; Keras 3's fields are added where they are not the defaults. */
  static override toKeras(c: Record<string, unknown>): Json {
    const slope = c.negativeSlope ?? 0;
    const threshold = c.threshold ?? 0;
    return {
      max_value: c.maxValue ?? null,
      ...(slope !== 0 ? { negative_slope: slope } : {}),
      ...(threshold !== 0 ? { threshold } : {}),
      name: c.name, trainable: true,
    };
  }

  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  protected readonly fn: ActivationFn;

  constructor(config: ReLUConfig = {}) {
    super(checkLayerConfig<ReLUConfig>('ReLU', config, ['maxValue', 'negativeSlope', 'threshold', 'name']).name, 're_lu');
    this.maxValue = config.maxValue === undefined || config.maxValue === null ? null : checkNonNegative('maxValue', config.maxValue);
    this.negativeSlope = checkNonNegative('negativeSlope', config.negativeSlope ?? 0);
    this.threshold = checkNonNegative('threshold', config.threshold ?? 0);
    this.fn = reluFn({ maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold });
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }
}
