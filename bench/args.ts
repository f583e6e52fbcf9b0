/**
 * What the bench scripts share about their command lines and output: node:util parseArgs with its
 * errors turned into RangeErrors (so a script prints one line naming the flag, not a stack), flag
 * number checks, and where results are written.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** bench/results/ in the source tree, whether a script runs as bench/*.ts or dist/bench/*.js. */
export const RESULTS_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/bench/') ? '../../bench/results/' : './results/', import.meta.url));

export type ScriptArgs = Record<string, string | boolean | undefined>;

export function parseScriptArgs(options: NonNullable<ParseArgsConfig['options']>): ScriptArgs {
  try {
    return parseArgs({ options, strict: true, allowPositionals: false }).values as ScriptArgs;
  } catch (e) {
    throw new RangeError(`${(e as Error).message}; flags: ${Object.keys(options).map((k) => `--${k}`).join(', ')}`);
  }
}

/** Runs a bench script's main: a RangeError (a bad flag) or one of `expected` is one line on stderr and exit code 2 or 1. */
export async function runScript(name: string, main: () => Promise<void>, expected: readonly (abstract new (...a: never[]) => Error)[] = []): Promise<void> {
  try {
    await main();
  } catch (e) {
    const known = e instanceof RangeError || expected.some((c) => e instanceof c);
    if (!known) throw e;
    process.stderr.write(`${name}: ${(e as Error).message}\n`);
    process.exitCode = e instanceof RangeError ? 2 : 1;
  }
}

/** A flag's comma-separated positive integers; a RangeError naming the flag otherwise. */
export const flagInts = (flag: string, text: string): number[] =>
  text.split(',').map((t) => {
    const n = Number(t);
    if (t.trim() === '' || !Number.isInteger(n) || n < 1) throw new RangeError(`--${flag}: expected positive integers separated by commas, received '${text}'`);
    return n;
  });

export type NumberKind = 'a positive integer' | 'a number >= 0' | 'a number > 0';

/** A flag's number of the given kind; a RangeError naming the flag, the kind and the text otherwise. */
export function flagNumber(flag: string, text: string, kind: NumberKind): number {
  const n = Number(text);
  const ok = text.trim() !== '' && Number.isFinite(n) &&
    (kind === 'a positive integer' ? Number.isInteger(n) && n >= 1 : kind === 'a number > 0' ? n > 0 : n >= 0);
  if (!ok) throw new RangeError(`--${flag}: expected ${kind}, received '${text}'`);
  return n;
}
