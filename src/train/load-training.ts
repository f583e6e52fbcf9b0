/**
 * The training state a saved model carries: weft's checkpoints (its compile config, optimizer
 * slots and run position), and a tfjs-layers or Keras file's training config and optimizer
 * state, mapped to weft's compile arguments where weft's optimizer keeps the same slots.
 */
import { lossFromKeras, type KerasLoss, type LossSpec } from '../graph/losses.js';
import { DataFileError } from '../errors.js';
import { sizeOf } from '../graph/shape.js';
import { optimizerFromSpec, type Optimizer, type OptimizerClassName, type OptimizerConfigValue } from './optimizers.js';
import { badField, badModelJson, decodeFloat32Into, sameShape, type Layout, type StoredWeight, type RunPosition, type TrainingConfig, type TrainingSnapshot } from './model-files.js';


// ---------------------------------------------------------------------------------------------
// weft's own checkpoints: trainingConfig in weft's terms, slots as whole flat arrays, the position
// ---------------------------------------------------------------------------------------------

/** A weft checkpoint's compile config, optimizer slots and position; every field is checked. */
export function weftCheckpoint(path: string, mj: Record<string, unknown>, byName: Map<string, StoredWeight>, paramCount: number): TrainingSnapshot {
  const config = mj.trainingConfig as TrainingConfig | undefined;
  const isObject = (v: unknown): boolean => v !== null && typeof v === 'object' && !Array.isArray(v);
  const metricList = (v: unknown): boolean => Array.isArray(v) && v.every((m) => typeof m === 'string' || isObject(m));
  const checks: [string, unknown, string, boolean][] = [
    ['trainingConfig', config, '{loss, metrics, optimizer_config} (a weft checkpoint has one beside weftTrainingState)', isObject(config)],
    ['trainingConfig.loss', config?.loss, 'a loss name or spec {name, config}', typeof config?.loss === 'string' || isObject(config?.loss)],
    ['trainingConfig.metrics', config?.metrics, 'an array of metric names or specs (an object of them by output name for several outputs)', metricList(config?.metrics) || (isObject(config?.metrics) && Object.values(config?.metrics as object).every(metricList))],
    ['trainingConfig.optimizer_config', config?.optimizer_config, 'an object {class_name, config}', isObject(config?.optimizer_config)],
    ['trainingConfig.optimizer_config.class_name', config?.optimizer_config?.class_name, 'an optimizer name', typeof config?.optimizer_config?.class_name === 'string'],
    ['trainingConfig.optimizer_config.config', config?.optimizer_config?.config, 'an object of its settings', isObject(config?.optimizer_config?.config)],
  ];
  const failed = checks.find(([, , , ok]) => !ok);
  if (failed !== undefined) throw badField(path, failed[0], failed[2], failed[1]);
  const position = mj.weftTrainingState as Partial<RunPosition> | null;
  const positionOk = typeof position === 'object' && position !== null
    && [position.epoch, position.seed, position.iterations].every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
  const workersOk = position?.workers === undefined || (Number.isSafeInteger(position.workers) && position.workers >= 1);
  if (!positionOk || !workersOk) {
    throw badModelJson(path, 'weftTrainingState to be {epoch, seed, iterations, workers?}, non-negative integers (workers >= 1)', `weftTrainingState=${JSON.stringify(position)}`);
  }
  const slots = [...byName.values()].filter((w) => w.spec.group === 'optimizer').map((w) => {
    if (sizeOf(w.spec.shape) !== paramCount || w.spec.dtype !== 'float32') {
      throw badModelJson(path, `optimizer weights of ${paramCount} float32 values each (one per parameter)`, `'${w.spec.name}' of shape [${w.spec.shape}], ${w.spec.dtype}`);
    }
    const values = new Float32Array(paramCount);
    decodeFloat32Into(w.bytes, values, 0);
    return values;
  });
  return { config: config as TrainingConfig, slots, position: position as RunPosition };
}

// ---------------------------------------------------------------------------------------------
// tfjs-layers' includeOptimizer: trainingConfig in tfjs's terms, then the optimizer's weights
// ('iter', then each slot per weight, named '<weight's variable name>/<slot>')
// ---------------------------------------------------------------------------------------------

