/**
 * The simulated air's link model: one round trip per connection event, several write commands and
 * notifications per event up to the profile's packetsPerEvent, ATT sequencing (long reads,
 * long writes, discovery), bytes on air, deterministic loss with link-layer retransmission, RSSI,
 * simulated (not wall) time, and disconnection from either side.
 */
import { describe, expect, it } from 'vitest';
import { Air } from '../../../ble-sim/air/air.js';
import { ATT_ERRORS, AttError, HCI_REASON, LinkClosedError, type GattServer } from '../../../ble-sim/air/gattServer.js';
import { airBytes, LL_PACKET_OVERHEAD } from '../../../ble-sim/air/linkMetrics.js';
import { DEFAULT_LINK_PROFILE, DLE_LINK_PROFILE, MIN_MTU_LINK_PROFILE, type LinkProfile } from '../../../ble-sim/air/linkProfile.js';

const SVC = 'aaaa0000-0000-1000-8000-00805f9b34fb';
const VALUE = 'aaaa0001-0000-1000-8000-00805f9b34fb';
const SINK = 'aaaa0002-0000-1000-8000-00805f9b34fb';
const EVENTS = 'aaaa0003-0000-1000-8000-00805f9b34fb';

function testServer(valueLength = 50) {
  const written: Uint8Array[] = [];
  const subscribed: boolean[] = [];
  const disconnects: number[] = [];
  const server: GattServer = {
    services: [
      {
        uuid: SVC,
        characteristics: [
          { uuid: VALUE, properties: ['read'] },
          { uuid: SINK, properties: ['write', 'writeWithoutResponse'] },
          { uuid: EVENTS, properties: ['notify'] },
        ],
      },
    ],
    onRead: () => Uint8Array.from({ length: valueLength }, (_, i) => i & 0xff),
    onWrite: (_l, _s, _c, v) => void written.push(v),
    onSubscribe: (_l, _s, _c, on) => void subscribed.push(on),
    onDisconnect: (_l, reason) => void disconnects.push(reason),
  };
  return { server, written, subscribed, disconnects };
}

async function connected(profile: LinkProfile = DEFAULT_LINK_PROFILE, seed = 1, valueLength = 50) {
  const air = new Air({ seed });
  const t = testServer(valueLength);
  const adv = air.advertise({ localName: 'p', serviceUuids: [SVC], server: t.server, linkProfile: profile });
  const radio = air.radio();
  const link = await radio.connect(adv.address);
  return { air, adv, radio, link, ...t };
}

describe('Air: advertising and scanning', () => {
  it('reports advertisers to scanners, asynchronously, with service UUIDs in noble form', async () => {
    const air = new Air();
    const adv = air.advertise({ localName: 'car', serviceUuids: [SVC], server: testServer().server, linkProfile: { mtu: 185, intervalMs: 30, rssi: -70 } });
    const reports: unknown[] = [];
    const stop = air.radio().startScan((r) => reports.push(r));
    expect(reports).toEqual([]);
    await new Promise((r) => setImmediate(r));
    stop();
    expect(reports).toEqual([
      {
        address: adv.address,
        addressType: 'random',
        connectable: true,
        scannable: true,
        rssi: -70,
        advertisement: { localName: 'car', serviceUuids: [SVC.replaceAll('-', '')] },
      },
    ]);
  });

  it('private advertising: each report and connection asks for the identity now; a change moves the address, keeps open links, and counts them against the same slots', async () => {
    const air = new Air();
    let identity = { localName: 'first', address: '11:00:00:00:00:01' };
    const adv = air.advertise({ identity: () => identity, serviceUuids: [SVC], server: testServer().server, maxConnections: 2 });
    const scanOnce = async () => {
      const seen: { address: string; localName: string | undefined }[] = [];
      const stop = air.radio().startScan((r) => seen.push({ address: r.address, localName: r.advertisement.localName }));
      await new Promise((r) => setImmediate(r));
      stop();
      return seen;
    };
    expect(await scanOnce()).toEqual([{ address: '11:00:00:00:00:01', localName: 'first' }]);
    const before = await air.radio().connect(adv.address);
    identity = { localName: 'second', address: '11:00:00:00:00:02' };
    expect(await scanOnce()).toEqual([{ address: '11:00:00:00:00:02', localName: 'second' }]);
    expect(adv.address).toBe('11:00:00:00:00:02');
    await expect(air.radio().connect('11:00:00:00:00:01')).rejects.toThrow(/no peripheral advertising/);
    // The link made before the change still carries traffic, and still holds one of the two slots.
    expect(await before.read(SVC, VALUE)).toHaveLength(50);
    const after = await air.radio().connect('11:00:00:00:00:02');
    await expect(air.radio().connect('11:00:00:00:00:02')).rejects.toThrow(/no more connections/);
    expect(adv.links()).toHaveLength(2);
    await before.disconnect();
    expect(adv.links()).toEqual([expect.objectContaining({ id: after.id })]);
    expect(air.connections().map((c) => c.peripheralAddress)).toEqual(['11:00:00:00:00:01', '11:00:00:00:00:02']);
  });

  it('refuses connections to a peripheral that stopped advertising', async () => {
    const air = new Air();
    const adv = air.advertise({ localName: 'car', serviceUuids: [SVC], server: testServer().server });
    adv.stop();
    await expect(air.radio().connect(adv.address)).rejects.toThrow(/no peripheral advertising/);
  });
});

