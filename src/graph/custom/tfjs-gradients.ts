/**
 * tfjs-core's gradients, registered for the autodiff path only: a custom layer without a
 * `backward` and a custom loss. weft's own layers and losses never need them.
 *
 * `import '@tensorflow/tfjs-core'` (in Node the CommonJS `dist/tf-core.node.js`) registers no
 * gradients, and `dist/register_all_gradients.js` is ESM whose imports have no file extensions,
 * which Node cannot load. So it is bundled with esbuild: the gradient configs are bundled, and
 * every tfjs-core module they import whose imported names tfjs-core exports publicly (kernel
 * names, ops, util, backend_util, `registerGradient`, `ENGINE` as `engine()`) is replaced by
 * that export of the tfjs-core instance this module imports, so the gradients register into,
 * and run on, the very instance weft uses (its registries are process-global besides). The few
 * internal helpers tfjs-core does not export (maxPoolGrad, the conv backprops, convertToTensor)
 * are bundled and run on the shared engine. (bench/peers/tfjs-layers.ts does the same in memory.)
 *
 * `npm run build` writes the bundle once next to this module's compiled file
 * (scripts/bundle-gradients.mjs → dist/src/graph/custom/tfjs-gradients.cjs), so an installed
 * weft needs no esbuild; run from source (tsx, vitest) there is no such file and the bundle is
 * made in memory with the esbuild devDependency (~0.5 s per thread, once).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runInThisContext } from 'node:vm';
import type * as Esbuild from 'esbuild';
import * as tf from '@tensorflow/tfjs-core';

/** The id the bundle requires tfjs-core's public surface by; `registerBundle` supplies it. */
const PUBLIC_ID = 'weft:tfjs-core-public';

/** The prebuilt bundle's file name, beside this module's compiled file in dist. */
export const BUNDLE_FILE = 'tfjs-gradients.cjs';

/** A few gradients every autodiff use needs: all present means the bundle ran in this thread. */
const PROBE = ['Add', 'Multiply', 'BatchMatMul', 'Sum', 'Relu', 'Reshape'];

export function tfjsGradientsRegistered(): boolean {
  return PROBE.every((k) => tf.getGradient(k) != null);
}

let registering: Promise<void> | null = null;

/**
 * Registers tfjs-core's gradients in this thread (main or worker) once: from the prebuilt
 * bundle when there is one, else from an in-memory esbuild bundle. Concurrent calls share it.
 */
export function ensureTfjsGradients(): Promise<void> {
  if (tfjsGradientsRegistered()) return Promise.resolve();
  registering ??= loadBundleSource()
    .then((source) => {
      registerBundle(source);
      if (!tfjsGradientsRegistered()) throw new Error(`weft: tfjs-core's gradients are still not registered after running the gradient bundle (${PROBE.join(', ')})`);
    })
    .finally(() => {
      registering = null;
    });
  return registering;
}

async function loadBundleSource(): Promise<string> {
  const prebuilt = join(dirname(fileURLToPath(import.meta.url)), BUNDLE_FILE);
  if (existsSync(prebuilt)) return readFileSync(prebuilt, 'utf8');
  return bundleTfjsGradients();
}

/**
 * What the bundle takes from tfjs-core instead of bundling it: the public API, with util's,
 * backend_util's and slice_util's members flattened in (the internal util modules' members are
 * exported there) and ENGINE as the engine() it is.
 */
function publicSurface(): Record<string, unknown> {
  return Object.assign({}, tf.util, tf.backend_util, tf.slice_util, tf, { ENGINE: tf.engine() });
}

/** Runs the bundle's CommonJS text: every gradient config registers itself on evaluation. */
function registerBundle(source: string): void {
  const fn = runInThisContext(`(function (require, module, exports) {${source}\n})`, { filename: BUNDLE_FILE }) as (
    req: (id: string) => unknown, module: { exports: unknown }, exports: unknown) => void;
  const pub = publicSurface();
  const req = (id: string): unknown => {
    if (id === PUBLIC_ID) return pub;
    throw new Error(`weft: the tfjs gradient bundle asked for '${id}', which it should have bundled`);
  };
  const mod = { exports: {} };
  fn(req, mod, mod.exports);
}

/**
 * Bundles tfjs-core's `register_all_gradients.js` (CommonJS text, tfjs-core's public surface
 * external as PUBLIC_ID). Needs the esbuild devDependency; the build script calls it too.
 */
export async function bundleTfjsGradients(): Promise<string> {
  const require = createRequire(import.meta.url);
  let esbuild: typeof Esbuild;
  try {
    esbuild = require('esbuild') as typeof Esbuild;
  } catch (e) {
    throw new Error(
      `weft: a custom layer without backward (or a custom loss) needs tfjs-core's gradients, and this weft has neither the prebuilt ${BUNDLE_FILE} (written by npm run build) nor esbuild to make it: ${String(e)}`,
    );
  }
  const dist = dirname(require.resolve('@tensorflow/tfjs-core'));
  const pub = publicSurface();
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
        return { path: file }; // internal-only: bundled; its own imports come back through here
      });
    },
  };
  const out = await esbuild.build({
    entryPoints: [join(dist, 'register_all_gradients.js')],
    bundle: true, write: false, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'silent', plugins: [plugin],
  });
  return out.outputFiles[0].text;
}

/**
 * Whether every name `importer` imports from `spec` (which resolves to `file`) is one tfjs-core
 * exports publicly. A namespace import (`import * as x`) counts as all of `file`'s exports.
 */
function importedNamesArePublic(importer: string, spec: string, file: string, pub: Record<string, unknown>): boolean {
  const src = readFileSync(importer, 'utf8');
  const quoted = spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const names: string[] = [];
  for (const m of src.matchAll(new RegExp(`import\\s+([^;]*?)\\s+from\\s+['"]${quoted}['"]`, 'g'))) {
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
