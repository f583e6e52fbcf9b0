/**
 * Training across hosts, measured: Gloo's all-reduce time against gradient size, and the
 * breakdown of a training step (bench/models.ts's MLP) on 1..H hosts, each host a network
 * namespace with its own address (bench/netns.ts; processes on loopback where namespaces are
 * refused), beside a model of H hosts on 10 and 25 GbE: a ring all-reduce moves 2(H-1)/H x the
 * gradient's bytes through each host's link per step, in 2(H-1) rounds each costing a latency.
 * `npm run bench:hosts -- [--hosts 2,3] [--repeats 30]` (as root for namespaces). Prints medians after warm-up.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { initHostGroup, leaveHostGroup } from '../src/parallel/gloo/group.js';
import { BENCH_MODELS } from './models.js';
import { freePort, simulatedHosts, type SimulatedHosts } from './netns.js';
import { weftRate } from './weft-rate.js';

const SIZES = [1_024, 16_384, 131_072, 407_050, 1_048_576, 4_194_304];
const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] as string) : fallback;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function rank(): Promise<void> {
  // One host: the same step with no group (the baseline of the step table).
  const group = Number(process.env.WORLD_SIZE) > 1 ? await initHostGroup({}) : null;
  const repeats = Number(process.env.REPEATS ?? 30);
  const rows: Record<number, number> = {};
  for (const n of group === null ? [] : SIZES) {
    const values = new Float32Array(new SharedArrayBuffer(n * 4)).fill(1);
    const times: number[] = [];
    for (let i = 0; i < repeats + 5; i++) {
      const t0 = performance.now();
      await group!.allreduce(values, 'in the benchmark');
      if (i >= 5) times.push(performance.now() - t0);
    }
    rows[n] = median(times);
  }
  // A training step of the MLP on this host's part of each batch, one worker per host.
  const mlp = BENCH_MODELS.mlp as (typeof BENCH_MODELS)['mlp'];
  const step = await weftRate(mlp.architecture, { batch: mlp.batch, workers: 1, repeats: 5, warmupMs: 0, minRepeatMs: 0, passes: 2, ...(group === null ? {} : { hosts: group }) });
  if ((group?.rank ?? 0) === 0) console.log(`RESULT ${JSON.stringify({ allreduce: rows, step })}`);
  await leaveHostGroup();
}

interface HostsResult {
  allreduce: Record<number, number>;
  step: { samplesPerSec: { median: number }; breakdown: Record<string, number> };
}

/** Runs `hosts` ranks of this script, rank i on simulated host i; rank 0's RESULT. */
async function runHosts(on: SimulatedHosts, hosts: number, repeats: number): Promise<HostsResult> {
  const port = await freePort();
  const outs = await Promise.all(Array.from({ length: hosts }, (_, r) => new Promise<string>((resolve) => {
    const [program, args] = on.spawnArgs(r, [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)]);
    const child = spawn(program, args, {
      env: { ...process.env, WORLD_SIZE: String(hosts), RANK: String(r), MASTER_ADDR: on.addresses[0], MASTER_PORT: String(port), REPEATS: String(repeats) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', () => resolve(out));
  })));
  return JSON.parse(/RESULT (.*)/.exec(outs[0] as string)?.[1] ?? '{}') as HostsResult;
}

/** The ring all-reduce's time on a link of `gbit` Gbit/s with `latencyUs` per round. */
function modelMs(hosts: number, floats: number, gbit: number, latencyUs = 25): number {
  const bytes = (2 * (hosts - 1) / hosts) * floats * 4;
  return (bytes * 8) / (gbit * 1e9) * 1e3 + 2 * (hosts - 1) * latencyUs / 1e3;
}

async function launcher(): Promise<void> {
  const hostCounts = arg('hosts', '2,3').split(',').map(Number);
  const repeats = Number(arg('repeats', '30'));
  const on = simulatedHosts(Math.max(...hostCounts));
  try {
    console.log(`Hosts: ${on.kind === 'netns' ? `network namespaces on a bridge (${on.addresses.join(', ')})` : 'processes on loopback (namespaces refused)'}`);
    const measured = new Map<number, HostsResult>();
    for (const h of [1, ...hostCounts]) measured.set(h, await runHosts(on, h, repeats));
    console.log(`\nCross-host sum all-reduce through Gloo (${repeats} repeats after 5 warm-up, median ms)`);
    console.log('   floats      MB  ' + hostCounts.map((h) => `  ${h} hosts measured  10GbE model  25GbE model`).join(''));
    for (const n of SIZES) {
      const cells = hostCounts.map((h) => `${(measured.get(h)?.allreduce[n] ?? NaN).toFixed(3).padStart(18)}  ${modelMs(h, n, 10).toFixed(3).padStart(11)}  ${modelMs(h, n, 25).toFixed(3).padStart(11)}`);
      console.log(`${String(n).padStart(9)}  ${(n * 4 / 1e6).toFixed(2).padStart(6)}  ${cells.join('')}`);
    }
    console.log('Model: 2(H-1)/H x gradient bytes per host link per step + 2(H-1) rounds x 25 us. 407,050 floats = the 784-512-10 MLP.');
    console.log(`\nA step of ${BENCH_MODELS.mlp?.name} (669,706 floats), global batch ${BENCH_MODELS.mlp?.batch}, 1 worker per host (median ms per step)`);
    console.log('hosts  samples/s  dispatch+compute  host reduce  across hosts  optimizer');
    for (const h of [1, ...hostCounts]) {
      const s = measured.get(h)?.step;
      const b = s?.breakdown ?? {};
      console.log(`${String(h).padStart(5)}  ${(s?.samplesPerSec.median ?? NaN).toFixed(0).padStart(9)}  ${(b.dispatchAndWaitMs ?? NaN).toFixed(2).padStart(16)}  ${(b.reduceMs ?? NaN).toFixed(2).padStart(11)}  ${(b.crossHostMs ?? NaN).toFixed(2).padStart(12)}  ${(b.optimizerMs ?? NaN).toFixed(2).padStart(9)}`);
    }
    console.log('(every simulated host shares this machine\'s cores: the step\'s compute does not shrink with hosts here; the all-reduce figures are the point)');
  } finally {
    on.teardown();
  }
}

if (process.env.RANK !== undefined) await rank();
else await launcher();