/**
 * How each tfjs-core optimizer maps onto weft's: weft's class and config from tfjs's config, and
 * for each of weft's slots, in weft's order, the tfjs slot that holds the same quantity, or why
 * none does. Checked against tfjs-core 4.22's optimizers/*.ts:
 * - Adam: m and v are the same moving averages (weft folds the bias correction into the step
 *   size and adds epsilon before it, Keras's epsilon-hat form; tfjs adds it after).
 * - RMSProp: 'rms' is weft's velocity and 'momentum' its momentum slot, the same recurrences
 *   (tfjs keeps 'momentum' also at momentum 0, where it carries nothing; weft has no slot then).
 *   Centered, 'mg' is weft's average gradient; tfjs then subtracts epsilon under the root where
 *   weft, as Keras, adds it.
 * - Momentum: tfjs accumulates raw gradients, a = momentum·a + g, p −= lr·a; weft's SGD keeps
 *   the velocity v = momentum·v − lr·g, p += v. The same updates, different slots: not mapped.
 * - SGD: no slots.
 * - Adagrad: 'accumulator' is weft's, the same recurrence from the same initialAccumulatorValue;
 *   tfjs's epsilon is the backend's (1e-7 in float32), weft's default.
 * - Adadelta: 'accum_grad' and 'accum_var' are weft's two accumulators, the same recurrences;
 *   tfjs divides by the root of the accumulated gradient before this step's update of it, where
 *   weft, as Keras, uses the updated one.
 * - Adamax: 'm' and 'v' (the weighted infinity norm) are weft's two slots; tfjs's `decay` of the
 *   rate has no Keras 3 counterpart (refused unless 0), and tfjs-core 4.22 cannot save Adamax's
 *   weights at all (its getWeights throws), so only a config comes from there.
 */
interface TfjsOptimizer {
  className: string;
  config: (c: Record<string, unknown>) => Record<string, unknown>;
  /** The tfjs slot suffixes weft's slots come from, in weft's order, or why they cannot. */
  slots: (c: Record<string, unknown>) => string[] | { mismatch: string };
  /** Every slot suffix tfjs writes for it (some weft does not need). */
  written: string[];
}

/** `c` with key `from` named `to`, unless `to` is there already (then both stay, and weft's check rejects `from`). */
const renamed = (c: Record<string, unknown>, from: string, to: string): Record<string, unknown> => {
  if (c[to] !== undefined || c[from] === undefined) return c;
  const { [from]: value, ...rest } = c;
  return { ...rest, [to]: value };
};

const TFJS_OPTIMIZERS: Readonly<Record<string, TfjsOptimizer>> = {
  adam: { className: 'Adam', config: (c) => c, slots: () => ['m', 'v'], written: ['m', 'v'] },
  // tfjs's SGD has no momentum; a Keras SGD config with momentum keeps weft's velocity.
  sgd: { className: 'SGD', config: (c) => c, slots: (c) => ((c.momentum as number) > 0 ? ['momentum'] : []), written: ['momentum'] },
  rmsprop: {
    className: 'RMSprop',
    config: (c) => renamed(c, 'decay', 'rho'),
    slots: (c) => ['rms', ...((c.momentum as number) > 0 ? ['momentum'] : []), ...(c.centered === true ? ['mg'] : [])],
    written: ['rms', 'momentum', 'mg'],
  },
  adagrad: { className: 'Adagrad', config: (c) => c, slots: () => ['accumulator'], written: ['accumulator'] },
  adadelta: { className: 'Adadelta', config: (c) => c, slots: () => ['accum_grad', 'accum_var'], written: ['accum_grad', 'accum_var'] },
  adamax: {
    className: 'Adamax',
    config: (c) => (c.decay === 0 ? Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'decay')) : c),
    slots: () => ['m', 'v'],
    written: ['m', 'v'],
  },
  momentum: {
    className: 'SGD',
    config: (c) => renamed(c, 'useNesterov', 'nesterov'),
    slots: () => ({ mismatch: "tfjs's Momentum accumulates the raw gradients where weft's SGD keeps a velocity of -learningRate times that" }),
    written: ['momentum'],
  },
};

/** tfjs-layers' `toCamelCase`, as its loadTrainingConfig applies to a Python optimizer config. */
const camelCase = (key: string): string => key.replace(/[_-](\w)/g, (_, c: string) => c.toUpperCase());

