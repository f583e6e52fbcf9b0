/**
 * Adam's elementwise step on WebAssembly SIMD (adam.wat): float32 four lanes at a time, ~4×
 * the float64 JS loop, whose scalar sqrt and divide bound it (the update round of a 670k
 * parameter model took ~3 ms per 335k-parameter range). Keras computes it in float32 too.
 * Ranges stream through the module's memory in chunks that stay in cache: copy in, update,
 * copy out, so the kernel reads and writes any arrays (shared or not, `from` and `to` apart).
 */
import { adamWasm } from './adam-wasm.js';

/** Floats per chunk: 32 KB per array keeps a chunk's rows in L2. */
const CHUNK = 8192;
/** Floats per row of the module's memory: a chunk, and room to shift it into alignment. */
const STRIDE = CHUNK + 4;
const PAGE = 65_536;

// The few WebAssembly names used here (the project's lib has no DOM types, where they live).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: object };
};

interface AdamExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  adam(n: number, k: number, stride: number, g: number, p: number, m: number, v: number, scale: number, alpha: number, c1: number, c2: number, eps: number): number;
}

let instance: AdamExports | null = null;

/** The module, instantiated once per thread (synchronously: it is a few hundred bytes). */
function kernel(): AdamExports {
  if (instance === null) {
    const module = new WebAssembly.Module(Buffer.from(adamWasm, 'base64'));
    instance = new WebAssembly.Instance(module).exports as unknown as AdamExports;
  }
  return instance;
}

export interface AdamArrays {
  readonly from: { readonly params: Float32Array; readonly m: Float32Array; readonly v: Float32Array };
  readonly to: { readonly params: Float32Array; readonly m: Float32Array; readonly v: Float32Array };
  /** Gradient sums, added in this order. */
  readonly grads: readonly Float32Array[];
}

export interface AdamScalars {
  readonly scale: number;
  readonly alpha: number;
  readonly c1: number;
  readonly c2: number;
  readonly epsilon: number;
}

/**
 * Adam over [start, end): reads `from` and the gradients, writes `to` (which may be `from`).
 * Returns whether every summed gradient was finite; when not, `to` holds garbage over the range
 * and the caller puts it back (the update paths keep `from` apart for that).
 */
export function adamRange(a: AdamArrays, s: AdamScalars, start: number, end: number): boolean {
  const k = a.grads.length;
  const wasm = kernel();
  // Rows: k gradients, then p, m, v, each STRIDE floats. A chunk lands in its rows at the same
  // offset modulo 4 floats as it has in the source arrays: V8 copies shared memory word by word
  // only between equally aligned addresses, byte by byte otherwise (6x slower for an odd start).
  const bytes = (k + 3) * STRIDE * 4;
  if (wasm.memory.buffer.byteLength < bytes) wasm.memory.grow(Math.ceil((bytes - wasm.memory.buffer.byteLength) / PAGE));
  const heap = new Float32Array(wasm.memory.buffer);
  const shift = start & 3;
  const row = (r: number) => r * STRIDE + shift;
  const [p, m, v] = [row(k), row(k + 1), row(k + 2)];
  let finite = 1;
  for (let at = start; at < end; at += CHUNK) {
    const stop = Math.min(end, at + CHUNK);
    const n = stop - at;
    for (let r = 0; r < k; r++) heap.set(a.grads[r].subarray(at, stop), row(r));
    heap.set(a.from.params.subarray(at, stop), p);
    heap.set(a.from.m.subarray(at, stop), m);
    heap.set(a.from.v.subarray(at, stop), v);
    finite &= wasm.adam(n, k, STRIDE, row(0) * 4, p * 4, m * 4, v * 4, s.scale, s.alpha, s.c1, s.c2, s.epsilon);
    a.to.params.set(heap.subarray(p, p + n), at);
    a.to.m.set(heap.subarray(m, m + n), at);
    a.to.v.set(heap.subarray(v, v + n), at);
  }
  return finite === 1;
}
