/**
 * What the zero-padding and cropping layers share: their per-axis [before, after] arguments in
 * Keras's forms (an integer, a pair, or a pair per axis), and the pad and the window of a
 * channels-last tensor that are each one's forward and the other's gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { invalidArgument, invalidType } from '../../errors.js';
import { reshaped } from '../tensor-io.js';

/** What to add (padding) or remove (cropping) before and after one spatial axis. */
export type Pair = [number, number];

/** A 2-D layer's argument as Keras takes it: one integer, [height, width], or [[top, bottom], [left, right]] (the forms may mix). */
export type Pairs2D = number | [number | Pair, number | Pair];

const isCount = (d: unknown) => Number.isInteger(d) && (d as number) >= 0;

/** The spatial-axis word list of an expected-value message: '[left, right]'. */
function pairWords(words: readonly [string, string]): string {
  return `[${words[0]}, ${words[1]}]`;
}

/**
 * A 1-D layer's argument: an integer n ≥ 0 (n before and n after) or [before, after] (Keras's
 * standardize_tuple(value, 2, allow_zero=True)). `words` name the two ends in the message.
 */
export function checkPair(argument: string, value: unknown, fallback: Pair, words: readonly [string, string]): Pair {
  if (value === undefined) return [...fallback];
  const expected = `a non-negative integer or an array of 2 non-negative integers ${pairWords(words)}`;
  const pair = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((d) => typeof d === 'number')) throw invalidType(argument, expected, value);
  if (!pair.every(isCount)) throw invalidArgument(argument, expected, value);
  return [pair[0] as number, pair[1] as number];
}

/**
 * A 2-D layer's argument as [[top, bottom], [left, right]]: an integer n ≥ 0 for all four,
 * [height, width] (each symmetric), or one pair per axis, as Keras's ZeroPadding2D and Cropping2D
 * read it (each axis's entry an integer or a pair).
 */
export function checkPairs2D(argument: string, value: unknown, fallback: readonly [Pair, Pair]): [Pair, Pair] {
  if (value === undefined) return [[...fallback[0]], [...fallback[1]]];
  const expected = 'a non-negative integer, an array of 2 non-negative integers [height, width], or an array of 2 pairs [[top, bottom], [left, right]]';
  const axes = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(axes) || axes.length !== 2) throw invalidType(argument, expected, value);
  const pairs = axes.map((a: unknown) => (typeof a === 'number' ? [a, a] : a));
  if (!pairs.every((p) => Array.isArray(p) && p.length === 2 && p.every((d) => typeof d === 'number'))) throw invalidType(argument, expected, value);
  const [h, w] = pairs as Pair[];
  if (![...h, ...w].every(isCount)) throw invalidArgument(argument, expected, value);
  return [[h[0], h[1]], [w[0], w[1]]];
}

/**
 * The window [start, start + size) of each spatial axis of a channels-last tensor (batch,
 * ...spatial, channels). The slice runs on a view whose last spatial axis is merged with the
 * channels: wasm's Slice copies one run of the last axis at a time in JS, so runs of w·c values
 * instead of c cut a 64 × 28 × 28 × 16 gradient in 0.44 ms instead of 2.8 (measured).
 */
export function spatialWindow(t: tf.Tensor, starts: readonly number[], sizes: readonly number[]): tf.Tensor {
  const [n, ...rest] = t.shape;
  const c = rest[rest.length - 1];
  const spatial = rest.slice(0, -1);
  if (spatial.every((d, i) => starts[i] === 0 && sizes[i] === d)) return t;
  const k = spatial.length - 1;
  const view = reshaped(t, [n, ...spatial.slice(0, k), spatial[k] * c]);
  const cut = tf.slice(view, [0, ...starts.slice(0, k), starts[k] * c], [n, ...sizes.slice(0, k), sizes[k] * c]);
  return reshaped(cut, [n, ...sizes, c]);
}

/** tf.pad's paddings for a channels-last tensor: none on the batch and channel axes. */
export function spatialPaddings(pairs: readonly Pair[]): Pair[] {
  return [[0, 0], ...pairs.map((p) => [p[0], p[1]] as Pair), [0, 0]];
}
