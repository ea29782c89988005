/**
 * docs/api.md is the phone-app team's guide: it must say what to do about every error code, with the
 * retry advice the code itself carries (shared/errors/errorCode.ts), and every link in it must resolve.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, MAY_HAVE_SUCCEEDED, type ErrorCode } from '../../shared/errors/errorCode.js';

const GUIDE = fileURLToPath(new URL('../../docs/api.md', import.meta.url));
const text = readFileSync(GUIDE, 'utf8');

/** The rows of the error table: code → its retry column. */
function errorRows(): Map<string, string> {
  const rows = new Map<string, string>();
  const section = text.slice(text.indexOf('## Error codes'));
  for (const m of section.matchAll(/^\| `([A-Z_]+)` \| [^|]+ \| ([^|]+) \|/gm)) rows.set(m[1]!, m[2]!.trim());
  return rows;
}

describe('docs/api.md', () => {
  it('has a row for every error code, and nothing else, with the retry advice of the code', () => {
    const rows = errorRows();
    const codes = Object.keys(ERROR_CODES) as ErrorCode[];
    expect(codes.filter((c) => !rows.has(c))).toEqual([]);
    expect([...rows.keys()].filter((c) => !codes.includes(c as ErrorCode))).toEqual([]);
    const wrong = codes.filter((code) => {
      const advice = rows.get(code)!;
      const expected = MAY_HAVE_SUCCEEDED.has(code) ? '**may have succeeded**' : ERROR_CODES[code].retry ? 'yes' : 'no';
      return advice !== expected;
    });
    expect(wrong).toEqual([]);
  });

  it('links only to files that exist', () => {
    const targets = [...text.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((t) => !/^https?:/.test(t));
    expect(targets.length).toBeGreaterThan(0);
    expect(targets.filter((t) => !existsSync(resolve(dirname(GUIDE), t)))).toEqual([]);
  });
});
