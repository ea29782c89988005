/** Which Redis persistence settings can lose acknowledged writes (revocations included). */
import { describe, expect, it } from 'vitest';
import { durabilityWarnings } from '../../../server/store/durabilityWarnings.js';

describe('durabilityWarnings', () => {
  it.each([
    [{ appendonly: 'yes', appendfsync: 'everysec' }, null],
    [{ appendonly: 'yes', appendfsync: 'always' }, null],
    [{ appendonly: 'no', appendfsync: 'everysec' }, /has appendonly no: a Redis crash loses every acknowledged write since the last snapshot/],
    [{ appendonly: 'yes', appendfsync: 'no' }, /has appendfsync no/],
    [{ appendonly: null, appendfsync: null }, /refused CONFIG GET/],
  ])('%o', (settings, warning) => {
    const warnings = durabilityWarnings([{ node: '10.0.0.5:6379', ...settings }]);
    if (warning === null) expect(warnings).toEqual([]);
    else {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(warning);
      expect(warnings[0]).toContain('10.0.0.5:6379');
    }
  });

  it('one warning per node of a cluster that needs one', () => {
    const nodes = [
      { node: 'a:1', appendonly: 'yes', appendfsync: 'everysec' },
      { node: 'b:2', appendonly: 'no', appendfsync: 'everysec' },
      { node: 'c:3', appendonly: 'no', appendfsync: 'everysec' },
    ];
    expect(durabilityWarnings(nodes).map((w) => w.split(' ')[1])).toEqual(['b:2', 'c:3']);
  });
});
