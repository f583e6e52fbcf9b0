import { invalidArgument } from '../errors.js';

/**
 * Keras's gradient clipping options (keras/src/optimizers/base_optimizer.py): `clipvalue`
 * clips each element, `clipnorm` rescales each weight's gradient to at most that norm,
 * `globalClipnorm` rescales all of them together. At most one may be set, as in Keras.
 */
export type Clipping = {
  readonly clipnorm?: number;
  readonly clipvalue?: number;
  readonly globalClipnorm?: number;
};

export const CLIP_KEYS = ['clipnorm', 'clipvalue', 'globalClipnorm'] as const;

export function readClipping(config: Readonly<Record<string, unknown>>): Clipping | null {
  const set = CLIP_KEYS.filter((k) => config[k] !== undefined && config[k] !== null);
  if (set.length === 0) return null;
  if (set.length > 1) throw invalidArgument(set.join(' and '), 'at most one of clipnorm, clipvalue, globalClipnorm', set.map((k) => config[k]));
  const value = config[set[0]];
  if (typeof value !== 'number' || !(Number.isFinite(value) && value > 0)) throw invalidArgument(set[0], 'a finite number > 0', value);
  return { [set[0]]: value };
}

/**
 * Turns a gradient sum into the clipped mean gradient, in place: g ← clip(g · scale). Norms are
 * computed in float64 over each weight's range of the flat array (`entries`).
 */
export function clipMeanGradient(g: Float32Array, scale: number, entries: readonly { offset: number; size: number }[], clip: Clipping): void {
  for (let i = 0; i < g.length; i++) g[i] *= scale;
  if (clip.clipvalue !== undefined) {
    const c = clip.clipvalue;
    for (let i = 0; i < g.length; i++) g[i] = Math.min(c, Math.max(-c, g[i]));
    return;
  }
  const sumSquares = (a: number, b: number) => {
    let s = 0;
    for (let i = a; i < b; i++) s += g[i] * g[i];
    return s;
  };
  const rescale = (a: number, b: number, norm: number, limit: number) => {
    if (norm <= limit) return;
    const f = limit / norm;
    for (let i = a; i < b; i++) g[i] *= f;
  };
  if (clip.globalClipnorm !== undefined) {
    rescale(0, g.length, Math.sqrt(sumSquares(0, g.length)), clip.globalClipnorm);
    return;
  }
  for (const { offset, size } of entries) rescale(offset, offset + size, Math.sqrt(sumSquares(offset, offset + size)), clip.clipnorm as number);
}
