import * as tf from '@tensorflow/tfjs-core';
import { checkInteger, invalidArgument, invalidType, notSupported, ShapeError, StateError, unrecognizedKeywords } from '../errors.js';
import { constraintAxes, type ConstraintSpec } from './constraints.js';
import type { InitializerSpec } from './initializers.js';
import { resolveRegularizer, type RegularizerSpec } from './regularizers.js';
import { sizeOf, type DType, type Shape } from './shape.js';
import { Node, SymbolicTensor } from './symbolic.js';
import { readWeightValues } from './weight-values.js';
import type { Json, KerasConfigReader } from './keras-config.js';

/** A weight a layer declares in `build`: its shape, how to initialise it, and how training treats it. */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly initializer: InitializerSpec;
  /** A penalty on the weight, added to the loss and its gradient to the mean gradient once per step. */
  readonly regularizer?: RegularizerSpec | null;
  /** A projection of the weight applied after every optimizer step. */
  readonly constraint?: ConstraintSpec | null;
  /** The weight's name in the model when it is not '<layer>/<name>' (a nested model's keep their own). */
  readonly fullName?: string;
  /** The weight already holds its values (a nested model's): initialisation leaves it as it is. */
  readonly preset?: boolean;
  /** Exact starting values (Normalization's mean and variance from its config or adapt), instead of the initializer's draw. */
  readonly values?: Float32Array;
  /**
   * False for state the optimizer never touches (BatchNormalization's moving statistics): it
   * gets no gradient and no optimizer slots; the layer updates it through `ctx.assign`.
   */
  readonly trainable?: boolean;
}

/** What a layer may ask of the step that runs it. `training` is explicit, never a global. */
export interface CallContext {
  readonly training: boolean;
  /**
   * A dropout keep-mask for this batch: `rows` examples of `rowSize` values each, holding
   * 1/(1-rate) where kept and 0 where dropped. It is a pure function of the run's key (or the
   * layer's own `seed`), the layer and each example's global index, so it does not depend on who
   * computes it.
   */
  dropoutMask(rate: number, rowSize: number, rows: number, seed?: number): Float32Array;
  /** Uniform [0, 1) noise for this batch, `rowSize` values per example, keyed as dropoutMask is. */
  uniform(rowSize: number, rows: number, seed?: number): Float32Array;
  /** Standard normal noise for this batch, keyed as dropoutMask is (GaussianNoise, GaussianDropout). */
  normal(rowSize: number, rows: number, seed?: number): Float32Array;
  /**
   * The context of the layer at `index` inside this one (a nested model's layers): the same
   * step, its draws keyed apart from this layer's and from every other inner layer's.
   */
  nested(index: number): CallContext;
  /**
   * The in-step collective: `partial` summed over every rank of this step, in rank order, in
   * float64 (a layer whose statistics span the global batch: BatchNormalization). Every rank
   * must make the same calls in the same order; with one rank it is `partial` itself.
   */
  allSum(partial: Float64Array): Float64Array;
  /**
   * A new value for the layer's non-trainable weight `index` (moving statistics), applied once
   * after the whole step succeeded — never half-way, never once per rank. Every rank computes
   * the same value from the collective's sums; the first rank's is kept.
   */
  assign(index: number, value: Float32Array): void;
}

/**
 * What the registry needs of a layer class: its Keras / tfjs-layers class name, a constructor
 * from weft's camelCase config, and the mapping to and from Keras's snake_case JSON config.
 */
export interface LayerClass {
  readonly className: string;
  new (config: never): Layer;
  /** A Keras JSON config (snake_case, as tfjs-layers and the converter write it) as this layer's weft config. */
  fromKeras(reader: KerasConfigReader): Record<string, unknown>;
  /** This layer's weft config (`getConfig()`) as the Keras JSON config tfjs-layers writes. */
  toKeras(config: Record<string, unknown>): Json;
  /** The index Keras gives the first call of this layer in model.json (1 for a nested model); 0 if absent. */
  readonly kerasFirstNode?: number;
}

/** What the forward pass saved for the backward pass of one node. */
export interface Saved {
  readonly inputs: readonly tf.Tensor[];
  readonly weights: readonly tf.Tensor[];
  readonly output: tf.Tensor;
  readonly cache: unknown;
  /** The call context the forward ran with: backward's view of the step (training flag, draws). */
  readonly ctx: CallContext;
}

/** A weight gradient too sparse to be a dense tensor (Embedding): it adds itself in place. */
export interface SparseGrad {
  addInto(view: Float32Array): void;
}

export interface Gradients {
  /** d(loss)/d(input k), or null where the caller said it is not needed. */
  readonly inputs: readonly (tf.Tensor | null)[];
  /** d(loss)/d(weight k), in `params` order; null for a weight that has none (non-trainable state). */
  readonly weights: readonly (tf.Tensor | SparseGrad | null)[];
}

