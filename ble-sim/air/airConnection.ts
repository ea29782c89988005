/**
 * One simulated BLE connection and its link model (DESIGN.md §3). Time is divided into connection
 * events every `intervalMs`; an event carries up to the profile's `packetsPerEvent` packet pairs:
 * each pair is the central's next PDU (or an empty one) and the peripheral's answer (the ATT
 * response, or a queued notification). Write commands and notifications fill the pairs back to back;
 * an ATT request ends the event, since the central must see its response before sending the next
 * request (ATT is sequential), so long reads, long writes and discovery take an event per step.
 * A lost packet (seeded, deterministic) ends the event and is sent again in the next one, as the
 * link layer does. Nothing here uses timers: the Air's scheduler runs events in simulated-time order.
 *
 * The same object has two faces: `CentralLink` (what a central's stack uses) and `PeripheralLink`
 * (what a GATT server sees).
 */
import { MIN_MTU } from '../../shared/ble/framing.js';
import {
  ATT_ERRORS,
  AttError,
  HCI_REASON,
  LinkClosedError,
  MAX_ATTRIBUTE_BYTES,
  normalizeUuid,
  type GattServer,
} from './gattServer.js';
import { airBytes, emptyLinkMetrics, L2CAP_HEADER, LL_MAX_PAYLOAD, LL_PACKET_OVERHEAD, LL_TERMINATE_PAYLOAD, type LinkMetrics } from './linkMetrics.js';
import type { CentralLink, GattCharacteristicDef, GattServiceDef, PeripheralLink } from './links.js';
import { DEFAULT_RSSI, type LinkProfile } from './linkProfile.js';
import { SeededRandom } from './seededRandom.js';



/** The part of the Air a connection needs. */
export interface AirScheduler {
  now(): number;
  wake(): void;
  closed(connection: AirConnection): void;
}

type ExchangeKind = 'setup' | 'att' | 'command' | 'notification' | 'terminate';

interface Exchange {
  kind: ExchangeKind;
  /** ATT bytes central → peripheral (0: an empty PDU). */
  c2p: number;
  /** ATT bytes peripheral → central (0: an empty PDU); a request handler may set it. */
  p2c: number;
  /** The central's packet got through (the peripheral has handled the request). */
  delivered: boolean;
  op?: AttOp;
  onRequest?: (ex: Exchange) => void;
  onComplete?: () => void;
}

interface AttOp {
  steps: Exchange[];
  error?: Error;
  resolve(): void;
  reject(err: Error): void;
}

type LinkState = 'connecting' | 'connected' | 'closing' | 'closed';

/** ATT PDU sizes (Bluetooth Core Vol 3 Part F). */
const ATT = {
  MTU_REQ: 3,
  MTU_RSP: 3,
  READ_BY_TYPE_REQ: 7,
  ERROR_RSP: 5,
  READ_REQ: 3,
  READ_BLOB_REQ: 5,
  WRITE_REQ_HEADER: 3,
  WRITE_RSP: 1,
  PREPARE_WRITE_HEADER: 5,
  EXECUTE_WRITE_REQ: 2,
  EXECUTE_WRITE_RSP: 1,
  NOTIFICATION_HEADER: 3,
  CCCD_READ_BY_TYPE_RSP: 6,
  CCCD_WRITE_REQ: 5,
  SERVICE_ENTRY_128: 20,
  CHARACTERISTIC_ENTRY_128: 21,
} as const;

/** What the Air hands a new connection. */
export interface AirConnectionParams {
  id: number;
  scheduler: AirScheduler;
  centralAddress: string;
  peripheralAddress: string;
  server: GattServer;
  profile: LinkProfile;
  /** The largest MTU the peripheral accepts (its profile's). */
  serverMtu: number;
  rssi: number;
  seed: number;
}

