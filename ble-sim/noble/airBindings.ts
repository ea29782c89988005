/**
 * noble bindings over the simulated air: one more transport behind noble's bindings contract, next
 * to hci-socket, mac, win and websocket. It behaves like the hci-socket bindings where a phone app
 * could tell the difference: events are asynchronous, the MTU is exchanged right after connecting
 * (`onMtu`), a failed read reports empty data and a failed write reports nothing (noble's events
 * carry no error), scans are filtered by service UUID in the bindings, and peripheral ids are the
 * address without colons.
 *
 * Like a phone's OS stack it keeps bonds (PeerBonds): a bonded peripheral's GATT table is cached, so
 * discovery on a later connection is answered here without a packet on air. A bond is kept under the
 * peer's identity (what the app told identify(), e.g. a car's VIN; else its peripheral id), since a
 * car with private advertising comes back from another address. bondRecords() and restoreBonds()
 * carry them across processes (the phone CLI keeps them in its state file).
 */
import { EventEmitter } from 'node:events';
import type { Air } from '../air/air.js';
import type { CentralLink } from '../air/links.js';
import type { AdvertisementReport, CentralRadioApi, RadioOptions } from '../air/centralRadio.js';
import { AttError, LinkClosedError, normalizeUuid } from '../air/gattServer.js';
import type { CharacteristicProperty, GattCharacteristicDef, GattServiceDef } from '../air/links.js';
import type { LinkMetrics, LinkMetricsSource } from '../air/linkMetrics.js';
import type { NobleAdvertisement, NobleBindings, NobleBindingsEvents, NobleState } from './nobleBindings.js';

const CCCD_UUID = '2902';

/** noble's peripheral id for an address (as hci-socket makes it). */
export function peripheralIdOf(address: string): string {
  return address.replaceAll(':', '').toLowerCase();
}

/** A bond as the phone's stack keeps it: the peer's identity and its GATT table. */
export interface GattBond {
  /** Who the bond is with: the identity the app resolved the peer to (a car's VIN), else its peripheral id. */
  peer: string;
  services: BondedService[];
}

/** A cached GATT service, in plain (JSON-ready) arrays. */
export interface BondedService {
  uuid: string;
  characteristics: { uuid: string; properties: CharacteristicProperty[] }[];
}

/** noble bindings for one central radio on the simulated air (local, or remote through the bridge). */
export class AirBindings extends EventEmitter<NobleBindingsEvents> implements NobleBindings, LinkMetricsSource {
  /** This central's radio on the air. */
  readonly radio: CentralRadioApi;
  #state: NobleState = 'unknown';
  #stopScan: (() => void) | null = null;
  #scanFilter = new Set<string>();
  readonly #addresses = new Map<string, string>();
  readonly #links = new Map<string, CentralLink>();
  readonly #connecting = new Set<string>();
  readonly #cancelled = new Set<string>();
  readonly #lastMetrics = new Map<string, LinkMetrics>();
  readonly #characteristics = new Map<string, GattCharacteristicDef>();
  /** Characteristics reported to noble (`characteristicsDiscover`), by peripheral/service/characteristic. */
  readonly #reported = new Set<string>();
  readonly #subscribed = new Set<string>();
  /** Bonds (their GATT tables) by peer identity. */
  readonly #bonds = new Map<string, BondedService[]>();
  /** The identity the app resolved each peripheral to (identify()). */
  readonly #identities = new Map<string, string>();
  /** The GATT table discovered over the air on each peripheral's latest connection. */
  readonly #discovered = new Map<string, BondedService[]>();

  /** Over a local air (a new radio with `opts`), or over a radio already made (a RemoteRadio). */
  constructor(air: Air | CentralRadioApi, opts: RadioOptions = {}) {
    super();
    this.radio = 'radio' in air ? air.radio(opts) : air;
  }

  /** The metrics of the open connection to this peripheral, or of the last one. */
  linkMetrics(peripheralUuid: string): LinkMetrics | undefined {
    return this.#links.get(peripheralUuid)?.metrics() ?? this.#lastMetrics.get(peripheralUuid);
  }

  // --- bonds ---------------------------------------------------------------------------------

  identify(peripheralUuid: string, identity: string): void {
    this.#identities.set(peripheralUuid, identity);
  }

  isBonded(peripheralUuid: string): boolean {
    return this.#bondOf(peripheralUuid) !== undefined;
  }

