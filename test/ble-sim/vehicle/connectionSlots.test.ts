/**
 * Connection slots (protocol.md, Connection slots), over noble through the air: three phones at once,
 * silent links dropped after the nonce lifetime, and a bonded phone never locked out by idle strangers.
 */
import { describe, expect, it, vi } from 'vitest';
import type { CentralLink } from '../../../ble-sim/air/links.js';
import { NONCE_TTL_MS } from '../../../ble-sim/vehicle/nonceStore.js';
import { REQUEST_CHAR_UUID, SERVICE_UUID } from '../../../shared/ble/gattUuids.js';
import { createPhone, type BleWorld } from '../../support/bleFixtures.js';
import { bleWorldPerTest } from '../../support/bleWorldPerTest.js';

const newWorld = bleWorldPerTest();

/** Strangers that connect and then say nothing, until the car has no free slot (4). */
async function fillWithSilentStrangers(w: BleWorld): Promise<CentralLink[]> {
  const strangers: CentralLink[] = [];
  for (let i = 0; i < 4; i++) strangers.push(await w.air.radio().connect(w.vehicle.address));
  await expect(w.air.radio().connect(w.vehicle.address)).rejects.toThrow(/no more connections/);
  return strangers;
}

describe('connection slots', () => {
  it('three phones unlock, lock and start at the same time', async () => {
    const w = await newWorld();
    const phones = [w.phone, createPhone(w.air), createPhone(w.air)];
    const keys = await Promise.all(phones.map((phone) => w.issueKey({ phone })));
    const cmds = ['unlock', 'lock', 'start'] as const;
    const results = await Promise.all(phones.map((phone, i) => w.send({ cmd: cmds[i]!, credential: keys[i]!.credential, phone })));
    expect(results.map((r) => r.response.code)).toEqual(['OK', 'OK', 'OK']);
    expect(new Set(w.vehicle.events().map((e) => e.central)).size).toBe(3);
  });

  it('slot exhaustion by silent links: a bonded owner still gets in, taking the oldest stranger\'s slot', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const bonds = w.phone.bindings;
    expect((await w.send({ cmd: 'unlock', credential: key.credential, bonds })).response.code).toBe('OK');
    const strangers = await fillWithSilentStrangers(w);
    const { response } = await w.send({ cmd: 'lock', credential: key.credential, bonds });
    expect(response.code).toBe('OK');
    expect(strangers.map((s) => s.open)).toEqual([false, true, true, true]);
  });

  it('slot exhaustion by silent links: an unbonded phone waits until a silent link has outlived the nonce lifetime', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const strangers = await fillWithSilentStrangers(w);
    await expect(w.send({ cmd: 'unlock', credential: key.credential })).rejects.toThrow(/accepts no more connections/);
    expect(strangers.every((s) => s.open)).toBe(true);
    w.clock.advance(NONCE_TTL_MS + 1);
    expect((await w.send({ cmd: 'unlock', credential: key.credential })).response.code).toBe('OK');
    expect(strangers.filter((s) => !s.open)).toHaveLength(1);
  });

  it('a link that sends no complete request within the nonce lifetime is dropped by the car\'s timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const w = await newWorld();
      const silent = await w.air.radio().connect(w.vehicle.address);
      const talking = await w.air.radio().connect(w.vehicle.address);
      // Half a lifetime in, the second link sends a whole (if meaningless) message: its clock restarts.
      vi.advanceTimersByTime(NONCE_TTL_MS / 2);
      await talking.write(SERVICE_UUID, REQUEST_CHAR_UUID, new Uint8Array([0, 1, 0xa0]), true);
      await w.air.idle();
      vi.advanceTimersByTime(NONCE_TTL_MS / 2 + 1);
      await vi.waitFor(() => expect(silent.open).toBe(false));
      expect(talking.open).toBe(true);
      vi.advanceTimersByTime(NONCE_TTL_MS / 2);
      await vi.waitFor(() => expect(talking.open).toBe(false));
    } finally {
      vi.useRealTimers();
    }
  });
});
