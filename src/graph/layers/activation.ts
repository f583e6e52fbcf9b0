import { invalidType } from '../../errors.js';
import { ACTIVATION_NAMES, activationFromKeras, activationToKeras, getActivation, type Activation } from '../activations.js';
import { checkLayerConfig } from '../layer.js';
import type { Json, KerasConfigReader } from '../keras-config.js';
import { ElementwiseLayer } from './elementwise.js';

export interface ActivationConfig {
  /** A name Dense takes: 'relu', 'selu', 'hard_sigmoid', 'log_softmax', ... */
  activation: string;
  name?: string;
}

/** Applies a named activation (the ones Dense takes) to its input, as Keras's Activation layer. */
export class ActivationLayer extends ElementwiseLayer {
  static override readonly className = 'Activation';

  static override fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return { name: r.name, activation: activationFromKeras(r) };
  }

  static override toKeras(c: Record<string, unknown>): Json {
    return { activation: activationToKeras(c.activation), name: c.name, trainable: true };
  }

  protected readonly fn: Activation;

  constructor(config: ActivationConfig) {
    super(checkLayerConfig<ActivationConfig>('Activation', config, ['activation', 'name']).name, 'activation');
    if (config.activation === undefined || config.activation === null) {
      throw invalidType('activation', `an activation name (one of ${ACTIVATION_NAMES.join(', ')})`, config.activation);
    }
    this.fn = getActivation(config.activation);
  }

  override get activation(): Activation {
    return this.fn;
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, activation: this.fn.name };
  }
}
