/**
 * A VehicleLink over noble, in ordinary noble code: scan once for the digital-key service, take the
 * peripheral whose local name resolves with the car's advertising key (its name and address rotate,
 * shared/ble/advertisingName.ts), connect, discover the three characteristics, subscribe to
 * Response. The stack's bond with the car is kept under its VIN, so a bonded car is recognised
 * whatever address it advertises from now. With a bonded car the stack answers discovery from its
 * cache and the car has kept the subscription, so neither crosses the air; if the car refuses the
 * challenge read (it has forgotten the bond) the phone forgets it too, subscribes and reads again.
 *
 * A bonded car pushes a challenge as soon as the MTU exchange is done (protocol.md, "Challenge
 * push"), which noble's stack runs right after connecting. A phone that still holds the car's
 * characteristics from an earlier connection (same radio, same address) listens on them before it
 * connects and skips discovery, so it hears that push; one that has to discover them again (from
 * its cache) may have missed it and asks with an empty write. Nothing here knows about the
 * simulated air, so it would run unchanged over a real radio.
 */
import type { Characteristic, Noble, Peripheral } from '../noble/createNoble.js';
import { MIN_MTU } from '../../shared/ble/framing.js';
import { CHALLENGE_CHAR_UUID, nobleUuid, REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID, SERVICE_UUID } from '../../shared/ble/gattUuids.js';
import { advertisingNameMatcher } from '../../shared/ble/advertisingName.js';
import { systemClock, type Clock } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { Vin } from '../../shared/ids.js';
import { Deadline } from './deadline.js';
import type { ObservedTraffic, PeerBonds, VehicleLink } from './vehicleLink.js';

/** Disconnecting is bounded on its own, so a spent budget still lets the phone hang up. */
const DISCONNECT_TIMEOUT_MS = 2_000;

/** How the phone recognises its car's private advertisement. */
export interface VehicleAdvertising {
  /** The vehicle's advertising key (32 bytes; `advertisingKey` of the wallet entry, decoded). */
  key: Uint8Array;
  /** The phone's clock: the car's name is tried for this period and the ones either side (default the system clock). */
  clock?: Clock;
}

/** Which car to reach, with which noble, within which budget. */
export interface ConnectNobleVehicleLinkOptions {
  noble: Noble;
  vin: Vin;
  /** How to recognise the car's advertisement. */
  advertising: VehicleAdvertising;
  deadline: Deadline;
  /** The stack's bonds: a bonded car is neither discovered nor subscribed to again. */
  bonds?: PeerBonds;
}

/** Find the vehicle, connect, and get its characteristics ready. */
export async function connectNobleVehicleLink(opts: ConnectNobleVehicleLinkOptions): Promise<VehicleLink> {
  const { noble, vin, deadline, bonds } = opts;
  await deadline.race(poweredOn(noble), { stage: 'power', requestSent: false });
  const peripheral = await findVehicle(noble, opts.advertising, deadline);
  // Resolved: this peripheral is the car with this VIN, whatever address it advertises from now.
  bonds?.identify(peripheral.id, vin);
  const bonded = bonds?.isBonded(peripheral.id) ?? false;
  const observed: ObservedTraffic = { roundTrips: 0, notifications: 0, sent: 0, received: 0 };
  // A bonded car's characteristics from an earlier connection: listen before connecting (see above).
  const kept = bonded ? keptCharacteristics(peripheral) : null;
  const early: Uint8Array[] = [];
  const hearEarly = (data: Buffer, isNotification: boolean) => {
    if (isNotification) early.push(new Uint8Array(data));
  };
  kept?.response.on('data', hearEarly);
  try {
    await deadline.race(peripheral.connectAsync(), { stage: 'connect', requestSent: false });
    const chars = kept ?? (await discoverCharacteristics(peripheral, deadline));
    if (!bonded) observed.roundTrips += 3;
    kept?.response.removeListener('data', hearEarly);
    const link = new NobleVehicleLink(peripheral, deadline, observed, chars, { early, listenedSinceConnect: kept !== null });
    if (bonded && bonds) link.trustKeptSubscription(() => bonds.forget(peripheral.id));
    else await link.subscribe();
    return link;
  } catch (err) {
    kept?.response.removeListener('data', hearEarly);
    await disconnect(peripheral);
    throw err;
  }
}

