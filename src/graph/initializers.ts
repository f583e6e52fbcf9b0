import { invalidType, unknownName } from '../errors.js';

/**
 * Initializers are descriptions, not samplers: the graph says which distribution a weight is
 * drawn from, and whoever owns the random streams (src/parallel/random.ts) draws it. This keeps
 * the graph free of randomness and lets one seed reproduce a model anywhere.
 */
export type InitializerName =
  | 'zeros' | 'ones' | 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal'
  | 'leCunUniform' | 'leCunNormal' | 'randomUniform' | 'randomNormal' | 'truncatedNormal';

export interface InitializerConfig {
  className: InitializerName;
  config?: { seed?: number; minval?: number; maxval?: number; mean?: number; stddev?: number };
}

export type InitializerSpec = InitializerName | InitializerConfig;

/** The concrete distribution for one weight, once its fans are known. */
export type Distribution =
  | { kind: 'constant'; value: number }
  | { kind: 'uniform'; lo: number; hi: number; seed?: number }
  | { kind: 'normal'; mean: number; stddev: number; truncated: boolean; seed?: number };

const NAMES: readonly InitializerName[] = [
  'zeros', 'ones', 'glorotUniform', 'glorotNormal', 'heUniform', 'heNormal',
  'leCunUniform', 'leCunNormal', 'randomUniform', 'randomNormal', 'truncatedNormal',
];

/** Accepts tfjs's camelCase, Keras's snake_case and class-style names ('GlorotUniform'). */
export function canonicalName(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()).replace(/^[A-Z]/, (c) => c.toLowerCase())
    .replace(/^lecun/, 'leCun');
}

export function resolveInitializer(argument: string, spec: unknown): InitializerConfig {
  if (typeof spec === 'string') {
    const name = canonicalName(spec);
    if (!(NAMES as readonly string[]).includes(name)) throw unknownName(`initializer for \`${argument}\``, spec, NAMES);
    return { className: name as InitializerName };
  }
  if (spec !== null && typeof spec === 'object' && typeof (spec as InitializerConfig).className === 'string') {
    const { className, config } = spec as InitializerConfig;
    return { ...resolveInitializer(argument, className), config: { ...config } };
  }
  throw invalidType(argument, `an initializer name (${NAMES.join(', ')}) or {className, config}`, spec);
}

/**
 * Keras's variance-scaling family (keras/src/initializers/random_initializers.py): glorot uses
 * fan_avg, he fan_in with scale 2, lecun fan_in; the truncated normals divide the stddev by
 * 0.8796... so the truncated distribution keeps the intended variance.
 */
export function distributionFor(init: InitializerConfig, fanIn: number, fanOut: number): Distribution {
  const c = init.config ?? {};
  const seed = c.seed;
  const scaled = (scale: number, fan: number, shape: 'uniform' | 'normal'): Distribution => {
    const variance = scale / Math.max(1, fan);
    if (shape === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      return { kind: 'uniform', lo: -limit, hi: limit, seed };
    }
    return { kind: 'normal', mean: 0, stddev: Math.sqrt(variance) / 0.87962566103423978, truncated: true, seed };
  };
  switch (init.className) {
    case 'zeros': return { kind: 'constant', value: 0 };
    case 'ones': return { kind: 'constant', value: 1 };
    case 'glorotUniform': return scaled(1, (fanIn + fanOut) / 2, 'uniform');
    case 'glorotNormal': return scaled(1, (fanIn + fanOut) / 2, 'normal');
    case 'heUniform': return scaled(2, fanIn, 'uniform');
    case 'heNormal': return scaled(2, fanIn, 'normal');
    case 'leCunUniform': return scaled(1, fanIn, 'uniform');
    case 'leCunNormal': return scaled(1, fanIn, 'normal');
    case 'randomUniform': return { kind: 'uniform', lo: c.minval ?? -0.05, hi: c.maxval ?? 0.05, seed };
    case 'randomNormal': return { kind: 'normal', mean: c.mean ?? 0, stddev: c.stddev ?? 0.05, truncated: false, seed };
    case 'truncatedNormal': return { kind: 'normal', mean: c.mean ?? 0, stddev: c.stddev ?? 0.05, truncated: true, seed };
  }
}

/** Fans as Keras computes them for a kernel: the last two dims, receptive field folded in. */
export function fans(shape: readonly number[]): [number, number] {
  if (shape.length === 1) return [shape[0], shape[0]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}
