// Builds weft's optional Gloo binding (src/parallel/gloo/native) during `npm ci` / `npm install`.
// Multi-host training needs it; nothing else does. So this never fails the install: where Gloo's
// headers or a C++ toolchain are missing, or the build fails, it says so and exits 0, and weft
// runs single-host exactly as without it (asking for several hosts then names what to install).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'src/parallel/gloo/native');

function skip(why) {
  console.log(`weft: the Gloo binding was not built (${why}); single-host training works as always. ` +
    'For multi-host training: apt-get install libgloo-dev g++ make, then npm rebuild weft (or npm ci).');
  process.exit(0);
}

if (process.env.WEFT_SKIP_GLOO) skip('WEFT_SKIP_GLOO is set');
const includeDirs = [...(process.env.CPATH ?? '').split(':').filter(Boolean), '/usr/include', '/usr/local/include'];
if (!includeDirs.some((d) => existsSync(join(d, 'gloo/allreduce.h')))) skip('Gloo\'s headers (gloo/allreduce.h) are not installed');

// npm hands its own node-gyp to scripts; run directly (node scripts/build-gloo.mjs), use npm's copy.
const npmGyp = join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
const gyp = process.env.npm_config_node_gyp ?? npmGyp;
if (!existsSync(gyp)) skip(`node-gyp was not found at ${gyp}`);
const args = [gyp, 'rebuild', `--directory=${dir}`];
// Debian's nodejs ships its headers in /usr/include/node: build against them, no download.
if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (run.status !== 0) {
  process.stderr.write(`${run.stdout ?? ''}${run.stderr ?? ''}\n`);
  skip(`node-gyp exited with ${run.status ?? run.signal}; its output is above`);
}
console.log('weft: built the Gloo binding (multi-host training available)');
