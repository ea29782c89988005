/**
 * Issue 7 §1, kept by the compiler's neighbour: only repositories name storage keys, and the list of
 * repositories in docs/architecture.md is the list of files that do; no record is read with a bare
 * `JSON.parse(…) as T`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(ROOT, path)).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const serverFiles = sourceFiles('server').map((path) => ({ path, text: readFileSync(join(ROOT, path), 'utf8') }));

function listedRepositories(): string[] {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const block = /<!-- repositories -->([\s\S]*?)<!-- \/repositories -->/.exec(doc);
  if (!block?.[1]) throw new Error('docs/architecture.md has no <!-- repositories --> list');
  return [...block[1].matchAll(/`([^`]+\.ts)`/g)].map((m) => m[1] ?? '').sort();
}

describe('the storage boundary', () => {
  it('only the repositories docs/architecture.md lists name storage keys', () => {
    const naming = serverFiles
      .filter(({ path, text }) => !path.startsWith(join('server', 'store')) && /from '[./]*\/store\/storeKeys\.js'/.test(text))
      .map(({ path }) => relative(ROOT, join(ROOT, path)).split('\\').join('/'))
      .sort();
    expect(naming.length).toBeGreaterThan(10);
    expect(naming).toEqual(listedRepositories());
  });

  it('no route or HTTP layer file names a storage key', () => {
    const offenders = serverFiles.filter(({ path, text }) => /^server\/(routes|http)\//.test(path) && /\bstoreKeys\.\w+\(|from '[./]*\/store\/storeKeys\.js'/.test(text)).map(({ path }) => path);
    expect(offenders).toEqual([]);
  });

  it('no server file reads JSON with a bare `as` instead of a schema', () => {
    const offenders = serverFiles.filter(({ text }) => /JSON\.parse\([^;]*\)\s+as\s+[A-Z{]/.test(text)).map(({ path }) => path);
    expect(offenders).toEqual([]);
  });
});
