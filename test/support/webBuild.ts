/**
 * Vitest global setup: build the web front ends (`web/` → `web/dist/`, vite.config.ts) once before
 * any test file runs, when the sources are newer than the last build, so the portal tests always
 * serve what the sources say and a clean clone needs nothing but `npm test`.
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WEB = join(ROOT, 'web');
const STAMP = join(WEB, 'dist', '.built');

/** The newest modification time of the build's inputs. */
function newestInput(): number {
  let newest = Math.max(statSync(join(ROOT, 'vite.config.ts')).mtimeMs, statSync(join(ROOT, 'package-lock.json')).mtimeMs);
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'dist' || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(WEB);
  // The portal bundles one server module (the card checks): a change there needs a new build too.
  newest = Math.max(newest, statSync(join(ROOT, 'server', 'subscriptions', 'cardNumber.ts')).mtimeMs);
  return newest;
}

export default async function setup(): Promise<void> {
  if (existsSync(STAMP) && statSync(STAMP).mtimeMs >= newestInput()) return;
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(STAMP, new Date().toISOString());
}
