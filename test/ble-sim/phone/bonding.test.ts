/**
 * Bonding (protocol.md, Bonding): the first successful command bonds the phone and the car; after
 * that the phone's stack answers discovery from its GATT cache and the car restores the Response
 * subscription, so a command costs the MTU exchange and the challenge read. A car that forgot the
 * bond refuses the challenge read, and the phone subscribes again.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { AirBindings } from '../../../ble-sim/noble/airBindings.js';
import { createNoble } from '../../../ble-sim/noble/createNoble.js';
import { vehicleStateSchema } from '../../../ble-sim/vehicle/vehicleState.js';
import { CHALLENGE_CHAR_UUID, SERVICE_UUID } from '../../../shared/ble/gattUuids.js';
import { VIN } from '../../support/bleFixtures.js';
import { bleWorldPerTest } from '../../support/bleWorldPerTest.js';

const newWorld = bleWorldPerTest();
const PHONE_ADDRESS = 'c0:11:22:33:44:55';

describe('bonding', () => {
  it('a bonded phone neither discovers nor writes the CCCD again: 7 round trips the first time, 1 after', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const bonds = w.phone.bindings;
    const first = await w.send({ cmd: 'unlock', credential: key.credential, bonds });
    expect(first.response.code).toBe('OK');
    // MTU, services (2), characteristics (2), CCCD (2); the challenge is pushed.
    expect(first.metrics.roundTrips).toBe(7);
    const peerId = w.air.connections()[0]!.peripheralAddress.replaceAll(':', '');
    expect(bonds.isBonded(peerId)).toBe(true);
    const writes = vi.spyOn(bonds, 'write');
    const second = await w.send({ cmd: 'lock', credential: key.credential, bonds });
    expect(second.response).toMatchObject({ ok: true, code: 'OK', cmd: 'lock' });
    // The phone listened on the characteristics it kept since before connecting: it heard the push
    // that followed the MTU exchange and did not ask for a challenge (no empty write).
    expect(writes.mock.calls.filter(([, , , data]) => data.length === 0)).toEqual([]);
    expect(second.metrics.roundTrips).toBe(1); // the MTU exchange; an empty write asks for the challenge
    expect(w.vehicle.state.actuators.locked).toBe(true);
  });

  it('a refused command does not bond', async () => {
    const w = await newWorld();
    const key = await w.issueKey({ perms: ['lock'] });
    const { response } = await w.send({ cmd: 'unlock', credential: key.credential, bonds: w.phone.bindings });
    expect(response.code).toBe('PERMISSION_DENIED');
    expect(w.phone.bindings.bondRecords()).toEqual([]);
  });

  it('bonds survive a restart of the car (its state file keeps them): still 1 round trip', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const bonds = w.phone.bindings;
    expect((await w.send({ cmd: 'unlock', credential: key.credential, bonds })).response.code).toBe('OK');
    await w.restartVehicle();
    const afterRestart = await w.send({ cmd: 'lock', credential: key.credential, bonds });
    expect([afterRestart.response.code, afterRestart.metrics.roundTrips]).toEqual(['OK', 1]);
  });

  it('the car forgot the bond (its state file lost it): no challenge comes, the read is refused, the phone subscribes, reads again and bonds anew', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const bonds = w.phone.bindings;
    expect((await w.send({ cmd: 'unlock', credential: key.credential, bonds })).response.code).toBe('OK');
    const saved = vehicleStateSchema.parse(JSON.parse(await readFile(w.stateFile, 'utf8')));
    expect(saved.bonds).toHaveLength(1);
    const { bonds: _forgotten, ...withoutBonds } = saved;
    await writeFile(w.stateFile, JSON.stringify(withoutBonds));
    await w.restartVehicle();
    const afterRestart = await w.send({ cmd: 'lock', credential: key.credential, bonds });
    expect(afterRestart.response.code).toBe('OK');
    // MTU, refused read, CCCD (2), challenge read: still no discovery.
    expect(afterRestart.metrics.roundTrips).toBe(5);
    expect((await w.send({ cmd: 'unlock', credential: key.credential, bonds })).metrics.roundTrips).toBe(1);
  });

  it('bonds survive the phone process: a new stack on the same address restores them and skips discovery', async () => {
    const w = await newWorld();
    const key = await w.issueKey();
    const first = new AirBindings(w.air, { address: PHONE_ADDRESS });
    const send = (bindings: AirBindings, cmd: 'unlock' | 'lock') =>
      w.send({ cmd, credential: key.credential, phone: { ...w.phone, noble: createNoble(bindings), bindings }, bonds: bindings });
    expect((await send(first, 'unlock')).metrics.roundTrips).toBe(7);
    const saved = JSON.parse(JSON.stringify(first.bondRecords())) as ReturnType<AirBindings['bondRecords']>;
    // Kept under the car's VIN, not under the address it advertised from (that one rotates).
    expect(saved).toEqual([{ peer: VIN, services: [expect.objectContaining({ characteristics: expect.any(Array) })] }]);
    const next = new AirBindings(w.air, { address: PHONE_ADDRESS });
    next.restoreBonds(saved);
    const { response, metrics } = await send(next, 'lock');
    expect(response.code).toBe('OK');
    expect(metrics.roundTrips).toBe(1);
  });

  it('a stranger reading the challenge without subscribing to Response is refused', async () => {
    const w = await newWorld();
    const link = await w.air.radio().connect(w.vehicle.address);
    await expect(link.read(SERVICE_UUID, CHALLENGE_CHAR_UUID)).rejects.toMatchObject({ attCode: 0xfd });
    await link.disconnect();
  });
});