/** One connection: its queues, its events and its metrics; `central` and `peripheral` are its two faces. */
export class AirConnection {
  readonly id: number;
  readonly centralAddress: string;
  readonly peripheralAddress: string;
  readonly #scheduler: AirScheduler;
  readonly #server: GattServer;
  readonly #serverMtu: number;
  readonly #intervalMs: number;
  readonly #packetsPerEvent: number;
  readonly #lossRate: number;
  readonly #rssiBase: number;
  readonly #lossRng: SeededRandom;
  readonly #commandLossRate: number;
  readonly #commandLossRng: SeededRandom;
  readonly #rssiRng: SeededRandom;
  readonly #startMs: number;
  #lastEventMs: number | null = null;
  #state: LinkState = 'connecting';
  #mtu = MIN_MTU;
  #ready: Exchange[] = [];
  #attOps: AttOp[] = [];
  #attEvents = 0;
  readonly #metrics: LinkMetrics;
  readonly #subscriptions = new Set<string>();
  readonly #notificationListeners: ((s: string, c: string, v: Uint8Array) => void)[] = [];
  readonly #closeListeners: ((reason: number) => void)[] = [];
  readonly #established: Promise<void>;
  #establish!: { resolve: () => void; reject: (err: Error) => void };
  #closedPromise: Promise<void> | null = null;
  #resolveClosed: (() => void) | null = null;
  #terminatedBy: 'central' | 'peripheral' | null = null;
  /** The connection as the central's stack sees it. */
  readonly central: CentralLink;
  /** The connection as the GATT server sees it. */
  readonly peripheral: PeripheralLink;

