/**
 * Cross-host all-reduce through Gloo against gradient size, on processes over loopback (each
 * a "host"), with a model of H hosts on 10 and 25 GbE: a ring all-reduce moves 2(H-1)/H x the
 * gradient's bytes through each host's link per step, in 2(H-1) rounds each costing a latency.
 * `npm run bench:hosts -- [--hosts 2,3] [--repeats 30]`. Prints medians after warm-up.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { initHostGroup, leaveHostGroup } from '../src/parallel/gloo/group.js';

const SIZES = [1_024, 16_384, 131_072, 407_050, 1_048_576, 4_194_304];
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function rank(): Promise<void> {
  const group = await initHostGroup({});
  const repeats = Number(process.env.REPEATS ?? 30);
  const rows: Record<number, number> = {};
  for (const n of SIZES) {
    const values = new Float32Array(new SharedArrayBuffer(n * 4)).fill(1);
    const times: number[] = [];
    for (let i = 0; i < repeats + 5; i++) {
      const t0 = performance.now();
      await group.allreduce(values, 'in the benchmark');
      if (i >= 5) times.push(performance.now() - t0);
    }
    rows[n] = median(times);
  }
  if (group.rank === 0) console.log(`RESULT ${JSON.stringify(rows)}`);
  await leaveHostGroup();
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function runHosts(hosts: number, repeats: number): Promise<Record<number, number>> {
  const port = await freePort();
  const outs = await Promise.all(Array.from({ length: hosts }, (_, r) => new Promise<string>((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, WORLD_SIZE: String(hosts), RANK: String(r), MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port), REPEATS: String(repeats) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', () => resolve(out));
  })));
  return JSON.parse(/RESULT (.*)/.exec(outs[0] as string)?.[1] ?? '{}') as Record<number, number>;
}

/** The ring all-reduce's time on a link of `gbit` Gbit/s with `latencyUs` per round. */
function modelMs(hosts: number, floats: number, gbit: number, latencyUs = 25): number {
  const bytes = (2 * (hosts - 1) / hosts) * floats * 4;
  return (bytes * 8) / (gbit * 1e9) * 1e3 + 2 * (hosts - 1) * latencyUs / 1e3;
}

async function launcher(): Promise<void> {
  const hostCounts = arg('hosts', '2,3').split(',').map(Number);
  const repeats = Number(arg('repeats', '30'));
  console.log(`Cross-host sum all-reduce through Gloo, processes on loopback (${repeats} repeats after 5 warm-up, median ms)`);
  console.log('floats      MB   ' + hostCounts.map((h) => `${h} hosts loopback  10GbE model  25GbE model`).join('  '));
  const measured = new Map<number, Record<number, number>>();
  for (const h of hostCounts) measured.set(h, await runHosts(h, repeats));
  for (const n of SIZES) {
    const cells = hostCounts.map((h) => `${(measured.get(h)?.[n] ?? NaN).toFixed(3).padStart(16)}  ${modelMs(h, n, 10).toFixed(3).padStart(11)}  ${modelMs(h, n, 25).toFixed(3).padStart(11)}`);
    console.log(`${String(n).padStart(9)}  ${(n * 4 / 1e6).toFixed(2).padStart(6)}  ${cells.join('  ')}`);
  }
  console.log('Model: 2(H-1)/H x gradient bytes per host link per step + 2(H-1) rounds x 25 us. 407,050 floats = the 784-512-10 Fashion-MNIST MLP.');
}

if (process.env.RANK !== undefined) await rank();
else await launcher();