  /** Bond with a peripheral whose GATT table was discovered on this radio (else nothing happens). */
  bond(peripheralUuid: string): void {
    const services = this.#discovered.get(peripheralUuid) ?? this.#bondOf(peripheralUuid);
    if (this.#addresses.has(peripheralUuid) && services) this.#bonds.set(this.#identityOf(peripheralUuid), services.map(copyServiceDef));
  }

  forget(peripheralUuid: string): void {
    this.#bonds.delete(this.#identityOf(peripheralUuid));
  }

  /** Every bond, to persist. */
  bondRecords(): GattBond[] {
    return [...this.#bonds].map(([peer, services]) => ({ peer, services: services.map(copyServiceDef) }));
  }

  /** Take bonds kept by an earlier process (replacing any with the same peer). */
  restoreBonds(bonds: readonly GattBond[]): void {
    for (const b of bonds) this.#bonds.set(b.peer, b.services.map(copyServiceDef));
  }

  #identityOf(peripheralUuid: string): string {
    return this.#identities.get(peripheralUuid) ?? peripheralUuid;
  }

  /** The cached GATT table of the peer at this peripheral id, if bonded. */
  #bondOf(peripheralUuid: string): BondedService[] | undefined {
    return this.#bonds.get(this.#identityOf(peripheralUuid));
  }

  // --- adapter --------------------------------------------------------------------------------

  init(): void {
    setImmediate(() => {
      this.emit('addressChange', this.radio.address);
      this.#setState('poweredOn');
    });
  }