/**
 * The one output's entry of tfjs's per-output forms: a loss as a list of one or an
 * {outputName: loss} of one; metrics as an {outputName: metrics} of one. Null when it names
 * several outputs. (tfjs-layers writes the metrics of a model compiled without any as {}.)
 */
function oneOutput(value: unknown, listIsPerOutput: boolean): unknown {
  if (Array.isArray(value) && listIsPerOutput) return value.length === 1 ? value[0] : null;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const values = Object.values(value);
    if (values.length === 0 && !listIsPerOutput) return [];
    return values.length === 1 ? values[0] : null;
  }
  return value;
}

/**
 * tfjs-layers' trainingConfig and optimizer weights as weft's training snapshot, as
 * tfjs-layers' loadLayersModel compiles a model it loads. The parts weft cannot use are left
 * out with a notice: the whole config when weft lacks the optimizer, loss or metric (the model
 * then loads uncompiled), the optimizer weights when their slots are not weft's (the model is
 * compiled with a fresh optimizer).
 */
export function tfjsTraining(
  path: string, where: string, raw: unknown, byName: Map<string, StoredWeight>, layout: Layout, fromConverter: boolean,
): { training: TrainingSnapshot | null; notices: string[] } {
  const field = (at: string, expected: string, received: unknown): DataFileError => badField(path, at, expected, received);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw field(where, 'an object {loss, metrics, optimizer_config}', raw);
  const tc = raw as Record<string, unknown>;
  // Keras 2 and tfjs-layers write optimizer_config; Keras 3's legacy h5 writes its compile config,
  // whose `optimizer` is the serialized optimizer (or the name passed to compile).
  const key = tc.optimizer_config === undefined && tc.optimizer !== undefined ? 'optimizer' : 'optimizer_config';
  const given = tc[key];
  const oc = (typeof given === 'string' ? { class_name: given, config: {} } : given) as Record<string, unknown> | undefined;
  if (oc === null || typeof oc !== 'object' || Array.isArray(oc)) throw field(`${where}.${key}`, 'an object {class_name, config}', oc);
  if (typeof oc.class_name !== 'string') throw field(`${where}.${key}.class_name`, 'a string', oc.class_name);
  const rawConfig = oc.config ?? {};
  if (rawConfig === null || typeof rawConfig !== 'object' || Array.isArray(rawConfig)) throw field(`${where}.${key}.config`, 'an object', rawConfig);
  const uncompiled = (why: string) => ({ training: null, notices: [`weft.loadModel: '${path}' is loaded uncompiled, its training config and optimizer weights skipped: ${why}`] });

  const args = compileArgs(tc, where, field);
  if ('skip' in args) return uncompiled(args.skip);
  const { loss, metrics } = args;

  // Keras writes snake_case settings (learning_rate, beta_1), Keras 2.11+ a 'Custom>' class
  // prefix; tfjs-core's getConfig writes camelCase (learningRate, beta1).
  const settings = rawConfig as Record<string, unknown>;
  const kerasForm = fromConverter || key === 'optimizer' || oc.class_name.includes('>') || Object.keys(settings).some((k) => k.includes('_') || k === 'lr');
  if (kerasForm) {
    const built = kerasOptimizer(oc.class_name, settings);
    if ('skip' in built) return uncompiled(built.skip);
    const { optimizer } = built;
    const hasState = [...byName.values()].some((w) => w.spec.group === 'optimizer');
    const notices = hasState ? [`weft.loadModel: '${path}': skipped its optimizer weights (weft reads the slots of tfjs-core's optimizers, not Keras's); the model is compiled with a fresh ${optimizer.className} optimizer`] : [];
    const slots = optimizer.init(layout.trainableSize);
    const config = { loss, metrics, optimizer_config: { class_name: optimizer.className, config: optimizer.getConfig() } };
    return { training: { config, slots, position: { epoch: 0, seed: 0, iterations: 0 } }, notices };
  }

  const mapping = TFJS_OPTIMIZERS[oc.class_name.toLowerCase()];
  if (mapping === undefined) return uncompiled(`weft has no ${oc.class_name} optimizer (it reads tfjs's Adam, SGD, Momentum, RMSProp, Adagrad, Adadelta, Adamax)`);
  // Unset (null) settings and Keras's 'name' say nothing weft needs.
  const tfjsConfig = Object.fromEntries(Object.entries(settings).filter(([k, v]) => v !== null && k !== 'name').map(([k, v]) => [camelCase(k), v]));
  const config = mapping.config(tfjsConfig);
  let rule: Optimizer;
  try {
    rule = optimizerFromSpec({ className: mapping.className, config: config as Record<string, number | boolean> });
  } catch (err) {
    return uncompiled(`its ${oc.class_name} config does not fit weft's ${mapping.className} (${(err as Error).message})`);
  }
  const optimizerConfig = { class_name: mapping.className, config: config as Record<string, number | boolean> };
  const noState = ![...byName.values()].some((w) => w.spec.group === 'optimizer');
  const mapped: { slots: Float32Array[]; iterations: number } | { mismatch: string } = noState
    ? { slots: rule.init(layout.trainableSize), iterations: 0 }
    : tfjsOptimizerState(byName, layout, mapping, config, rule.initialSlotValues);
  const state = 'slots' in mapped && mapped.slots.length !== rule.slotCount ? { mismatch: `weft's ${mapping.className} keeps ${rule.slotCount} slots, not ${mapped.slots.length}` } : mapped;
  const fresh = 'mismatch' in state;
  const notices = fresh ? [`weft.loadModel: '${path}': skipped its optimizer weights (${state.mismatch}); the model is compiled with a fresh ${mapping.className} optimizer`] : [];
  const slots = fresh ? rule.init(layout.trainableSize) : state.slots;
  return {
    training: { config: { loss, metrics, optimizer_config: optimizerConfig }, slots, position: { epoch: 0, seed: 0, iterations: fresh ? 0 : state.iterations } },
    notices,
  };
}

