/**
 * Peer benchmark: @tensorflow/tfjs-layers training the same MLP as weft, in the same process, on
 * the same tfjs-core instance (and so the same kernel and gradient registries) as weft.
 *
 * Gradients: `import '@tensorflow/tfjs-core'` registers none, and tfjs-core's
 * `dist/register_all_gradients.js` is ESM without file extensions, which Node cannot load. Under
 * Node, though, `@tensorflow/tfjs-layers` resolves to its CommonJS bundle, which carries its own
 * copy of register_all_gradients and registers every gradient into tfjs-core's process-global
 * gradient registry on import. `ensureTfjsGradients()` checks for that and, only if they are
 * missing, bundles register_all_gradients in memory with the esbuild that tsx brings: the gradient
 * configs are bundled, and every tfjs-core module they import whose imported names tfjs-core
 * exports publicly (kernel names, ops, util, backend_util, `registerGradient`, `ENGINE` as
 * `engine()`) is replaced by that export of the tfjs-core instance imported here; the few internal
 * helpers tfjs-core does not export (maxPoolGrad, conv backprops, convertToTensor) are bundled and
 * run on the shared engine.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { runInThisContext } from 'node:vm';
import type * as Esbuild from 'esbuild';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-cpu';
import type { Architecture } from '../results.js';
import { summarize, type Summary } from '../stats.js';

const require = createRequire(import.meta.url);
/** The id the bundle requires tfjs-core's public surface by; `ensureTfjsGradients` supplies it. */
const PUBLIC_ID = 'weft:tfjs-core-public';

let register: Promise<() => void> | undefined;

/** Gradients a tfjs-layers Dense/Dropout/softmax/crossentropy/Adam step needs. */
const NEEDED = ['GatherV2', 'BatchMatMul', 'Add', 'Relu', 'Softmax', 'Multiply', 'RealDiv', 'Sub', 'Neg', 'Log', 'Sum', 'Mean', 'ClipByValue', 'Reshape', 'Cast'];
const missing = (): string[] => NEEDED.filter((k) => tf.getGradient(k) == null);

/**
 * Makes sure tfjs-core's gradients are registered in the tfjs-core instance that
 * `import '@tensorflow/tfjs-core'` gives this process (its registries are process-global).
 * Importing `@tensorflow/tfjs-layers` under Node already does it (its CommonJS bundle carries its
 * own copy of `register_all_gradients`), so this is normally a no-op; where they are missing it
 * registers all of them (what `import '@tensorflow/tfjs'` would) from an in-memory esbuild bundle
 * of `register_all_gradients` (~0.5 s the first time).
 */
export async function ensureTfjsGradients(): Promise<void> {
  if (missing().length === 0) return;
  register ??= bundleRegisterAllGradients().catch((e: unknown) => {
    register = undefined;
    throw e;
  });
  (await register)();
  const still = missing();
  if (still.length > 0) throw new Error(`weft bench: tfjs gradients still not registered: ${still.join(', ')}`);
}

/** Bundles tfjs-core's register_all_gradients into a function that registers them all when called. */
async function bundleRegisterAllGradients(): Promise<() => void> {
  let esbuild: typeof Esbuild;
  try {
    esbuild = require('esbuild') as typeof Esbuild;
  } catch (e) {
    throw new Error(`weft bench: esbuild (installed with tsx) is needed to register tfjs-core's gradients: ${String(e)}`);
  }
  const dist = dirname(require.resolve('@tensorflow/tfjs-core'));
  const entry = join(dist, 'register_all_gradients.js');

  // Everything the bundle may take from tfjs-core instead of bundling it: the public API, with
  // util's, backend_util's and slice_util's members flattened in (tfjs-core exports the internal
  // util modules' members there) and ENGINE as the engine() it is.
  const pub: Record<string, unknown> = Object.assign(
    {},
    tf.util,
    tf.backend_util,
    tf.slice_util,
    tf,
    { ENGINE: tf.engine() },
  );
  const bundledInternals = new Set<string>();

  const plugin: Esbuild.Plugin = {
    name: 'tfjs-core-public',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\// }, (args) => {
        const base = resolve(args.resolveDir, args.path);
        const file = base.endsWith('.js') ? base : `${base}.js`;
        if (!file.startsWith(dist + sep)) return undefined;
        const rel = relative(dist, file);
        if (rel === 'register_all_gradients.js' || rel.startsWith(`gradients${sep}`)) return { path: file };
        if (importedNamesArePublic(args.importer, args.path, file, pub)) return { path: PUBLIC_ID, external: true };
        // Internal-only (maxPoolGrad, conv backprops, convertToTensor and what it needs): bundled;
        // its own imports come back through this hook. They run on the shared ENGINE.
        bundledInternals.add(rel);
        return { path: file };
      });
    },
  };

  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
    plugins: [plugin],
  });
  const fn = runInThisContext(`(function (require, module, exports) {${out.outputFiles[0].text}\n})`, {
    filename: 'tfjs-core-register_all_gradients.bundle.cjs',
  }) as (req: (id: string) => unknown, module: { exports: unknown }, exports: unknown) => void;
  const req = (id: string): unknown => {
    if (id === PUBLIC_ID) return pub;
    throw new Error(`weft bench: the tfjs gradient bundle asked for '${id}' (bundled: ${[...bundledInternals].join(', ')})`);
  };
  return () => {
    const mod = { exports: {} };
    fn(req, mod, mod.exports);
  };
}

