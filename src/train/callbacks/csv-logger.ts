import { appendFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { invalidArgument, invalidType } from '../../errors.js';
import type { Callback, Logs } from './callback.js';
import { checkBoolean, checkOptions, checkPath, pathKind } from './callback-options.js';

export interface CSVLoggerOptions {
  /** Between the fields of a row (default ','). */
  separator?: string;
  /** Add to an existing file instead of replacing it (default false); no second header then. */
  append?: boolean;
}

/** Python's str() of a float, which Keras's csv module writes: nan, inf, -inf for the non-finite. */
function formatValue(value: number | undefined): string {
  if (value === undefined) return 'NA';
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(value);
}

/**
 * Keras's CSVLogger: one row per epoch, `epoch` then the log keys sorted by name (fixed at the
 * first epoch; a key missing later is written NA), flushed at each epoch end so the file can be
 * read while training goes on. Rows end with '\n' (Python's csv module writes '\r\n'; readers take both).
 */
export class CSVLogger implements Callback {
  /** It writes files: across hosts, rank 0 alone runs it. */
  readonly rankZeroOnly = true;

  readonly path: string;
  readonly separator: string;
  readonly append: boolean;
  private keys: string[] | null = null;
  private writeHeader = true;

  constructor(path: string, options?: CSVLoggerOptions) {
    this.path = checkPath('path', path);
    const o = checkOptions('csvLogger', options, ['separator', 'append']);
    if (o.separator !== undefined && typeof o.separator !== 'string') throw invalidType('separator', 'a non-empty string without quotes or line breaks', o.separator);
    this.separator = (o.separator as string | undefined) ?? ',';
    if (this.separator === '' || /["\r\n]/.test(this.separator)) throw invalidArgument('separator', 'a non-empty string without quotes or line breaks', this.separator);
    this.append = checkBoolean('append', o.append, false);
    const kind = pathKind(path);
    if (kind === 'directory') throw invalidArgument('path', 'a file path (not a directory)', `${path} (a directory)`);
    if (typeof kind === 'object') throw invalidArgument('path', 'a file path weft can write', `${path} (${kind.error})`);
  }

  onTrainBegin(): void {
    this.keys = null;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const size = statSync(this.path, { throwIfNoEntry: false })?.size ?? 0;
      this.writeHeader = !(this.append && size > 0);
      if (!this.append) writeFileSync(this.path, '');
    } catch (err) {
      throw invalidArgument('path', 'a file weft can create and write', `${this.path} (${(err as Error).message})`);
    }
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    const values = logs ?? {};
    if (this.keys === null) this.keys = Object.keys(values).sort();
    let text = '';
    if (this.writeHeader) {
      text += this.row(['epoch', ...this.keys]);
      this.writeHeader = false;
    }
    text += this.row([String(epoch), ...this.keys.map((k) => formatValue(values[k]))]);
    appendFileSync(this.path, text);
  }

  /** Fields quoted only where they hold the separator or a quote, as csv.QUOTE_MINIMAL does. */
  private row(fields: string[]): string {
    const quote = (f: string) => (f.includes(this.separator) || /["\r\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
    return fields.map(quote).join(this.separator) + '\n';
  }
}

export function csvLogger(path: string, options?: CSVLoggerOptions): CSVLogger {
  return new CSVLogger(path, options);
}
