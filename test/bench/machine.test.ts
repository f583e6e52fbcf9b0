import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { machineLabel, probeMachine } from '../../bench/machine.js';

describe('machineLabel', () => {
  it.each([
    ['AMD EPYC 7B13', 2, 'amd-epyc-7b13-2c'],
    ['AMD EPYC 7763 64-Core Processor', 16, 'amd-epyc-7763-16c'],
    ['Intel(R) Xeon(R) Platinum 8480+', 16, 'intel-xeon-platinum-8480plus-16c'],
    ['Intel(R) Xeon(R) CPU @ 2.20GHz', 4, 'intel-xeon-4c'],
    ['Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz', 12, 'intel-core-i7-8700-12c'],
    ['AMD Ryzen 7 5800H with Radeon Graphics', 16, 'amd-ryzen-7-5800h-16c'],
    ['Apple M2', 8, 'apple-m2-8c'],
    ['', 4, 'unknown-4c'],
  ])('%j on %i cores → %s', (cpu, cores, label) => {
    expect(machineLabel(cpu, cores)).toBe(label);
  });
});

describe('probeMachine', () => {
  const machine = probeMachine();

  it('counts the cores Node may use and names the machine after its CPU', () => {
    expect(machine.cores).toBe(availableParallelism());
    expect(machine.cores).toBeGreaterThanOrEqual(1);
    expect(machine.label).toBe(machineLabel(machine.cpu, machine.cores));
    expect(machine.label).toMatch(/^[a-z0-9-]+-\d+c$/);
  });

  it('records memory, OS and Node', () => {
    expect(machine.memoryGiB).toBeGreaterThan(0);
    expect(machine.os).toContain(process.arch);
    expect(machine.node).toBe(process.version);
  });

  it("records weft's version from the repository's package.json and the installed tfjs versions", () => {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(machine.versions.weft).toBe(pkg.version);
    expect(machine.versions['tfjs-core']).toBe((require('@tensorflow/tfjs-core/package.json') as { version: string }).version);
    expect(machine.versions['tfjs-backend-wasm']).toMatch(/^\d+\.\d+\.\d+/);
    expect(machine.versions).not.toHaveProperty('torch');
  });

  it('merges versions only the caller knows, such as torch', () => {
    expect(probeMachine({ torch: '2.11.0' }).versions).toMatchObject({ torch: '2.11.0', weft: machine.versions.weft });
  });
});
