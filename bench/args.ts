/**
 * node:util parseArgs for the single-purpose bench scripts, its errors turned into RangeErrors
 * so a script's catch prints one line naming the flag instead of a stack.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

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