/**
 * Layer options of Keras / tfjs-layers that weft does not implement yet. A config naming one is
 * refused by name: a silently dropped regularizer or `trainable: false` trains a different model.
 */
const NOT_YET = new Set([
  'batchSize', 'weights',
  'maskZero', 'inputLength', 'sparse', 'ragged', 'dynamic', 'autocast', 'dtype',
]);

/** Options whose only value weft implements is the default: given so, they change nothing. */
const DEFAULT_ONLY: Record<string, unknown> = { dtype: 'float32' };

/**
 * Checks that a layer's config is an options object of keys it implements (Keras: "Unrecognized
 * keyword arguments passed to Dense"); returns it typed. Undefined values count as not given.
 */
export function checkLayerConfig<T extends object>(className: string, config: unknown, known: readonly string[]): T {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw invalidType('config', `an options object {${known.join(', ')}}`, config);
  }
  const shape = declaredShape(config as Record<string, unknown>);
  const extra = Object.entries(config).filter(([k, v]) => v !== undefined && !known.includes(k) && !BASE_KEYS.includes(k) && !(k in DEFAULT_ONLY && DEFAULT_ONLY[k] === v));
  const unsupported = extra.find(([k]) => NOT_YET.has(k));
  if (unsupported !== undefined) throw notSupported(className, unsupported[0], unsupported[1]);
  if (extra.length > 0) throw unrecognizedKeywords(className, extra, known);
  const activity = resolveRegularizer('activityRegularizer', (config as Record<string, unknown>).activityRegularizer ?? null);
  const trainable = (config as Record<string, unknown>).trainable ?? true;
  if (typeof trainable !== 'boolean') throw invalidType('trainable', 'a boolean', trainable);
  pending = { inputShape: shape, activityRegularizer: activity, trainable };
  return config as T;
}

/** The entries of `fields` that are set (not null or undefined): optional options in a getConfig. */
export function setFields(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null));
}

/**
 * Options of Keras's base Layer that every layer takes: the input shape of the first layer of a
 * Sequential model, the activity regularizer, and whether training updates its weights.
 */
const BASE_KEYS = ['inputShape', 'batchInputShape', 'activityRegularizer', 'trainable'];

/**
 * The base options a config gave, handed from checkLayerConfig to the Layer constructor that
 * runs right after it: a layer calls `super(checkLayerConfig(...).name, ...)`, so nothing can run
 * in between, and every layer gets them without writing a line for them.
 */
interface BaseOptions {
  inputShape: Shape | null;
  activityRegularizer: RegularizerSpec | null;
  trainable: boolean;
}
const NO_BASE_OPTIONS: BaseOptions = { inputShape: null, activityRegularizer: null, trainable: true };
let pending: BaseOptions = NO_BASE_OPTIONS;

/** `inputShape: [784]` or `batchInputShape: [null, 784]` as the batch shape [null, 784]. */
function declaredShape(config: Record<string, unknown>): Shape | null {
  const { inputShape, batchInputShape } = config;
  if (inputShape !== undefined && batchInputShape !== undefined) {
    throw invalidArgument('inputShape', 'either inputShape or batchInputShape, not both', inputShape);
  }
  if (inputShape === undefined && batchInputShape === undefined) return null;
  const [key, dims] = inputShape !== undefined ? ['inputShape', inputShape] : ['batchInputShape', Array.isArray(batchInputShape) ? batchInputShape.slice(1) : batchInputShape];
  const expected = 'an array of positive integers (the shape of one example)';
  if (!Array.isArray(dims) || dims.length === 0) throw invalidType(key, expected, key === 'inputShape' ? inputShape : batchInputShape);
  dims.forEach((d, i) => checkInteger(`${key}[${key === 'inputShape' ? i : i + 1}]`, d, 1));
  return [null, ...(dims as number[])];
}

const nameCounters = new Map<string, number>();

