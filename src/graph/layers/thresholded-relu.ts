import { reluFn, type ActivationFn } from '../activations.js';
import { checkLayerConfig } from '../layer.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkNonNegative, ElementwiseLayer } from './elementwise.js';

export interface ThresholdedReLUConfig {
  /** Inputs above it pass, the rest become 0 (default 1). */
  theta?: number;
  name?: string;
}

/**
 * x where x > theta, 0 elsewhere: tfjs-layers' and Keras 2's layer. Keras 3 removed it for
 * ReLU(threshold=theta), the same function, which is what it runs here.
 */
export class ThresholdedReLU extends ElementwiseLayer {
  static override readonly className = 'ThresholdedReLU';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, theta: r.value('theta', 1) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { theta: c.theta ?? 1, name: c.name, trainable: true };
  }

  readonly theta: number;
  protected readonly fn: ActivationFn;

  constructor(config: ThresholdedReLUConfig = {}) {
    super(checkLayerConfig<ThresholdedReLUConfig>('ThresholdedReLU', config, ['theta', 'name']).name, 'thresholded_re_lu');
    this.theta = checkNonNegative('theta', config.theta ?? 1);
    this.fn = reluFn({ threshold: this.theta });
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, theta: this.theta };
  }
}
