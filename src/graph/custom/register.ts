/**
 * weft.registerLayer / registerLoss / registerMetric: user code that runs in the workers.
 *
 * A user's layer class or function lives in a JavaScript module named by URL. Registering it
 * imports that module in this thread, records the class or function with the URL, and from then
 * on every spec that uses it carries the URL (LayerSpec.module, LossSpec.module,
 * MetricSpec.module); a worker imports those modules (importUserModules) before it builds its
 * graph. Workers import by URL because code cannot be sent to a thread, only named. The module
 * must import weft itself (`import * as weft from 'weft'`), so its class extends the very Layer
 * the worker's registry checks against: one module instance per thread, whatever imported first.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType } from '../../errors.js';
import { vjp } from '../autodiff.js';
import { Layer, type CallContext, type Gradients, type LayerClass, type Saved } from '../layer.js';
import { isRegisteredLayer, registerLayerClass } from '../layers/registry.js';
import { isBuiltinLoss, type LossSpec } from '../losses.js';
import { isBuiltinMetric, type MetricSpec } from '../metrics.js';
import { specModules, type ModelSpec } from '../spec.js';
import { isCustomLoss, isCustomMetric, registerLossFunction, registerMetricFunction, type ObjectiveFunction } from './objectives.js';
import { ensureTfjsGradients } from './tfjs-gradients.js';

/** A module's URL as the workers will import it: a file:// URL, from a URL or an absolute path. */
function moduleHref(moduleUrl: unknown): string {
  const expected = 'a file:// URL or an absolute path of a JavaScript module';
  if (moduleUrl instanceof URL) moduleUrl = moduleUrl.href;
  if (typeof moduleUrl !== 'string' || moduleUrl.length === 0) throw invalidType('moduleUrl', expected, moduleUrl);
  if (moduleUrl.startsWith('file://')) return moduleUrl;
  if (isAbsolute(moduleUrl)) return pathToFileURL(moduleUrl).href;
  throw invalidArgument('moduleUrl', `${expected} (the workers import it; a relative path has no base there: use new URL('./my-layer.js', import.meta.url))`, moduleUrl);
}

const TYPESCRIPT = /\.(c|m)?tsx?$/;

/** Imports the module at `href`; a TypeScript file that Node cannot load says to compile it. */
async function importModule(what: string, href: string): Promise<Record<string, unknown>> {
  try {
    return (await import(/* @vite-ignore */ href)) as Record<string, unknown>;
  } catch (err) {
    if (TYPESCRIPT.test(new URL(href).pathname) && (err as { code?: string }).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new TypeError(`${what}: '${href}' is TypeScript, which plain Node (and so weft's workers) cannot import: compile it to JavaScript first (tsc) and register the .js file`, { cause: err });
    }
    throw new Error(`${what}: could not import '${href}': ${(err as Error).message}`, { cause: err });
  }
}

/** The export named `name`, else the default export. */
function exported(module: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(module, name) ? module[name] : module.default;
}

/** A layer's forward as the autodiff backward reruns it: each output's call context, by tensor. */
const contexts = new WeakMap<tf.Tensor, CallContext>();
/** Classes given the autodiff backward (in this thread). */
const differentiated = new WeakSet<object>();

/**
 * Gives a layer class without `backward` one by tfjs-core's autodiff: its forward records the
 * call context of each output it returns, and backward reruns the forward under the tape with
 * that context (the same training flag and the same noise, which is keyed, not drawn) and takes
 * the vector-Jacobian product with dy for the inputs that need it and every weight. Returns
 * whether the class needed it.
 */
function addAutodiffBackward(cls: LayerClass): boolean {
  const proto = cls.prototype as Layer;
  if (differentiated.has(proto)) return true;
  if (typeof proto.backward === 'function') return false;
  const forward = proto.forward;
  Object.defineProperty(proto, 'forward', {
    configurable: true, writable: true,
    value: function (this: Layer, inputs: readonly tf.Tensor[], weights: readonly tf.Tensor[], ctx: CallContext) {
      const result = forward.call(this, inputs, weights, ctx);
      contexts.set(result.output, ctx);
      return result;
    },
  });
  Object.defineProperty(proto, 'backward', {
    configurable: true, writable: true,
    value: function (this: Layer, dy: tf.Tensor, saved: Saved, needInputGrads: readonly boolean[]): Gradients {
      const ctx = contexts.get(saved.output);
      if (ctx === undefined) throw new Error(`Layer '${this.name}' (${this.className}): no forward pass recorded for this backward`);
      const wanted = saved.inputs.map((x, i) => needInputGrads[i] && x.dtype === 'float32');
      // Clones: an input given twice ([x, x]) must get one gradient per argument, not the sum twice.
      const xs = [...saved.inputs.filter((_, i) => wanted[i]), ...saved.weights].map((t) => tf.clone(t));
      const f = (...args: tf.Tensor[]): tf.Tensor => {
        let k = 0;
        const inputs = saved.inputs.map((x, i) => (wanted[i] ? args[k++] : x));
        return forward.call(this, inputs, args.slice(k), ctx).output;
      };
      const grads = vjp(`Layer '${this.name}' (${this.className}, no backward)`, f, xs, dy);
      let k = 0;
      const inputs = saved.inputs.map((_, i) => (wanted[i] ? grads[k++] : null));
      return { inputs, weights: grads.slice(k) };
    },
  });
  differentiated.add(proto);
  return true;
}

