import { invalidArgument, invalidType } from '../../errors.js';
import { eluFn, type ActivationFn } from '../activations.js';
import { checkLayerConfig } from '../layer.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { ElementwiseLayer } from './elementwise.js';

export interface ELUConfig {
  /** The scale of the negative part (default 1; tfjs-layers 4.22 implements only 1). */
  alpha?: number;
  name?: string;
}

/** x where x > 0, alpha·(exp(x) − 1) elsewhere (Clevert et al. 2015). */
export class ELU extends ElementwiseLayer {
  static override readonly className = 'ELU';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, alpha: r.value('alpha', 1) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { alpha: c.alpha ?? 1, name: c.name, trainable: true };
  }

  readonly alpha: number;
  protected readonly fn: ActivationFn;

  constructor(config: ELUConfig = {}) {
    super(checkLayerConfig<ELUConfig>('ELU', config, ['alpha', 'name']).name, 'elu');
    const alpha = config.alpha ?? 1;
    if (typeof alpha !== 'number') throw invalidType('alpha', 'a finite number', alpha);
    if (!Number.isFinite(alpha)) throw invalidArgument('alpha', 'a finite number', alpha);
    this.alpha = alpha;
    this.fn = eluFn(alpha);
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, alpha: this.alpha };
  }
}
