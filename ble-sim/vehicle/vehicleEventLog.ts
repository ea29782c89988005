/**
 * The vehicle-side event log: one entry per command, accepted or not, with the link's RSSI and
 * timing. A BLE connection does not prove the phone is near the car (relay attacks, NCC Group 2022);
 * these figures are the evidence an investigation needs. Bounded: the oldest entries go first.
 */
import type { Command } from '../../shared/commands.js';
import type { ErrorCode } from '../../shared/errors/errorCode.js';
import type { KeyId } from '../../shared/ids.js';

/** One command as the car saw it. */
export interface VehicleEvent {
  /** Vehicle time (forward-only clock), ms since the epoch. */
  atMs: number;
  connectionId: number;
  /** The central's BLE address. */
  central: string;
  /** Absent when the request could not be decoded far enough to know it. */
  cmd?: Command;
  ok: boolean;
  code: ErrorCode | 'OK';
  keyId?: KeyId;
  /** RSSI of the link when the request completed, dBm. */
  rssi: number;
  /** Average simulated ATT round-trip time on this link, ms. */
  rttMs: number;
  /** Simulated ms from serving the challenge to receiving the whole request (a relay adds to it). */
  challengeToRequestMs?: number;
  mtu: number;
  intervalMs: number;
  /** Wall-clock ms the car spent verifying (manifest, credential, assertion) — CPU cost, not link time. */
  verifyMs?: number;
  /** Why the car answered INTERNAL_ERROR (e.g. its state could not be written): kept here, never told to the phone. */
  cause?: string;
}

/** Entries kept by default. */
export const DEFAULT_EVENT_LOG_SIZE = 1000;

/** A bounded, append-only list of VehicleEvents. */
export class VehicleEventLog {
  readonly #max: number;
  #events: VehicleEvent[] = [];

  constructor(max = DEFAULT_EVENT_LOG_SIZE) {
    this.#max = max;
  }

  record(event: VehicleEvent): void {
    this.#events.push(Object.freeze({ ...event }));
    if (this.#events.length > this.#max) this.#events = this.#events.slice(-this.#max);
  }

  /** The entries, oldest first (a copy). */
  list(): readonly VehicleEvent[] {
    return [...this.#events];
  }
}
