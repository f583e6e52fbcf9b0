/** A dataset column: `rows` examples of `rowSize` values each, row-major. */
export interface Column {
  readonly data: Float32Array | Int32Array;
  readonly rowSize: number;
  readonly rows: number;
}

/** Rows [start, end) of a column, as a view (no copy). */
export function sliceRows(column: Column, start: number, end: number): Column {
  const { data, rowSize } = column;
  return { data: data.subarray(start * rowSize, end * rowSize), rowSize, rows: end - start };
}

/**
 * Copies the rows named by order[start, end) into `out`, contiguous: the step's batch buffer.
 * With no `order`, rows start..end are taken in place (a subarray, no copy).
 */
export function gatherRows<T extends Float32Array | Int32Array>(
  column: { data: T; rowSize: number }, order: Int32Array | null, start: number, end: number, out: T,
): T {
  const { data, rowSize } = column;
  if (order === null) return data.subarray(start * rowSize, end * rowSize) as T;
  for (let r = start; r < end; r++) {
    const src = order[r] * rowSize;
    out.set(data.subarray(src, src + rowSize), (r - start) * rowSize);
  }
  return out.subarray(0, (end - start) * rowSize) as T;
}

/** Splits `rows` into `parts` contiguous ranges whose sizes differ by at most one. */
export function shardRanges(rows: number, parts: number): [number, number][] {
  const ranges: [number, number][] = [];
  const base = Math.floor(rows / parts);
  const extra = rows % parts;
  let start = 0;
  for (let k = 0; k < parts; k++) {
    const size = base + (k < extra ? 1 : 0);
    ranges.push([start, start + size]);
    start += size;
  }
  return ranges;
}
