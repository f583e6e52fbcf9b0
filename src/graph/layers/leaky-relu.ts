import { invalidArgument } from '../../errors.js';
import { reluFn, type ActivationFn } from '../activations.js';
import { checkLayerConfig } from '../layer.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { checkNonNegative, ElementwiseLayer } from './elementwise.js';

export interface LeakyReLUConfig {
  /** The slope for x < 0 (tfjs-layers' name; default 0.3). */
  alpha?: number;
  /** Keras 3's name for `alpha`. */
  negativeSlope?: number;
  name?: string;
}

/** x where x > 0, alpha·x elsewhere; alpha defaults to 0.3, as in Keras and tfjs-layers. */
export class LeakyReLU extends ElementwiseLayer {
  static override readonly className = 'LeakyReLU';

  /** tfjs-layers and Keras 2 write `alpha`, Keras 3 `negative_slope`. */
  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, alpha: r.value('alpha', undefined), negativeSlope: r.value('negative_slope', undefined) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { alpha: c.alpha ?? 0.3, name: c.name, trainable: true };
  }

  readonly alpha: number;
  protected readonly fn: ActivationFn;

  constructor(config: LeakyReLUConfig = {}) {
    super(checkLayerConfig<LeakyReLUConfig>('LeakyReLU', config, ['alpha', 'negativeSlope', 'name']).name, 'leaky_re_lu');
    const { alpha, negativeSlope } = config;
    if (alpha !== undefined && negativeSlope !== undefined && alpha !== negativeSlope) {
      throw invalidArgument('negativeSlope', `the same value as alpha (${alpha}), or only one of them`, negativeSlope);
    }
    this.alpha = checkNonNegative(alpha !== undefined ? 'alpha' : 'negativeSlope', alpha ?? negativeSlope ?? 0.3);
    this.fn = reluFn({ negativeSlope: this.alpha });
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, alpha: this.alpha };
  }
}
