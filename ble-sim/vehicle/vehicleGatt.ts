/**
 * The vehicle's GATT service (DESIGN.md §3) on the simulated air: Challenge (read), Request (write,
 * framed) and Response (notify, framed). This module only moves bytes: it reassembles request
 * frames per connection and frames responses at the link's MTU; what a challenge holds and what a
 * request means is the vehicle's business (createVehicle.ts). Nothing a central sends can make it
 * throw: bad fragments become a BAD_FRAME report, other characteristics an ATT error.
 *
 * Bonds: a central the vehicle bonded with (after its first successful command, see bond()) keeps
 * its Response subscription across connections, so it neither discovers nor writes the CCCD again.
 * The vehicle keeps its bonds in its state file (at most MAX_BONDS, least recently used dropped
 * first), so they survive a restart; a car that lost them (a new state file) refuses the bonded
 * phone's challenge read, and the phone subscribes again.
 *
 * Connection slots: a link that completes no request within the nonce lifetime of connecting (or of
 * its last request) is dropped, by a timer and, when the slots are full and someone else wants one,
 * against the vehicle's clock and link time. A bonded phone arriving at a full car takes the slot
 * of the oldest unbonded link with no request in hand, so idle strangers never lock the owner out.
 */
import type { PeripheralLink } from '../air/links.js';
import { ATT_ERRORS, AttError, normalizeUuid, type GattServer } from '../air/gattServer.js';
import type { GattServiceDef } from '../air/links.js';
import { encodeFrames, FRAGMENT_TIMEOUT_MS, FrameAssembler } from '../../shared/ble/framing.js';
import { CHALLENGE_CHAR_UUID, REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID, SERVICE_UUID } from '../../shared/ble/gattUuids.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { NONCE_TTL_MS } from './nonceStore.js';
import { MAX_BONDS } from './vehicleState.js';

const SERVICE = normalizeUuid(SERVICE_UUID);
const CHALLENGE = normalizeUuid(CHALLENGE_CHAR_UUID);
const REQUEST = normalizeUuid(REQUEST_CHAR_UUID);
const RESPONSE = normalizeUuid(RESPONSE_CHAR_UUID);

/** The vehicle's GATT table (DESIGN.md §3). */
export const VEHICLE_GATT_SERVICES: readonly GattServiceDef[] = Object.freeze([
  {
    uuid: SERVICE_UUID,
    characteristics: [
      // A phone reads a challenge only for a second command on one link: the first one is pushed.
      { uuid: CHALLENGE_CHAR_UUID, properties: ['read'] },
      // Phones write request fragments as write commands (no ATT response); writes with response are taken too.
      { uuid: REQUEST_CHAR_UUID, properties: ['write', 'writeWithoutResponse'] },
      { uuid: RESPONSE_CHAR_UUID, properties: ['notify'] },
    ],
  },
]);

/** What the transport asks of the vehicle. */
export interface VehicleGattHandlers {
  /** Simulated link time, for the framing rule "incomplete 2 s after the last fragment". */
  linkNowMs(): number;
  /** The vehicle's clock, ms: how long a link has gone without a request. */
  nowMs(): number;
  /**
   * A challenge for this connection (encoded message): a new nonce, or with `reuse` the outstanding
   * one while it is fresh (pushes). Must not throw.
   */
  challenge(link: PeripheralLink, opts?: { reuse: boolean }): Uint8Array;
  /** A whole request message arrived on this connection. */
  message(link: PeripheralLink, message: Uint8Array): void;
  /** A malformed fragment was dropped (with the partial message). */
  frameError(link: PeripheralLink, error: DigitalKeyError): void;
  disconnected(link: PeripheralLink): void;
}

