/**
 * The trainer thread: a weft Model rebuilt from the host's spec around the host's parameter
 * buffer, exposed through Comlink. It runs the coordinator (fit loop, reduction, optimizer step)
 * and owns the Piscina pool, so none of that runs on the host's event loop.
 */
import { importUserModules } from '../graph/custom/register.js';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import * as Comlink from 'comlink';
// weft's entry readies the wasm backend in this thread before the model is rebuilt.
import * as weft from '../index.js';
import { StateError } from '../errors.js';
import type { Callback, TrainingTarget } from './callbacks/callback.js';
import type { EvaluateArgs, Model, PredictArgs } from './model.js';
import { optimizerFromSpec } from './optimizers.js';
import {
  nodeEndpoint, type HostCallbacks, type Hook, type TrainerThreadApi, type WireArray, type WireCompileArgs, type WireData, type WireFit, type WireResult,
} from './trainer-wire.js';

if (parentPort === null) throw new Error('weft: trainer-thread is the entry of a worker thread, not a module to import');

/** Rebuilt around the host's parameter buffer, which training updates in place: the host reads the weights there. */
let model: Model | null = null;
let current: { id: number; controller: AbortController } | null = null;

function ready(): Model {
  if (model === null) throw new StateError('the trainer thread has no model yet');
  return model;
}

/** A tensor over the host's shared data (tfjs copies it into its own heap; freed after the call). */
const tensor = (a: WireArray): tf.Tensor => tf.tensor(a.data, a.shape, a.dtype);
const inputsOf = (xs: WireArray[]): tf.Tensor | tf.Tensor[] => (xs.length === 1 ? tensor(xs[0]) : xs.map(tensor));

/** [x, y, sampleWeight] for fit/evaluate: targets one per output, weights per output (undefined: none). */
function tensorsOf(data: WireData, track: <T extends tf.Tensor | tf.Tensor[]>(t: T) => T): [unknown, unknown, unknown] {
  const x = track(inputsOf(data.xs));
  const ys = track(data.ys.map(tensor));
  const weights = data.weights === null ? undefined : data.weights.map((w) => (w === null ? null : track(tensor(w))));
  return [x, ys.length === 1 ? ys[0] : ys, weights];
}

/**
 * The one callback the thread's fit runs for the host: each hook the host has is a round trip
 * (the host reads and writes the weights in the buffer both threads share) that applies what
 * the host asked for before the loop goes on.
 */
function forwarder(m: Model, hooks: readonly Hook[], host: Comlink.Remote<HostCallbacks>): Callback {
  let target: TrainingTarget | null = null;
  const forward = async (hook: Hook, args: unknown[]): Promise<void> => {
    const control = await host.call(hook, args, target?.learningRate ?? Number.NaN, target?.workers);
    if (target !== null && control.learningRate !== target.learningRate && !Number.isNaN(control.learningRate)) {
      target.learningRate = control.learningRate;
    }
    if (control.stopTraining) m.stopTraining = true;
    // What the host callbacks wrote into the logs, for the thread's later callbacks (progress).
    const logs = args[args.length - 1];
    if (control.logs !== null && logs !== null && typeof logs === 'object') {
      for (const key of Object.keys(logs)) if (!(key in control.logs)) delete (logs as Record<string, number>)[key];
      Object.assign(logs, control.logs);
    }
  };
  const callback: Callback & { setModel(t: TrainingTarget): void } = {
    setModel(t: TrainingTarget) {
      target = t;
    },
  };
  for (const hook of hooks) {
    (callback as Record<Hook, (...args: unknown[]) => Promise<void>>)[hook] = (...args: unknown[]) => forward(hook, args);
  }
  return callback;
}

