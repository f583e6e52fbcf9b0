import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GlooUnavailableError } from './errors.js';

/** The addon's handle on a connected Gloo context (opaque). */
export type GlooHandle = { readonly __gloo: unique symbol };

/** What native/gloo_binding.cc exports; each call runs on libuv's thread pool. */
export interface GlooBinding {
  connect(options: {
    rank: number; size: number; timeoutMs: number; hostname: string; iface: string; prefix: string;
    store: { kind: 'tcp' | 'redis'; host: string; port: number } | { kind: 'file'; path: string };
  }): Promise<GlooHandle>;
  allreduce(handle: GlooHandle, values: Float32Array | Float64Array, timeoutMs: number): Promise<void>;
  broadcast(handle: GlooHandle, values: ArrayBufferView, root: number, timeoutMs: number): Promise<void>;
  barrier(handle: GlooHandle, timeoutMs: number): Promise<void>;
  close(handle: GlooHandle): void;
}

/** The package root: the nearest folder above this file whose package.json is weft's (src/ or dist/src/ alike). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'weft') return dir;
    const up = dirname(dir);
    if (up === dir) throw new GlooUnavailableError('weft could not find its own package folder to load the Gloo binding from');
    dir = up;
  }
}

/** Where the build puts the addon; WEFT_GLOO_ADDON names another file (or a missing one, to train as without Gloo). */
export function addonPath(): string {
  return process.env.WEFT_GLOO_ADDON ?? join(packageRoot(), 'src/parallel/gloo/native/build/Release/weft_gloo.node');
}

let loaded: GlooBinding | null = null;

/** The binding, or a GlooUnavailableError saying how to get it. */
export function glooBinding(): GlooBinding {
  if (loaded !== null) return loaded;
  const path = addonPath();
  if (!existsSync(path)) {
    throw new GlooUnavailableError(`Training on several hosts needs weft's Gloo binding, which is not built on this machine (no ${path}). ` +
      'Install Gloo and a C++ toolchain, then rebuild: apt-get install libgloo-dev g++ make && npm rebuild weft (in a checkout: npm ci). ' +
      'Training on one host needs none of it: unset WORLD_SIZE (or set it to 1).');
  }
  try {
    loaded = createRequire(import.meta.url)(path) as GlooBinding;
  } catch (err) {
    throw new GlooUnavailableError(`weft's Gloo binding at ${path} failed to load (${(err as Error).message}): is libgloo installed (apt-get install libgloo-dev)? Rebuild with npm rebuild weft.`, { cause: err });
  }
  return loaded;
}

/** True when the binding is built and loads: multi-host training is available here. */
export function glooAvailable(): boolean {
  try {
    glooBinding();
    return true;
  } catch {
    return false;
  }
}
