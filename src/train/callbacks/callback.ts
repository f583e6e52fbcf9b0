/** Keras's `logs`: 'loss', each metric by the name the user gave it, and 'val_' versions. */
export type Logs = Record<string, number>;

/**
 * A callback as tfjs-layers and Keras define it: a plain object with any of these hooks. Each
 * may return a promise, which the loop awaits before going on.
 */
export interface Callback {
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
  /**
   * Training across hosts, run this callback on rank 0 only (it writes files: checkpoints,
   * TensorBoard, CSV). Others run on every rank, which all see the same logs.
   */
  readonly rankZeroOnly?: boolean;
}

/** What a built-in callback may touch: the model's stop flag, weights and optimizer. */
export interface TrainingTarget {
  stopTraining: boolean;
  getWeightValues(): Float32Array;
  setWeightValues(values: Float32Array): void;
  learningRate: number;
  /** Saves a checkpoint (weights, optimizer state, position) to `path`. */
  save(path: string): Promise<unknown>;
  /** How many workers the fit runs on (absent where the trainer does not say). */
  readonly workers?: number;
  /** Each weight by name with a copy of its values, in getWeights' order (for TensorBoard's histograms). */
  namedWeights?(): NamedWeight[];
}

export interface NamedWeight {
  /** 'dense/kernel', as tfjs-layers names weights. */
  readonly name: string;
  readonly values: Float32Array;
}

/** A callback that needs the model it trains; the loop binds it before onTrainBegin. */
export interface ModelAwareCallback extends Callback {
  setModel(model: TrainingTarget): void;
}

export function isModelAware(c: Callback): c is ModelAwareCallback {
  return typeof (c as Partial<ModelAwareCallback>).setModel === 'function';
}

/** A callback's hooks (its methods, not its rankZeroOnly flag). */
export type Hook = Exclude<keyof Callback, 'rankZeroOnly'>;

/** Runs one hook on every callback, in order, awaiting each. */
export async function dispatch<H extends Hook>(callbacks: readonly Callback[], hook: H, ...args: Parameters<NonNullable<Callback[H]>>): Promise<void> {
  for (const c of callbacks) {
    const fn = c[hook] as ((...a: unknown[]) => void | Promise<void>) | undefined;
    if (fn !== undefined) await fn.apply(c, args);
  }
}