type VehicleCharacteristics = { challenge: Characteristic; request: Characteristic; response: Characteristic };

/** The three characteristics of the digital-key service as noble still holds them from an earlier connection, or null. */
function keptCharacteristics(peripheral: Peripheral): VehicleCharacteristics | null {
  const service = peripheral.services?.find((s) => s.uuid === nobleUuid(SERVICE_UUID));
  const find = (uuid: string) => service?.characteristics?.find((c) => c.uuid === nobleUuid(uuid));
  const challenge = find(CHALLENGE_CHAR_UUID);
  const request = find(REQUEST_CHAR_UUID);
  const response = find(RESPONSE_CHAR_UUID);
  return challenge && request && response ? { challenge, request, response } : null;
}

async function discoverCharacteristics(peripheral: Peripheral, deadline: Deadline): Promise<VehicleCharacteristics> {
  const { characteristics } = await deadline.race(
    peripheral.discoverSomeServicesAndCharacteristicsAsync([nobleUuid(SERVICE_UUID)], [CHALLENGE_CHAR_UUID, REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID].map(nobleUuid)),
    { stage: 'discover', requestSent: false },
  );
  const find = (uuid: string): Characteristic => {
    const c = characteristics.find((ch) => ch.uuid === nobleUuid(uuid));
    if (!c) throw new DigitalKeyError('VEHICLE_NOT_FOUND', 'the vehicle does not offer the digital-key service');
    return c;
  };
  return { challenge: find(CHALLENGE_CHAR_UUID), request: find(REQUEST_CHAR_UUID), response: find(RESPONSE_CHAR_UUID) };
}

class NobleVehicleLink implements VehicleLink {
  readonly peerId: string;
  #requestSent = false;
  #closed: Promise<void> | null = null;
  readonly #hungUp: Promise<never>;
  readonly #onDisconnect: () => void;
  readonly #listeners: ((payload: Uint8Array) => void)[] = [];
  /** Notifications heard before anyone listened (a push right after connecting), handed to the first listener. */
  readonly #pending: Uint8Array[];
  /** The phone listened since before connecting, so a push after the MTU exchange was not missed. */
  readonly #listenedSinceConnect: boolean;
  /** Set while the phone relies on the car having kept its subscription (a bond): what to do if it has not. */
  #onSubscriptionLost: (() => void) | null = null;

