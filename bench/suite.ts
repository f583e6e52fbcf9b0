/**
 * The benchmark suite, `npm run bench` / `weft bench`: weft at N = 1, 2, 4, ... workers for each
 * benchmark model, the peers (tfjs-layers on wasm and on cpu, PyTorch on CPU at the same thread
 * counts where `python3 -c "import torch"` works) in the same run, and the record written as
 * JSON, a Markdown table and an SVG plot under bench/results/. Flags: `weft bench --help`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseBenchFlags, usage, UsageError } from '../src/cli-args.js';
import { RESULTS_DIR } from './args.js';
import { probeMachine } from './machine.js';
import { suiteMarkdown } from './markdown.js';
import { BENCH_MODELS } from './models.js';
import { measurePeers, probePeers } from './peers/index.js';
import { ratios, withEfficiency, type ModelResult, type SuiteResult, type WeftPoint } from './results.js';
import { suitePlan, type SuitePlan } from './suite-options.js';
import { suiteSvg } from './svg.js';
import { weftRate } from './weft-rate.js';

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function measureModel(plan: SuitePlan, key: string, batch: number, probe: Awaited<ReturnType<typeof probePeers>>): Promise<ModelResult> {
  const bench = BENCH_MODELS[key];
  const params = bench.build().countParams();
  console.log(`\n${bench.name}, global batch ${batch}, ${fmt(params)} params`);
  const raw: Omit<WeftPoint, 'efficiency'>[] = [];
  for (const workers of plan.workers) {
    raw.push(await weftRate(bench.architecture, { ...plan, batch, workers }));
    const p = withEfficiency(raw).at(-1)!;
    const b = p.breakdown!;
    const step = b.dispatchAndWaitMs + b.reduceMs + b.optimizerMs;
    console.log(
      `  weft N=${workers}: ${fmt(p.samplesPerSec.median)} samples/s (min ${fmt(p.samplesPerSec.min)}, max ${fmt(p.samplesPerSec.max)})` +
      `  efficiency ${(100 * p.efficiency).toFixed(0)}%${raw[0].workers === 1 ? '' : ` (against N=${raw[0].workers})`}; step ${step.toFixed(2)} ms = worker ${b.workerComputeMs.toFixed(2)}` +
      ` + dispatch/wait ${(b.dispatchAndWaitMs - b.workerComputeMs).toFixed(2)} + reduce ${b.reduceMs.toFixed(2)} + optimizer ${b.optimizerMs.toFixed(2)}` +
      (b.updateWorkerMs > 0 ? ` (sharded: slowest worker ${b.updateWorkerMs.toFixed(2)})` : '') +
      // BatchNorm's in-step exchanges, inside the worker time: writing, waiting for the other ranks, summing.
      (b.collectiveCalls > 0 ? `; of the worker's time, ${b.collectiveCalls} in-step exchanges ${b.collectiveMs.toFixed(2)} ms` : ''),
    );
  }
  const peers = await measurePeers(bench.architecture, {
    peers: plan.peers, probe, batch, threads: plan.workers, repeats: plan.repeats, budgetMs: plan.peerBudgetMs,
    warmupMs: plan.warmupMs, minRepeatMs: plan.minRepeatMs, log: (line) => console.log(`  ${line}`),
  });
  const result: ModelResult = { key: `${key}@${batch}`, name: bench.name, batch, params, architecture: bench.architecture, weft: withEfficiency(raw), peers };
  for (const r of ratios(result)) console.log(`  ${r.label}: ${r.value.toFixed(2)}x`);
  return result;
}

async function main(argv: string[]): Promise<void> {
  const flags = parseBenchFlags(argv);
  if (flags.help === true) {
    process.stdout.write(usage('bench'));
    return;
  }
  const plan = suitePlan(flags, availableParallelism(), RESULTS_DIR);
  const probe = await probePeers(plan.peers);
  const machine = probeMachine(probe.versions);
  console.log(`${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; workers ${plan.workers.join(', ')}${plan.quick ? ' (quick)' : ''}`);
  const models: ModelResult[] = [];
  for (const { key, batch } of plan.models) models.push(await measureModel(plan, key, batch, probe));

  const date = new Date().toISOString();
  const result: SuiteResult = { machine, date, command: `weft bench ${argv.join(' ')}`.trim(), quick: plan.quick, repeats: plan.repeats, models };
  if (plan.out !== null) {
    mkdirSync(plan.out, { recursive: true });
    const stem = join(plan.out, `${date.slice(0, 10)}-${machine.label}${plan.quick ? '-quick' : ''}`);
    // A second run the same day on the same machine gets -2, -3, ...: earlier records are kept.
    let base = stem;
    for (let n = 2; existsSync(`${base}.json`); n++) base = `${stem}-${n}`;
    writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(`${base}.md`, suiteMarkdown(result));
    writeFileSync(`${base}.svg`, suiteSvg(result));
    console.log(`\nWrote ${base}.json, .md and .svg`);
  }
}

// `weft bench | head`: the reader going away ends the run quietly, as the CLI does.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(0);
});

try {
  await main(process.argv.slice(2));
} catch (e) {
  // Bad flags: one line, exit 2, as the CLI does; anything else is a real failure with its stack.
  if (e instanceof UsageError || e instanceof RangeError) {
    process.stderr.write(`${e instanceof UsageError ? '' : 'weft bench: '}${e.message}\n`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
