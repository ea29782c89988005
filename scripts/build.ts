/**
 * `npm run build`: compile server/, ble-sim/ and shared/ to JavaScript in dist/ (or `--out-dir DIR`)
 * with tsc, and copy the files the compiled code reads at run time (the dealer portal's static
 * files and the web front ends, built into web/dist/ first when their sources changed). Production then runs `node dist/server/main.js`, without tsx.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import buildWebWhenStale from '../test/support/webBuild.js';

const { values } = parseArgs({ options: { 'out-dir': { type: 'string', default: 'dist' } } });
const outDir = resolve(values['out-dir']);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

// The web front ends first (vite, into web/dist/), unless the last build is newer than every source:
// the same check the test suite makes, so a build during the tests never empties web/dist/ under them.
await buildWebWhenStale();
rmSync(outDir, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], { stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error('build failed: tsc reported errors');
  process.exit(compiled.status ?? 1);
}
// The web front ends, where customerPortal.ts looks for them (relative to its own module).
cpSync('web/dist', join(outDir, 'web/dist'), { recursive: true });
console.log(`built ${outDir} — run the server with: node ${join(values['out-dir']!, 'server/main.js')}`);
