/**
 * docs/architecture.md says where each layer, contract and rule lives: every file or folder it names
 * must exist, and every rule R1–R15 must have its row, so the document cannot silently go stale.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DOC = fileURLToPath(new URL('../../docs/architecture.md', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const text = readFileSync(DOC, 'utf8');

describe('docs/architecture.md', () => {
  it('names only files and folders that exist', () => {
    const named = [...text.matchAll(/`((?:server|shared|ble-sim|test|docs)\/[\w./*-]*)`/g)].map((m) => m[1]!.replace(/\/\*\.ts$/, '/'));
    expect(named.length).toBeGreaterThan(30);
    expect(named.filter((p) => !existsSync(resolve(ROOT, p)))).toEqual([]);
    const links = [...text.matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1]!).filter((t) => !/^https?:/.test(t));
    expect(links.filter((t) => !existsSync(resolve(dirname(DOC), t)))).toEqual([]);
  });

  it('has a row for every rule R1–R15', () => {
    const rows = new Set([...text.matchAll(/^\| (R\d+)\b/gm)].map((m) => m[1]));
    expect(Array.from({ length: 15 }, (_, i) => `R${i + 1}`).filter((r) => !rows.has(r))).toEqual([]);
  });
});
