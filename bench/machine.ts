/**
 * What the benchmark ran on: the CPU, cores, memory, OS, Node and the versions of weft and the
 * tfjs packages it is compared with, so a result file says which figures it can be compared to.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Machine } from './results.js';

/** The packages whose versions a result records, under the short names the record uses. */
const PACKAGES: Readonly<Record<string, string>> = {
  'tfjs-core': '@tensorflow/tfjs-core',
  'tfjs-backend-wasm': '@tensorflow/tfjs-backend-wasm',
  'tfjs-layers': '@tensorflow/tfjs-layers',
};

/** Words in CPU brand strings that name no model: trademarks, "Processor", "CPU", "16-Core", the clock, "with Radeon Graphics". */
const NOISE = /\((?:r|tm|c)\)|\b(?:processor|cpu|[a-z0-9]+-core)\b|@?\s*\b[\d.]+\s*[gm]hz\b|\bwith\b.*$/gi;

/**
 * A short, file-name-safe slug for a machine: the CPU's vendor and model words, lower case, joined
 * by hyphens, then the core count: "AMD EPYC 7B13", 2 → "amd-epyc-7b13-2c". A "+" in a model
 * number (Xeon 8480+) is a different part, so it is kept as "plus" rather than dropped.
 */
export function machineLabel(cpu: string, cores: number): string {
  const words = cpu
    .replace(NOISE, ' ')
    .replace(/\+/g, 'plus')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  return [...(words.length > 0 ? words : ['unknown']), `${cores}c`].join('-');
}

/** The version in `name`'s package.json, or undefined when the package is not installed here. */
function installedVersion(require: ReturnType<typeof createRequire>, name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch (err) {
    // Only "not installed" means leave it out: tfjs-layers is a devDependency, absent in production installs.
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/**
 * weft's own package.json: the first one above this file. This module runs both from bench/
 * (tsx, vitest) and from dist/bench/ (compiled), so the depth to the repository root differs.
 */
function weftVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) throw new Error(`machine: no package.json above ${fileURLToPath(import.meta.url)}`);
  }
}

/** Probes this machine. `extra` versions (e.g. torch, which only the Python peer can report) are merged in. */
export function probeMachine(extra: Readonly<Record<string, string>> = {}): Machine {
  const require = createRequire(import.meta.url);
  const versions: Record<string, string> = { weft: weftVersion() };
  for (const [short, name] of Object.entries(PACKAGES)) {
    const version = installedVersion(require, name);
    if (version !== undefined) versions[short] = version;
  }
  const cpu = cpus()[0]?.model.trim() || 'unknown';
  const cores = availableParallelism();
  return {
    label: machineLabel(cpu, cores),
    cpu,
    cores,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    versions: { ...versions, ...extra },
  };
}