  constructor(params: AirConnectionParams) {
    this.id = params.id;
    this.#scheduler = params.scheduler;
    this.centralAddress = params.centralAddress;
    this.peripheralAddress = params.peripheralAddress;
    this.#server = params.server;
    this.#serverMtu = params.serverMtu;
    this.#intervalMs = params.profile.intervalMs;
    this.#packetsPerEvent = params.profile.packetsPerEvent ?? 1;
    this.#lossRate = params.profile.lossRate ?? 0;
    this.#rssiBase = params.rssi ?? DEFAULT_RSSI;
    this.#lossRng = new SeededRandom(params.seed);
    this.#rssiRng = new SeededRandom(params.seed ^ 0x5bd1e995);
    this.#commandLossRate = params.profile.commandLossRate ?? 0;
    this.#commandLossRng = new SeededRandom(params.seed ^ 0x27d4eb2f);
    this.#startMs = params.scheduler.now();
    this.#metrics = emptyLinkMetrics(MIN_MTU, this.#intervalMs);
    this.#established = new Promise<void>((resolve, reject) => {
      this.#establish = { resolve, reject };
    });
    this.central = centralFace(this);
    this.peripheral = peripheralFace(this);
    // The first connection event establishes the link (empty PDUs both ways).
    this.#push({
      kind: 'setup',
      c2p: 0,
      p2c: 0,
      delivered: false,
      onComplete: () => {
        this.#state = 'connected';
        this.#safeServer(() => this.#server.onConnect?.(this.peripheral));
        this.#establish.resolve();
      },
    });
  }

  /** Resolves once the first connection event has taken place. */
  get established(): Promise<void> {
    return this.#established;
  }

  get mtu(): number {
    return this.#mtu;
  }

  get open(): boolean {
    return this.#state === 'connected';
  }

  metrics(): LinkMetrics {
    return { ...this.#metrics, bytesOnAir: { ...this.#metrics.bytesOnAir }, mtu: this.#mtu };
  }

  rssi(): number {
    return this.#rssiBase + this.#rssiRng.int(-2, 2);
  }

  roundTripMs(): number {
    return this.#metrics.roundTrips === 0 ? this.#intervalMs : (this.#attEvents * this.#intervalMs) / this.#metrics.roundTrips;
  }

  // --- the scheduler's side -------------------------------------------------------------------

  /** The time of this link's next connection event if it has traffic, else null. */
  nextEventAt(nowMs: number): number | null {
    if (this.#ready.length === 0) return null;
    const base = this.#lastEventMs ?? this.#startMs;
    const k = Math.max(1, Math.floor((nowMs - base) / this.#intervalMs) + 1);
    return base + k * this.#intervalMs;
  }

  /**
   * Run one connection event at `atMs`: exchanges from the queue until the packet budget is spent,
   * an ATT request has been answered, the link-layer set-up or termination has run, or a packet is lost.
   */
  runEvent(atMs: number): void {
    if (!this.#ready[0]) return;
    this.#lastEventMs = atMs;
    this.#metrics.connectionEvents += 1;
    this.#metrics.simulatedMs = atMs - this.#startMs;
    let budget = this.#packetsPerEvent;
    let countedAtt = false;
    for (let ex = this.#ready[0]; ex; ex = this.#ready[0]) {
      const packets = this.#packetsOf(ex);
      // An exchange larger than the whole budget still goes alone in an event of its own.
      if (packets > budget && budget < this.#packetsPerEvent) return;
      budget -= packets;
      if (ex.kind === 'att' && !countedAtt) {
        this.#attEvents += 1;
        countedAtt = true;
      }
      const done = this.#runExchange(ex);
      // Only write commands and notifications leave room for more: nobody waits for an answer to them.
      if (!done || (ex.kind !== 'command' && ex.kind !== 'notification') || budget <= 0) return;
    }
  }

  /** One exchange within an event; false when a packet was lost or the link went down. */
  #runExchange(ex: Exchange): boolean {
    this.#metrics.bytesOnAir.centralToPeripheral += this.#packetBytes(ex, ex.delivered ? 0 : ex.c2p, 'central');
    if (this.#lost()) {
      // The peripheral heard nothing and stays silent; the central sends again next event.
      this.#metrics.retransmissions += 1;
      return false;
    }
    if (!ex.delivered) {
      ex.delivered = true;
      ex.onRequest?.(ex);
      // The handler may have torn the link down (a peripheral hanging up on a request): the
      // exchange was abandoned with it, and the terminate exchange is next.
      if (this.#ready[0] !== ex) return false;
    }
    this.#metrics.bytesOnAir.peripheralToCentral += this.#packetBytes(ex, ex.p2c, 'peripheral');
    if (this.#carries(ex, 'peripheral') && this.#lost()) {
      this.#metrics.retransmissions += 1;
      return false;
    }
    this.#ready.shift();
    if (ex.kind === 'att') this.#metrics.roundTrips += 1;
    if (ex.kind === 'notification') this.#metrics.notifications += 1;
    this.#complete(ex);
    return true;
  }

  /** Link-layer packet pairs an exchange takes: its larger side, split at the LL payload. */
  #packetsOf(ex: Exchange): number {
    const larger = Math.max(ex.delivered ? 0 : ex.c2p, ex.p2c);
    return Math.max(1, Math.ceil((larger + L2CAP_HEADER) / LL_MAX_PAYLOAD));
  }

  // --- central face ---------------------------------------------------------------------------

  exchangeMtu(clientMtu: number): Promise<number> {
    return this.#att(
      [
        this.#step(ATT.MTU_REQ, (ex) => {
          this.#mtu = Math.max(MIN_MTU, Math.min(clientMtu, this.#serverMtu));
          ex.p2c = ATT.MTU_RSP;
          this.#safeServer(() => this.#server.onMtuExchanged?.(this.peripheral, this.#mtu));
        }),
      ],
      () => this.#mtu,
    );
  }

  discoverServices(uuids: readonly string[] = []): Promise<GattServiceDef[]> {
    const wanted = new Set(uuids.map(normalizeUuid));
    const all = this.#server.services;
    const steps = this.#discoverySteps(all.length, ATT.SERVICE_ENTRY_128);
    return this.#att(steps, () => all.filter((s) => wanted.size === 0 || wanted.has(normalizeUuid(s.uuid))).map(copyService));
  }

  discoverCharacteristics(serviceUuid: string, uuids: readonly string[] = []): Promise<GattCharacteristicDef[]> {
    const service = this.#service(serviceUuid);
    if (!service) return Promise.reject(new AttError(ATT_ERRORS.ATTRIBUTE_NOT_FOUND, `no service ${serviceUuid}`));
    const wanted = new Set(uuids.map(normalizeUuid));
    const steps = this.#discoverySteps(service.characteristics.length, ATT.CHARACTERISTIC_ENTRY_128);
    return this.#att(steps, () =>
      service.characteristics.filter((c) => wanted.size === 0 || wanted.has(normalizeUuid(c.uuid))).map(copyCharacteristic),
    );
  }

  read(serviceUuid: string, characteristicUuid: string): Promise<Uint8Array> {
    const found = this.#characteristic(serviceUuid, characteristicUuid);
    if (!found) return Promise.reject(new AttError(ATT_ERRORS.ATTRIBUTE_NOT_FOUND));
    let value: Uint8Array = new Uint8Array(0);
    let offset = 0;
    const steps: Exchange[] = [];
    // Like noble's hci Gatt: while a response fills the MTU, ask for the next blob.
    const answer = (ex: Exchange) => {
      const part = value.subarray(offset, offset + this.#mtu - 1);
      offset += part.length;
      ex.p2c = 1 + part.length;
      if (ex.p2c === this.#mtu) steps.push(this.#step(ATT.READ_BLOB_REQ, answer));
    };
    steps.push(
      this.#step(ATT.READ_REQ, (ex) => {
        if (!found.characteristic.properties.includes('read')) throw new AttError(ATT_ERRORS.READ_NOT_PERMITTED);
        const served = this.#server.onRead?.(this.peripheral, found.serviceUuid, found.characteristicUuid);
        if (!served) throw new AttError(ATT_ERRORS.READ_NOT_PERMITTED);
        if (served.length > MAX_ATTRIBUTE_BYTES) throw new AttError(ATT_ERRORS.UNLIKELY_ERROR, 'value too long');
        value = served.slice();
        answer(ex);
      }),
    );
    return this.#att(steps, () => value);
  }

  write(serviceUuid: string, characteristicUuid: string, value: Uint8Array, withoutResponse = false): Promise<void> {
    const found = this.#characteristic(serviceUuid, characteristicUuid);
    if (!found) return Promise.reject(new AttError(ATT_ERRORS.ATTRIBUTE_NOT_FOUND));
    const data = value.slice();
    const deliver = () => this.#server.onWrite?.(this.peripheral, found.serviceUuid, found.characteristicUuid, data);
    if (withoutResponse) {
      if (data.length > this.#mtu - 3) return Promise.reject(new RangeError(`write command of ${data.length} bytes exceeds MTU - 3`));
      // A write command has no response and no error: a refused one is silently dropped.
      const step: Exchange = {
        kind: 'command',
        c2p: ATT.WRITE_REQ_HEADER + data.length,
        p2c: 0,
        delivered: false,
        onRequest: () => {
          // The peripheral's host may drop it (no ATT flow control for commands); nobody is told.
          if (this.#commandLossRate > 0 && this.#commandLossRng.next() < this.#commandLossRate) return;
          if (found.characteristic.properties.includes('writeWithoutResponse')) this.#safeServer(deliver);
        },
      };
      return this.#att([step], () => undefined);
    }
    const permitted = () => {
      if (!found.characteristic.properties.includes('write')) throw new AttError(ATT_ERRORS.WRITE_NOT_PERMITTED);
    };
    if (data.length <= this.#mtu - 3) {
      return this.#att(
        [
          this.#step(ATT.WRITE_REQ_HEADER + data.length, (ex) => {
            permitted();
            deliver();
            ex.p2c = ATT.WRITE_RSP;
          }),
        ],
        () => undefined,
      );
    }
    // Long write (Core Vol 3 Part G §4.9.4): prepare-write chunks of MTU - 5, then execute.
    const steps: Exchange[] = [];
    const chunk = this.#mtu - 5;
    for (let off = 0; off < data.length; off += chunk) {
      const size = Math.min(chunk, data.length - off);
      steps.push(
        this.#step(ATT.PREPARE_WRITE_HEADER + size, (ex) => {
          permitted();
          ex.p2c = ATT.PREPARE_WRITE_HEADER + size;
        }),
      );
    }
    steps.push(
      this.#step(ATT.EXECUTE_WRITE_REQ, (ex) => {
        if (data.length > MAX_ATTRIBUTE_BYTES) throw new AttError(ATT_ERRORS.INVALID_ATTRIBUTE_VALUE_LENGTH);
        deliver();
        ex.p2c = ATT.EXECUTE_WRITE_RSP;
      }),
    );
    return this.#att(steps, () => undefined);
  }

  subscribe(serviceUuid: string, characteristicUuid: string, enabled: boolean): Promise<void> {
    const found = this.#characteristic(serviceUuid, characteristicUuid);
    if (!found) return Promise.reject(new AttError(ATT_ERRORS.ATTRIBUTE_NOT_FOUND));
    const key = `${found.serviceUuid}/${found.characteristicUuid}`;
    // Like noble: find the CCCD (read by type 0x2902), then write it.
    return this.#att(
      [
        this.#step(ATT.READ_BY_TYPE_REQ, (ex) => {
          const props = found.characteristic.properties;
          if (!props.includes('notify') && !props.includes('indicate')) throw new AttError(ATT_ERRORS.ATTRIBUTE_NOT_FOUND, 'no CCCD');
          ex.p2c = ATT.CCCD_READ_BY_TYPE_RSP;
        }),
        this.#step(ATT.CCCD_WRITE_REQ, (ex) => {
          if (enabled) this.#subscriptions.add(key);
          else this.#subscriptions.delete(key);
          this.#safeServer(() => this.#server.onSubscribe?.(this.peripheral, found.serviceUuid, found.characteristicUuid, enabled));
          ex.p2c = ATT.WRITE_RSP;
        }),
      ],
      () => undefined,
    );
  }

  onNotification(listener: (serviceUuid: string, characteristicUuid: string, value: Uint8Array) => void): void {
    this.#notificationListeners.push(listener);
  }

  onClose(listener: (reason: number) => void): void {
    this.#closeListeners.push(listener);
  }

  // --- peripheral face ------------------------------------------------------------------------

  isSubscribed(serviceUuid: string, characteristicUuid: string): boolean {
    return this.#subscriptions.has(`${normalizeUuid(serviceUuid)}/${normalizeUuid(characteristicUuid)}`);
  }

  restoreSubscription(serviceUuid: string, characteristicUuid: string): void {
    const found = this.#characteristic(serviceUuid, characteristicUuid);
    const props = found?.characteristic.properties ?? [];
    if (!found || this.#state === 'closing' || this.#state === 'closed') return;
    if (props.includes('notify') || props.includes('indicate')) this.#subscriptions.add(`${found.serviceUuid}/${found.characteristicUuid}`);
  }

  notify(serviceUuid: string, characteristicUuid: string, value: Uint8Array): boolean {
    if (this.#state !== 'connected' || !this.isSubscribed(serviceUuid, characteristicUuid)) return false;
    if (value.length > this.#mtu - 3) throw new RangeError(`notification of ${value.length} bytes exceeds MTU - 3 (${this.#mtu - 3})`);
    const s = normalizeUuid(serviceUuid);
    const c = normalizeUuid(characteristicUuid);
    const data = value.slice();
    this.#push({
      kind: 'notification',
      c2p: 0,
      p2c: ATT.NOTIFICATION_HEADER + data.length,
      delivered: false,
      onComplete: () => this.#emit(this.#notificationListeners, (l) => l(s, c, data.slice())),
    });
    return true;
  }

  // --- both faces -----------------------------------------------------------------------------

  /**
   * Terminate the link from one side: pending operations fail, and LL_TERMINATE_IND takes the
   * next connection event. Resolves when both sides know.
   */
  terminate(by: 'central' | 'peripheral'): Promise<void> {
    if (this.#closedPromise) return this.#closedPromise;
    this.#closedPromise = new Promise<void>((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#terminatedBy = by;
    const wasConnecting = this.#state === 'connecting';
    this.#state = 'closing';
    const pending = this.#attOps;
    this.#attOps = [];
    this.#ready = [];
    const centralReason = by === 'central' ? HCI_REASON.LOCAL_HOST_TERMINATED : HCI_REASON.REMOTE_USER_TERMINATED;
    for (const op of pending) op.reject(new LinkClosedError(centralReason));
    if (wasConnecting) {
      this.#establish.reject(new LinkClosedError(centralReason));
      this.#finish(by, false);
    } else {
      this.#push({ kind: 'terminate', c2p: 0, p2c: 0, delivered: false, onComplete: () => this.#finish(by, true) });
    }
    return this.#closedPromise;
  }

  // --- internals ------------------------------------------------------------------------------

  #finish(by: 'central' | 'peripheral', established: boolean): void {
    this.#state = 'closed';
    this.#subscriptions.clear();
    const centralReason = by === 'central' ? HCI_REASON.LOCAL_HOST_TERMINATED : HCI_REASON.REMOTE_USER_TERMINATED;
    const peripheralReason = by === 'central' ? HCI_REASON.REMOTE_USER_TERMINATED : HCI_REASON.LOCAL_HOST_TERMINATED;
    if (established) this.#safeServer(() => this.#server.onDisconnect?.(this.peripheral, peripheralReason));
    this.#scheduler.closed(this);
    this.#emit(this.#closeListeners, (l) => l(centralReason));
    this.#resolveClosed?.();
  }

  #packetBytes(ex: Exchange, attBytes: number, sender: 'central' | 'peripheral'): number {
    if (ex.kind === 'terminate' && this.#terminatedBy === sender) return LL_PACKET_OVERHEAD + LL_TERMINATE_PAYLOAD;
    return airBytes(attBytes);
  }

  /** Whether this side's packet in this exchange holds anything that must be retransmitted if lost. */
  #carries(ex: Exchange, sender: 'central' | 'peripheral'): boolean {
    if (ex.kind === 'terminate') return this.#terminatedBy === sender;
    return sender === 'peripheral' ? ex.p2c > 0 : true;
  }

  #lost(): boolean {
    return this.#lossRate > 0 && this.#lossRng.next() < this.#lossRate;
  }

  #push(ex: Exchange): void {
    this.#ready.push(ex);
    this.#scheduler.wake();
  }

  /** An ATT request step whose handler computes the response (a thrown AttError becomes an error response). */
  #step(c2p: number, handle: (ex: Exchange) => void): Exchange {
    return {
      kind: 'att',
      c2p,
      p2c: 0,
      delivered: false,
      onRequest: (ex) => {
        try {
          handle(ex);
        } catch (err) {
          // The server never takes the air down: anything unexpected is ATT "unlikely error".
          if (!ex.op) throw new Error('an ATT step ran outside an ATT operation', { cause: err });
          ex.op.error = err instanceof AttError ? err : new AttError(ATT_ERRORS.UNLIKELY_ERROR, String(err));
          ex.p2c = ATT.ERROR_RSP;
        }
      },
    };
  }

  #att<T>(steps: Exchange[], result: () => T): Promise<T> {
    if (this.#state !== 'connected') return Promise.reject(new LinkClosedError(HCI_REASON.LOCAL_HOST_TERMINATED));
    const [first] = steps;
    if (!first) return Promise.reject(new Error('an ATT operation has at least one step'));
    return new Promise<T>((resolve, reject) => {
      const op: AttOp = { steps, resolve: () => resolve(result()), reject };
      for (const s of steps) s.op = op;
      this.#attOps.push(op);
      if (this.#attOps.length === 1) this.#push(first);
    });
  }

  #complete(ex: Exchange): void {
    const op = ex.op;
    if (op) {
      op.steps.shift();
      const next = op.steps[0];
      if (op.error || !next) {
        this.#attOps.shift();
        const following = this.#attOps[0];
        if (following?.steps[0]) this.#push(following.steps[0]);
        if (op.error) op.reject(op.error);
        else op.resolve();
      } else {
        next.op = op;
        this.#push(next);
      }
    }
    ex.onComplete?.();
  }

  /** Discovery: enough "read by type/group" responses for `count` entries, then "not found". */
  #discoverySteps(count: number, entryBytes: number): Exchange[] {
    const perResponse = Math.max(1, Math.floor((this.#mtu - 2) / entryBytes));
    const steps: Exchange[] = [];
    for (let left = count; left > 0; left -= perResponse) {
      const n = Math.min(perResponse, left);
      steps.push(this.#step(ATT.READ_BY_TYPE_REQ, (ex) => void (ex.p2c = 2 + n * entryBytes)));
    }
    steps.push(this.#step(ATT.READ_BY_TYPE_REQ, (ex) => void (ex.p2c = ATT.ERROR_RSP)));
    return steps;
  }

  #service(serviceUuid: string): GattServiceDef | undefined {
    const s = normalizeUuid(serviceUuid);
    return this.#server.services.find((svc) => normalizeUuid(svc.uuid) === s);
  }

  #characteristic(
    serviceUuid: string,
    characteristicUuid: string,
  ): { serviceUuid: string; characteristicUuid: string; characteristic: GattCharacteristicDef } | undefined {
    const c = normalizeUuid(characteristicUuid);
    const characteristic = this.#service(serviceUuid)?.characteristics.find((ch) => normalizeUuid(ch.uuid) === c);
    return characteristic ? { serviceUuid: normalizeUuid(serviceUuid), characteristicUuid: c, characteristic } : undefined;
  }

  #safeServer(fn: () => void): void {
    try {
      fn();
    } catch {
      // A peripheral callback that throws must not stop the air; the server owns its own errors.
    }
  }

  /** Central-side listeners: an exception there is the listener's bug, reported outside the air. */
  #emit<L>(listeners: readonly L[], call: (listener: L) => void): void {
    for (const l of listeners) {
      try {
        call(l);
      } catch (err) {
        setImmediate(() => {
          throw err;
        });
      }
    }
  }
}

