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

/** The kernel's name in the config keys: `kernelInitializer`, or DepthwiseConv2D's `depthwiseInitializer`. */
export type KernelPrefix = 'kernel' | 'depthwise';

export const kernelBiasKeys = (k: KernelPrefix = 'kernel'): string[] => [
  'activation', 'useBias', `${k}Initializer`, 'biasInitializer', `${k}Regularizer`, 'biasRegularizer', `${k}Constraint`, 'biasConstraint',
];

export const KERNEL_BIAS_KEYS = kernelBiasKeys();

export class KernelBias {
  /** The Keras JSON fields as weft's config. */
  static fromKeras(r: KerasConfigReader, k: KernelPrefix = 'kernel'): Record<string, unknown> {
    return {
      activation: activationFromKeras(r), useBias: r.value('use_bias', true),
      [`${k}Initializer`]: r.initializer(`${k}_initializer`, 'glorotUniform'), biasInitializer: r.initializer('bias_initializer', 'zeros'),
      [`${k}Regularizer`]: readRegularizer(r, `${k}_regularizer`), biasRegularizer: readRegularizer(r, 'bias_regularizer'),
      [`${k}Constraint`]: readConstraint(r, `${k}_constraint`), biasConstraint: readConstraint(r, 'bias_constraint'),
    };
  }

  /** weft's config as the Keras JSON fields tfjs-layers writes. */
  static toKeras(c: Record<string, unknown>, k: KernelPrefix = 'kernel'): Json {
    return {
      activation: activationToKeras(c.activation ?? 'linear'), use_bias: (c.useBias as boolean | undefined) ?? true,
      [`${k}_initializer`]: initializerToKeras(c[`${k}Initializer`] ?? 'glorotUniform'), bias_initializer: initializerToKeras(c.biasInitializer ?? 'zeros'),
      [`${k}_regularizer`]: regularizerToKeras(c[`${k}Regularizer`]), bias_regularizer: regularizerToKeras(c.biasRegularizer), activity_regularizer: null,
      [`${k}_constraint`]: constraintToKeras(c[`${k}Constraint`]), bias_constraint: constraintToKeras(c.biasConstraint),
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

  /** `k`: the kernel's config-key prefix; DepthwiseConv2D's weight is also named 'depthwise_kernel'. */
  constructor(config: KernelBiasConfig, private readonly k: KernelPrefix = 'kernel') {
    const c = config as Record<string, unknown>;
    this.activation = getActivation(config.activation);
    if (config.useBias !== undefined && typeof config.useBias !== 'boolean') throw invalidType('useBias', 'a boolean', config.useBias);
    this.useBias = config.useBias ?? true;
    this.kernelInit = resolveInitializer(`${k}Initializer`, (c[`${k}Initializer`] as InitializerSpec | undefined) ?? 'glorotUniform');
    this.biasInit = resolveInitializer('biasInitializer', config.biasInitializer ?? 'zeros');
    this.kernelRegularizer = resolveRegularizer(`${k}Regularizer`, c[`${k}Regularizer`] as RegularizerIdentifier | null | undefined);
    this.biasRegularizer = resolveRegularizer('biasRegularizer', config.biasRegularizer);
    this.kernelConstraint = resolveConstraint(`${k}Constraint`, c[`${k}Constraint`] as ConstraintIdentifier | null | undefined);
    this.biasConstraint = resolveConstraint('biasConstraint', config.biasConstraint);
  }

  /** The kernel of `kernelShape`, then the bias of `units` when the layer has one. */
  params(kernelShape: number[], units: number): ParamSpec[] {
    const name = this.k === 'kernel' ? 'kernel' : 'depthwise_kernel';
    const params: ParamSpec[] = [{ name, shape: kernelShape, initializer: this.kernelInit, regularizer: this.kernelRegularizer, constraint: this.kernelConstraint }];
    if (this.useBias) params.push({ name: 'bias', shape: [units], initializer: this.biasInit, regularizer: this.biasRegularizer, constraint: this.biasConstraint });
    return params;
  }

  /** These settings as getConfig writes them (regularizers and constraints only when set). */
  config(): Record<string, unknown> {
    const k = this.k;
    return {
      activation: this.activation.name, useBias: this.useBias, [`${k}Initializer`]: this.kernelInit, biasInitializer: this.biasInit,
      ...setFields({ [`${k}Regularizer`]: this.kernelRegularizer, biasRegularizer: this.biasRegularizer, [`${k}Constraint`]: this.kernelConstraint, biasConstraint: this.biasConstraint }),
    };
  }
}