  constructor(
    private readonly peripheral: Peripheral,
    private readonly deadline: Deadline,
    private readonly traffic: ObservedTraffic,
    private readonly chars: VehicleCharacteristics,
    heard: { early: Uint8Array[]; listenedSinceConnect: boolean },
  ) {
    this.peerId = peripheral.id;
    this.#pending = [...heard.early];
    this.#listenedSinceConnect = heard.listenedSinceConnect;
    for (const payload of heard.early) {
      traffic.notifications += 1;
      traffic.received += payload.length;
    }
    // If the car hangs up, every wait ends at once (not at the deadline). Whether the command was
    // carried out is then unknown, like a timeout.
    let rejectHangUp: (err: DigitalKeyError) => void = () => undefined;
    this.#hungUp = new Promise<never>((_, reject) => {
      rejectHangUp = reject;
    });
    this.#hungUp.catch(() => undefined);
    this.#onDisconnect = () =>
      rejectHangUp(
        new DigitalKeyError('TIMEOUT', 'the vehicle closed the connection', { detail: { stage: 'link', requestSent: this.#requestSent, disconnected: true } }),
      );
    peripheral.once('disconnect', this.#onDisconnect);
    chars.response.on('data', (data: Buffer, isNotification: boolean) => {
      if (!isNotification) return;
      traffic.notifications += 1;
      traffic.received += data.length;
      if (this.#listeners.length === 0) this.#pending.push(new Uint8Array(data));
      for (const l of this.#listeners) l(new Uint8Array(data));
    });
  }

  /** The negotiated ATT MTU, read when it is used: the exchange may finish after the link is made. */
  get mtu(): number {
    return this.peripheral.mtu ?? MIN_MTU;
  }

  get requestSent(): boolean {
    return this.#requestSent;
  }

  wait<T>(promise: Promise<T>, stage: string): Promise<T> {
    return this.deadline.race(Promise.race([promise, this.#hungUp]), { stage, requestSent: this.#requestSent });
  }

  async subscribe(): Promise<void> {
    await this.wait(this.chars.response.subscribeAsync(), 'subscribe');
    this.traffic.roundTrips += 1;
  }

  /** Skip the CCCD write: a bonded car restores the subscription itself. */
  trustKeptSubscription(onLost: () => void): void {
    this.#onSubscriptionLost = onLost;
  }

  async askForChallenge(): Promise<void> {
    // Subscribed here (the car pushes on subscribe), or listening since before the MTU push.
    if (this.#onSubscriptionLost === null || this.#listenedSinceConnect) return;
    await this.wait(this.chars.request.writeAsync(Buffer.alloc(0), true), 'challenge');
  }

  async readChallenge(): Promise<Uint8Array> {
    let raw = await this.wait(this.chars.challenge.readAsync(), 'challenge');
    this.traffic.roundTrips += 1;
    const lost = this.#onSubscriptionLost;
    this.#onSubscriptionLost = null;
    if (raw.length === 0 && lost) {
      // The car serves challenges only to a subscribed link (noble reports its refusal as no data):
      // it has forgotten the bond. So does the phone, until the next successful command.
      lost();
      await this.subscribe();
      raw = await this.wait(this.chars.challenge.readAsync(), 'challenge');
      this.traffic.roundTrips += 1;
    }
    this.traffic.received += raw.length;
    return new Uint8Array(raw);
  }

  async write(payload: Uint8Array, withResponse = false): Promise<void> {
    this.#requestSent = true;
    await this.wait(this.chars.request.writeAsync(Buffer.from(payload), !withResponse), 'write');
    if (withResponse) this.traffic.roundTrips += 1;
    this.traffic.sent += payload.length;
  }

  onReceive(listener: (payload: Uint8Array) => void): void {
    this.#listeners.push(listener);
    for (const payload of this.#pending.splice(0)) listener(payload);
  }

  observed(): ObservedTraffic {
    return { ...this.traffic };
  }

  close(): Promise<void> {
    this.peripheral.removeListener('disconnect', this.#onDisconnect);
    this.#closed ??= disconnect(this.peripheral).finally(() => this.chars.response.removeAllListeners('data'));
    return this.#closed;
  }
}

async function poweredOn(noble: Noble): Promise<void> {
  if (noble.state === 'poweredOn') return;
  await new Promise<void>((resolve) => {
    const onState = (state: string) => {
      if (state !== 'poweredOn') return;
      noble.removeListener('stateChange', onState);
      resolve();
    };
    noble.on('stateChange', onState);
  });
}

/** Scan for the digital-key service and take the peripheral whose local name resolves with the advertising key. */
async function findVehicle(noble: Noble, advertising: VehicleAdvertising, deadline: Deadline): Promise<Peripheral> {
  const clock = advertising.clock ?? systemClock;
  let resolveFound: ((p: Peripheral) => void) | undefined;
  const found = new Promise<Peripheral>((resolve) => (resolveFound = resolve));
  const isOurCar = advertisingNameMatcher(advertising.key, () => clock.now());
  const onDiscover = (p: Peripheral) => {
    if (isOurCar(p.advertisement?.localName)) resolveFound?.(p);
  };
  noble.on('discover', onDiscover);
  try {
    await deadline.race(noble.startScanningAsync([nobleUuid(SERVICE_UUID)], false), { stage: 'scan', requestSent: false });
    return await deadline.race(found, { stage: 'scan', requestSent: false });
  } finally {
    noble.removeListener('discover', onDiscover);
    await noble.stopScanningAsync().catch(() => undefined);
  }
}

async function disconnect(peripheral: Peripheral): Promise<void> {
  if (peripheral.state !== 'connected' && peripheral.state !== 'connecting') return;
  await new Deadline(DISCONNECT_TIMEOUT_MS).race(peripheral.disconnectAsync(), { stage: 'disconnect' }).catch(() => undefined);
}