/**
 * compile()'s loss and metrics from a training config, in every form the files hold: a loss
 * name, Keras's configured loss {class_name, config}, or one output's entry of tfjs's per-output
 * forms; metrics as names, Keras 2's per-output lists of them, or its MeanMetricWrapper objects
 * (`{class_name: 'MeanMetricWrapper', config: {name: 'accuracy', fn: 'sparse_categorical_accuracy'}}`).
 * What weft cannot compile in one output's terms is a reason to skip (`skip`), a field of the
 * wrong type a malformed file.
 */
function compileArgs(
  tc: Record<string, unknown>, where: string, field: (at: string, expected: string, received: unknown) => DataFileError,
): { loss: string | LossSpec; metrics: string[] } | { skip: string } {
  const isKerasObject = (v: unknown): v is KerasLoss => v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as KerasLoss).class_name === 'string';
  if (tc.loss === null || tc.loss === undefined) return { skip: 'it names no loss' };
  const lossRaw = isKerasObject(tc.loss) ? tc.loss : oneOutput(tc.loss, true);
  if (lossRaw === null) return { skip: `it has a loss per output (${JSON.stringify(tc.loss)}); weft trains models with one output` };
  let loss: string | LossSpec;
  if (isKerasObject(lossRaw)) {
    try {
      loss = lossFromKeras(lossRaw).spec;
    } catch (err) {
      return { skip: `its loss ${JSON.stringify(lossRaw)} is not one weft has (${(err as Error).message})` };
    }
  } else if (typeof lossRaw === 'string') {
    loss = lossRaw;
  } else {
    throw field(`${where}.loss`, "a loss name or Keras's {class_name, config}", tc.loss);
  }

  let list: unknown = tc.metrics ?? [];
  // Keras 2.4+ writes one list per output: [[...]].
  if (Array.isArray(list) && list.length > 0 && list.every(Array.isArray)) {
    if (list.length !== 1) return { skip: `it has metrics per output (${JSON.stringify(tc.metrics)}); weft trains models with one output` };
    list = list[0];
  } else {
    list = oneOutput(list, false);
    if (list === null) return { skip: `it has metrics per output (${JSON.stringify(tc.metrics)}); weft trains models with one output` };
  }
  if (typeof list === 'string') list = [list];
  if (!Array.isArray(list)) throw field(`${where}.metrics`, 'an array of metric names', tc.metrics);
  const metrics: string[] = [];
  for (const m of list) {
    if (typeof m === 'string') {
      metrics.push(m);
    } else if (isKerasObject(m) && m.class_name === 'MeanMetricWrapper' && typeof m.config?.fn === 'string') {
      // Keras logs it under its name ('accuracy'), computed by fn; weft resolves 'accuracy' the same way.
      const name = m.config.name;
      metrics.push(name === 'accuracy' || name === 'acc' ? name : m.config.fn);
    } else if (isKerasObject(m)) {
      return { skip: `its metric ${JSON.stringify(m)} is not one weft reads (it reads metric names and Keras's MeanMetricWrapper)` };
    } else {
      throw field(`${where}.metrics`, 'an array of metric names', tc.metrics);
    }
  }

  const weights = tc.loss_weights;
  if (weights !== null && weights !== undefined) {
    const w = typeof weights === 'number' ? weights : oneOutput(weights, true);
    if (w !== 1) return { skip: `it weights the loss by loss_weights=${JSON.stringify(weights)}, which weft's one-output compile does not take` };
  }
  if (tc.sample_weight_mode !== null && tc.sample_weight_mode !== undefined) {
    return { skip: `it sets sample_weight_mode=${JSON.stringify(tc.sample_weight_mode)} (Keras 2's per-timestep weights), which weft does not take` };
  }
  const weighted = tc.weighted_metrics;
  const none = weighted === null || weighted === undefined || (Array.isArray(weighted) && weighted.every((m) => Array.isArray(m) && m.length === 0));
  if (!none) return { skip: `it has weighted_metrics=${JSON.stringify(weighted)}, which weft's compile does not take` };
  return { loss, metrics };
}

