/** The README and the docs as a newcomer reads them: no reference that leads nowhere. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DOCS = ['README.md', 'docs/operations.md', 'docs/api.md', 'docs/architecture.md', 'docs/owner-api.md'];
const scripts = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts);

describe.each(DOCS)('%s', (file) => {
  const text = readFileSync(file, 'utf8');

  it('cites no DESIGN.md (it is not in the repository)', () => {
    expect(text).not.toMatch(/DESIGN\.md/);
  });

  it('every relative link and every backquoted repository path exists', () => {
    const links = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    const paths = [...text.matchAll(/`((?:server|shared|ble-sim|test|docs|scripts|web)\/[\w./-]+\.(?:ts|md|json))`/g)].map((m) => m[1]!);
    const missing = [...links.map((l) => join(dirname(file), l)), ...paths].filter((p) => !existsSync(p));
    expect(missing).toEqual([]);
  });

  it('every npm run command it shows is a script of package.json', () => {
    const used = [...text.matchAll(/npm run (?:-s )?([\w:-]+)/g)].map((m) => m[1]!);
    expect(used.filter((s) => !scripts.includes(s))).toEqual([]);
  });
});