  reset(): void {
    this.#setState('resetting');
    this.#stopScanning();
    for (const link of this.#links.values()) void link.disconnect();
    setImmediate(() => this.#setState('poweredOn'));
  }

  setScanParameters(_interval: number, _window: number): void {
    setImmediate(() => this.emit('scanParametersSet'));
  }

  startScanning(serviceUuids: string[] = [], allowDuplicates = false): void {
    this.#stopScanning();
    this.#scanFilter = new Set(serviceUuids.map(normalizeUuid));
    setImmediate(() => this.emit('scanStart', !allowDuplicates));
    this.#stopScan = this.radio.startScan((report) => this.#onReport(report));
  }

  stopScanning(): void {
    this.#stopScanning();
    setImmediate(() => this.emit('scanStop'));
  }

  // --- connections ----------------------------------------------------------------------------

  connect(peripheralUuid: string): void {
    const address = this.#addresses.get(peripheralUuid);
    if (!address) {
      setImmediate(() => this.emit('connect', peripheralUuid, new Error(`unknown peripheral ${peripheralUuid}`)));
      return;
    }
    this.#connecting.add(peripheralUuid);
    this.#cancelled.delete(peripheralUuid);
    this.radio.connect(address).then(
      (link) => {
        this.#connecting.delete(peripheralUuid);
        if (this.#cancelled.delete(peripheralUuid)) {
          void link.disconnect();
          return;
        }
        this.#links.set(peripheralUuid, link);
        link.onNotification((s, c, data) => {
          // Like a phone's OS stack, nothing is handed to the app for a characteristic it has not
          // been told of (noble fails or warns on it): a bonded car's challenge push can arrive
          // before a phone that rediscovers has the characteristic; the phone then asks again.
          if (this.#reported.has(characteristicKey(peripheralUuid, s, c))) this.emit('read', peripheralUuid, s, c, Buffer.from(data), true);
        });
        link.onClose((reason) => {
          this.#lastMetrics.set(peripheralUuid, link.metrics());
          this.#links.delete(peripheralUuid);
          for (const key of [...this.#subscribed]) if (key.startsWith(`${peripheralUuid}/`)) this.#subscribed.delete(key);
          this.emit('disconnect', peripheralUuid, reason);
        });
        this.emit('connect', peripheralUuid, null);
        // As hci-socket does, exchange the MTU at once; noble stores it on the peripheral.
        link.exchangeMtu(this.radio.maxMtu).then(
          (mtu) => this.emit('onMtu', peripheralUuid, mtu),
          () => undefined,
        );
      },
      (err: unknown) => {
        this.#connecting.delete(peripheralUuid);
        if (this.#cancelled.delete(peripheralUuid)) return;
        this.emit('connect', peripheralUuid, err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  cancelConnect(peripheralUuid: string): void {
    if (this.#connecting.has(peripheralUuid)) this.#cancelled.add(peripheralUuid);
  }

  disconnect(peripheralUuid: string): void {
    const link = this.#links.get(peripheralUuid);
    if (link) void link.disconnect();
    else setImmediate(() => this.emit('disconnect', peripheralUuid, 0x16));
  }

  updateRssi(peripheralUuid: string): void {
    const link = this.#links.get(peripheralUuid);
    if (link) setImmediate(() => this.emit('rssiUpdate', peripheralUuid, link.rssi()));
  }

  // --- GATT client ----------------------------------------------------------------------------

  discoverServices(peripheralUuid: string, serviceUuids: string[] = []): void {
    const cached = this.#bondOf(peripheralUuid);
    if (cached) {
      // A bonded peer: the GATT cache answers, nothing goes on air.
      this.#withLink(peripheralUuid, () => {
        const wanted = new Set(serviceUuids.map(normalizeUuid));
        const services = cached.filter((s) => wanted.size === 0 || wanted.has(s.uuid));
        return new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#servicesFound(peripheralUuid, services));
      });
      return;
    }
    this.#withLink(peripheralUuid, (link) =>
      link.discoverServices(serviceUuids).then((services) => {
        this.#discovered.set(peripheralUuid, services.map(copyServiceDef));
        this.#servicesFound(peripheralUuid, services);
      }),
    );
  }

  #servicesFound(peripheralUuid: string, services: readonly GattServiceDef[]): void {
    for (const s of services) for (const c of s.characteristics) this.#characteristics.set(characteristicKey(peripheralUuid, s.uuid, c.uuid), c);
    // noble starts each reported service afresh: its characteristics are unknown until reported again.
    for (const s of services) for (const c of s.characteristics) this.#reported.delete(characteristicKey(peripheralUuid, s.uuid, c.uuid));
    this.emit(
      'servicesDiscover',
      peripheralUuid,
      services.map((s) => s.uuid),
    );
  }

  discoverIncludedServices(peripheralUuid: string, serviceUuid: string): void {
    setImmediate(() => this.emit('includedServicesDiscover', peripheralUuid, serviceUuid, []));
  }

  discoverCharacteristics(peripheralUuid: string, serviceUuid: string, characteristicUuids: string[] = []): void {
    const cached = this.#bondOf(peripheralUuid)?.find((s) => s.uuid === normalizeUuid(serviceUuid));
    if (cached) {
      this.#withLink(peripheralUuid, () => {
        const wanted = new Set(characteristicUuids.map(normalizeUuid));
        const found = cached.characteristics.filter((c) => wanted.size === 0 || wanted.has(c.uuid));
        return new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#characteristicsFound(peripheralUuid, serviceUuid, found));
      });
      return;
    }
    this.#withLink(peripheralUuid, (link) =>
      link.discoverCharacteristics(serviceUuid, characteristicUuids).then((characteristics) => this.#characteristicsFound(peripheralUuid, serviceUuid, characteristics)),
    );
  }

  #characteristicsFound(peripheralUuid: string, serviceUuid: string, characteristics: readonly GattCharacteristicDef[]): void {
    for (const c of characteristics) this.#reported.add(characteristicKey(peripheralUuid, serviceUuid, c.uuid));
    this.emit('characteristicsDiscover', peripheralUuid, serviceUuid, characteristics.map((c) => ({ uuid: c.uuid, properties: [...c.properties] })));
  }

  read(peripheralUuid: string, serviceUuid: string, characteristicUuid: string): void {
    this.#withLink(peripheralUuid, (link) =>
      link.read(serviceUuid, characteristicUuid).then(
        (data) => this.emit('read', peripheralUuid, serviceUuid, characteristicUuid, Buffer.from(data), false),
        (err: unknown) => {
          // hci-socket answers an ATT error with what it read so far: nothing.
          if (!(err instanceof LinkClosedError)) this.emit('read', peripheralUuid, serviceUuid, characteristicUuid, Buffer.alloc(0), false);
        },
      ),
    );
  }

  write(peripheralUuid: string, serviceUuid: string, characteristicUuid: string, data: Buffer, withoutResponse: boolean): void {
    if (withoutResponse) {
      // As hci-socket does, a write command is done once queued: the next one can follow at once,
      // so a message's fragments share connection events. Nobody hears whether it arrived.
      this.#withLink(peripheralUuid, (link) => {
        const queued = link.write(serviceUuid, characteristicUuid, new Uint8Array(data), true);
        queueMicrotask(() => this.emit('write', peripheralUuid, serviceUuid, characteristicUuid));
        return queued;
      });
      return;
    }
    // A refused write emits nothing, as with hci-socket: the caller's own timeout must catch it.
    this.#withLink(peripheralUuid, (link) =>
      link
        .write(serviceUuid, characteristicUuid, new Uint8Array(data), withoutResponse)
        .then(() => this.emit('write', peripheralUuid, serviceUuid, characteristicUuid)),
    );
  }

  broadcast(_peripheralUuid: string, _serviceUuid: string, _characteristicUuid: string, _broadcast: boolean): void {
    // No simulated characteristic has a server configuration descriptor; hci-socket then emits nothing.
  }