function copyService(s: GattServiceDef): GattServiceDef {
  return { uuid: normalizeUuid(s.uuid), characteristics: s.characteristics.map(copyCharacteristic) };
}

function copyCharacteristic(c: GattCharacteristicDef): GattCharacteristicDef {
  return { uuid: normalizeUuid(c.uuid), properties: [...c.properties] };
}

function centralFace(conn: AirConnection): CentralLink {
  return {
    id: conn.id,
    peripheralAddress: conn.peripheralAddress,
    get mtu() {
      return conn.mtu;
    },
    get open() {
      return conn.open;
    },
    metrics: () => conn.metrics(),
    rssi: () => conn.rssi(),
    exchangeMtu: (clientMtu) => conn.exchangeMtu(clientMtu),
    discoverServices: (uuids) => conn.discoverServices(uuids),
    discoverCharacteristics: (serviceUuid, uuids) => conn.discoverCharacteristics(serviceUuid, uuids),
    read: (s, c) => conn.read(s, c),
    write: (s, c, value, withoutResponse) => conn.write(s, c, value, withoutResponse),
    subscribe: (s, c, enabled) => conn.subscribe(s, c, enabled),
    onNotification: (listener) => conn.onNotification(listener),
    onClose: (listener) => conn.onClose(listener),
    disconnect: () => conn.terminate('central'),
  };
}

function peripheralFace(conn: AirConnection): PeripheralLink {
  return {
    id: conn.id,
    centralAddress: conn.centralAddress,
    get mtu() {
      return conn.mtu;
    },
    get open() {
      return conn.open;
    },
    metrics: () => conn.metrics(),
    rssi: () => conn.rssi(),
    roundTripMs: () => conn.roundTripMs(),
    isSubscribed: (s, c) => conn.isSubscribed(s, c),
    restoreSubscription: (s, c) => conn.restoreSubscription(s, c),
    notify: (s, c, value) => conn.notify(s, c, value),
    disconnect: () => void conn.terminate('peripheral'),
  };
}