const api: TrainerThreadApi = {
  async init({ spec, params, compile, priority }: { spec: weft.ModelSpec; params: Float32Array; compile: WireCompileArgs | null; priority: number }) {
    // On Linux a nice value is per thread: this sets the trainer thread's, and the pool's threads,
    // started from here later, inherit it. Elsewhere it would be the whole process's: skipped.
    if (priority !== 0 && process.platform === 'linux') setPriority(priority);
    // The user's layer classes, losses and metrics the spec and the compile args name, imported
    // here as the pool's workers import them.
    const specs = <T>(list: readonly (string | T)[] | undefined): T[] => (list ?? []).filter((x): x is T => typeof x !== 'string');
    await importUserModules(spec, specs(compile?.loss), [...specs(compile?.metrics?.flat()), ...specs(compile?.weightedMetrics?.flat())]);
    const m = weft.modelFromJSON(spec, 0);
    m.adoptParams(params, false);
    if (compile !== null) {
      const optimizer = typeof compile.optimizer === 'string' ? compile.optimizer : optimizerFromSpec(compile.optimizer);
      m.compile({ optimizer, loss: compile.loss, lossWeights: compile.lossWeights, metrics: compile.metrics, weightedMetrics: compile.weightedMetrics });
    }
    model = m;
  },

  async fit(call: WireFit) {
    const m = ready();
    const controller = new AbortController();
    current = { id: call.id, controller };
    if (call.aborted) controller.abort();
    const host = call.callbacks === null ? null : Comlink.wrap<HostCallbacks>(nodeEndpoint(call.callbacks as never));
    const tensors: tf.Tensor[] = [];
    const track = <T extends tf.Tensor | tf.Tensor[]>(t: T): T => {
      tensors.push(...(Array.isArray(t) ? t : [t]));
      return t;
    };
    try {
      const data = tensorsOf(call.data, track);
      const validationData = call.validationData === null ? undefined : tensorsOf(call.validationData, track);
      const callbacks = host === null ? [] : [forwarder(m, call.hooks, host)];
      const weighting = data[2] === undefined ? {} : { sampleWeight: data[2] };
      const history = await m.fit(data[0], data[1], { ...call.args, ...weighting, callbacks, signal: controller.signal, ...(validationData ? { validationData } : {}) });
      return { epoch: history.epoch, history: history.history, params: history.params };
    } finally {
      // A cancelled trainer gives its threads back at once (model.fit keeps them for reuse).
      if (controller.signal.aborted) await m.dispose();
      current = null;
      tf.dispose(tensors);
      if (host !== null) host[Comlink.releaseProxy]();
      call.callbacks?.close();
    }
  },

  abort(id: number) {
    if (current?.id === id) current.controller.abort();
  },

  save(url: string, options: { includeOptimizer?: boolean }) {
    return ready().save(url, options);
  },

  async evaluate(wire: WireData, args: EvaluateArgs) {
    const m = ready();
    const tensors: tf.Tensor[] = [];
    const [x, y, sampleWeight] = tensorsOf(wire, <T extends tf.Tensor | tf.Tensor[]>(t: T) => {
      tensors.push(...(Array.isArray(t) ? t : [t]));
      return t;
    });
    try {
      const result = await m.evaluate(x, y, { ...args, ...(sampleWeight === undefined ? {} : { sampleWeight }) });
      const scalars = Array.isArray(result) ? result : [result];
      const values = scalars.map((s) => s.dataSync()[0]);
      tf.dispose(scalars);
      return values;
    } finally {
      tf.dispose(tensors);
    }
  },

  async predict(xs: WireArray[], args: PredictArgs) {
    const m = ready();
    const x = inputsOf(xs);
    try {
      const result = await m.predict(x, args);
      const outs = Array.isArray(result) ? result : [result];
      const wire: WireResult[] = outs.map((t) => ({ data: t.dataSync() as Float32Array, shape: t.shape }));
      tf.dispose(outs);
      return Comlink.transfer(wire, wire.map((w) => w.data.buffer as ArrayBuffer));
    } finally {
      tf.dispose(Array.isArray(x) ? x : [x]);
    }
  },

  allocate(bytes: number[]) {
    // Touched here so that the host's copy into them runs at memcpy speed, without page faults.
    return bytes.map((n) => {
      const buffer = new SharedArrayBuffer(n);
      new Uint8Array(buffer).fill(0);
      return buffer;
    });
  },

  inspect() {
    return { poolOpen: (model as unknown as { pool: unknown } | null)?.pool != null, tensors: tf.memory().numTensors };
  },

  async dispose() {
    current?.controller.abort();
    await model?.dispose();
  },
};

Comlink.expose(api, nodeEndpoint(parentPort as never));
