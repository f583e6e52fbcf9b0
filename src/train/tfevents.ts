/**
 * TensorBoard's event files, written as TensorFlow writes them: a stream of TFRecords (length,
 * masked CRC32C of the length, an `Event` protocol buffer, masked CRC32C of the data), the first
 * record a `file_version: "brain.Event:2"`, then one `Summary` per step. The protocol buffers are
 * encoded by protobufjs from the messages declared below (the fields TensorBoard reads, with
 * tensorflow/core/util/event.proto's and summary.proto's numbers); the CRC is crc-32's CRC32C.
 */
import { appendFileSync, closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs/light.js';

// crc-32 ships CRC32C as a CommonJS file beside its main entry.
const crc32c = createRequire(import.meta.url)('crc-32/crc32c.js') as { buf(data: Uint8Array, seed?: number): number };

const root = protobuf.Root.fromJSON({
  nested: {
    HistogramProto: {
      fields: {
        min: { type: 'double', id: 1 }, max: { type: 'double', id: 2 }, num: { type: 'double', id: 3 },
        sum: { type: 'double', id: 4 }, sumSquares: { type: 'double', id: 5 },
        bucketLimit: { rule: 'repeated', type: 'double', id: 6, options: { packed: true } },
        bucket: { rule: 'repeated', type: 'double', id: 7, options: { packed: true } },
      },
    },
    Summary: {
      fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
      nested: {
        Value: {
          // A oneof, as in summary.proto: a member that is set is written even when it is 0.
          oneofs: { value: { oneof: ['simpleValue', 'histo'] } },
          fields: { tag: { type: 'string', id: 1 }, simpleValue: { type: 'float', id: 2 }, histo: { type: 'HistogramProto', id: 5 } },
        },
      },
    },
    Event: {
      oneofs: { what: { oneof: ['fileVersion', 'summary'] } },
      fields: { wallTime: { type: 'double', id: 1 }, step: { type: 'int64', id: 2 }, fileVersion: { type: 'string', id: 3 }, summary: { type: 'Summary', id: 5 } },
    },
  },
});
const EventMessage = root.lookupType('Event');

/** TFRecord's CRC: CRC32C rotated right by 15 bits plus a constant (tensorflow/core/lib/hash/crc32c.h). */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c.buf(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: uint64 length, masked CRC of those 8 bytes, the data, masked CRC of the data (all little-endian). */
export function tfRecord(data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length + 4);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskedCrc32c(out.subarray(0, 8)), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskedCrc32c(data), 12 + data.length);
  return out;
}

/** A histogram as TensorBoard's HistogramProto: `bucket[i]` counts values ≤ `bucketLimit[i]` and above the previous limit. */
export interface Histogram {
  readonly min: number;
  readonly max: number;
  readonly num: number;
  readonly sum: number;
  readonly sumSquares: number;
  readonly bucketLimit: readonly number[];
  readonly bucket: readonly number[];
}

/** `buckets` equal-width buckets over [min, max] of the finite values (non-finite ones are left out). */
export function histogramOf(values: Float32Array, buckets = 30): Histogram {
  let min = Infinity;
  let max = -Infinity;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    min = Math.min(min, v);
    max = Math.max(max, v);
    num++;
    sum += v;
    sumSquares += v * v;
  }
  if (num === 0) return { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [0], bucket: [0] };
  if (min === max) return { min, max, num, sum, sumSquares, bucketLimit: [max], bucket: [num] };
  const width = (max - min) / buckets;
  const bucket = new Array<number>(buckets).fill(0);
  for (const v of values) {
    if (Number.isFinite(v)) bucket[Math.min(buckets - 1, Math.floor((v - min) / width))]++;
  }
  const bucketLimit = bucket.map((_, i) => (i === buckets - 1 ? max : min + (i + 1) * width));
  return { min, max, num, sum, sumSquares, bucketLimit, bucket };
}

let filesOpened = 0;

/**
 * Appends events to a new file in `dir`, named as TensorFlow names them:
 * `events.out.tfevents.<seconds>.<host>.<pid>.<n>.v2`, with n counting this process's files, so
 * two runs (or two writers) never share a file: a second run into one logdir adds a file beside
 * the first. Each record is appended whole with one call and no descriptor is held between
 * records, so a killed process leaves a file readable up to its last whole record, and a fit that
 * fails before its onTrainEnd leaves no open file behind.
 */
export class EventFileWriter {
  readonly path: string;
  private closed = false;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    const seconds = Math.floor(Date.now() / 1000);
    let path: string | undefined;
    // 'wx' refuses an existing file: another process with the same pid and second is skipped past.
    for (let n = filesOpened; path === undefined; n++) {
      const candidate = join(dir, `events.out.tfevents.${seconds}.${hostname()}.${process.pid}.${n}.v2`);
      try {
        const fd = openSync(candidate, 'wx');
        try {
          writeSync(fd, encodeEvent({ wallTime: Date.now() / 1000, fileVersion: 'brain.Event:2' }));
        } finally {
          closeSync(fd);
        }
        filesOpened = n + 1;
        path = candidate;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    this.path = path;
  }

  /** A scalar summary at `step`. */
  scalar(tag: string, value: number, step: number): void {
    this.scalars([[tag, value]], step);
  }

  /** One scalar event per [tag, value] at `step`, appended in one write (a batch's logs). */
  scalars(entries: readonly (readonly [string, number])[], step: number): void {
    const wallTime = Date.now() / 1000;
    this.writeEvents(entries.map(([tag, simpleValue]) => ({ wallTime, step, summary: { value: [{ tag, simpleValue }] } })));
  }

  /** A histogram summary at `step`. */
  histogram(tag: string, histo: Histogram, step: number): void {
    this.writeEvents([{ wallTime: Date.now() / 1000, step, summary: { value: [{ tag, histo }] } }]);
  }

  /** Later writes are refused: the run is over. */
  close(): void {
    this.closed = true;
  }

  private writeEvents(events: readonly Record<string, unknown>[]): void {
    if (this.closed) throw new Error(`event file ${this.path} is closed`);
    if (events.length > 0) appendFileSync(this.path, Buffer.concat(events.map(encodeEvent)));
  }
}

/** An Event as one TFRecord. */
function encodeEvent(event: Record<string, unknown>): Buffer {
  return tfRecord(EventMessage.encode(EventMessage.fromObject(event)).finish());
}
