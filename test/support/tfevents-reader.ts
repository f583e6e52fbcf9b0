/**
 * A reader of TensorBoard event files that shares no code with weft's writer: its own CRC32C
 * (bitwise, from the Castagnoli polynomial), its own TFRecord framing and its own protobuf
 * decoder for the few Event / Summary fields the tests look at (numbers from TensorFlow's
 * event.proto and summary.proto).
 */

const CASTAGNOLI_REVERSED = 0x82f63b78;

export function crc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ CASTAGNOLI_REVERSED : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function masked(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) >>> 0;
}

/** Records of a TFRecord file; stops at a truncated tail (as TensorBoard does); throws on a bad CRC. */
export function readRecords(file: Uint8Array): { records: Uint8Array[]; trailingBytes: number } {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at + 12 <= file.length) {
    const length = Number(view.getBigUint64(at, true));
    if (view.getUint32(at + 8, true) !== masked(crc32c(file.subarray(at, at + 8)))) throw new Error(`bad length CRC at byte ${at}`);
    if (at + 12 + length + 4 > file.length) break;
    const data = file.subarray(at + 12, at + 12 + length);
    if (view.getUint32(at + 12 + length, true) !== masked(crc32c(data))) throw new Error(`bad data CRC at byte ${at}`);
    records.push(data);
    at += 12 + length + 4;
  }
  return { records, trailingBytes: file.length - at };
}

type Field = { no: number; wire: number; varint?: bigint; bytes?: Uint8Array; fixed64?: DataView; fixed32?: DataView };

function fields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[at++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (at < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 1) { out.push({ no, wire, fixed64: new DataView(buf.buffer, buf.byteOffset + at, 8) }); at += 8; }
    else if (wire === 5) { out.push({ no, wire, fixed32: new DataView(buf.buffer, buf.byteOffset + at, 4) }); at += 4; }
    else if (wire === 2) { const n = Number(varint()); out.push({ no, wire, bytes: buf.subarray(at, at + n) }); at += n; }
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const f64 = (f: Field) => f.fixed64!.getFloat64(0, true);

export interface ReadHistogram { min: number; max: number; num: number; sum: number; bucketLimit: number[]; bucket: number[] }
export interface ReadValue { tag: string; simpleValue?: number; histo?: ReadHistogram }
export interface ReadEvent { wallTime: number; step: number; fileVersion?: string; values: ReadValue[] }

function packedDoubles(f: Field[], no: number): number[] {
  const out: number[] = [];
  for (const x of f.filter((y) => y.no === no)) {
    if (x.wire === 1) out.push(f64(x));
    else for (let i = 0; i < x.bytes!.length; i += 8) out.push(new DataView(x.bytes!.buffer, x.bytes!.byteOffset + i, 8).getFloat64(0, true));
  }
  return out;
}

function histogram(buf: Uint8Array): ReadHistogram {
  const f = fields(buf);
  const d = (no: number) => { const x = f.find((y) => y.no === no); return x === undefined ? 0 : f64(x); };
  return { min: d(1), max: d(2), num: d(3), sum: d(4), bucketLimit: packedDoubles(f, 6), bucket: packedDoubles(f, 7) };
}

function summaryValue(buf: Uint8Array): ReadValue {
  const v: ReadValue = { tag: '' };
  for (const f of fields(buf)) {
    if (f.no === 1) v.tag = text(f.bytes!);
    else if (f.no === 2) v.simpleValue = f.fixed32!.getFloat32(0, true);
    else if (f.no === 5) v.histo = histogram(f.bytes!);
  }
  return v;
}

export function decodeEvent(buf: Uint8Array): ReadEvent {
  const e: ReadEvent = { wallTime: 0, step: 0, values: [] };
  for (const f of fields(buf)) {
    if (f.no === 1) e.wallTime = f64(f);
    else if (f.no === 2) e.step = Number(BigInt.asIntN(64, f.varint!));
    else if (f.no === 3) e.fileVersion = text(f.bytes!);
    else if (f.no === 5) for (const v of fields(f.bytes!)) if (v.no === 1) e.values.push(summaryValue(v.bytes!));
  }
  return e;
}

/** Every event of a file, in order. */
export function readEvents(file: Uint8Array): ReadEvent[] {
  return readRecords(file).records.map(decodeEvent);
}

/** tag → [step, value] pairs of the file's scalar summaries. */
export function scalarsByTag(events: readonly ReadEvent[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const e of events) {
    for (const v of e.values) {
      if (v.simpleValue === undefined) continue;
      if (!out.has(v.tag)) out.set(v.tag, []);
      out.get(v.tag)!.push([e.step, v.simpleValue]);
    }
  }
  return out;
}
