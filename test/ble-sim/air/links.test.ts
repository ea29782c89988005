/** The air's modules import each other without a cycle: the link faces live in links.ts. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const importsOf = (file: string) =>
  [...readFileSync(new URL(`../../../ble-sim/air/${file}`, import.meta.url), 'utf8').matchAll(/from '\.\/([\w]+)\.js'/g)].map((m) => m[1]);

describe('air module graph', () => {
  it('gattServer.ts and airConnection.ts do not import each other; both take the link faces from links.ts', () => {
    expect(importsOf('gattServer.ts')).not.toContain('airConnection');
    expect(importsOf('gattServer.ts')).toContain('links');
    expect(importsOf('airConnection.ts')).toContain('links');
    expect(importsOf('links.ts')).toEqual(['linkMetrics']);
  });
});
