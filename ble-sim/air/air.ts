/**
 * The simulated air: advertisers, scanners and connections in one process, with a deterministic
 * discrete-event scheduler. Simulated time only moves when a connection has traffic: the scheduler
 * runs the connection event due first, then yields (setImmediate) so the code on either side can
 * react, exactly as if the radio had interrupted it. No timers, so a command takes milliseconds of
 * wall time whatever its connection interval, and the same seed always gives the same figures.
 *
 * @example
 * const air = new Air({ seed: 7 });
 * const adv = air.advertise({ localName: 'S…D', serviceUuids: [SERVICE_UUID], server });
 * const noble = createNoble(new AirBindings(air));
 *
 * A peripheral with private advertising gives a function instead of a fixed name and address
 * (`identity`); the air asks it whenever the advertisement is observed (a report, a connection), so a
 * scanner in a later period sees the new name and address without a timer on either side.
 */
import { AirConnection, type AirScheduler } from './airConnection.js';
import type { CentralLink, PeripheralLink } from './links.js';
import { CentralRadio, type AdvertisementReport, type RadioOptions, type RadioPort } from './centralRadio.js';
import { normalizeUuid, type GattServer } from './gattServer.js';
import type { LinkMetrics } from './linkMetrics.js';
import { DEFAULT_LINK_PROFILE, DEFAULT_RSSI, validateLinkProfile, type LinkProfile } from './linkProfile.js';
import { SeededRandom } from './seededRandom.js';
import { staticRandomAddress } from './staticRandomAddress.js';

/** Options of a simulated air. */
export interface AirOptions {
  /** Seed for loss, RSSI jitter and generated addresses (default 1). */
  seed?: number;
}

/** What a peripheral broadcasts about itself: its local name, from its radio address. */
export interface AdvertisedIdentity {
  localName: string;
  address: string;
}

/**
 * A peripheral to advertise: what it says (a fixed name and address, or a private identity that
 * rotates), what it serves, and its link.
 */
export type AdvertiseOptions = AdvertiseCommonOptions & (FixedAdvertisement | PrivateAdvertisement);

/** A name and address that never change. */
interface FixedAdvertisement {
  localName: string;
  address?: string;
}

/**
 * Private advertising: the name and address change over time (the peripheral's own rule). The air
 * asks for them before each report to a scanner and before each connection, as a controller moves
 * to its next private address on its own schedule; open connections are not touched by a change.
 */
interface PrivateAdvertisement {
  identity: () => AdvertisedIdentity;
}

interface AdvertiseCommonOptions {
  serviceUuids: readonly string[];
  server: GattServer;
  /** The peripheral's preferred link (MTU cap, interval, loss, RSSI). Default DEFAULT_LINK_PROFILE. */
  linkProfile?: LinkProfile;
  /**
   * Simultaneous connections accepted (default 4); while full it advertises as not connectable, and
   * a central that connects anyway gets in only if the server's makeRoom drops a link for it.
   */
  maxConnections?: number;
  txPowerLevel?: number;
  manufacturerData?: Uint8Array;
}

/** A running advertisement. */
export interface Advertising {
  /** The address it advertises from now (a private advertisement's changes over time). */
  readonly address: string;
  readonly active: boolean;
  /** The peripheral's open connections. */
  links(): PeripheralLink[];
  /** Stop advertising; open connections stay up (disconnect them through their links). */
  stop(): void;
}

/** A connection as the air remembers it, open or closed. */
export interface ConnectionRecord {
  readonly id: number;
  readonly centralAddress: string;
  readonly peripheralAddress: string;
  readonly open: boolean;
  metrics(): LinkMetrics;
}

interface Advertiser {
  options: AdvertiseOptions;
  profile: LinkProfile;
  address: string;
  localName: string;
  active: boolean;
  connections: Set<AirConnection>;
}

interface Scanner {
  radio: CentralRadio;
  listener: (report: AdvertisementReport) => void;
}

/** The simulated radio medium of one process: advertising, scanning, connections, time. */
export class Air {
  readonly #seed: number;
  readonly #addressRng: SeededRandom;
  #nowMs = 0;
  #nextConnectionId = 1;
  #pumpScheduled = false;
  /** Advertisers by the address they advertise from now. */
  readonly #advertisers = new Map<string, Advertiser>();
  /** The advertiser each connection was made to (its address may have changed since). */
  readonly #advertiserOf = new Map<AirConnection, Advertiser>();
  readonly #scanners = new Set<Scanner>();
  readonly #active = new Set<AirConnection>();
  readonly #history: AirConnection[] = [];
  #idleWaiters: (() => void)[] = [];
  readonly #scheduler: AirScheduler;
  readonly #port: RadioPort;

