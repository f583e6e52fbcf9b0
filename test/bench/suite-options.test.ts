import { describe, expect, it } from 'vitest';
import { parseBenchFlags } from '../../src/cli.js';
import { defaultWorkerCounts, PEER_NAMES, suitePlan } from '../../bench/suite-options.js';
import { timeToTarget } from '../../bench/time-to-target.js';

const plan = (argv: string[], cores = 16) => suitePlan(parseBenchFlags(argv), cores, '/results');

describe('bench suite plan', () => {
  it('worker counts double up to the core count, which is always measured', () => {
    expect(defaultWorkerCounts(1)).toEqual([1]);
    expect(defaultWorkerCounts(2)).toEqual([1, 2]);
    expect(defaultWorkerCounts(12)).toEqual([1, 2, 4, 8, 12]);
    expect(defaultWorkerCounts(16)).toEqual([1, 2, 4, 8, 16]);
  });

  it('the full suite measures the MLP and the convnet at batch 128 and 512, both seed models, the wide model, the BN MLP and every peer', () => {
    const p = plan([]);
    expect(p.quick).toBe(false);
    expect(p.models).toEqual([
      { key: 'mlp', batch: 128 }, { key: 'mlp', batch: 512 }, { key: 'seed1', batch: 256 }, { key: 'seed3', batch: 256 }, { key: 'wide', batch: 512 },
      { key: 'convnet', batch: 128 }, { key: 'convnet', batch: 512 }, { key: 'bnmlp', batch: 512 },
    ]);
    expect(p.workers).toEqual([1, 2, 4, 8, 16]);
    expect(p.peers).toEqual(PEER_NAMES);
    expect(p.repeats).toBeGreaterThanOrEqual(5);
    expect(p.out).toBe('/results');
  });

  it('--quick is short: two models at 1 and all workers, brief timings', () => {
    const p = plan(['--quick'], 2);
    expect(p.models.map((m) => m.key)).toEqual(['mlp', 'seed1']);
    expect(p.workers).toEqual([1, 2]);
    expect(p.warmupMs).toBeLessThan(plan([], 2).warmupMs);
    expect(p.peerBudgetMs).toBeLessThan(plan([], 2).peerBudgetMs);
    expect(plan(['--quick'], 1).workers).toEqual([1]);
  });

  it('explicit flags win: models with @batch, workers, peers none, out none', () => {
    const p = plan(['--models', 'mlp@2048,seed3', '--workers', '1,3,16', '--peers', 'none', '--out', 'none', '--repeats', '7']);
    expect(p.models).toEqual([{ key: 'mlp', batch: 2048 }, { key: 'seed3', batch: 256 }]);
    expect(plan(['--models', 'convnet']).models).toEqual([{ key: 'convnet', batch: 128 }]);
    expect(p.workers).toEqual([1, 3, 16]);
    expect(p.peers).toEqual([]);
    expect(p.out).toBeNull();
    expect(p.repeats).toBe(7);
    expect(plan(['--peers', 'pytorch']).peers).toEqual(['pytorch']);
  });

  it.each([
    [['--models', 'mpl'], /--models: expected NAME or NAME@BATCH .*mlp, seed1, seed3, wide, convnet, bnmlp, received 'mpl'/],
    [['--models', 'mlp@0'], /--models: expected a positive integer, received '0'/],
    [['--models', 'mlp@12@3'], /received 'mlp@12@3'/],
    [['--workers', '1,0'], /--workers: expected positive integers separated by commas, received '1,0'/],
    [['--workers', '2,x'], /--workers: .*received '2,x'/],
    [['--peers', 'torch'], /--peers: expected 'none' or some of tfjs-layers-wasm, tfjs-layers-cpu, pytorch, received 'torch'/],
    [['--repeats', '2.5'], /--repeats: expected a positive integer, received '2.5'/],
    [['--sharded', 'yes'], /--sharded: expected auto, on or off, received 'yes'/],
    [['--warmup-ms=-1'], /--warmup-ms: expected a number >= 0, received '-1'/],
    [['--peer-budget-s', '0'], /--peer-budget-s: expected a number > 0, received '0'/],
  ])('rejects %j', (argv, message) => {
    expect(() => plan(argv)).toThrow(message);
  });

  it('--help is a flag the plan leaves to the caller (the suite prints usage and measures nothing)', () => {
    expect(parseBenchFlags(['--help']).help).toBe(true);
    expect(parseBenchFlags(['-h']).help).toBe(true);
  });

  it('an unknown flag is a usage error naming the flags', () => {
    expect(() => plan(['--modles', 'mlp'])).toThrow(/unknown flag: expected one of --quick, --models/);
  });
});

describe('time to target accuracy', () => {
  const records = [0.8, 0.86, 0.881, 0.879, 0.89].map((testAccuracy, i) => ({ epoch: i + 1, trainSeconds: 2 * (i + 1), wallSeconds: 2.5 * (i + 1), testAccuracy, loss: 1 - testAccuracy }));

  it('is the first epoch at or above the target, not the best one', () => {
    expect(timeToTarget(records, 0.88)?.epoch).toBe(3);
    expect(timeToTarget(records, 0.88)?.trainSeconds).toBe(6);
    expect(timeToTarget(records, 0.89)?.epoch).toBe(5);
    expect(timeToTarget(records, 0.9)).toBeUndefined();
    expect(timeToTarget([], 0.5)).toBeUndefined();
  });
});
