/**
 * The protocol between a Trainer on the host and its thread (src/train/trainer-thread.ts): the
 * Comlink endpoint adapter and the plain, clonable shapes that cross the boundary.
 */
import { createRequire } from 'node:module';
import type { LossSpec } from '../graph/losses.js';
import type { MetricSpec } from '../graph/metrics.js';
import type { ObjectiveArgs } from './compile-args.js';
import type { HistoryParams } from './history.js';
import type { PredictArgs } from './model.js';
import type { MessagePort } from 'node:worker_threads';
import type * as Comlink from 'comlink';
import type { ModelSpec } from '../graph/spec.js';
import type { Hook, Logs } from './callbacks/callback.js';
import type { Optimizer, OptimizerSpec } from './optimizers.js';
import type { EvaluateArgs } from './model.js';
import type { FitArgs } from './options.js';

/** Comlink's adapter from Node's EventEmitter-style ports to the DOM-style endpoint it speaks. */
export interface NodeEndpoint {
  postMessage(message: unknown, transfer?: readonly unknown[]): void;
  on(type: 'message', listener: (data: unknown) => void): void;
  off(type: 'message', listener: (data: unknown) => void): void;
  start?: () => void;
}
// The UMD build is CommonJS: loaded with require so that both tsx and compiled dist/ find it
// (the ESM build's .mjs has no .d.mts next to it for NodeNext to type).
const nodeEndpointImpl = createRequire(import.meta.url)('comlink/dist/umd/node-adapter.js') as (nep: unknown) => Comlink.Endpoint;
export const nodeEndpoint = (nep: NodeEndpoint): Comlink.Endpoint => nodeEndpointImpl(nep);

/**
 * The compile arguments the thread compiles its model with. Functions cannot cross threads, so
 * the optimizer is a name ('adam'), an optimizer built by weft.optimizers (sent as its
 * className and config) or such a spec itself.
 */
export interface TrainerCompileArgs extends ObjectiveArgs {
  optimizer: string | Optimizer | OptimizerSpec;
}

export interface TrainerOptions {
  /**
   * The nice value (os.setPriority's scale: -20 highest to 19 lowest; default 0, unchanged) of
   * the trainer thread and of the pool threads it starts, which inherit it. On a machine with
   * as many busy workers as cores, a positive value (e.g. 10) lets the host's thread preempt
   * training at once. Linux only, where a nice value belongs to a thread; ignored elsewhere,
   * where it would apply to the whole process. Negative values need privileges.
   */
  priority?: number;
}

/** The compile args as they travel: plain data. */
/** Compile args that cross to the thread: names and specs (a configured loss has functions). */
export interface WireCompileArgs {
  optimizer: string | OptimizerSpec;
  /** One per output (model.outputs order), as are the rest. */
  loss: (string | LossSpec)[];
  lossWeights?: number[];
  metrics?: (string | MetricSpec)[][];
  weightedMetrics?: (string | MetricSpec)[][];
}

/**
 * One input or target array, in shared memory (it reaches the thread without a copy), with the
 * shape and dtype the thread rebuilds a tensor with.
 */
export interface WireArray {
  data: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
}

/** fit's options once checked on the host, less what cannot cross threads. */
export type WireFitArgs = Omit<FitArgs, 'callbacks' | 'signal' | 'validationData' | 'sampleWeight'>;

/** Inputs, one target array per output, and each output's sample weights (null: none given). */
export interface WireData {
  xs: WireArray[];
  ys: WireArray[];
  weights: (WireArray | null)[] | null;
}

export type { Hook };
export const HOOKS: readonly Hook[] = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'];

/** What a host hook may have asked for, applied by the thread before the loop goes on. */
export interface HookControl {
  stopTraining: boolean;
  learningRate: number;
  /** The hook's logs as the host callbacks left them (Keras callbacks may add entries). */
  logs: Logs | null;
}

/** The host side of a fit's callbacks, called by the thread through a Comlink proxy. */
export interface HostCallbacks {
  /** `learningRate` and `workers`: the thread's, for the host's training target. */
  call(hook: Hook, args: unknown[], learningRate: number, workers?: number): Promise<HookControl>;
}

export interface WireFit {
  id: number;
  data: WireData;
  validationData: WireData | null;
  args: WireFitArgs;
  /** The hooks some host callback has: only these are forwarded (a round trip each). */
  hooks: Hook[];
  /** A MessagePort exposing HostCallbacks, when `hooks` is not empty. */
  callbacks: MessagePort | null;
  /** The host's signal was already aborted when the call was sent. */
  aborted: boolean;
}

export interface WireResult {
  data: Float32Array;
  shape: number[];
}

/** What the trainer thread exposes. */
export interface TrainerThreadApi {
  init(init: { spec: ModelSpec; params: Float32Array; compile: WireCompileArgs | null; priority: number }): Promise<void>;
  fit(call: WireFit): Promise<{ epoch: number[]; history: Record<string, number[]>; params: HistoryParams | null }>;
  abort(id: number): void;
  /** model.save in the thread, which holds the optimizer state a checkpoint records. */
  save(url: string, options: { includeOptimizer?: boolean }): Promise<{ modelJsonPath: string; weightsPath: string }>;
  evaluate(data: WireData, args: Omit<EvaluateArgs, 'sampleWeight'>): Promise<number[]>;
  predict(xs: WireArray[], args: PredictArgs): Promise<WireResult[]>;
  dispose(): Promise<void>;
  /** For tests: whether the thread's model has a worker pool, and its live tfjs tensors. */
  inspect(): { poolOpen: boolean; tensors: number };
  /** Shared buffers of these byte sizes, already touched (page-faulted) by the thread. */
  allocate(bytes: number[]): SharedArrayBuffer[];
}
