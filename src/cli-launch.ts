import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS, type LaunchOptions } from './cli-args.js';

/**
 * `weft launch`: this host's processes of a multi-host run, each with torchrun's variables
 * (WORLD_SIZE, RANK, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), for users without
 * a launcher. As torchrun, a process that fails stops its siblings, and the launch exits with its status.
 */
export async function launch(o: LaunchOptions): Promise<number> {
  const [first = '', ...args] = o.command;
  const here = fileURLToPath(import.meta.url);
  // The weft CLI beside this file (cli.js in dist/, cli.ts under tsx), run with this node's flags.
  const cli = join(dirname(here), `cli${extname(here)}`);
  const [program, programArgs] = Object.hasOwn(COMMANDS, first)
    ? [process.execPath, [...process.execArgv, cli, first, ...args]]
    : /\.(c|m)?[jt]s$/.test(first) ? [process.execPath, [...process.execArgv, first, ...args]] : [first, args];
  const world = o.nnodes * o.nprocPerNode;
  const children: ChildProcess[] = [];
  const exits = Array.from({ length: o.nprocPerNode }, (_, local) => new Promise<number>((resolve) => {
    const rank = o.nodeRank * o.nprocPerNode + local;
    const child = spawn(program, programArgs, {
      stdio: 'inherit',
      env: {
        ...process.env, WORLD_SIZE: String(world), RANK: String(rank), LOCAL_RANK: String(local), LOCAL_WORLD_SIZE: String(o.nprocPerNode),
        MASTER_ADDR: o.masterAddr, MASTER_PORT: String(o.masterPort),
      },
    });
    children.push(child);
    child.on('error', (err) => {
      process.stderr.write(`weft launch: rank ${rank} could not start ${basename(program)}: ${err.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      // As a shell reports it: 128 + the signal's number for a rank killed by one.
      const status = code ?? 128 + (signal === null ? 0 : constants.signals[signal]);
      if (status !== 0) {
        process.stderr.write(`weft launch: rank ${rank} exited with ${code ?? signal}; stopping this host's other ranks\n`);
        for (const c of children) if (c !== child && c.exitCode === null) c.kill('SIGTERM');
      }
      resolve(status);
    });
  }));
  const forward = (signal: NodeJS.Signals) => () => children.forEach((c) => c.kill(signal));
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  const statuses = await Promise.all(exits);
  return statuses.find((s) => s !== 0) ?? 0;
}
