/**
 * What Dense and the convolutions share: an activation, one or more kernels and an optional
 * bias, each weight with its initializer, regularizer and constraint — their config keys, their
 * checks, their Keras JSON fields and their ParamSpecs. Each layer keeps only its own shapes and
 * math. A kernel is named by its key prefix: Dense's and Conv's `kernel` (kernelInitializer,
 * kernel_initializer, weight 'kernel'), DepthwiseConv2D's `depthwise`, SeparableConv2D's
 * `depthwise` and `pointwise` (weights 'depthwise_kernel', 'pointwise_kernel').
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

/** A kernel's key prefix. */
export type KernelPrefix = 'kernel' | 'depthwise' | 'pointwise';

const SETTINGS = ['Initializer', 'Regularizer', 'Constraint'] as const;

/** The config keys of `kernels` and the bias. */
export const kernelBiasKeys = (...kernels: KernelPrefix[]): string[] => [
  'activation', 'useBias', ...[...kernels, 'bias'].flatMap((k) => SETTINGS.map((s) => `${k}${s}`)),
];

export const KERNEL_BIAS_KEYS = kernelBiasKeys('kernel');

/** One weight's settings, resolved. */
interface WeightSettings {
  initializer: ReturnType<typeof resolveInitializer>;
  regularizer: ReturnType<typeof resolveRegularizer>;
  constraint: ReturnType<typeof resolveConstraint>;
}

export class KernelBias {
  /** The Keras JSON fields as weft's config. */
  static fromKeras(r: KerasConfigReader, ...kernels: KernelPrefix[]): Record<string, unknown> {
    const out: Record<string, unknown> = { activation: activationFromKeras(r), useBias: r.value('use_bias', true) };
    for (const k of kernels.length === 0 ? ['kernel'] : kernels) {
      out[`${k}Initializer`] = r.initializer(`${k}_initializer`, 'glorotUniform');
      out[`${k}Regularizer`] = readRegularizer(r, `${k}_regularizer`);
      out[`${k}Constraint`] = readConstraint(r, `${k}_constraint`);
    }
    return {
      ...out, biasInitializer: r.initializer('bias_initializer', 'zeros'), biasRegularizer: readRegularizer(r, 'bias_regularizer'), biasConstraint: readConstraint(r, 'bias_constraint'),
    };
  }

  /** weft's config as the Keras JSON fields tfjs-layers writes. */
  static toKeras(c: Record<string, unknown>, ...kernels: KernelPrefix[]): Json {
    const out: Json = { activation: activationToKeras(c.activation ?? 'linear'), use_bias: (c.useBias as boolean | undefined) ?? true };
    for (const k of [...(kernels.length === 0 ? ['kernel'] : kernels), 'bias']) {
      out[`${k}_initializer`] = initializerToKeras(c[`${k}Initializer`] ?? (k === 'bias' ? 'zeros' : 'glorotUniform'));
      out[`${k}_regularizer`] = regularizerToKeras(c[`${k}Regularizer`]);
      out[`${k}_constraint`] = constraintToKeras(c[`${k}Constraint`]);
    }
    return { ...out, activity_regularizer: null };
  }

  readonly activation: Activation;
  readonly useBias: boolean;
  private readonly kernels: readonly KernelPrefix[];
  private readonly settings = new Map<string, WeightSettings>();

  /** `kernels`: the prefixes of the layer's kernels, in weight order (default: one 'kernel'). */
  constructor(config: KernelBiasConfig, ...kernels: KernelPrefix[]) {
    const c = config as Record<string, unknown>;
    this.activation = getActivation(config.activation);
    if (config.useBias !== undefined && typeof config.useBias !== 'boolean') throw invalidType('useBias', 'a boolean', config.useBias);
    this.useBias = config.useBias ?? true;
    this.kernels = kernels.length === 0 ? ['kernel'] : kernels;
    for (const k of [...this.kernels, 'bias']) {
      this.settings.set(k, {
        initializer: resolveInitializer(`${k}Initializer`, (c[`${k}Initializer`] as InitializerSpec | undefined) ?? (k === 'bias' ? 'zeros' : 'glorotUniform')),
        regularizer: resolveRegularizer(`${k}Regularizer`, c[`${k}Regularizer`] as RegularizerIdentifier | null | undefined),
        constraint: resolveConstraint(`${k}Constraint`, c[`${k}Constraint`] as ConstraintIdentifier | null | undefined),
      });
    }
  }

  /** The activation when wasm's matMul or conv2d can fuse it (relu, linear), else null: it then runs after, on z. */
  get fused(): 'relu' | 'linear' | null {
    const { name } = this.activation;
    return name === 'linear' || name === 'relu' ? name : null;
  }

  /** The kernels of `kernelShapes` (one per prefix, in order), then the bias of `units` when the layer has one. */
  params(kernelShapes: number[][], units: number): ParamSpec[] {
    const spec = (name: string, k: string, shape: number[]): ParamSpec => ({ name, shape, ...(this.settings.get(k) as WeightSettings) });
    const params = this.kernels.map((k, i) => spec(k === 'kernel' ? 'kernel' : `${k}_kernel`, k, kernelShapes[i]));
    if (this.useBias) params.push(spec('bias', 'bias', [units]));
    return params;
  }

  /** These settings as getConfig writes them (regularizers and constraints only when set). */
  config(): Record<string, unknown> {
    const out: Record<string, unknown> = { activation: this.activation.name, useBias: this.useBias };
    const optional: Record<string, unknown> = {};
    for (const k of [...this.kernels, 'bias']) {
      const s = this.settings.get(k) as WeightSettings;
      out[`${k}Initializer`] = s.initializer;
      optional[`${k}Regularizer`] = s.regularizer;
      optional[`${k}Constraint`] = s.constraint;
    }
    return { ...out, ...setFields(optional) };
  }
}
