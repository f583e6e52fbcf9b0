/**
 * The layer registry: Keras class name → layer class. A graph is rebuilt from its JSON spec (in
 * a worker, from a file) through it, and model.json is read and written through each class's own
 * Keras mapping, so nothing outside src/graph/layers names a layer class. Built-in layers are
 * registered by layers/index.ts, one line each; a user's layer by weft.registerLayer, with the
 * URL of the module that exports it, which the workers import before they build a graph.
 */
import { invalidType, unknownName } from '../../errors.js';
import type { Layer, LayerClass } from '../layer.js';
import type { RegularizerIdentifier } from '../regularizers.js';
import type { SymbolicTensor } from '../symbolic.js';

interface Registered {
  readonly cls: LayerClass;
  /** The module a worker imports to get the class (user layers); null for built-ins. */
  readonly moduleUrl: string | null;
}

const classes = new Map<string, Registered>();

/** Registers `cls` under its className; registering the same class again is a no-op. */
export function registerLayerClass(cls: LayerClass, moduleUrl: string | null = null): void {
  if (typeof cls !== 'function' || typeof cls.className !== 'string' || cls.className.length === 0) {
    throw invalidType('layer class', 'a class extending weft.Layer with a static className', cls);
  }
  const known = classes.get(cls.className);
  if (known !== undefined && known.cls !== cls) {
    throw new RangeError(`A layer class named '${cls.className}' is already registered (${known.moduleUrl ?? 'built in'}): give yours another static className`);
  }
  classes.set(cls.className, { cls, moduleUrl });
}

export function layerClass(className: string): LayerClass {
  const entry = classes.get(className);
  if (entry === undefined) throw unknownLayerClass('layer class', className);
  return entry.cls;
}

/**
 * The error for a class name nobody registered (`kind` says where it was met): the registered
 * names, and how a user's own layer class gets registered.
 */
export function unknownLayerClass(kind: string, className: string): RangeError {
  const { message } = unknownName(kind, className, [...classes.keys()]);
  return new RangeError(`${message} A custom layer class is registered with weft.registerLayer('${className}', moduleUrl) before a model that uses it is built or loaded.`);
}

export function isRegisteredLayer(className: string): boolean {
  return classes.has(className);
}

/** The module URL a worker must import for this class, or null when it is built in. */
export function layerModuleUrl(className: string): string | null {
  return classes.get(className)?.moduleUrl ?? null;
}

export function registeredLayerClassNames(): string[] {
  return [...classes.keys()];
}

/** A layer from its weft config (a spec's); JSON has no undefined, so a null optional field means "not set". */
export function layerFromConfig(className: string, config: Record<string, unknown>): Layer {
  const cls = layerClass(className);
  const cleaned = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null));
  return new cls(cleaned as never);
}

/**
 * The factory a layer class is offered under in `weft.layers` (`weft.layers.dense({...})`), and
 * its registration. A class whose layer joins several inputs (a merge) also takes the tensors
 * themselves: `weft.layers.concatenate([a, b], config?)` applies a new layer at once.
 */
/**
 * What every layer's config also takes (checkLayerConfig reads it): Keras's input shape for the
 * first layer of a Sequential model, the activity regularizer of Keras's base Layer, whether
 * training updates its weights (`trainable: false` freezes it), and `dtype` at the only value
 * weft implements.
 */
export interface CommonLayerOptions {
  /** The shape of one example (no batch axis). */
  inputShape?: number[];
  /** The input's batch shape, batch axis null. */
  batchInputShape?: (number | null)[];
  trainable?: boolean;
  dtype?: 'float32';
  /** A penalty on the layer's output: weft.regularizers.l1/l2/l1l2(...) or a name ('l1', 'l2', 'l1_l2'). */
  activityRegularizer?: RegularizerIdentifier | null;
}

export function layerFactory<C extends LayerClass>(cls: C): (config?: ConstructorParameters<C>[0] & CommonLayerOptions) => InstanceType<C> {
  registerLayerClass(cls);
  return (config) => new cls(config as never) as InstanceType<C>;
}

/** A merge layer's factory: `f([a, b], config?)` applies a new layer; `f(config?)` returns the layer. */
export interface MergeFactory<L extends Layer, C> {
  (tensors: readonly SymbolicTensor[], config?: C & CommonLayerOptions): SymbolicTensor;
  (config?: C & CommonLayerOptions): L;
}

export function mergeFactory<C extends LayerClass>(cls: C): MergeFactory<InstanceType<C>, ConstructorParameters<C>[0]> {
  registerLayerClass(cls);
  const make = (config: unknown) => new cls(config as never) as InstanceType<C>;
  return ((arg?: unknown, config?: unknown) => (Array.isArray(arg) ? make(config).apply(arg) : make(arg))) as MergeFactory<InstanceType<C>, ConstructorParameters<C>[0]>;
}
