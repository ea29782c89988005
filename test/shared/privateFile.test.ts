/**
 * Files that hold a secret or a state that must not go back in time are written whole and owner-only
 * (shared/privateFile.ts): the car's provisioning file included, even over a file left readable by others.
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writePrivateFile } from '../../shared/privateFile.js';
import { readVehicleKeyFile, writeVehicleKeyFile } from '../../shared/vehicleKeyFile.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sdk-private-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('a private file', () => {
  it('is 0600 with exactly the new contents, even over a file that was 0644, and leaves no temporary file', async () => {
    const path = join(dir, 'nested', 'state.json');
    await mkdir(join(dir, 'nested'));
    await writePrivateFile(path, 'first');
    await writeFile(path, 'loose', { mode: 0o644 });
    await chmod(path, 0o644);
    await writePrivateFile(path, 'second');
    expect({ mode: (await modeOf(path)).toString(8), files: await readdir(join(dir, 'nested')) }).toEqual({ mode: '600', files: ['state.json'] });
  });

  it("the car's provisioning file: 0600 over a 0644 one, read back whole; a damaged one is refused with a sentence that never holds the secret", async () => {
    const path = join(dir, 'car.key.json');
    await writeFile(path, '{}', { mode: 0o644 });
    const vehicleKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as { kty: 'EC'; crv: 'P-256'; x: string; y: string; d: string };
    const linkSecret = Buffer.alloc(32, 9).toString('base64url');
    await writeVehicleKeyFile(path, { vehicleKey, linkSecret });
    expect((await modeOf(path)).toString(8)).toBe('600');
    expect(await readVehicleKeyFile(path)).toEqual({ vehicleKey, linkSecret });

    await writeFile(path, JSON.stringify({ vehicleKey }));
    const refused = readVehicleKeyFile(path);
    await expect(refused).rejects.toThrow(/does not hold .*\(linkSecret\)/);
    await expect(refused).rejects.not.toThrow(vehicleKey.d);
  });
});