/** Keras's optimizer class names (as Keras 3 and tf.keras spell them, any case) → weft's. */
const KERAS_OPTIMIZERS: Readonly<Record<string, OptimizerClassName>> = {
  adam: 'Adam', adamw: 'AdamW', adamax: 'Adamax', nadam: 'Nadam', sgd: 'SGD', rmsprop: 'RMSprop', adagrad: 'Adagrad', adadelta: 'Adadelta',
};

/** Keras's snake_case optimizer settings → weft's names (weft's optimizer then checks that it takes each). */
const KERAS_OPTIMIZER_KEYS: Readonly<Record<string, string>> = {
  learning_rate: 'learningRate', lr: 'learningRate', beta_1: 'beta1', beta_2: 'beta2', epsilon: 'epsilon', rho: 'rho',
  momentum: 'momentum', nesterov: 'nesterov', centered: 'centered', initial_accumulator_value: 'initialAccumulatorValue',
  weight_decay: 'weightDecay', amsgrad: 'amsgrad', clipnorm: 'clipnorm', clipvalue: 'clipvalue', global_clipnorm: 'globalClipnorm',
};

/**
 * Keras optimizer settings that change nothing in the update at these values: its name, the
 * XLA and legacy-class flags, the EMA settings while use_ema is false, and (on optimizers
 * without them) a weight decay of 0 and amsgrad false; Keras 2's learning-rate `decay` of 0.
 */
const KERAS_OPTIMIZER_INERT: Readonly<Record<string, (v: unknown, c: Record<string, unknown>, cls: OptimizerClassName) => boolean>> = {
  name: (v) => typeof v === 'string',
  jit_compile: (v) => typeof v === 'boolean',
  is_legacy_optimizer: (v) => typeof v === 'boolean',
  use_ema: (v) => v === false,
  ema_momentum: (_v, c) => c.use_ema !== true,
  ema_overwrite_frequency: (_v, c) => c.use_ema !== true,
  decay: (v) => v === 0,
  weight_decay: (v, _c, cls) => cls !== 'AdamW' && v === 0,
  amsgrad: (v, _c, cls) => cls !== 'AdamW' && v === false,
};

/** Why a Keras optimizer setting weft has no counterpart for cannot load, where more than "none" helps. */
const KERAS_OPTIMIZER_WHY: Readonly<Record<string, string>> = {
  decay: "Keras 2's per-step decay lr/(1 + decay·t), which weft has no schedule for",
  use_ema: 'weft keeps no moving average of the weights',
  amsgrad: "weft's Adam has no amsgrad (its AdamW has)",
  weight_decay: "weft decays weights only in AdamW (Keras 3's other optimizers' weight_decay is not implemented)",
};