  notify(peripheralUuid: string, serviceUuid: string, characteristicUuid: string, notify: boolean): void {
    this.#withLink(peripheralUuid, (link) =>
      link.subscribe(serviceUuid, characteristicUuid, notify).then(() => {
        const key = characteristicKey(peripheralUuid, serviceUuid, characteristicUuid);
        if (notify) this.#subscribed.add(key);
        else this.#subscribed.delete(key);
        this.emit('notify', peripheralUuid, serviceUuid, characteristicUuid, notify);
      }),
    );
  }

  discoverDescriptors(peripheralUuid: string, serviceUuid: string, characteristicUuid: string): void {
    const c = this.#characteristics.get(characteristicKey(peripheralUuid, serviceUuid, characteristicUuid));
    const hasCccd = c !== undefined && (c.properties.includes('notify') || c.properties.includes('indicate'));
    setImmediate(() => this.emit('descriptorsDiscover', peripheralUuid, serviceUuid, characteristicUuid, hasCccd ? [CCCD_UUID] : []));
  }

  readValue(peripheralUuid: string, serviceUuid: string, characteristicUuid: string, descriptorUuid: string): void {
    const key = characteristicKey(peripheralUuid, serviceUuid, characteristicUuid);
    const value = descriptorUuid === CCCD_UUID ? Buffer.from([this.#subscribed.has(key) ? 1 : 0, 0]) : Buffer.alloc(0);
    setImmediate(() => this.emit('valueRead', peripheralUuid, serviceUuid, characteristicUuid, descriptorUuid, value));
  }

  writeValue(peripheralUuid: string, serviceUuid: string, characteristicUuid: string, descriptorUuid: string, data: Buffer): void {
    if (descriptorUuid !== CCCD_UUID) return;
    const enable = ((data[0] ?? 0) & 0x03) !== 0;
    this.#withLink(peripheralUuid, (link) =>
      link.subscribe(serviceUuid, characteristicUuid, enable).then(() => {
        const key = characteristicKey(peripheralUuid, serviceUuid, characteristicUuid);
        if (enable) this.#subscribed.add(key);
        else this.#subscribed.delete(key);
        this.emit('valueWrite', peripheralUuid, serviceUuid, characteristicUuid, descriptorUuid);
      }),
    );
  }

  readHandle(peripheralUuid: string, handle: number): void {
    // Raw attribute handles are not modelled by the air.
    setImmediate(() => this.emit('handleRead', peripheralUuid, handle, Buffer.alloc(0)));
  }

  writeHandle(_peripheralUuid: string, _handle: number, _data: Buffer, _withoutResponse: boolean): void {
    // Raw attribute handles are not modelled: like a refused write, nothing is emitted.
  }

  // --- internals ------------------------------------------------------------------------------

  #setState(state: NobleState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('stateChange', state);
  }

  #stopScanning(): void {
    this.#stopScan?.();
    this.#stopScan = null;
  }

  #onReport(report: AdvertisementReport): void {
    const { advertisement } = report;
    if (this.#scanFilter.size > 0 && !advertisement.serviceUuids.some((u) => this.#scanFilter.has(normalizeUuid(u)))) return;
    const id = peripheralIdOf(report.address);
    this.#addresses.set(id, report.address);
    const nobleAdvertisement: NobleAdvertisement = {
      localName: advertisement.localName,
      serviceData: [],
      serviceUuids: advertisement.serviceUuids.map(normalizeUuid),
      serviceSolicitationUuids: [],
      ...(advertisement.txPowerLevel === undefined ? {} : { txPowerLevel: advertisement.txPowerLevel }),
      ...(advertisement.manufacturerData === undefined ? {} : { manufacturerData: Buffer.from(advertisement.manufacturerData) }),
    };
    this.emit('discover', id, report.address, report.addressType, report.connectable, nobleAdvertisement, report.rssi, report.scannable);
  }

  /**
   * Run a GATT operation on an open link. On a closed link or an ATT error noble hears nothing (as
   * with hci-socket); anything else is a bug in a listener and is rethrown outside the air.
   */
  #withLink(peripheralUuid: string, run: (link: CentralLink) => Promise<unknown>): void {
    const link = this.#links.get(peripheralUuid);
    if (!link) return;
    run(link).catch((err: unknown) => {
      if (err instanceof LinkClosedError || err instanceof AttError) return;
      setImmediate(() => {
        throw err;
      });
    });
  }
}

function copyServiceDef(s: GattServiceDef): BondedService {
  return {
    uuid: normalizeUuid(s.uuid),
    characteristics: s.characteristics.map((c) => ({ uuid: normalizeUuid(c.uuid), properties: [...c.properties] })),
  };
}

/** How the bindings name one characteristic of one peripheral in their maps and sets: "peripheral/service/characteristic", UUIDs in noble's form. */
function characteristicKey(peripheralUuid: string, serviceUuid: string, characteristicUuid: string): string {
  return `${peripheralUuid}/${normalizeUuid(serviceUuid)}/${normalizeUuid(characteristicUuid)}`;
}
