/**
 * What a simulated peripheral serves: a GATT table and the callbacks the air invokes when a central
 * reads, writes or (un)subscribes. Callbacks run inside a connection event and must answer at once
 * (as an ATT server does); long work (verifying a request) is started from them and answered later
 * by a notification. UUIDs are compared in noble's form (lower case, no dashes).
 */
import type { GattServiceDef, PeripheralLink } from './links.js';

/** A peripheral: its GATT table and the callbacks the air invokes inside connection events. */
export interface GattServer {
  readonly services: readonly GattServiceDef[];
  onConnect?(link: PeripheralLink): void;
  /**
   * A central wants to connect while every connection slot is taken: name one of `links` to drop
   * (the air disconnects it, then connects the newcomer), or nothing to refuse the newcomer.
   */
  makeRoom?(centralAddress: string, links: readonly PeripheralLink[]): PeripheralLink | undefined;
  /** Answer a read with the whole value (at most 512 bytes); throw AttError to refuse. */
  onRead?(link: PeripheralLink, serviceUuid: string, characteristicUuid: string): Uint8Array;
  /** Take a written value; throw AttError to refuse. */
  onWrite?(link: PeripheralLink, serviceUuid: string, characteristicUuid: string, value: Uint8Array): void;
  onSubscribe?(link: PeripheralLink, serviceUuid: string, characteristicUuid: string, enabled: boolean): void;
  /** The central's MTU exchange has set the link's ATT MTU (a peripheral's stack reports it the same way). */
  onMtuExchanged?(link: PeripheralLink, mtu: number): void;
  onDisconnect?(link: PeripheralLink, reason: number): void;
}

/** ATT error codes (Bluetooth Core Vol 3 Part F §3.4.1.1) the air uses. */
export const ATT_ERRORS = {
  READ_NOT_PERMITTED: 0x02,
  WRITE_NOT_PERMITTED: 0x03,
  ATTRIBUTE_NOT_FOUND: 0x0a,
  INVALID_ATTRIBUTE_VALUE_LENGTH: 0x0d,
  UNLIKELY_ERROR: 0x0e,
  CCCD_IMPROPERLY_CONFIGURED: 0xfd,
} as const;

/** The largest attribute value ATT allows. */
export const MAX_ATTRIBUTE_BYTES = 512;

/** An ATT error response, as the central sees it. */
export class AttError extends Error {
  override readonly name = 'AttError';
  constructor(
    readonly attCode: number,
    message?: string,
  ) {
    super(message ?? `ATT error 0x${attCode.toString(16).padStart(2, '0')}`);
  }
}

/** The link was closed before the operation completed. */
export class LinkClosedError extends Error {
  override readonly name = 'LinkClosedError';
  constructor(readonly reason: number) {
    super(`link closed (reason 0x${reason.toString(16)})`);
  }
}

/** HCI disconnect reasons the air reports. */
export const HCI_REASON = {
  REMOTE_USER_TERMINATED: 0x13,
  LOCAL_HOST_TERMINATED: 0x16,
} as const;

/** noble's UUID form: lower case, no dashes. */
export function normalizeUuid(uuid: string): string {
  return uuid.replaceAll('-', '').toLowerCase();
}
