/** docs/operations.md names every metric the server exports and every option of the metrics listener, so the operator's table cannot drift. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DomainMetrics } from '../../../server/metrics/domainMetrics.js';

const guide = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');

describe('docs/operations.md: metrics', () => {
  it('names every sdk_ metric, the metrics options and HSTS', async () => {
    const metrics = new DomainMetrics({ defaultMetrics: false });
    metrics.countConnectedCars(() => 0);
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => !guide.includes(`\`${n}\``))).toEqual([]);
    for (const option of ['METRICS_PORT', 'METRICS_HOST', 'METRICS_TOKEN', 'PORTAL_URL']) expect(guide).toContain(`\`${option}\``);
    expect(guide).toMatch(/HSTS/);
  });
});