/** The vehicle's GATT server: framing in and out, per connection. */
export class VehicleGatt implements GattServer {
  readonly services = VEHICLE_GATT_SERVICES;
  readonly #handlers: VehicleGattHandlers;
  readonly #assemblers = new Map<number, FrameAssembler>();
  readonly #bonds = new Set<string>();
  /** Open links in the order they connected, with when they last had a whole request (or connected). */
  readonly #slots = new Map<number, { link: PeripheralLink; sinceMs: number; sinceLinkMs: number; busy: boolean; timer: NodeJS.Timeout | undefined }>();
  /**
   * Per-connection timers for "incomplete 2 s after its last fragment". Simulated link time only
   * moves with traffic, so a phone that stops mid-message would never be caught by the check on the
   * next fragment alone; the car's own timer drops the partial message and reports BAD_FRAME.
   */
  readonly #stallTimers = new Map<number, NodeJS.Timeout>();

  constructor(handlers: VehicleGattHandlers) {
    this.#handlers = handlers;
  }

  onConnect(link: PeripheralLink): void {
    this.#assemblers.set(link.id, new FrameAssembler());
    this.#slots.set(link.id, { link, sinceMs: 0, sinceLinkMs: 0, busy: false, timer: undefined });
    this.#restartIdle(link.id, false);
    if (this.isBonded(link.centralAddress)) {
      this.#touchBond(link.centralAddress);
      link.restoreSubscription(SERVICE, RESPONSE);
    }
  }

  /**
   * The car pushes a challenge as soon as a link can hear it (protocol.md, "Challenge push"): when
   * the phone subscribes to Response; for a bonded phone, whose subscription the car restored at
   * connection, when its MTU exchange is done; and whenever a phone writes an empty value to Request
   * between messages (a phone whose stack could not listen yet when the MTU push went out). Pushes
   * without a read in between carry the same nonce, so a phone that got both holds no stale one.
   */
  onSubscribe(link: PeripheralLink, serviceUuid: string, characteristicUuid: string, enabled: boolean): void {
    if (enabled && serviceUuid === SERVICE && characteristicUuid === RESPONSE) this.#pushChallenge(link);
  }

  onMtuExchanged(link: PeripheralLink): void {
    if (link.isSubscribed(SERVICE, RESPONSE)) this.#pushChallenge(link);
  }

  #pushChallenge(link: PeripheralLink): void {
    if (!link.open) return;
    for (const frame of encodeFrames(this.#handlers.challenge(link, { reuse: true }), link.mtu)) {
      if (!link.notify(SERVICE, RESPONSE, frame)) return;
    }
  }

  onRead(link: PeripheralLink, serviceUuid: string, characteristicUuid: string): Uint8Array {
    if (serviceUuid !== SERVICE || characteristicUuid !== CHALLENGE) throw new AttError(ATT_ERRORS.READ_NOT_PERMITTED);
    // A challenge is only worth serving to a link that will hear the answer; this also tells a phone
    // that believes itself bonded (and skipped the CCCD write) that the vehicle has forgotten it.
    if (!link.isSubscribed(SERVICE, RESPONSE)) throw new AttError(ATT_ERRORS.CCCD_IMPROPERLY_CONFIGURED, 'subscribe to Response first');
    return this.#handlers.challenge(link);
  }

  /** Bond with this link's central: its Response subscription is restored on its next connections. */
  bond(link: PeripheralLink): void {
    if (!link.isSubscribed(SERVICE, RESPONSE)) return;
    this.#touchBond(link.centralAddress);
    for (const oldest of this.#bonds) {
      if (this.#bonds.size <= MAX_BONDS) break;
      this.#bonds.delete(oldest);
    }
  }

  /** The bonds the vehicle kept across a restart (its state file), least recently used first. */
  restoreBonds(centralAddresses: readonly string[]): void {
    for (const address of centralAddresses) this.#touchBond(address);
  }

  /** Whether the vehicle has bonded with this central address. */
  isBonded(centralAddress: string): boolean {
    return this.#bonds.has(centralAddress);
  }

  #touchBond(centralAddress: string): void {
    // A Set iterates in insertion order: re-inserting moves the address to the most recent end.
    this.#bonds.delete(centralAddress);
    this.#bonds.add(centralAddress);
  }