/** Keras's naming: the first dense layer is 'dense', then 'dense_1', 'dense_2'. */
function uniqueName(base: string, startAtOne: boolean): string {
  const n = nameCounters.get(base) ?? (startAtOne ? 1 : 0);
  nameCounters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/**
 * A layer: the constructor validates and stores config; `build` declares weights from the input
 * shapes; `computeOutputShape` is pure shape logic; `forward`/`backward` are the math, written
 * by hand so the hot path uses only fast wasm kernels (no autodiff, no transposed matMul).
 */
export abstract class Layer {
  /** The Keras / tfjs-layers class name: the registry's key, and `class_name` in model.json. */
  static readonly className: string = 'Layer';

  /**
   * Keras's JSON config as this layer's config. Built-in layers map snake_case fields; the
   * default (a user's layer) reads its own config back as it wrote it, less Keras's bookkeeping.
   */
  static fromKeras(reader: KerasConfigReader): Record<string, unknown> {
    // Read through the reader, so the file's check of unread fields sees each one used;
    // trainable and dtype, Keras's bookkeeping, and the base activity regularizer it reads itself.
    const keys = Object.keys(reader.config).filter((k) => k !== 'trainable' && k !== 'dtype' && k !== 'activity_regularizer');
    return { ...Object.fromEntries(keys.map((k) => [k, reader.get(k)])), name: reader.name };
  }

  static toKeras(config: Record<string, unknown>): Json {
    return { ...config, trainable: true };
  }

  get className(): string {
    return (this.constructor as typeof Layer).className;
  }

  /** The symbolic output of this layer's one application (Keras's `layer.output`). */
  get output(): SymbolicTensor {
    return this.onlyNode('output').output;
  }

  /** The symbolic input(s) of this layer's one application; an input layer's is its output (Keras). */
  get input(): SymbolicTensor | SymbolicTensor[] {
    const node = this.onlyNode('input');
    if (this.isInput) return node.output;
    return node.inputs.length === 1 ? node.inputs[0] : [...node.inputs];
  }

  private onlyNode(what: string): Node {
    if (this.nodes.length === 0) throw new StateError(`Layer '${this.name}' is not connected: it has no ${what} until it is applied to a tensor`);
    if (this.nodes.length > 1) {
      throw new StateError(`Layer '${this.name}' has ${this.nodes.length} inbound nodes, hence the notion of "layer ${what}" is ill-defined: read it from the tensor each call returned`);
    }
    return this.nodes[0];
  }

  /** True only for the graph's entry points (InputLayer). */
  get isInput(): boolean {
    return false;
  }

  /**
   * For a layer whose input `index` must hold integers in [0, bound) (Embedding's indices), the
   * bound; the data loader checks every value against it before training. Null: any number.
   */
  integerInputBound(_index: number): number | null {
    return null;
  }

  readonly name: string;
  /** Weight declarations, set by the first `apply`. */
  params: readonly ParamSpec[] = [];
  /** Every application of this layer; a layer applied twice shares its weights. */
  readonly nodes: Node[] = [];
  private builtShapes: Shape[] | null = null;
  /** Views of this layer's weights in its model's flat parameter array. */
  private weightViews: Float32Array[] | null = null;

  /**
   * The input shape its config declared (`inputShape` / `batchInputShape`, as Keras's first
   * layer of a Sequential model gives it), batch axis null; null when none.
   */
  readonly declaredInputShape: Shape | null;

  /**
   * A penalty on the layer's output (Keras's `activity_regularizer`): Keras 3 adds
   * regularizer(output) / batch size to the loss, so the step adds each example's share.
   */
  readonly activityRegularizer: RegularizerSpec | null;

  protected constructor(name: string | undefined, defaultName: string, startAtOne = false) {
    this.declaredInputShape = pending.inputShape;
    this.activityRegularizer = pending.activityRegularizer;
    this.trainableFlag = pending.trainable;
    pending = NO_BASE_OPTIONS;
    if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
      throw invalidType('name', 'a non-empty string', name);
    }
    this.name = name ?? uniqueName(defaultName, startAtOne);
  }

  /** Declares the weights for these input shapes; throws a ShapeError naming the layer. */
  protected abstract build(inputShapes: readonly Shape[]): ParamSpec[];
  abstract computeOutputShape(inputShapes: readonly Shape[]): Shape;
  abstract forward(inputs: readonly tf.Tensor[], weights: readonly tf.Tensor[], ctx: CallContext): { output: tf.Tensor; cache?: unknown };
  abstract backward(dy: tf.Tensor, saved: Saved, needInputGrads: readonly boolean[]): Gradients;
  /** The plain config a worker rebuilds this layer from (JSON-safe), less the base options (specConfig adds them). */
  abstract getConfig(): Record<string, unknown>;

  /**
   * getConfig and the options of the base layer that are set: what a spec holds. `trainable`:
   * the flag to write (its model's layout's, as of the last compile); the layer's own by default.
   */
  specConfig(trainable = this.trainable): Record<string, unknown> {
    const config = this.getConfig();
    return {
      ...config,
      ...(this.activityRegularizer === null ? {} : { activityRegularizer: this.activityRegularizer }),
      ...(trainable ? {} : { trainable: false }),
    };
  }

  /** The flag `trainable` reads (a nested model's layer reads its model's instead). */
  protected trainableFlag: boolean;

  /**
   * Whether training updates this layer's weights (Keras's `layer.trainable`). Set it before
   * compile(): as in Keras, a change after compile takes effect at the next compile. A frozen
   * layer's weights stay bitwise as they are through fit; layers that behave differently when
   * frozen (BatchNormalization runs in inference mode) read it in `forward`.
   */
  get trainable(): boolean {
    return this.trainableFlag;
  }

  set trainable(value: boolean) {
    if (typeof value !== 'boolean') throw invalidType(`trainable of layer '${this.name}'`, 'a boolean', value);
    this.trainableFlag = value;
  }

  /** Whether training updates weight `index`: the layer is trainable and declared the weight so. */
  paramTrainable(index: number): boolean {
    return this.trainable && this.params[index]?.trainable !== false;
  }

  /** Before its model lays its weights out again: a nested model refreshes its own layout. */
  refreshLayout(): void {}

  /**
   * The longest vector this layer passes to `ctx.allSum` in one call (0: it never does). The
   * engine sizes the in-step collective's shared buffer from it.
   */
  get collectiveLength(): number {
    return 0;
  }

  /** The dtype of the output; layers that change it (none yet besides Embedding's input) override. */
  protected outputDtype(_inputs: readonly SymbolicTensor[]): DType {
    return 'float32';
  }

  /** How many inputs this layer takes: 1 unless overridden (Concatenate takes 2 or more). */
  protected readonly minInputs: number = 1;
  protected readonly maxInputs: number = 1;

  apply(x: SymbolicTensor | readonly SymbolicTensor[]): SymbolicTensor {
    const inputs = Array.isArray(x) ? (x as SymbolicTensor[]) : [x as SymbolicTensor];
    inputs.forEach((t, i) => {
      if (!(t instanceof SymbolicTensor)) {
        throw invalidType(`inputs[${i}] of layer '${this.name}'`, 'a symbolic tensor from weft.input() or a layer', t);
      }
    });
    if (inputs.length < this.minInputs || inputs.length > this.maxInputs) {
      const expected = this.minInputs === this.maxInputs ? `${this.minInputs}` : `at least ${this.minInputs}`;
      throw new ShapeError(`Layer '${this.name}' (${this.className}) expects ${expected} input(s), received ${inputs.length}`);
    }
    const shapes = inputs.map((t) => t.shape);
    const declared = this.declaredInputShape;
    if (declared !== null && !(shapes[0].length === declared.length && shapes[0].every((d, i) => i === 0 || d === declared[i]))) {
      throw new ShapeError(`Layer '${this.name}' (${this.className}) was declared with input shape ${JSON.stringify(declared)} and cannot be applied to ${JSON.stringify(shapes[0])}`);
    }
    if (this.builtShapes === null) {
      this.params = this.build(shapes);
      for (const p of this.params) if (p.constraint) constraintAxes(p.constraint, p.shape.length, `Weight '${this.name}/${p.name}' of shape ${JSON.stringify(p.shape)}`);
      this.builtShapes = shapes;
    } else {
      this.checkReuse(shapes);
    }
    const node = new Node(this, inputs, this.computeOutputShape(shapes), this.outputDtype(inputs));
    this.nodes.push(node);
    return node.output;
  }

  /** A shared layer must see the shapes it was built for. */
  private checkReuse(shapes: readonly Shape[]): void {
    const built = this.builtShapes as Shape[];
    if (shapes.length !== built.length) throw new ShapeError(`Layer '${this.name}' was built for ${built.length} input(s) and cannot be applied to ${shapes.length}`);
    shapes.forEach((s, i) => {
      const ref = built[i];
      const same = ref !== undefined && s.length === ref.length && s.every((d, j) => j === 0 || d === ref[j]);
      if (!same) throw new ShapeError(`Layer '${this.name}' was built for input shape ${JSON.stringify(ref)} and cannot be applied to ${JSON.stringify(s)}`);
    });
  }

  get countParams(): number {
    return this.params.reduce((n, p) => n + sizeOf(p.shape), 0);
  }

  /** A copy of the weights' current values, or null while no model holds them. */
  currentValues(): Float32Array[] | null {
    return this.weightViews === null ? null : this.weightViews.map((v) => v.slice());
  }

  /** Called by the Model that owns the flat parameter array. */
  bindWeights(views: Float32Array[]): void {
    this.weightViews = views;
  }

  private views(): Float32Array[] {
    if (this.weightViews === null) {
      throw new StateError(`Layer '${this.name}' has no weights yet: they are created when a model containing it is built`);
    }
    return this.weightViews;
  }

  /** The weights as new tensors (kernel before bias), like tfjs-layers' getWeights(). */
  getWeights(): tf.Tensor[] {
    return this.views().map((v, i) => tf.tensor(v.slice(), this.params[i].shape as number[]));
  }

  setWeights(weights: readonly tf.Tensor[]): void {
    const views = this.views();
    const values = readWeightValues(`weights of layer '${this.name}'`, weights, this.params);
    values.forEach((v, i) => views[i].set(v));
  }
}