/**
 * Registers the layer class `className` exported by the module at `moduleUrl` (named export
 * `className`, else the default export), here and for every worker. Resolves with the class once
 * it is imported and registered. A class without `backward` is differentiated by autodiff (the
 * slow path): tfjs-core's gradients are registered in this thread first.
 */
export async function registerLayer(className: string, moduleUrl: string | URL): Promise<LayerClass> {
  if (typeof className !== 'string' || className.length === 0) throw invalidType('className', 'the layer class name (a non-empty string)', className);
  const href = moduleHref(moduleUrl);
  const what = `weft.registerLayer('${className}')`;
  const cls = exported(await importModule(what, href), className);
  if (typeof cls !== 'function' || !(cls.prototype instanceof Layer)) {
    throw invalidType(`the export '${className}' (or default) of ${href}`, `a class extending weft.Layer (imported from the same weft as this program's)`, cls);
  }
  const layer = cls as unknown as LayerClass;
  if (layer.className !== className) {
    throw invalidArgument(`static className of the class exported by ${href}`, `'${className}', the name it is registered under (Keras's class_name in model.json)`, layer.className);
  }
  if (addAutodiffBackward(layer)) await ensureTfjsGradients();
  registerLayerClass(layer, href);
  return layer;
}

async function importFunction(kind: 'Loss' | 'Metric', name: string, moduleUrl: string | URL): Promise<{ fn: ObjectiveFunction; href: string }> {
  if (typeof name !== 'string' || name.length === 0) throw invalidType('name', `the ${kind.toLowerCase()}'s name (a non-empty string)`, name);
  const href = moduleHref(moduleUrl);
  const fn = exported(await importModule(`weft.register${kind}('${name}')`, href), name);
  if (typeof fn !== 'function') throw invalidType(`the export '${name}' (or default) of ${href}`, 'a function (yTrue, yPred) => tf.Tensor of per-example values', fn);
  return { fn: fn as ObjectiveFunction, href };
}

/** A custom name may not shadow a built-in loss or metric (in any of its spellings). */
function refuseBuiltin(kind: string, name: string, builtin: boolean): void {
  if (builtin) throw invalidArgument('name', `a name no built-in ${kind} has (it would shadow the built-in one)`, name);
}

/**
 * Registers the loss `name`: a function `(yTrue, yPred) => tf.Tensor` of per-example values
 * (shape [batch]; trailing axes are averaged), exported by the module at `moduleUrl` under
 * `name` or as its default. compile() then takes it by name; its gradient is tfjs's autodiff.
 */
export async function registerLoss(name: string, moduleUrl: string | URL): Promise<void> {
  refuseBuiltin('loss', name, isBuiltinLoss(name));
  const { fn, href } = await importFunction('Loss', name, moduleUrl);
  await ensureTfjsGradients();
  registerLossFunction(name, fn, href);
}

/** Registers the metric `name` (same contract as registerLoss; forward only, no gradient). */
export async function registerMetric(name: string, moduleUrl: string | URL): Promise<void> {
  refuseBuiltin('metric', name, isBuiltinMetric(name));
  const { fn, href } = await importFunction('Metric', name, moduleUrl);
  registerMetricFunction(name, fn, href);
}

/**
 * What a worker runs before it builds a session: imports and registers every user layer class,
 * loss and metric the session's specs name by module URL and this thread does not know yet.
 */
export async function importUserModules(spec: ModelSpec, losses: readonly LossSpec[], metrics: readonly MetricSpec[]): Promise<void> {
  for (const { className, module } of specModules(spec)) {
    if (!isRegisteredLayer(className)) await registerLayer(className, module);
  }
  for (const loss of losses) if (loss.module !== undefined && !isCustomLoss(loss.name)) await registerLoss(loss.name, loss.module);
  for (const metric of metrics) if (metric.module !== undefined && !isCustomMetric(metric.name)) await registerMetric(metric.name, metric.module);
}
