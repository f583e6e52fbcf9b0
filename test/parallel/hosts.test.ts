import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, simulatedHosts, type SimulatedHosts } from '../../bench/netns.js';
import { hostConfig } from '../../src/parallel/gloo/config.js';
import { ControlLine } from '../../src/parallel/gloo/control-line.js';
import { HostGroupError } from '../../src/parallel/gloo/errors.js';
import { glooAvailable } from '../../src/parallel/gloo/native.js';
import { StoreServer } from '../../src/parallel/gloo/store-server.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

interface RankResult {
  rank: number;
  loss?: number[];
  valLoss?: number[];
  weights?: number[][];
  evaluate?: number[];
  predict?: number[];
  error?: string;
  message?: string;
  lostRank?: number | null;
  same?: boolean;
}

/** Runs the weft CLI from the sources in a fresh node; resolves with its exit code and output. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** The hosts ranks run on: network namespaces where this machine allows them (root), else loopback. */
let hosts: SimulatedHosts;

/**
 * Runs test/support/host-rank.ts as `world` ranks, rank i on host i (torchrun's variables
 * each); resolves with each one's RESULT once every rank but `stuck` has exited (a stuck one,
 * stopped by its case, is killed then).
 */
async function runRanks(world: number, env: Record<string, string>, stuck: number | null = null, on: SimulatedHosts = hosts): Promise<{ results: RankResult[]; codes: (number | null)[] }> {
  const port = await freePort();
  const children: ChildProcess[] = [];
  const runs = Array.from({ length: world }, (_, rank) => new Promise<{ out: string; code: number | null }>((resolve) => {
    const [program, args] = on.spawnArgs(rank, [process.execPath, '--import', 'tsx', 'test/support/host-rank.ts']);
    const child = spawn(program, args, {
      cwd: ROOT,
      env: { ...process.env, WORLD_SIZE: String(world), RANK: String(rank), MASTER_ADDR: on.addresses[0], MASTER_PORT: String(port), WEFT_TIMEOUT: '60', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (c) => (out += c));
    child.on('exit', (code) => resolve({ out, code }));
  }));
  // Never outlive the test: a rank still running after 150 s is killed (and its RESULT missing).
  const deadline = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), 150_000);
  const others = runs.filter((_, r) => r !== stuck);
  await Promise.all(others);
  clearTimeout(deadline);
  if (stuck !== null) children[stuck]?.kill('SIGKILL');
  const done = await Promise.all(runs);
  const results = done.map((d) => JSON.parse(/RESULT (.*)/.exec(d.out)?.[1] ?? 'null') as RankResult);
  return { results, codes: done.map((d) => d.code) };
}

function maxDiff(a: number[], b: number[]): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
}

/**
 * The ranks of a multi-host run trained what one host trained: none failed, every rank holds
 * bitwise rank 0's weights, and those are one host's up to float summation order.
 */
function expectOneHostRun(results: readonly RankResult[], solo: RankResult, label: string): void {
  for (const r of results) expect(r?.error, `${label} rank ${r?.rank}: ${r?.message}`).toBeUndefined();
  for (const r of results) expect(r.weights, `${label} rank ${r.rank}`).toEqual(results[0]?.weights);
  results[0]!.weights!.forEach((w, i) => expect(maxDiff(w, solo.weights![i]!), `${label} weight ${i}`).toBeLessThan(1e-4));
  expect(maxDiff(results[0]!.loss!, solo.loss!)).toBeLessThan(1e-5);
}