/**
 * Whether every name `importer` imports from `spec` (which resolves to `file`) is one tfjs-core
 * exports publicly. A namespace import (`import * as x`) counts as all of `file`'s exports.
 */
function importedNamesArePublic(importer: string, spec: string, file: string, pub: Record<string, unknown>): boolean {
  const src = readFileSync(importer, 'utf8');
  const quoted = spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const names: string[] = [];
  const re = new RegExp(`import\\s+([^;]*?)\\s+from\\s+['"]${quoted}['"]`, 'g');
  for (const m of src.matchAll(re)) {
    const clause = m[1].trim();
    const braces = /\{([^}]*)\}/.exec(clause);
    if (braces) names.push(...braces[1].split(',').map((s) => s.trim().split(/\s+as\s+/)[0]).filter(Boolean));
    if (/\*\s+as\s+\w+/.test(clause)) names.push(...exportedNames(file));
    if (!braces && !clause.startsWith('*')) return false; // a default import: none in tfjs-core
  }
  return names.length > 0 && names.every((n) => pub[n] !== undefined);
}

/** The names a tsc-emitted ES module declares as exports (its `export *` re-exports aside). */
function exportedNames(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const names: string[] = [];
  for (const m of src.matchAll(/^export\s+(?:async\s+)?(?:function\*?|const|let|var|class)\s+([\w$]+)/gm)) names.push(m[1]);
  for (const m of src.matchAll(/^export\s*\{([^}]*)\}/gm)) {
    for (const part of m[1].split(',')) {
      const name = part.trim().split(/\s+as\s+/).pop();
      if (name) names.push(name);
    }
  }
  return names;
}

export interface TfjsLayersRateOptions {
  readonly backend: 'wasm' | 'cpu';
  readonly batch: number;
  readonly repeats: number;
  readonly warmup: number;
  /**
   * Wall-time budget for the whole measurement (ms). The first warm-up step is timed; when
   * `warmup + repeats` steps of that length would overrun the budget, the peer is reported as
   * unable to train the model in practical time (a `PeerTooSlow`) instead of stalling the suite.
   */
  readonly budgetMs?: number;
}

/** The peer cannot train the model within the suite's time budget. */
export class PeerTooSlow extends Error {
  override readonly name = 'PeerTooSlow';
}

/** The tfjs-layers model of `arch`, built as bench/models.ts's buildWeft builds weft's. */
function buildLayers(arch: Architecture): tfl.Sequential {
  const model = tfl.sequential();
  const { input } = arch;
  if (input.kind === 'tokens') {
    model.add(tfl.layers.embedding({ inputDim: input.vocab, outputDim: input.embed, inputLength: input.length }));
    model.add(tfl.layers.flatten());
  }
  arch.hidden.forEach((units, i) => {
    const first = i === 0 && input.kind === 'features';
    model.add(tfl.layers.dense({ units, activation: 'relu', ...(first ? { inputShape: [input.size] } : {}) }));
    if (arch.dropout > 0) model.add(tfl.layers.dropout({ rate: arch.dropout }));
  });
  const only = arch.hidden.length === 0 && input.kind === 'features';
  model.add(tfl.layers.dense({ units: arch.classes, activation: 'softmax', ...(only ? { inputShape: [input.size] } : {}) }));
  return model;
}