/** A Keras optimizer_config as weft's optimizer, or why it cannot be one. */
function kerasOptimizer(kerasClass: string, settings: Record<string, unknown>): { optimizer: Optimizer } | { skip: string } {
  const bare = kerasClass.replace(/^Custom>/, '');
  const className = KERAS_OPTIMIZERS[bare.toLowerCase()];
  if (className === undefined) return { skip: `weft has no ${kerasClass} optimizer (it has ${Object.values(KERAS_OPTIMIZERS).join(', ')})` };
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    if (value === null) continue; // unset: weft's default is Keras's
    if (KERAS_OPTIMIZER_INERT[key]?.(value, settings, className) === true) continue;
    const ours = KERAS_OPTIMIZER_KEYS[key];
    if (ours === undefined || (key === 'weight_decay' && className !== 'AdamW') || (key === 'amsgrad' && className !== 'AdamW')) {
      const why = KERAS_OPTIMIZER_WHY[key] ?? `weft's ${className} has no such setting`;
      return { skip: `its ${kerasClass} optimizer sets ${key}=${JSON.stringify(value)} (${why})` };
    }
    config[ours] = value;
  }
  try {
    return { optimizer: optimizerFromSpec({ className, config: config as Record<string, OptimizerConfigValue> }) };
  } catch (err) {
    return { skip: `its ${kerasClass} config does not fit weft's ${className} (${(err as Error).message})` };
  }
}

/**
 * tfjs's optimizer weights in weft's slot layout: each slot weight matched to the model weight
 * by name (tfjs names it after the weight's variable, which may carry a '_<n>' suffix when the
 * process made another variable of the same name first), never by position.
 */
function tfjsOptimizerState(
  byName: Map<string, StoredWeight>, layout: Layout, mapping: TfjsOptimizer, config: Record<string, unknown>, initial: readonly number[],
): { slots: Float32Array[]; iterations: number } | { mismatch: string } {
  const wanted = mapping.slots(config);
  if (!Array.isArray(wanted)) return wanted;
  const weights = [...byName.values()].filter((w) => w.spec.group === 'optimizer');
  const iter = weights.find((w) => w.spec.name === 'iter');
  if (iter === undefined || sizeOf(iter.spec.shape) !== 1) return { mismatch: "there is no scalar 'iter' weight, the step count" };
  const iterations = new DataView(iter.bytes.buffer, iter.bytes.byteOffset, 4)[iter.spec.dtype === 'int32' ? 'getInt32' : 'getFloat32'](0, true);
  if (!(Number.isSafeInteger(iterations) && iterations >= 0)) return { mismatch: `the step count 'iter' is ${iterations}, not an integer >= 0` };

  // The optimizer keeps slots for trainable weights only (tfjs-layers writes none for the others).
  const trainable = layout.trainableEntries;
  const entries = new Map(trainable.map((e) => [e.name, e]));
  // At their starting values (Adagrad's accumulator is not 0): what a model never trained keeps.
  const slots = wanted.map((_, k) => new Float32Array(layout.trainableSize).fill(initial[k] ?? 0));
  const filled = wanted.map(() => new Set<string>());
  for (const w of weights) {
    if (w === iter) continue;
    const suffix = mapping.written.find((s) => w.spec.name.endsWith(`/${s}`));
    const variable = suffix === undefined ? w.spec.name : w.spec.name.slice(0, -suffix.length - 1);
    const entry = entries.get(variable) ?? entries.get(variable.replace(/_\d+$/, ''));
    if (suffix === undefined || entry === undefined) return { mismatch: `the optimizer weight '${w.spec.name}' belongs to no weight of the model` };
    const k = wanted.indexOf(suffix);
    if (k < 0) continue; // a slot weft's update does not read (RMSProp's 'momentum' at momentum 0)
    if (w.spec.dtype !== 'float32' || !sameShape(w.spec.shape, entry.shape)) {
      return { mismatch: `the optimizer weight '${w.spec.name}' is ${w.spec.dtype} [${w.spec.shape}], its weight '${entry.name}' float32 [${entry.shape}]` };
    }
    if (filled[k].has(entry.name)) return { mismatch: `two '${suffix}' optimizer weights belong to '${entry.name}'` };
    filled[k].add(entry.name);
    decodeFloat32Into(w.bytes, slots[k], entry.offset);
  }
  const none = filled.every((f) => f.size === 0);
  if (none && iterations === 0) return { slots, iterations }; // compiled, never trained: tfjs has made no slots yet
  for (const [k, f] of filled.entries()) {
    const lacking = trainable.find((e) => !f.has(e.name));
    if (lacking !== undefined) return { mismatch: `there is no '${wanted[k]}' optimizer weight for '${lacking.name}'` };
  }
  return { slots, iterations };
}