describe('Air: link model', () => {
  it('counts exact bytes on air: setup, MTU exchange, termination', async () => {
    const { link } = await connected();
    expect(await link.exchangeMtu(517)).toBe(185);
    await link.disconnect();
    const m = link.metrics();
    expect(m).toMatchObject({ roundTrips: 1, connectionEvents: 3, notifications: 0, retransmissions: 0, mtu: 185, intervalMs: 30, simulatedMs: 90 });
    // Empty PDU each way at setup, 3-byte ATT PDUs for the MTU exchange, LL_TERMINATE_IND (2 bytes) + an empty ack.
    expect(m.bytesOnAir).toEqual({
      centralToPeripheral: LL_PACKET_OVERHEAD + airBytes(3) + LL_PACKET_OVERHEAD + 2,
      peripheralToCentral: LL_PACKET_OVERHEAD + airBytes(3) + LL_PACKET_OVERHEAD,
    });
  });

  it('negotiates the smaller of the two MTUs', async () => {
    const { link } = await connected();
    expect(await link.exchangeMtu(100)).toBe(100);
  });

  it.each([
    // value length, MTU, round trips for the read (noble asks for blobs while a response fills the MTU)
    [50, 185, 1],
    [184, 185, 2],
    [300, 185, 2],
    [50, 23, 3],
    [44, 23, 3],
    [512, 23, 24],
  ])('reads a %i-byte value at MTU %i in %i round trip(s)', async (length, mtu, roundTrips) => {
    const { link } = await connected({ mtu, intervalMs: 30 }, 1, length);
    await link.exchangeMtu(mtu);
    const before = link.metrics().roundTrips;
    const value = await link.read(SVC, VALUE);
    expect(value).toHaveLength(length);
    expect(value[length - 1]).toBe((length - 1) & 0xff);
    expect(link.metrics().roundTrips - before).toBe(roundTrips);
  });

  it('discovers services and characteristics in as many round trips as the MTU needs', async () => {
    for (const [mtu, charRoundTrips] of [
      [23, 4], // one 21-byte characteristic entry per response, then "not found"
      [185, 2],
    ] as const) {
      const { link } = await connected({ mtu, intervalMs: 30 });
      await link.exchangeMtu(mtu);
      const r0 = link.metrics().roundTrips;
      const services = await link.discoverServices([SVC]);
      const r1 = link.metrics().roundTrips;
      const chars = await link.discoverCharacteristics(SVC, []);
      expect(services.map((s) => s.uuid)).toEqual([SVC.replaceAll('-', '')]);
      expect(chars).toHaveLength(3);
      expect(r1 - r0).toBe(2);
      expect(link.metrics().roundTrips - r1).toBe(charRoundTrips);
    }
  });

  it('carries a write longer than MTU - 3 as a long write (prepare + execute) and refuses more than 512 bytes', async () => {
    const { link, written } = await connected(MIN_MTU_LINK_PROFILE);
    await link.exchangeMtu(23);
    const r0 = link.metrics().roundTrips;
    await link.write(SVC, SINK, new Uint8Array(100));
    expect(written.at(-1)).toHaveLength(100);
    expect(link.metrics().roundTrips - r0).toBe(Math.ceil(100 / 18) + 1);
    await expect(link.write(SVC, SINK, new Uint8Array(513))).rejects.toMatchObject({ attCode: ATT_ERRORS.INVALID_ATTRIBUTE_VALUE_LENGTH });
    expect(written).toHaveLength(1);
  });

  it('answers forbidden operations with ATT errors, never by crashing', async () => {
    const { link } = await connected();
    await expect(link.read(SVC, SINK)).rejects.toMatchObject({ attCode: ATT_ERRORS.READ_NOT_PERMITTED });
    await expect(link.write(SVC, VALUE, new Uint8Array(1))).rejects.toMatchObject({ attCode: ATT_ERRORS.WRITE_NOT_PERMITTED });
    await expect(link.subscribe(SVC, VALUE, true)).rejects.toBeInstanceOf(AttError);
    await expect(link.read(SVC, 'ffff')).rejects.toMatchObject({ attCode: ATT_ERRORS.ATTRIBUTE_NOT_FOUND });
    // The link still works afterwards.
    expect(await link.read(SVC, VALUE)).toHaveLength(50);
  });

  it('delivers notifications only to a subscribed central, one per connection event at one packet per event', async () => {
    const { link, adv, subscribed } = await connected({ ...DEFAULT_LINK_PROFILE, packetsPerEvent: 1 });
    const peripheral = adv.links()[0]!;
    expect(peripheral.notify(SVC, EVENTS, new Uint8Array([1]))).toBe(false);
    const got: number[] = [];
    link.onNotification((_s, _c, v) => got.push(v[0]!));
    await link.subscribe(SVC, EVENTS, true);
    expect(subscribed).toEqual([true]);
    const e0 = link.metrics().connectionEvents;
    for (let i = 0; i < 5; i++) expect(peripheral.notify(SVC, EVENTS, new Uint8Array([i]))).toBe(true);
    expect(() => peripheral.notify(SVC, EVENTS, new Uint8Array(23))).toThrow(RangeError);
    await expect.poll(() => got).toEqual([0, 1, 2, 3, 4]);
    expect(link.metrics().connectionEvents - e0).toBe(5);
    expect(link.metrics().notifications).toBe(5);
  });

  it.each<[string, LinkProfile, number, number]>([
    // profile, write commands per event, events for 8 commands, events for 8 notifications
    ['MTU 185 / 30 ms / 4', DEFAULT_LINK_PROFILE, 2, 2],
    ['MTU 23 / 7.5 ms / 1', MIN_MTU_LINK_PROFILE, 8, 8],
    ['MTU 247 / 15 ms / 6', DLE_LINK_PROFILE, 2, 2],
  ])('at %s, 8 write commands and 8 notifications take %i and %i events; 4 write requests still take 4', async (_name, profile, commandEvents, notificationEvents) => {
    const { link, adv, written } = await connected(profile);
    const peripheral = adv.links()[0]!;
    await link.subscribe(SVC, EVENTS, true);
    const e0 = link.metrics().connectionEvents;
    await Promise.all(Array.from({ length: 8 }, (_, i) => link.write(SVC, SINK, new Uint8Array([i]), true)));
    expect(written.map((w) => w[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const e1 = link.metrics().connectionEvents;
    expect(e1 - e0).toBe(commandEvents);
    const got: number[] = [];
    link.onNotification((_s, _c, v) => got.push(v[0]!));
    for (let i = 0; i < 8; i++) peripheral.notify(SVC, EVENTS, new Uint8Array([i]));
    await expect.poll(() => got).toHaveLength(8);
    const e2 = link.metrics().connectionEvents;
    expect(e2 - e1).toBe(notificationEvents);
    await Promise.all(Array.from({ length: 4 }, (_, i) => link.write(SVC, SINK, new Uint8Array([i]))));
    expect(link.metrics().connectionEvents - e2).toBe(4);
    // The air counts time in whole connection intervals from the connection request.
    expect(link.metrics().simulatedMs).toBe(link.metrics().connectionEvents * profile.intervalMs);
  });

  it('retransmits lost packets in the next event: same data, more events, same figures for the same seed', async () => {
    const run = async (seed: number) => {
      const { link, written } = await connected({ mtu: 185, intervalMs: 30, lossRate: 0.3 }, seed);
      for (let i = 0; i < 20; i++) await link.write(SVC, SINK, new Uint8Array([i]));
      expect(await link.read(SVC, VALUE)).toHaveLength(50);
      await link.disconnect();
      expect(written.map((w) => w[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
      return link.metrics();
    };
    const a = await run(5);
    const b = await run(5);
    expect(a).toEqual(b);
    expect(a.retransmissions).toBeGreaterThan(0);
    // 20 writes + a 50-byte read at MTU 23 (read + 2 blobs).
    expect(a.roundTrips).toBe(23);
    expect(a.connectionEvents).toBe(1 + 23 + 1 + a.retransmissions);
    expect(a.simulatedMs).toBe(a.connectionEvents * 30);
  });

  it('counts simulated time, not wall time: 100 round trips at a 4 s interval take 400 simulated seconds', async () => {
    const { link } = await connected({ mtu: 23, intervalMs: 4000 });
    const wall = Date.now();
    for (let i = 0; i < 100; i++) await link.write(SVC, SINK, new Uint8Array([i]));
    expect(Date.now() - wall).toBeLessThan(2000);
    expect(link.metrics().simulatedMs).toBe(101 * 4000);
  });

  it('interleaves two connections in simulated-time order', async () => {
    const air = new Air();
    const fast = air.advertise({ localName: 'fast', serviceUuids: [SVC], server: testServer().server, linkProfile: { mtu: 23, intervalMs: 10 } });
    const slow = air.advertise({ localName: 'slow', serviceUuids: [SVC], server: testServer().server, linkProfile: { mtu: 23, intervalMs: 100 } });
    const radio = air.radio();
    const done: string[] = [];
    await Promise.all([
      (async () => {
        const a = await radio.connect(fast.address); // first event at 10 ms
        for (let i = 0; i < 5; i++) await a.write(SVC, SINK, new Uint8Array([i]));
        done.push(`fast@${air.now()}`);
      })(),
      (async () => {
        const b = await radio.connect(slow.address); // first event at 100 ms
        await b.write(SVC, SINK, new Uint8Array([0]));
        done.push(`slow@${air.now()}`);
      })(),
    ]);
    expect(done).toEqual(['fast@60', 'slow@200']);
  });

  it('reports RSSI around the link profile mean (±2 dB), deterministically', async () => {
    const { link } = await connected({ mtu: 185, intervalMs: 30, rssi: -80 });
    const readings = Array.from({ length: 50 }, () => link.rssi());
    expect(Math.min(...readings)).toBeGreaterThanOrEqual(-82);
    expect(Math.max(...readings)).toBeLessThanOrEqual(-78);
    const { link: again } = await connected({ mtu: 185, intervalMs: 30, rssi: -80 });
    expect(Array.from({ length: 50 }, () => again.rssi())).toEqual(readings);
  });

  it('a central disconnect fails pending operations and tells the peripheral (0x13)', async () => {
    const { link, disconnects } = await connected();
    const reasons: number[] = [];
    link.onClose((r) => reasons.push(r));
    const pending = link.read(SVC, VALUE);
    const closing = link.disconnect();
    await expect(pending).rejects.toBeInstanceOf(LinkClosedError);
    await closing;
    expect(reasons).toEqual([HCI_REASON.LOCAL_HOST_TERMINATED]);
    expect(disconnects).toEqual([HCI_REASON.REMOTE_USER_TERMINATED]);
    expect(link.open).toBe(false);
    await expect(link.read(SVC, VALUE)).rejects.toBeInstanceOf(LinkClosedError);
  });

  it('a peripheral disconnect reaches the central as "remote user terminated"', async () => {
    const { link, adv } = await connected();
    const closed = new Promise<number>((resolve) => link.onClose(resolve));
    adv.links()[0]!.disconnect();
    expect(await closed).toBe(HCI_REASON.REMOTE_USER_TERMINATED);
    expect(adv.links()).toEqual([]);
  });

  it('a peripheral hanging up inside a request handler fails that request and closes cleanly', async () => {
    const air = new Air();
    const server: GattServer = { ...testServer().server, onWrite: (l) => l.disconnect() };
    const adv = air.advertise({ localName: 'p', serviceUuids: [SVC], server });
    const link = await air.radio().connect(adv.address);
    const closed = new Promise<number>((resolve) => link.onClose(resolve));
    await expect(link.write(SVC, SINK, new Uint8Array([1]))).rejects.toBeInstanceOf(LinkClosedError);
    expect(await closed).toBe(HCI_REASON.REMOTE_USER_TERMINATED);
    expect(link.metrics().connectionEvents).toBe(3); // setup, the write, LL_TERMINATE_IND
  });
});