describe('host group configuration (torchrun and Slurm variables)', () => {
  const base = { WORLD_SIZE: '3', RANK: '1', MASTER_ADDR: '10.0.0.1', MASTER_PORT: '29400' };

  it('reads torchrun\'s variables, with options overriding them', () => {
    expect(hostConfig({}, base)).toMatchObject({ rank: 1, worldSize: 3, store: { kind: 'tcp', host: '10.0.0.1', port: 29400 }, localRank: 0, localWorldSize: 1, timeoutMs: 120_000 });
    expect(hostConfig({ rank: 2, masterPort: 29555 }, base)).toMatchObject({ rank: 2, store: { port: 29555 } });
    expect(hostConfig({}, { ...base, LOCAL_RANK: '1', LOCAL_WORLD_SIZE: '2' })).toMatchObject({ localRank: 1, localWorldSize: 2 });
  });

  it('is null for one process, and defaults the port to 29500', () => {
    expect(hostConfig({}, {})).toBeNull();
    expect(hostConfig({}, { WORLD_SIZE: '1', RANK: '0' })).toBeNull();
    expect(hostConfig({}, { WORLD_SIZE: '2', RANK: '0', MASTER_ADDR: 'a' })?.store).toEqual({ kind: 'tcp', host: 'a', port: 29500 });
  });

  it('falls back to Slurm\'s variables when torchrun\'s are absent', () => {
    const slurm = { SLURM_NTASKS: '4', SLURM_PROCID: '3', SLURM_LOCALID: '1', SLURM_NTASKS_PER_NODE: '2', MASTER_ADDR: 'node01' };
    expect(hostConfig({}, slurm)).toMatchObject({ rank: 3, worldSize: 4, localRank: 1, localWorldSize: 2 });
    expect(() => hostConfig({}, { SLURM_NTASKS: '4', SLURM_PROCID: '0' })).toThrow(/MASTER_ADDR is not.*scontrol show hostnames/);
  });

  it('names each bad or missing variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...base, MASTER_ADDR: '' }, /WORLD_SIZE=3 is set but MASTER_ADDR is not/],
      [{ ...base, RANK: '3' }, /RANK=3 is not below WORLD_SIZE=3/],
      [{ WORLD_SIZE: '2', MASTER_ADDR: 'a' }, /WORLD_SIZE=2 is set but RANK is not/],
      [{ ...base, WORLD_SIZE: 'two' }, /WORLD_SIZE must be the number of processes.*received WORLD_SIZE="two"/],
      [{ ...base, RANK: '-1' }, /RANK must be .*received RANK="-1"/],
      [{ ...base, MASTER_PORT: '70000' }, /MASTER_PORT must be a TCP port/],
      [{ ...base, WEFT_STORE: 'etcd://x' }, /WEFT_STORE must be 'tcp', a redis:\/\/host:port URL or a file:\/\/\/directory URL/],
      [{ ...base, WEFT_TIMEOUT: '0' }, /WEFT_TIMEOUT must be a number of seconds from 0.001 to 2147483; received WEFT_TIMEOUT="0"/],
      [{ ...base, WEFT_TIMEOUT: '9e9' }, /WEFT_TIMEOUT must be a number of seconds from 0.001 to 2147483/],
      [{ ...base, WEFT_STORE: 'redis://user:secret@cache:6379' }, /Gloo's RedisStore takes no user, password or database/],
      [{ ...base, WEFT_STORE: 'redis//cache' }, /WEFT_STORE must be 'tcp', a redis:\/\/host:port URL or a file:\/\/\/directory URL; received WEFT_STORE="redis\/\/cache"/],
      [{ ...base, LOCAL_RANK: '2', LOCAL_WORLD_SIZE: '2' }, /LOCAL_RANK=2 is not below LOCAL_WORLD_SIZE=2/],
    ];
    for (const [env, message] of cases) expect(() => hostConfig({}, env), JSON.stringify(env)).toThrow(message);
    expect(() => hostConfig({ rank: 5 }, base)).toThrow(/rank=5 is not below WORLD_SIZE=3/);
  });

  it('reads the Redis and file stores', () => {
    expect(hostConfig({}, { ...base, WEFT_STORE: 'redis://cache:6380' })?.store).toEqual({ kind: 'redis', host: 'cache', port: 6380 });
    expect(hostConfig({ store: 'file:///shared/run1' }, base)?.store).toEqual({ kind: 'file', path: '/shared/run1' });
    expect(hostConfig({ store: 'file:///shared/my%20run' }, base)?.store).toEqual({ kind: 'file', path: '/shared/my run' });
  });
});

