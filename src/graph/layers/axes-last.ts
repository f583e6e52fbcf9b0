import * as tf from '@tensorflow/tfjs-core';
import { inversePermutation } from './shape-args.js';

/**
 * How a normalization layer lays its input out for per-column math: the given axes moved last
 * (a transpose, unless they already are the trailing axes, as for the default axis -1), then
 * one row per group, `width` values wide. LayerNormalization normalizes each row, over the
 * axes; BatchNormalization each column, over the rows.
 */
export class AxesLast {
  private readonly perm: number[] | null;
  private readonly inverse: number[] | null;

  /** `axes`: sorted, non-negative, not the batch axis; `width`: the product of their dimensions. */
  constructor(rank: number, axes: readonly number[], readonly width: number) {
    const trailing = axes.every((a, i) => a === rank - axes.length + i);
    this.perm = trailing ? null : [...Array.from({ length: rank }, (_, i) => i).filter((i) => !axes.includes(i)), ...axes];
    this.inverse = this.perm && inversePermutation(this.perm);
  }

  /** x as rows × width; and the shape to undo it from. */
  toRows(x: tf.Tensor): { rows: tf.Tensor2D; laidOut: number[] } {
    const t = this.perm === null ? x : tf.transpose(x, this.perm);
    return { rows: tf.reshape(t, [-1, this.width]), laidOut: t.shape };
  }

  fromRows(rows: tf.Tensor, laidOut: number[]): tf.Tensor {
    const t = tf.reshape(rows, laidOut);
    return this.inverse === null ? t : tf.transpose(t, this.inverse);
  }
}
