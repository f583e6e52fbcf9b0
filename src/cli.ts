#!/usr/bin/env node
/**
 * The `weft` command: `weft train` (fit a named or saved model on digits, Fashion-MNIST or a
 * user's CSV, JSON lines or image folder, evaluate it on the test split, save it with its logs
 * and curves), `weft predict`, `weft plot` (draw a saved history.json or model.json),
 * `weft launch` (a multi-host run's processes on this host) and `weft bench` (the benchmark suite). Bad flags exit 2 with one line on stderr; runtime failures
 * exit 1; neither prints a stack.
 */
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMANDS, parseFlags, parseLaunchArgs, parseTrainArgs, usage, UsageError } from './cli-args.js';
import { launch } from './cli-launch.js';
import { bench, plot, predict, train } from './cli-run.js';

export { parseBenchFlags, parsePlotArgs, parsePredictArgs, parseTrainArgs, usage, UsageError, type TrainOptions } from './cli-args.js';

/** Runs a command line (the arguments after `weft`); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command = '', ...rest] = argv;
  try {
    if (command === '' || command === '--help' || command === '-h') {
      (command === '' ? process.stderr : process.stdout).write(usage());
      return command === '' ? 2 : 0;
    }
    if (!Object.hasOwn(COMMANDS, command)) throw new UsageError('', 'unknown command', Object.keys(COMMANDS).join(', ').replace(/, ([^,]*)$/, ' or $1'), `'${command}'`);
    if (parseFlags(command, rest).help === true) {
      process.stdout.write(usage(command));
      return 0;
    }
    if (command === 'bench') return await bench(rest);
    if (command === 'launch') return await launch(parseLaunchArgs(rest));
    if (command === 'plot') {
      await plot(rest);
      return 0;
    }
    if (command === 'predict') {
      await predict(rest);
      return 0;
    }
    await train(parseTrainArgs(rest));
    return 0;
  } catch (err) {
    const message = err instanceof UsageError ? err.message : `weft ${command}: ${err instanceof Error ? err.message : String(err)}`;
    const stack = !(err instanceof UsageError) && process.env.WEFT_DEBUG && err instanceof Error ? `${err.stack}\n` : '';
    process.stderr.write(`${message}\n${stack}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

/**
 * `weft train | head -2`: once the reader has gone, a write fails with EPIPE, which Node raises
 * as an 'error' event and, unhandled, as a stack. Stop at once and quietly, with status 0, as
 * the reader asked for no more (a C program would die of SIGPIPE, silently too); the workers go
 * with the process. Any other stream error stays an error.
 */
function endQuietlyOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
}

// Run as a program (node dist/src/cli.js, the npm bin link, tsx), not when a test imports it.
const real = (p: string) => (existsSync(p) ? realpathSync(p) : p);
if (process.argv[1] !== undefined && real(process.argv[1]) === real(fileURLToPath(import.meta.url))) {
  endQuietlyOnEpipe(process.stdout);
  endQuietlyOnEpipe(process.stderr);
  process.exitCode = await main(process.argv.slice(2));
}
