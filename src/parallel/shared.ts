import type { Column } from './batch.js';
import { freshMemory, type SharedAllocator } from './memory.js';
import type { SharedColumn } from './messages.js';

/** A Float32Array over fresh shared memory. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/** The column itself when it already lives in shared memory (a view is fine), else one copy into it. */
export function shareColumn(column: Column, memory: SharedAllocator = freshMemory): SharedColumn {
  const { data, rowSize, rows } = column;
  const dtype = data instanceof Int32Array ? 'int32' : 'float32';
  if (data.buffer instanceof SharedArrayBuffer) {
    return { buffer: data.buffer, offset: data.byteOffset / 4, dtype, rowSize, rows };
  }
  const buffer = memory.buffer(data.byteLength);
  new Uint8Array(buffer).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { buffer, offset: 0, dtype, rowSize, rows };
}

/** The typed view a worker reads a shared column through. */
export function columnView(c: SharedColumn): Column {
  const length = c.rows * c.rowSize;
  const data = c.dtype === 'int32' ? new Int32Array(c.buffer, c.offset * 4, length) : new Float32Array(c.buffer, c.offset * 4, length);
  return { data, rowSize: c.rowSize, rows: c.rows };
}