  onWrite(link: PeripheralLink, serviceUuid: string, characteristicUuid: string, value: Uint8Array): void {
    if (serviceUuid !== SERVICE || characteristicUuid !== REQUEST) throw new AttError(ATT_ERRORS.WRITE_NOT_PERMITTED);
    const assembler = this.#assemblers.get(link.id);
    if (!assembler) return;
    // An empty write between messages asks for a challenge (a bonded phone's first write).
    if (value.length === 0 && !assembler.inProgress) {
      if (link.isSubscribed(SERVICE, RESPONSE)) this.#pushChallenge(link);
      return;
    }
    // Fragments are ATT payloads of at most MTU - 3 bytes; a long write is not a fragment.
    if (value.length > link.mtu - 3) {
      assembler.close();
      this.#handlers.frameError(link, new DigitalKeyError('BAD_FRAME', `fragment of ${value.length} bytes exceeds MTU - 3`));
      return;
    }
    const result = assembler.push(value, this.#handlers.linkNowMs());
    this.#clearStallTimer(link.id);
    if (result.kind === 'error') this.#handlers.frameError(link, result.error);
    else if (result.kind === 'message') {
      this.#restartIdle(link.id, true);
      this.#handlers.message(link, result.message);
    }
    else this.#armStallTimer(link, assembler);
  }

  makeRoom(centralAddress: string): PeripheralLink | undefined {
    const nowMs = this.#handlers.nowMs();
    const linkNowMs = this.#handlers.linkNowMs();
    const waiting = [...this.#slots.values()].filter((s) => !s.busy);
    const stale = waiting.find((s) => nowMs - s.sinceMs > NONCE_TTL_MS || linkNowMs - s.sinceLinkMs > NONCE_TTL_MS);
    if (stale) return stale.link;
    if (!this.isBonded(centralAddress)) return undefined;
    return waiting.find((s) => !this.isBonded(s.link.centralAddress))?.link;
  }

  /** A link connected or sent a whole request (`busy` until it is answered): its idle time starts again. */
  #restartIdle(linkId: number, busy: boolean): void {
    const slot = this.#slots.get(linkId);
    if (!slot) return;
    clearTimeout(slot.timer);
    slot.sinceMs = this.#handlers.nowMs();
    slot.sinceLinkMs = this.#handlers.linkNowMs();
    slot.busy = busy;
    slot.timer = setTimeout(() => {
      if (!slot.busy && slot.link.open) slot.link.disconnect();
    }, NONCE_TTL_MS);
    slot.timer.unref();
  }

  #armStallTimer(link: PeripheralLink, assembler: FrameAssembler): void {
    const timer = setTimeout(() => {
      this.#stallTimers.delete(link.id);
      if (!link.open || !assembler.inProgress) return;
      assembler.close();
      this.#handlers.frameError(link, new DigitalKeyError('BAD_FRAME', 'incomplete message timed out'));
    }, FRAGMENT_TIMEOUT_MS);
    timer.unref();
    this.#stallTimers.set(link.id, timer);
  }

  #clearStallTimer(linkId: number): void {
    clearTimeout(this.#stallTimers.get(linkId));
    this.#stallTimers.delete(linkId);
  }

  onDisconnect(link: PeripheralLink): void {
    // An incomplete message at disconnect is dropped (there is nobody left to tell).
    this.#clearStallTimer(link.id);
    clearTimeout(this.#slots.get(link.id)?.timer);
    this.#slots.delete(link.id);
    this.#assemblers.get(link.id)?.close();
    this.#assemblers.delete(link.id);
    this.#handlers.disconnected(link);
  }

  /** Notify a framed message on Response; false when the phone has not subscribed or has left. */
  sendResponse(link: PeripheralLink, message: Uint8Array): boolean {
    // Answered: the link has the nonce lifetime again to send its next request.
    if (this.#slots.get(link.id)?.busy) this.#restartIdle(link.id, false);
    if (!link.open || !link.isSubscribed(SERVICE, RESPONSE)) return false;
    for (const frame of encodeFrames(message, link.mtu)) {
      if (!link.notify(SERVICE, RESPONSE, frame)) return false;
    }
    return true;
  }
}