/**
 * Samples/s of tfjs-layers training `arch` (adam, categoricalCrossentropy on one-hot labels) on
 * the tfjs `backend`, batch `batch`: median, min and max over `repeats` timed trainOnBatch calls
 * after `warmup` untimed ones. Restores the previously active backend before returning.
 */
export async function tfjsLayersRate(arch: Architecture, opts: TfjsLayersRateOptions): Promise<Summary> {
  const { backend, batch, repeats, warmup } = opts;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`tfjsLayersRate: batch must be a positive integer, got ${batch}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`tfjsLayersRate: repeats must be a positive integer, got ${repeats}`);
  if (!Number.isInteger(warmup) || warmup < 1) throw new Error(`tfjsLayersRate: warmup must be an integer >= 1, got ${warmup}`);

  await ensureTfjsGradients();
  const previous = tf.getBackend() as string | null; // null while no backend was ever set
  if (!(await tf.setBackend(backend))) throw new Error(`tfjsLayersRate: tf.setBackend('${backend}') returned false`);
  await tf.ready();
  // The cpu backend's first write prints a banner recommending tfjs-node into the suite's table.
  if (backend === 'cpu') (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;

  let model: tfl.Sequential | undefined;
  let x: tf.Tensor | undefined;
  let y: tf.Tensor2D | undefined;
  try {
    model = buildLayers(arch);
    model.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy' });

    // A fixed synthetic batch (pixels in [0, 1) or token ids, one-hot labels), from a seeded LCG.
    let s = 12345;
    const rnd = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const { input } = arch;
    x = input.kind === 'features'
      ? tf.tensor2d(Float32Array.from({ length: batch * input.size }, rnd), [batch, input.size])
      : tf.tensor2d(Int32Array.from({ length: batch * input.length }, () => Math.floor(rnd() * input.vocab)), [batch, input.length], 'int32');
    const ys = new Float32Array(batch * arch.classes);
    for (let r = 0; r < batch; r++) ys[r * arch.classes + Math.floor(rnd() * arch.classes)] = 1;
    y = tf.tensor2d(ys, [batch, arch.classes]);

    const lastKernel = (): Float32Array => model!.layers[model!.layers.length - 1].getWeights()[0].dataSync().slice() as Float32Array;
    const before = lastKernel();
    const losses: number[] = [];
    const step = async (): Promise<number> => {
      const t0 = performance.now();
      losses.push((await model!.trainOnBatch(x!, y!)) as number);
      return performance.now() - t0;
    };

    const first = await step();
    const projected = first * (warmup + repeats);
    if (opts.budgetMs !== undefined && projected > opts.budgetMs) {
      throw new PeerTooSlow(
        `one step takes ${(first / 1000).toFixed(1)} s, so ${warmup + repeats} steps would take ~${(projected / 1000).toFixed(0)} s, over the ${(opts.budgetMs / 1000).toFixed(0)} s budget`,
      );
    }
    for (let i = 1; i < warmup; i++) await step();
    const rates: number[] = [];
    for (let i = 0; i < repeats; i++) rates.push((batch / (await step())) * 1000);

    // The steps really trained: finite losses, and the output layer's kernel moved.
    if (!losses.every(Number.isFinite)) throw new Error(`tfjsLayersRate: non-finite loss ${losses.join(', ')}`);
    const after = lastKernel();
    if (after.every((v, i) => v === before[i])) throw new Error('tfjsLayersRate: the weights did not change: no training happened');
    if (losses.length > 1 && losses.every((l) => l === losses[0])) throw new Error('tfjsLayersRate: the loss did not change between steps');
    return summarize(rates);
  } finally {
    model?.dispose(); // also disposes the optimizer it created from 'adam'
    x?.dispose();
    y?.dispose();
    if (previous != null && previous !== backend) {
      if (!(await tf.setBackend(previous))) throw new Error(`tfjsLayersRate: could not restore backend '${previous}'`);
      await tf.ready();
    }
  }
}
