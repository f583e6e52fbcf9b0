/**
 * Reading a user's file as records, one at a time: CSV through csv-parse (quoting, CRLF, a BOM,
 * newlines inside quotes), JSON lines through readline. A record is the raw fields by column
 * name with the line it started on, so every later error can name the row.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { CsvError, parse } from 'csv-parse';
import { malformedFile, missingFile, readFailure } from '../../errors.js';

/** A field as read: a string from a CSV, any JSON value from a JSON line. */
export type RawValue = unknown;

export interface RawRecord {
  /** 1-based line of the file the record starts on. */
  readonly line: number;
  readonly fields: Readonly<Record<string, RawValue>>;
}

/** What a dataset reads its examples from: the column names, and a fresh pass over the records. */
export interface RecordSource {
  readonly path: string;
  /** 'CSV file', 'JSON-lines file': how errors name the file. */
  readonly what: string;
  /** Column names, known once the first record (or header) has been read. */
  columns(): Promise<readonly string[]>;
  records(): AsyncIterable<RawRecord>;
}

/** Checks the file is there and readable now, so a typo fails at the call, not mid-fit. */
export function checkReadable(what: string, path: string, expected: string): void {
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw Object.assign(new Error('it is a directory'), { code: 'EISDIR' });
  } catch (err) {
    throw missingFile(what, path, expected, readFailure(err), err);
  }
}

export interface CsvReadOptions {
  readonly hasHeader: boolean;
  readonly columnNames: readonly string[] | null;
  readonly delimiter: string;
}

/** A CSV file's records, the header (or columnNames) naming the fields. */
export function csvRecords(path: string, o: CsvReadOptions): RecordSource {
  const what = 'CSV file';
  let names: readonly string[] | null = null;
  async function* read(): AsyncGenerator<RawRecord> {
    // The file stream is closed however the pass ends: read through, failed, or left early (a break).
    const file = createReadStream(path);
    const parser = file.pipe(parse({ bom: true, delimiter: o.delimiter, info: true, skip_empty_lines: true, trim: false }));
    // A read error (a directory, no permission, a file gone) reaches the loop below as the parser's error.
    file.on('error', (err) => parser.destroy(err));
    let first = true;
    // csv-parse counts a CRLF inside quotes as two lines; this is how many it over-counted so far.
    let overCounted = 0;
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        let breaks = 0;
        for (const f of record) {
          if (f.includes('\n') || f.includes('\r')) {
            breaks += (f.match(/\r\n|\r|\n/g) ?? []).length;
            overCounted += (f.match(/\r\n/g) ?? []).length;
          }
        }
        const line = info.lines - overCounted - breaks;
        if (first) {
          first = false;
          if (o.hasHeader) {
            const header = record.map((h) => h.trim());
            if (o.columnNames !== null && o.columnNames.length !== header.length) {
              throw malformedFile(what, path, `${o.columnNames.length} columns (columnNames)`, `a header of ${header.length}: ${header.join(', ')}`);
            }
            names ??= o.columnNames ?? header;
            const dup = names.find((n, i) => names!.indexOf(n) !== i);
            if (dup !== undefined) throw malformedFile(what, path, 'distinct column names', `'${dup}' twice in ${names.join(', ')}`);
            continue;
          }
          names ??= o.columnNames ?? record.map((_, i) => `column_${i + 1}`);
        }
        if (record.length !== names!.length) {
          throw malformedFile(what, path, `${names!.length} fields on every row (${names!.join(', ')})`, `${record.length} on line ${line}`);
        }
        yield { line, fields: Object.fromEntries(names!.map((n, i) => [n, record[i]])) };
      }
    } catch (err) {
      if (err instanceof CsvError) {
        const at = (err as CsvError & { lines?: number }).lines;
        throw malformedFile(what, path, 'CSV (fields separated by the delimiter, quotes closed, the same number of fields on every row)', `${err.message.replace(/^Invalid Record Length: /, '')}${at === undefined || /line \d/.test(err.message) ? '' : ` (line ${at})`}`, err);
      }
      if ((err as NodeJS.ErrnoException).code !== undefined && !(err instanceof Error && err.name === 'DataFileError')) {
        throw missingFile(what, path, 'a readable CSV file', readFailure(err), err);
      }
      throw err;
    } finally {
      parser.destroy();
      file.destroy();
    }
  }
  return sourceOf(path, what, read, () => names, 'a header or at least one row');
}

/** A JSON-lines file's records: one JSON object per non-blank line. */
export function jsonlRecords(path: string): RecordSource {
  const what = 'JSON-lines file';
  let names: readonly string[] | null = null;
  async function* read(): AsyncGenerator<RawRecord> {
    const input = createReadStream(path);
    const lines = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    try {
      for await (const text of lines) {
        n++;
        if (text.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(n === 1 ? text.replace(/^\uFEFF/, '') : text);
        } catch (err) {
          throw malformedFile(what, path, 'one JSON object per line', `${(err as Error).message} on line ${n}`, err);
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          throw malformedFile(what, path, 'one JSON object per line', `${Array.isArray(value) ? 'an array' : JSON.stringify(value)} on line ${n}`);
        }
        names ??= Object.keys(value);
        yield { line: n, fields: value as Record<string, unknown> };
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== undefined) throw missingFile(what, path, 'a readable JSON-lines file', readFailure(err), err);
      throw err;
    } finally {
      lines.close();
      input.destroy();
    }
  }
  return sourceOf(path, what, read, () => names, 'at least one JSON object');
}

/** A RecordSource over `read`, whose column names are known once the first record has been read. */
function sourceOf(path: string, what: string, read: () => AsyncGenerator<RawRecord>, names: () => readonly string[] | null, expected: string): RecordSource {
  return {
    path,
    what,
    async columns() {
      if (names() === null) for await (const _ of read()) break;
      const known = names();
      if (known === null) throw malformedFile(what, path, expected, 'an empty file');
      return known;
    },
    records: read,
  };
}
