import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Importing weft must leave the process as it found it: the tfjs wasm module's emscripten glue
 * adds an 'uncaughtException' and an 'unhandledRejection' listener that rethrow, which turned
 * every error in a user's program into exit code 7 behind a dump of the minified glue.
 */
const ROOT = resolve(import.meta.dirname, '..');
const INDEX = pathToFileURL(join(ROOT, 'src', 'index.ts')).href;
const tmp = mkdtempSync(join(tmpdir(), 'weft-hygiene-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/** Runs `lines` as an ES module under tsx in a fresh node, after they import weft as `weft`. */
function runScript(name: string, lines: string[]) {
  const script = join(tmp, `${name}.mts`);
  writeFileSync(script, lines.join('\n'));
  return spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

/** What Node prints for an uncaught error of the user's, and nothing of the wasm glue. */
function expectUsersOwnCrash(r: ReturnType<typeof runScript>, message: string, line: string) {
  expect(r.stdout).toBe('imported\n');
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`Error: ${message}\n    at `);
  expect(r.stderr).toContain(line); // the source line Node shows above the stack: the user's
  expect(r.stderr).not.toMatch(/tfjs-backend-wasm|Emscripten|ExitStatus/);
}

describe('importing weft leaves the process error handling alone', () => {
  it('adds no uncaughtException or unhandledRejection listener in this thread', async () => {
    const listeners = (e: (typeof EVENTS)[number]): unknown[] => process.listeners(e as 'uncaughtException');
    const before = EVENTS.map(listeners);
    const weft = await import('../src/index.js');
    expect(weft.tf.getBackend()).toBe('wasm');
    expect(EVENTS.map(listeners)).toEqual(before);
  });

  it('adds none in a worker thread either (the pool workers load the backend the same way)', async () => {
    const entry = join(tmp, 'worker.mjs');
    writeFileSync(entry, [
      `import { parentPort } from 'node:worker_threads';`,
      // As src/parallel/tsx-worker.mjs does: a worker registers tsx's loader itself.
      `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};`,
      `register();`,
      `const count = () => ['uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e));`,
      `const before = count();`,
      `const weft = await import(${JSON.stringify(INDEX)});`,
      `parentPort.postMessage({ before, after: count(), backend: weft.tf.getBackend() });`,
    ].join('\n'));
    const worker = new Worker(entry);
    const reply = await new Promise((done, fail) => {
      worker.once('message', done);
      worker.once('error', fail);
    });
    await worker.terminate();
    expect(reply).toEqual({ before: [0, 0], after: [0, 0], backend: 'wasm' });
  });

  it("a script that imports weft and throws exits 1 with its own error and stack, not 7", () => {
    const r = runScript('throws', [
      `import * as weft from ${JSON.stringify(INDEX)};`,
      `weft.tf.scalar(1).dispose();`,
      `console.log('imported');`,
      `throw new Error('the user script failed');`,
    ]);
    expectUsersOwnCrash(r, 'the user script failed', "throw new Error('the user script failed');");
  });

  it('an unhandled rejection after importing weft exits 1 with its own error, not 7', () => {
    const r = runScript('rejects', [
      `import * as weft from ${JSON.stringify(INDEX)};`,
      `weft.tf.scalar(1).dispose();`,
      `console.log('imported');`,
      `Promise.reject(new Error('a promise nobody awaited'));`,
    ]);
    expectUsersOwnCrash(r, 'a promise nobody awaited', "Promise.reject(new Error('a promise nobody awaited'));");
  });

  it("the user's own uncaughtException listener, set before the import, is kept and still runs", () => {
    const r = runScript('own-handler', [
      `process.on('uncaughtException', (e) => { console.log('handled: ' + e.message); process.exitCode = 5; });`,
      `const weft = await import(${JSON.stringify(INDEX)});`,
      `console.log('imported', process.listenerCount('uncaughtException'));`,
      `setTimeout(() => { throw new Error('late'); }, 0);`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('imported 1\nhandled: late\n');
    expect(r.status).toBe(5);
  });
});
