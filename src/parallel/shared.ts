import type { Column } from './batch.js';
import type { SharedColumn } from './messages.js';

/** A Float32Array over fresh shared memory. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/** The column itself when it already lives in shared memory, else one copy into it. */
export function shareColumn(column: Column): SharedColumn {
  const { data, rowSize, rows } = column;
  let buffer = data.buffer;
  if (!(buffer instanceof SharedArrayBuffer) || data.byteOffset !== 0 || data.byteLength !== buffer.byteLength) {
    buffer = new SharedArrayBuffer(data.byteLength);
    new Uint8Array(buffer).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return { buffer: buffer as SharedArrayBuffer, dtype: data instanceof Int32Array ? 'int32' : 'float32', rowSize, rows };
}

/** The typed view a worker reads a shared column through. */
export function columnView(c: SharedColumn): Column {
  const data = c.dtype === 'int32' ? new Int32Array(c.buffer) : new Float32Array(c.buffer);
  return { data, rowSize: c.rowSize, rows: c.rows };
}
