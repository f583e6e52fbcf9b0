/** A symbolic shape: `null` stands for the batch dimension, unknown until data arrives. */
export type Shape = readonly (number | null)[];

export type DType = 'float32' | 'int32';

/** Keras prints shapes as Python tuples: (None, 128). */
export function formatShape(shape: Shape): string {
  const dims = shape.map((d) => (d == null ? 'None' : String(d)));
  return `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
}

/** Number of elements of one example: the product of every dimension but the batch one. */
export function exampleSize(shape: Shape): number {
  let size = 1;
  for (let i = 1; i < shape.length; i++) size *= shape[i] as number;
  return size;
}

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