describe('the rendezvous store rank 0 serves', () => {
  const reg = (rank: number, worldSize = 3) => ({ rank, worldSize, pid: 1000 + rank, host: 'h' });

  /** Runs `body` against a store for `worldSize` ranks on a free port (`timeoutMs` to form), then closes it. */
  async function withStore(worldSize: number, body: (port: number) => Promise<void>, timeoutMs = 10_000): Promise<void> {
    const port = await freePort();
    const server = await StoreServer.listen(port, worldSize, timeoutMs, 10_000);
    try {
      await body(port);
    } finally {
      server.close();
    }
  }

  it('refuses two processes with one RANK, naming both, on every rank', async () => {
    await withStore(3, async (port) => {
      const lines = [ControlLine.open('127.0.0.1', port, reg(1), 10_000), ControlLine.open('127.0.0.1', port, reg(1), 10_000)];
      const settled = await Promise.allSettled(lines);
      for (const s of settled) {
        expect(s.status).toBe('rejected');
        expect(String((s as PromiseRejectedResult).reason)).toMatch(/two processes claim RANK 1 \(pid 1001 on h and pid 1001 on h\)/);
      }
    });
  });

  it('refuses ranks that disagree on WORLD_SIZE', async () => {
    await withStore(3, async (port) => {
      const a = ControlLine.open('127.0.0.1', port, reg(0), 10_000);
      const b = ControlLine.open('127.0.0.1', port, reg(1, 4), 10_000);
      const [ra, rb] = await Promise.allSettled([a, b]);
      expect(String((ra as PromiseRejectedResult).reason)).toMatch(/disagree on WORLD_SIZE: rank 0 has 3, rank 1 .* has 4/);
      expect((rb as PromiseRejectedResult).reason).toBeInstanceOf(HostGroupError);
    });
  });

  it('names the ranks that never came, within the timeout', async () => {
    await withStore(3, async (port) => {
      await expect(ControlLine.open('127.0.0.1', port, reg(0), 5_000)).rejects.toThrow(/ranks 1, 2 of 3 did not join within 0.8 s/);
    }, 800);
  });

  it('says so when MASTER_PORT is another service, instead of crashing', async () => {
    const other = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')).listen(0, '127.0.0.1');
    await new Promise((r) => other.once('listening', r));
    const { port } = other.address() as { port: number };
    try {
      await expect(ControlLine.open('127.0.0.1', port, reg(1), 5_000)).rejects.toThrow(/is not weft's rendezvous store \(it replied "HTTP\/1.1 400 Bad Request/);
    } finally {
      other.close();
    }
  });

  it('a stray process after the group formed is refused alone; junk on the port is dropped; the group lives on', async () => {
    await withStore(2, async (port) => {
      const [a, b] = await Promise.all([ControlLine.open('127.0.0.1', port, reg(0, 2), 5_000), ControlLine.open('127.0.0.1', port, reg(1, 2), 5_000)]);
      await expect(ControlLine.open('127.0.0.1', port, reg(1, 2), 5_000)).rejects.toThrow(/had already formed when a process with RANK 1 .* registered/);
      const junk = connect(port, '127.0.0.1');
      const closed = new Promise((r) => junk.on('close', r));
      junk.resume(); // read the refusal, so the server's end (and then close) arrives
      junk.write(Buffer.from([7, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
      await closed;
      b.close();
      await a.whenLost(5_000);
      // The group was not failed by either: rank 0 hears of rank 1's departure, as for any loss.
      expect(a.lost.get(1)).toMatch(/its connection closed/);
      a.close();
    });
  });

  it('says when MASTER_PORT is taken', async () => {
    await withStore(2, async (port) => {
      await expect(StoreServer.listen(port, 2, 10_000, 10_000)).rejects.toThrow(new RegExp(`MASTER_PORT ${port} is already in use`));
    });
  });

  it('says when no store answers at MASTER_ADDR:MASTER_PORT', async () => {
    const port = await freePort();
    await expect(ControlLine.open('127.0.0.1', port, reg(1), 600)).rejects.toThrow(new RegExp(`rank 1 could not reach the rendezvous store at MASTER_ADDR:MASTER_PORT = 127.0.0.1:${port}`));
  });

  it('tells the others when a rank\'s line closes after the group formed', async () => {
    await withStore(2, async (port) => {
      const [a, b] = await Promise.all([ControlLine.open('127.0.0.1', port, reg(0, 2), 5_000), ControlLine.open('127.0.0.1', port, reg(1, 2), 5_000)]);
      b.close();
      await a.whenLost(5_000);
      expect(a.lost.get(1)).toMatch(/its connection closed/);
      a.close();
    });
  });
});

describe('without the Gloo binding', () => {
  it('trains on one host as always, and a multi-host run says how to get Gloo', async () => {
    const run = (env: Record<string, string>) => runCli(['train', '--epochs', '1', '--workers', '1', '--verbose', '0', '--seed', '1'],
      { WEFT_GLOO_ADDON: '/nonexistent/weft_gloo.node', ...env });
    const alone = await run({});
    expect(alone.code).toBe(0);
    expect(alone.out).toMatch(/Test on 359 examples: loss [\d.]+, accuracy/);
    const port = await freePort();
    const group = await run({ WORLD_SIZE: '2', RANK: '0', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port) });
    expect(group.code).toBe(1);
    expect(group.err).toMatch(/needs weft's Gloo binding, which is not built on this machine.*apt-get install libgloo-dev/);
  }, 120_000);
});

// The rest runs real ranks through Gloo: .ci/run installs libgloo-dev so that npm ci builds the binding.
describe.runIf(glooAvailable())('training across hosts through Gloo (network namespaces, else loopback)', () => {
  beforeAll(() => {
    hosts = simulatedHosts(3);
    console.log(`hosts.test: ranks run on ${hosts.kind === 'netns' ? `network namespaces ${hosts.addresses.join(', ')}` : 'loopback (namespaces refused)'}`);
  });
  afterAll(() => hosts.teardown());

  it('2 and 3 hosts train the model one host trains, up to float summation order, every rank alike', async () => {
    const solo = (await runRanks(1, { MODEL_SEED: '11' })).results[0] as RankResult;
    expect(solo.weights).toBeDefined();
    for (const [world, pool] of [[2, 1], [3, 1], [2, 2]] as const) {
      const { results } = await runRanks(world, { MODEL_SEED: '11', POOL: String(pool) });
      // One host's run, with the same dropout masks: the sums differ in their order only.
      expectOneHostRun(results, solo, `${world}x${pool}`);
      // Every rank holds bitwise the same losses and answers as rank 0, too.
      for (const r of results) {
        expect(r.loss).toEqual(results[0]?.loss);
        expect(r.predict).toEqual(results[0]?.predict);
      }
      const r0 = results[0] as RankResult;
      expect(maxDiff(r0.valLoss!, solo.valLoss!)).toBeLessThan(1e-5);
      expect(maxDiff(r0.evaluate!, solo.evaluate!)).toBeLessThan(1e-4);
      expect(r0.predict).toHaveLength(600 * 10);
      expect(maxDiff(r0.predict!, solo.predict!)).toBeLessThan(1e-4);
    }
  }, 300_000);

  it('BatchNormalization\'s in-step statistics span the hosts: 2 hosts x 1-2 workers train what one host trains', async () => {
    const solo = (await runRanks(1, { MODEL_SEED: '11', BATCH_NORM: '1' })).results[0] as RankResult;
    for (const pool of [1, 2]) {
      const { results } = await runRanks(2, { MODEL_SEED: '11', BATCH_NORM: '1', POOL: String(pool) });
      // Moving mean and variance included: every host saw the global batch's statistics.
      expectOneHostRun(results, solo, `2x${pool}`);
    }
  }, 180_000);

  it('a model large enough for the workers\' ranged update: 2 hosts x 2 workers train what one host trains', async () => {
    const solo = (await runRanks(1, { MODEL_SEED: '11', WIDE: '1', POOL: '2' })).results[0] as RankResult;
    const { results } = await runRanks(2, { MODEL_SEED: '11', WIDE: '1', POOL: '2' });
    expectOneHostRun(results, solo, '2x2 wide');
  }, 180_000);

  it('a stream of batches (fitDataset): 2 hosts train what one host trains', async () => {
    const solo = (await runRanks(1, { MODEL_SEED: '11', HOST_CASE: 'stream' })).results[0] as RankResult;
    const { results } = await runRanks(2, { MODEL_SEED: '11', HOST_CASE: 'stream' });
    expectOneHostRun(results, solo, '2x1 stream');
  }, 120_000);

  it('unseeded ranks start from rank 0\'s weights', async () => {
    const { results } = await runRanks(2, {});
    for (const r of results) expect(r?.error, r?.message).toBeUndefined();
    expect(results[0]?.weights).toHaveLength(4);
    expect(results[1]?.weights).toEqual(results[0]?.weights);
  }, 120_000);

  it('a host SIGKILLed mid-run fails the others\' step with an error naming it, their weights those of the last whole step', async () => {
    const { results, codes } = await runRanks(3, { HOST_CASE: 'kill', WEFT_TIMEOUT: '30' });
    expect(codes[2]).toBeNull(); // killed
    for (const r of [results[0], results[1]] as RankResult[]) {
      expect(r.error).toBe('HostLostError');
      expect(r.message).toMatch(/rank 2 of 3 was lost summing the loss at step 5 \(epoch 1\): its connection closed/);
      expect(r.lostRank).toBe(2);
      expect(r.same).toBe(true);
    }
  }, 120_000);

  it('a host that stalls (SIGSTOP) fails the others within the timeout, naming it', async () => {
    const { results } = await runRanks(3, { HOST_CASE: 'stall', WEFT_TIMEOUT: '5' }, 2);
    for (const r of [results[0], results[1]] as RankResult[]) {
      expect(r.error).toBe('HostLostError');
      expect(r.message).toMatch(/rank 2 of 3 was lost .*it sent no heartbeat for \d+ s \(stalled or cut off\)/);
      expect(r.same).toBe(true);
    }
  }, 120_000);

  it('a checkpoint rank 0 wrote on 2 hosts resumes on 3 and continues the same run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-hosts-ckpt-'));
    const whole = (await runRanks(1, { MODEL_SEED: '11', EPOCHS: '3' })).results[0] as RankResult;
    const first = await runRanks(2, { MODEL_SEED: '11', EPOCHS: '2', HOST_CASE: 'checkpoint', CHECKPOINT: dir });
    expect(first.results[0]?.error).toBeUndefined();
    expect(existsSync(join(dir, 'model.json'))).toBe(true);
    const resumed = await runRanks(3, { EPOCHS: '3', HOST_CASE: 'resume', CHECKPOINT: dir });
    for (const r of resumed.results) {
      expect(r.error, r.message).toBeUndefined();
      expect(r.loss).toHaveLength(1);
      expect(r.weights).toEqual(resumed.results[0]?.weights);
    }
    resumed.results[0]!.weights!.forEach((w, i) => expect(maxDiff(w, whole.weights![i]!), `weight ${i}`).toBeLessThan(1e-4));
    expect(maxDiff(resumed.results[0]!.loss!, whole.loss!.slice(2))).toBeLessThan(1e-5);
  }, 180_000);

  it('weft launch starts this host\'s ranks with torchrun\'s variables; rank 0 alone prints', async () => {
    const port = await freePort();
    const train = ['train', '--epochs', '2', '--workers', '1', '--seed', '1', '--verbose', '0'];
    const [alone, launched] = [await runCli(train), await runCli(['launch', '--nproc-per-node', '2', '--master-port', String(port), '--', ...train])];
    expect(launched.code).toBe(0);
    const lines = launched.out.match(/Test on 359 examples: loss ([\d.]+)/g) ?? [];
    expect(lines).toHaveLength(1);
    const loss = (text: string) => Number(/loss ([\d.]+)/.exec(text)?.[1]);
    expect(Math.abs(loss(launched.out) - loss(alone.out))).toBeLessThanOrEqual(2e-4);
  }, 120_000);

  it.runIf(spawnSync('redis-server', ['--version']).status === 0)('rendezvous through Gloo\'s RedisStore (redis://) and FileStore (file://)', async () => {
    const loopback = simulatedHosts(2, 'loopback');
    const port = await freePort();
    const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 500));
      const dir = mkdtempSync(join(tmpdir(), 'weft-hosts-store-'));
      for (const store of [`redis://127.0.0.1:${port}`, `file://${dir}`]) {
        const { results } = await runRanks(2, { MODEL_SEED: '11', WEFT_STORE: store, MASTER_ADDR: '', TORCHELASTIC_RUN_ID: `run-${port}-${store.slice(0, 4)}` }, null, loopback);
        for (const r of results) expect(r.error, `${store}: ${r.message}`).toBeUndefined();
        expect(results[1]?.weights).toEqual(results[0]?.weights);
      }
    } finally {
      redis.kill();
    }
  }, 120_000);

  it('evaluate across hosts on different data on each rank fails on every rank, naming the rank', async () => {
    const { results } = await runRanks(2, { HOST_CASE: 'other-data' });
    for (const r of results) {
      expect(r.error).toBe('HostGroupError');
      expect(r.message).toContain("the ranks called evaluate on different data: these differ from rank 0's (rank 1: rows, data)");
    }
  }, 120_000);

  it('ranks that train another run (another batch size, another model) fail at start, naming the rank and what differs', async () => {
    for (const [testCase, differs] of [['mismatch', 'options'], ['other-model', 'model']]) {
      const { results } = await runRanks(2, { HOST_CASE: testCase as string });
      for (const r of results) {
        expect(r.error).toBe('HostGroupError');
        expect(r.message).toContain(`not training the same run: these differ from rank 0's (rank 1: ${differs})`);
      }
    }
  }, 120_000);
});