  constructor(opts: AirOptions = {}) {
    this.#seed = opts.seed ?? 1;
    this.#addressRng = new SeededRandom(this.#seed ^ 0xadd7e55);
    this.#scheduler = {
      now: () => this.#nowMs,
      wake: () => this.#wake(),
      closed: (c) => this.#closed(c),
    };
    this.#port = {
      scan: (radio, listener) => this.#scan(radio, listener),
      connect: (radio, address) => this.#connect(radio, address),
    };
  }

  /** Simulated time in ms since the air was created. */
  now(): number {
    return this.#nowMs;
  }

  /** Start advertising a peripheral with its GATT server. */
  advertise(opts: AdvertiseOptions): Advertising {
    const profile = validateLinkProfile(opts.linkProfile ?? DEFAULT_LINK_PROFILE);
    const { address, localName } = 'identity' in opts ? opts.identity() : { address: opts.address ?? this.#newAddress(), localName: opts.localName };
    const adv: Advertiser = { options: opts, profile, address: address.toLowerCase(), localName, active: true, connections: new Set() };
    if (this.#advertisers.get(adv.address)?.active) throw new Error(`address ${adv.address} is already advertising`);
    this.#advertisers.set(adv.address, adv);
    for (const scanner of this.#scanners) this.#report(scanner, adv);
    const refresh = () => this.#refresh(adv);
    return {
      get address() {
        refresh();
        return adv.address;
      },
      get active() {
        return adv.active;
      },
      links: () => [...adv.connections].map((c) => c.peripheral),
      stop: () => {
        adv.active = false;
      },
    };
  }

  /** A central's radio (one per phone, or per attacker). */
  radio(opts: RadioOptions = {}): CentralRadio {
    return new CentralRadio(this.#port, (opts.address ?? this.#newAddress()).toLowerCase(), opts);
  }

  /** Every connection so far, open and closed, in the order they were made. */
  connections(): readonly ConnectionRecord[] {
    return [...this.#history];
  }

  /** Resolves when no connection has traffic left to carry. */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.push(resolve);
      this.#wake();
    });
  }

  #newAddress(): string {
    return staticRandomAddress(this.#addressRng.bytes(6));
  }

  /** Bring a private advertisement up to date: a new address moves it in the index (its connections stay). */
  #refresh(adv: Advertiser): void {
    if (!('identity' in adv.options) || !adv.active) return;
    const { address, localName } = adv.options.identity();
    adv.localName = localName;
    const next = address.toLowerCase();
    // Another peripheral on that address (two random addresses met): stay where it is until the next change.
    if (next === adv.address || this.#advertisers.get(next)?.active) return;
    if (this.#advertisers.get(adv.address) === adv) this.#advertisers.delete(adv.address);
    adv.address = next;
    this.#advertisers.set(next, adv);
  }

  #scan(radio: CentralRadio, listener: (report: AdvertisementReport) => void): () => void {
    const scanner: Scanner = { radio, listener };
    this.#scanners.add(scanner);
    for (const adv of [...this.#advertisers.values()]) this.#report(scanner, adv);
    return () => {
      this.#scanners.delete(scanner);
    };
  }

  /** Deliver one advertisement to one scanner, asynchronously, as a controller would. */
  #report(scanner: Scanner, adv: Advertiser): void {
    setImmediate(() => {
      if (!adv.active || !this.#scanners.has(scanner)) return;
      this.#refresh(adv);
      const { options } = adv;
      const base = scanner.radio.rssi ?? adv.profile.rssi ?? DEFAULT_RSSI;
      scanner.listener({
        address: adv.address,
        addressType: 'random',
        connectable: adv.connections.size < (options.maxConnections ?? 4),
        scannable: true,
        rssi: base,
        advertisement: {
          localName: adv.localName,
          serviceUuids: options.serviceUuids.map(normalizeUuid),
          ...(options.txPowerLevel === undefined ? {} : { txPowerLevel: options.txPowerLevel }),
          ...(options.manufacturerData === undefined ? {} : { manufacturerData: options.manufacturerData.slice() }),
        },
      });
    });
  }

  async #connect(radio: CentralRadio, peripheralAddress: string): Promise<CentralLink> {
    // A private advertisement that has moved on no longer answers at its old address.
    for (const a of [...this.#advertisers.values()]) this.#refresh(a);
    const adv = this.#advertisers.get(peripheralAddress.toLowerCase());
    if (!adv?.active) throw new Error(`no peripheral advertising at ${peripheralAddress}`);
    for (const c of adv.connections) {
      if (c.centralAddress === radio.address) throw new Error(`already connected to ${peripheralAddress}`);
    }
    const max = adv.options.maxConnections ?? 4;
    if (adv.connections.size >= max) {
      // Full: the peripheral may hang up on one of its links to take this one.
      const links = [...adv.connections];
      const named = adv.options.server.makeRoom?.(radio.address, links.map((c) => c.peripheral));
      const victim = links.find((c) => c.peripheral === named);
      if (victim) await victim.terminate('peripheral');
      if (adv.connections.size >= max) throw new Error(`${peripheralAddress} accepts no more connections`);
    }
    const id = this.#nextConnectionId++;
    const conn = new AirConnection({
      id,
      scheduler: this.#scheduler,
      centralAddress: radio.address,
      peripheralAddress: adv.address,
      server: adv.options.server,
      profile: adv.profile,
      serverMtu: adv.profile.mtu,
      rssi: radio.rssi ?? adv.profile.rssi ?? DEFAULT_RSSI,
      seed: (this.#seed * 0x9e3779b1 + id) >>> 0,
    });
    adv.connections.add(conn);
    this.#advertiserOf.set(conn, adv);
    this.#active.add(conn);
    this.#history.push(conn);
    await conn.established;
    return conn.central;
  }

  #closed(conn: AirConnection): void {
    this.#active.delete(conn);
    this.#advertiserOf.get(conn)?.connections.delete(conn);
    this.#advertiserOf.delete(conn);
  }

  #wake(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => this.#pump());
  }

  /** Run the connection event due first, then yield so both sides can react. */
  #pump(): void {
    this.#pumpScheduled = false;
    let next: AirConnection | undefined;
    let at = Infinity;
    for (const c of this.#active) {
      const t = c.nextEventAt(this.#nowMs);
      if (t !== null && t < at) {
        at = t;
        next = c;
      }
    }
    if (!next) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
      return;
    }
    this.#nowMs = at;
    next.runEvent(at);
    this.#wake();
  }
}
