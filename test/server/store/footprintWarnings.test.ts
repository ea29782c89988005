/** Which Redis hash listpack limits turn holder buckets into hash tables (server/store/footprintWarnings.ts). */
import { describe, expect, it } from 'vitest';
import { footprintWarnings, RECOMMENDED_LISTPACK } from '../../../server/store/footprintWarnings.js';

describe('footprintWarnings', () => {
  it.each([
    [{ hashMaxListpackEntries: 512, hashMaxListpackValue: 512 }, null],
    [{ hashMaxListpackEntries: 1024, hashMaxListpackValue: 4096 }, null],
    [{ hashMaxListpackEntries: 512, hashMaxListpackValue: 64 }, /has hash-max-listpack-value 64: holder buckets and the keys of each epoch become hash tables/],
    [{ hashMaxListpackEntries: 128, hashMaxListpackValue: 512 }, /has hash-max-listpack-entries 128: /],
    [{ hashMaxListpackEntries: 128, hashMaxListpackValue: 64 }, /has hash-max-listpack-entries 128 and hash-max-listpack-value 64: /],
    [{ hashMaxListpackEntries: null, hashMaxListpackValue: null }, /refused CONFIG GET: cannot check that holder buckets stay compact/],
  ])('%o', (settings, warning) => {
    const warnings = footprintWarnings([{ node: '10.0.0.5:6379', ...settings }]);
    if (warning === null) expect(warnings).toEqual([]);
    else {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(warning);
      expect(warnings[0]).toContain('10.0.0.5:6379');
      expect(warnings[0]).toContain(`${RECOMMENDED_LISTPACK.entries}`);
    }
  });

  it('one warning per node of a cluster that needs one', () => {
    const nodes = [
      { node: 'a:1', hashMaxListpackEntries: 512, hashMaxListpackValue: 512 },
      { node: 'b:2', hashMaxListpackEntries: 512, hashMaxListpackValue: 64 },
      { node: 'c:3', hashMaxListpackEntries: 128, hashMaxListpackValue: 512 },
    ];
    expect(footprintWarnings(nodes).map((w) => w.split(' ')[1])).toEqual(['b:2', 'c:3']);
  });
});
