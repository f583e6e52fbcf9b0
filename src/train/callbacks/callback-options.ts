/**
 * Option checks shared by the built-in callbacks. Each factory validates its whole options
 * object up front, with the error factories, so a typo fails at the call and not mid-fit.
 */
import { statSync } from 'node:fs';
import { checkInteger, invalidArgument, invalidType, unknownName } from '../../errors.js';

/** The options object as given, after checking it is an object with only `known` keys. */
export function checkOptions(factory: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidType(`${factory}(options)`, `an options object with any of ${known.join(', ')}`, options);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw unknownName(`${factory} option`, key, known);
  }
  return options as Record<string, unknown>;
}

export function checkBoolean(argument: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidType(argument, 'a boolean', value);
  return value;
}

/** Keras's callback verbosity: 0 silent, 1 a message when the callback acts. */
export function checkVerbosity(value: unknown, fallback: 0 | 1): 0 | 1 {
  if (value === undefined) return fallback;
  if (value !== 0 && value !== 1) throw invalidArgument('verbose', '0 or 1', value);
  return value;
}

/** A count of epochs or batches: an integer >= min. */
export function checkCount(argument: string, value: unknown, fallback: number, min = 0): number {
  return value === undefined ? fallback : checkInteger(argument, value, min);
}

/** A finite number >= 0 (a threshold, a lower bound). */
export function checkNonNegative(argument: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const expected = 'a finite number >= 0';
  if (typeof value !== 'number') throw invalidType(argument, expected, value);
  if (!(Number.isFinite(value) && value >= 0)) throw invalidArgument(argument, expected, value);
  return value;
}

/** A finite number, or undefined when absent. */
export function checkOptionalFinite(argument: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const expected = 'a finite number';
  if (typeof value !== 'number') throw invalidType(argument, expected, value);
  if (!Number.isFinite(value)) throw invalidArgument(argument, expected, value);
  return value;
}

/** A file or directory path: a non-empty string. */
export function checkPath(argument: string, value: unknown): string {
  const expected = 'a non-empty path string';
  if (typeof value !== 'string') throw invalidType(argument, expected, value);
  if (value.trim() === '') throw invalidArgument(argument, expected, value);
  return value;
}

/** What is at `path`: a file, a directory, nothing, or (where the path cannot be looked at, e.g. it runs through a file) why not. */
export function pathKind(path: string): 'file' | 'directory' | 'none' | { error: string } {
  try {
    const stat = statSync(path, { throwIfNoEntry: false });
    return stat === undefined ? 'none' : stat.isDirectory() ? 'directory' : 'file';
  } catch (err) {
    return { error: (err as Error).message };
  }
}
