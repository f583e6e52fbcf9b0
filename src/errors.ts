/**
 * The one table of error factories. Every message names the argument, what was expected and
 * what was received, in Keras's wording, so a user can fix the call without reading weft's code.
 */

/** Renders a received value the way a user would have typed it. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<number>).length})`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  const name = (value as object).constructor?.name;
  if (name && name !== 'Object') return name;
  // A plain object: its keys and the kinds of their values, never a dump of internals.
  const fields = Object.entries(value as object).map(([k, v]) => `${k}: ${v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v}`);
  return `{${fields.join(', ')}}`;
}

/**
 * Checks that `value` is an options object whose keys are all in `known` (a typo in an option
 * name is an error, not a silently ignored field). Returns it typed.
 */
export function checkOptions<T extends object>(argument: string, value: unknown, known: readonly string[]): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidType(argument, `an options object {${known.join(', ')}}`, value);
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw invalidArgument(argument, `only the options ${known.join(', ')}`, key);
  }
  return value as T;
}

/**
 * Keys a layer's config does not know, in Keras's words ("Unrecognized keyword arguments passed
 * to Dense: {'activaton': 'relu'}"), plus the keys it does know, so a typo is fixed at once.
 */
export function unrecognizedKeywords(className: string, entries: readonly [string, unknown][], known: readonly string[]): RangeError {
  const dict = entries.map(([k, v]) => `'${k}': ${describeValue(v)}`).join(', ');
  return new RangeError(`Unrecognized keyword arguments passed to ${className}: {${dict}}. Expected only: ${known.join(', ')}`);
}

/** A Keras/tfjs-layers option weft knows of but does not implement yet: refused by name, never ignored. */
export function notSupported(className: string, argument: string, received: unknown): RangeError {
  return new RangeError(
    `Argument \`${argument}\` of ${className} is not supported by weft yet (it would be ignored, so it is refused). Received: ${argument}=${describeValue(received)}`,
  );
}

/** A value of the right type outside its allowed range or set. */
export function invalidArgument(argument: string, expected: string, received: unknown): RangeError {
  return new RangeError(
    `Invalid value received for argument \`${argument}\`. Expected ${expected}. Received: ${argument}=${describeValue(received)}`,
  );
}

/** A value of the wrong type altogether. */
export function invalidType(argument: string, expected: string, received: unknown): TypeError {
  return new TypeError(
    `Invalid type received for argument \`${argument}\`. Expected ${expected}. Received: ${argument}=${describeValue(received)}`,
  );
}

/** A name that is not one of a fixed set; lists the valid ones. */
export function unknownName(kind: string, received: string, valid: readonly string[]): RangeError {
  return new RangeError(`Unknown ${kind}: '${received}'. Expected one of: ${valid.map((v) => `'${v}'`).join(', ')}.`);
}

/** Bad wiring or data shape: Keras raises ValueError for these. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

export function shapeMismatch(where: string, expected: string, received: string): ShapeError {
  return new ShapeError(`${where}: expected ${expected}, received ${received}`);
}

/**
 * A data or model file that is missing, unreadable, or not in the format its reader expects.
 * `path` is the file or directory at fault (for a search, the first place looked in).
 */
export class DataFileError extends Error {
  override name = 'DataFileError';

  constructor(message: string, readonly path: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A file or directory that is not there or cannot be read: `received` says what happened. */
export function missingFile(what: string, path: string, expected: string, received: string, cause?: unknown): DataFileError {
  return new DataFileError(`Cannot read ${what} '${path}'. Expected ${expected}. Received: ${received}`, path, cause === undefined ? undefined : { cause });
}

/** Why a file could not be read, in words: 'no such file', 'it is a directory', or the system's message. */
export function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

/** One place a search for data looked in, and what it found wrong there. */
export interface PlaceLooked {
  readonly path: string;
  /** Where the place came from (an option, an environment variable), if not obvious. */
  readonly origin?: string;
  readonly finding: string;
}

/**
 * Data searched for in several places and found in none: lists each place and what was wrong
 * there, in the order searched, then `advice` on how to get the data.
 */
export function dataNotFound(what: string, expected: string, looked: readonly PlaceLooked[], advice: string): DataFileError {
  const lines = looked.map((p) => `  - ${p.path}${p.origin === undefined ? '' : ` (${p.origin})`}: ${p.finding}`);
  return new DataFileError(
    `Cannot find ${what}. Expected ${expected}. Received, in the order looked in:\n${lines.join('\n')}\n${advice}`,
    looked[0]?.path ?? '',
  );
}

/** A file that was read but is not what its reader expects (a bad header, a wrong size, a value out of range). */
export function malformedFile(what: string, path: string, expected: string, received: string, cause?: unknown): DataFileError {
  return new DataFileError(`Invalid ${what} '${path}'. Expected ${expected}. Received: ${received}`, path, cause === undefined ? undefined : { cause });
}

/** A call made in the wrong order (fit before compile, a disposed model). */
export class StateError extends Error {
  override name = 'StateError';
}

/** Checks that `value` is an integer >= `min` (a count, a size, a unit number). */
export function checkInteger(argument: string, value: unknown, min: number): number {
  if (typeof value !== 'number') throw invalidType(argument, `an integer >= ${min}`, value);
  if (!Number.isInteger(value) || value < min) throw invalidArgument(argument, `an integer >= ${min}`, value);
  return value;
}

/** Checks that `value` is a finite number within [lo, hi] (or [lo, hi) when hiOpen). */
export function checkNumberInRange(argument: string, value: unknown, lo: number, hi: number, hiOpen = false): number {
  const expected = `a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}`;
  if (typeof value !== 'number') throw invalidType(argument, expected, value);
  if (!(value >= lo && (hiOpen ? value < hi : value <= hi))) throw invalidArgument(argument, expected, value);
  return value;
}
