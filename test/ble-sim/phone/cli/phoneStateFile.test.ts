/**
 * The phone CLI's state file keeps each key's response and advertising keys and its bonds by car
 * (VIN), schema-checked when read: a wallet entry without its keys is refused, and a bond saved by
 * address before cars rotated their address is dropped (the next command bonds again).
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPhoneState, writePhoneState, type PhoneState } from '../../../../ble-sim/phone/cli/phoneStateFile.js';
import { VIN } from '../../../support/bleFixtures.js';

const KEY = Buffer.alloc(32, 5).toString('base64url');
const SERVICES = [{ uuid: 'd1c0', characteristics: [{ uuid: 'd1c1', properties: ['read' as const] }] }];

function state(): PhoneState {
  return {
    version: 1,
    serverUrl: 'http://localhost:8080',
    rpId: 'localhost',
    origin: 'http://localhost:8080',
    passkeys: [],
    wallet: [{ vin: VIN, keyId: 'k1', credential: 'eyJ…', expiresAt: 1, state: undefined, stateSeq: -1, responseKey: KEY, advertisingKey: KEY }],
    bonds: [{ peer: VIN, services: SERVICES }],
    lastSeen: {},
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sdk-phone-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the phone state file', () => {
  it('keeps the wallet\'s response and advertising keys and the bonds by VIN, readable by its owner only', async () => {
    const path = join(dir, 'phone.json');
    await writePhoneState(path, state());
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readPhoneState(path)).toEqual(state());
  });

  it('refuses a wallet entry without its keys, with a sentence', async () => {
    const path = join(dir, 'phone.json');
    const { responseKey: _r, advertisingKey: _a, ...withoutKeys } = state().wallet[0]!;
    await writeFile(path, JSON.stringify({ ...state(), wallet: [withoutKeys] }));
    await expect(readPhoneState(path)).rejects.toThrow(/is damaged \(wallet\.0\.responseKey\): move it away/);
  });

  it('drops a bond saved by the car\'s address (it rotates now) and keeps the others', async () => {
    const path = join(dir, 'phone.json');
    await writeFile(path, JSON.stringify({ ...state(), bonds: [{ address: 'c1:22:33:44:55:66', services: SERVICES }, { peer: VIN, services: SERVICES }] }));
    expect((await readPhoneState(path))?.bonds).toEqual([{ peer: VIN, services: SERVICES }]);
  });
});
