/**
 * noble over the simulated air: ordinary noble calls (scan, connect, discover, read, subscribe,
 * write) against a small echo peripheral, and BLE framing through the real transport at MTU 23 and
 * 185 (DESIGN.md §3).
 */
import { describe, expect, it } from 'vitest';
import { Air } from '../../../ble-sim/air/air.js';
import type { GattServer } from '../../../ble-sim/air/gattServer.js';
import { DEFAULT_LINK_PROFILE, MIN_MTU_LINK_PROFILE, type LinkProfile } from '../../../ble-sim/air/linkProfile.js';
import { AirBindings } from '../../../ble-sim/noble/airBindings.js';
import { createNoble, type Noble, type Peripheral } from '../../../ble-sim/noble/createNoble.js';
import { encodeFrames, FrameAssembler, MAX_MESSAGE_BYTES } from '../../../shared/ble/framing.js';

const SVC = '0000ec00-0000-1000-8000-00805f9b34fb';
const READ_CHAR = '0000ec01-0000-1000-8000-00805f9b34fb';
const IN_CHAR = '0000ec02-0000-1000-8000-00805f9b34fb';
const OUT_CHAR = '0000ec03-0000-1000-8000-00805f9b34fb';
const n = (u: string) => u.replaceAll('-', '');

/** Reads return 300 bytes; every framed message written to IN comes back framed on OUT, reversed. */
function echoServer(air: Air): { server: GattServer; received: Uint8Array[] } {
  const received: Uint8Array[] = [];
  const assemblers = new Map<number, FrameAssembler>();
  const server: GattServer = {
    services: [
      {
        uuid: SVC,
        characteristics: [
          { uuid: READ_CHAR, properties: ['read'] },
          { uuid: IN_CHAR, properties: ['write'] },
          { uuid: OUT_CHAR, properties: ['notify'] },
        ],
      },
    ],
    onConnect: (link) => void assemblers.set(link.id, new FrameAssembler()),
    onRead: () => Uint8Array.from({ length: 300 }, (_, i) => i & 0xff),
    onWrite: (link, _s, _c, value) => {
      const r = assemblers.get(link.id)!.push(value, air.now());
      if (r.kind !== 'message') return;
      received.push(r.message);
      for (const frame of encodeFrames(r.message.slice().reverse(), link.mtu)) link.notify(SVC, OUT_CHAR, frame);
    },
  };
  return { server, received };
}

async function poweredOn(noble: Noble): Promise<void> {
  if (noble.state === 'poweredOn') return;
  await new Promise<void>((resolve) => noble.once('stateChange', () => resolve()));
}

async function discover(noble: Noble): Promise<Peripheral> {
  await poweredOn(noble);
  const found = new Promise<Peripheral>((resolve) => noble.once('discover', resolve));
  await noble.startScanningAsync([n(SVC)], false);
  const p = await found;
  await noble.stopScanningAsync();
  return p;
}

async function setup(profile: LinkProfile) {
  const air = new Air({ seed: 3 });
  const { server, received } = echoServer(air);
  const adv = air.advertise({ localName: 'echo', serviceUuids: [SVC], server, linkProfile: profile });
  const bindings = new AirBindings(air);
  const noble = createNoble(bindings);
  return { air, adv, noble, bindings, received };
}

describe('AirBindings through noble', () => {
  it('scans with a service filter, connects, negotiates the MTU and reads a long value', async () => {
    const { noble, adv, bindings } = await setup(DEFAULT_LINK_PROFILE);
    const peripheral = await discover(noble);
    expect(peripheral.advertisement.localName).toBe('echo');
    expect(peripheral.address).toBe(adv.address);
    await peripheral.connectAsync();
    const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync([n(SVC)], [n(READ_CHAR)]);
    expect(peripheral.mtu).toBe(185);
    expect(characteristics.map((c) => c.uuid)).toEqual([n(READ_CHAR)]);
    const value = await characteristics[0]!.readAsync();
    expect(value.length).toBe(300);
    expect(value[299]).toBe(299 & 0xff);
    await peripheral.disconnectAsync();
    expect(peripheral.state).toBe('disconnected');
    const metrics = bindings.linkMetrics(peripheral.id)!;
    // MTU exchange, services (1 + end), characteristics (1 + end), read + 1 blob (300 > 184).
    expect(metrics.roundTrips).toBe(1 + 2 + 2 + 2);
  });

  it('does not report peripherals that do not advertise the wanted service', async () => {
    const { noble, air } = await setup(DEFAULT_LINK_PROFILE);
    // A second advertiser, with the wanted service, started after the echo one: the air reports
    // advertisers in order, so once it is discovered the echo peripheral has had its chance.
    const wanted = air.advertise({ localName: 'wanted', serviceUuids: ['feed'], server: { services: [{ uuid: 'feed', characteristics: [] }] } });
    await poweredOn(noble);
    const seen: string[] = [];
    noble.on('discover', (p) => seen.push(p.address));
    const found = new Promise<Peripheral>((resolve) => noble.once('discover', resolve));
    await noble.startScanningAsync(['feed'], false);
    expect((await found).address).toBe(wanted.address);
    await noble.stopScanningAsync();
    expect(seen.filter((address) => address !== wanted.address)).toEqual([]);
  });

  it.each([
    ['MTU 23', MIN_MTU_LINK_PROFILE],
    ['MTU 185', DEFAULT_LINK_PROFILE],
  ])('carries framed messages both ways at %s (writes ≤ MTU-3, notifications reassembled)', async (_name, profile) => {
    const { noble, received, bindings } = await setup(profile);
    const peripheral = await discover(noble);
    await peripheral.connectAsync();
    const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync([n(SVC)], [n(IN_CHAR), n(OUT_CHAR)]);
    const input = characteristics.find((c) => c.uuid === n(IN_CHAR))!;
    const output = characteristics.find((c) => c.uuid === n(OUT_CHAR))!;
    const mtu = peripheral.mtu ?? 23;
    expect(mtu).toBe(profile.mtu);

    const assembler = new FrameAssembler();
    const echoes: Uint8Array[] = [];
    let onEcho = () => undefined as void;
    output.on('data', (data: Buffer, isNotification: boolean) => {
      expect(isNotification).toBe(true);
      expect(data.length).toBeLessThanOrEqual(mtu - 3);
      const r = assembler.push(new Uint8Array(data), 0);
      if (r.kind === 'message') {
        echoes.push(r.message);
        onEcho();
      }
    });
    await output.subscribeAsync();

    for (const size of [1, mtu - 5, mtu - 4, 1000, MAX_MESSAGE_BYTES]) {
      const message = Uint8Array.from({ length: size }, (_, i) => (i * 7) & 0xff);
      const before = bindings.linkMetrics(peripheral.id)!;
      const frames = encodeFrames(message, mtu);
      expect(frames.every((f) => f.length <= mtu - 3)).toBe(true);
      const echoed = new Promise<void>((resolve) => (onEcho = resolve));
      for (const f of frames) await input.writeAsync(Buffer.from(f), false);
      await echoed;
      expect(echoes.length).toBe(received.length);
      expect(received.at(-1)).toEqual(message);
      expect(echoes.at(-1)).toEqual(message.slice().reverse());
      const after = bindings.linkMetrics(peripheral.id)!;
      // One write request per fragment; the echo comes back as as many notifications.
      expect(after.roundTrips - before.roundTrips).toBe(frames.length);
      expect(after.notifications - before.notifications).toBe(frames.length);
      expect(frames.length).toBe(Math.ceil((size + 2) / (mtu - 3)));
    }
    await peripheral.disconnectAsync();
  });
});
