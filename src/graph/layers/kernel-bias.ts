/**
 * What Dense and the convolutions share: an activation, a kernel and an optional bias, each
 * weight with its initializer, regularizer and constraint — their config keys, their checks,
 * their Keras JSON fields and their ParamSpecs. Each layer keeps only its own shapes and math.
 */
import { invalidType } from '../../errors.js';
import { activationFromKeras, activationToKeras, getActivation, type Activation } from '../activations.js';
import { constraintToKeras, readConstraint, resolveConstraint, type ConstraintIdentifier } from '../constraints.js';
import { resolveInitializer, type InitializerSpec } from '../initializers.js';
import { initializerToKeras, type Json, type KerasConfigReader } from '../keras-config.js';
import { setFields, type ParamSpec } from '../layer.js';
import { readRegularizer, regularizerToKeras, resolveRegularizer, type RegularizerIdentifier } from '../regularizers.js';

export interface KernelBiasConfig {
  activation?: string;
  useBias?: boolean;
  kernelInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  kernelRegularizer?: RegularizerIdentifier | null;
  biasRegularizer?: RegularizerIdentifier | null;
  kernelConstraint?: ConstraintIdentifier | null;
  biasConstraint?: ConstraintIdentifier | null;
}

export const KERNEL_BIAS_KEYS = [
  'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint',
] as const;

export class KernelBias {
  /** The Keras JSON fields as weft's config. */
  static fromKeras(r: KerasConfigReader): Record<string, unknown> {
    return {
      activation: activationFromKeras(r), useBias: r.value('use_bias', true),
      kernelInitializer: r.initializer('kernel_initializer', 'glorotUniform'), biasInitializer: r.initializer('bias_initializer', 'zeros'),
      kernelRegularizer: readRegularizer(r, 'kernel_regularizer'), biasRegularizer: readRegularizer(r, 'bias_regularizer'),
      kernelConstraint: readConstraint(r, 'kernel_constraint'), biasConstraint: readConstraint(r, 'bias_constraint'),
    };
  }

  /** weft's config as the Keras JSON fields tfjs-layers writes. */
  static toKeras(c: Record<string, unknown>): Json {
    return {
      activation: activationToKeras(c.activation ?? 'linear'), use_bias: (c.useBias as boolean | undefined) ?? true,
      kernel_initializer: initializerToKeras(c.kernelInitializer ?? 'glorotUniform'), bias_initializer: initializerToKeras(c.biasInitializer ?? 'zeros'),
      kernel_regularizer: regularizerToKeras(c.kernelRegularizer), bias_regularizer: regularizerToKeras(c.biasRegularizer), activity_regularizer: null,
      kernel_constraint: constraintToKeras(c.kernelConstraint), bias_constraint: constraintToKeras(c.biasConstraint),
    };
  }

  readonly activation: Activation;
  readonly useBias: boolean;
  private readonly kernelInit: ReturnType<typeof resolveInitializer>;
  private readonly biasInit: ReturnType<typeof resolveInitializer>;
  private readonly kernelRegularizer: ReturnType<typeof resolveRegularizer>;
  private readonly biasRegularizer: ReturnType<typeof resolveRegularizer>;
  private readonly kernelConstraint: ReturnType<typeof resolveConstraint>;
  private readonly biasConstraint: ReturnType<typeof resolveConstraint>;

  constructor(config: KernelBiasConfig) {
    this.activation = getActivation(config.activation);
    if (config.useBias !== undefined && typeof config.useBias !== 'boolean') throw invalidType('useBias', 'a boolean', config.useBias);
    this.useBias = config.useBias ?? true;
    this.kernelInit = resolveInitializer('kernelInitializer', config.kernelInitializer ?? 'glorotUniform');
    this.biasInit = resolveInitializer('biasInitializer', config.biasInitializer ?? 'zeros');
    this.kernelRegularizer = resolveRegularizer('kernelRegularizer', config.kernelRegularizer);
    this.biasRegularizer = resolveRegularizer('biasRegularizer', config.biasRegularizer);
    this.kernelConstraint = resolveConstraint('kernelConstraint', config.kernelConstraint);
    this.biasConstraint = resolveConstraint('biasConstraint', config.biasConstraint);
  }

  /** The kernel of `kernelShape`, then the bias of `units` when the layer has one. */
  params(kernelShape: number[], units: number): ParamSpec[] {
    const params: ParamSpec[] = [{ name: 'kernel', shape: kernelShape, initializer: this.kernelInit, regularizer: this.kernelRegularizer, constraint: this.kernelConstraint }];
    if (this.useBias) params.push({ name: 'bias', shape: [units], initializer: this.biasInit, regularizer: this.biasRegularizer, constraint: this.biasConstraint });
    return params;
  }

  /** These settings as getConfig writes them (regularizers and constraints only when set). */
  config(): Record<string, unknown> {
    return {
      activation: this.activation.name, useBias: this.useBias, kernelInitializer: this.kernelInit, biasInitializer: this.biasInit,
      ...setFields({ kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer, kernelConstraint: this.kernelConstraint, biasConstraint: this.biasConstraint }),
    };
  }
}
