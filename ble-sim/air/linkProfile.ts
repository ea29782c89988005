/**
 * Link profiles: the parameters of one simulated BLE connection (DESIGN.md §3). The vehicle offers
 * its preferred profile; a central may ask for a smaller ATT MTU. Named profiles keep benchmarks and
 * tests comparable across runs.
 */
import { MAX_MTU, MIN_MTU } from '../../shared/ble/framing.js';

/** The parameters of one simulated link. */
export interface LinkProfile {
  /** ATT MTU in bytes (23…517). */
  readonly mtu: number;
  /** Connection interval in ms (7.5…4000, a multiple of 1.25 ms as the Bluetooth spec requires). */
  readonly intervalMs: number;
  /**
   * Link-layer packets each side may send in one connection event (1…16, default 1). Real
   * controllers send several back to back while they have data: write commands and notifications
   * then share an event, while a request still waits for its response before the next request.
   */
  readonly packetsPerEvent?: number;
  /** Probability (0 ≤ p ≤ 0.9) that one packet is lost on air; the link layer retransmits it next event. */
  readonly lossRate?: number;
  /**
   * Probability (0 ≤ p ≤ 0.9) that the peripheral's host drops a write command it received (ATT
   * has no flow control for write commands: a full buffer discards them silently). Default 0; for
   * tests of the protocol's own recovery. Link-layer loss (`lossRate`) is always retransmitted.
   */
  readonly commandLossRate?: number;
  /** Mean received signal strength in dBm (default -60); readings jitter by ±2 dB. */
  readonly rssi?: number;
}

/** Shortest connection interval the Bluetooth spec allows, ms. */
export const MIN_INTERVAL_MS = 7.5;
/** Longest connection interval the Bluetooth spec allows, ms. */
export const MAX_INTERVAL_MS = 4000;
/** RSSI (dBm) of a link whose profile and radio name none: a phone a few metres away. */
export const DEFAULT_RSSI = -60;

/** Most packets one side may send in one connection event (a bound for the simulation, not the spec). */
export const MAX_PACKETS_PER_EVENT = 16;

/** A modern phone and a car: data length extension, MTU 185, 30 ms interval, 4 packets per event. The default. */
export const DEFAULT_LINK_PROFILE: LinkProfile = Object.freeze({ mtu: 185, intervalMs: 30, packetsPerEvent: 4 });
/** The smallest MTU the spec allows, at the fastest interval, one packet per event: many tiny round trips. */
export const MIN_MTU_LINK_PROFILE: LinkProfile = Object.freeze({ mtu: 23, intervalMs: 7.5, packetsPerEvent: 1 });
/** MTU 247 (one ATT PDU fills one 251-byte LL packet) at a 15 ms interval, 6 packets per event. */
export const DLE_LINK_PROFILE: LinkProfile = Object.freeze({ mtu: 247, intervalMs: 15, packetsPerEvent: 6 });
/** The largest MTU at a 15 ms interval. */
export const MAX_MTU_LINK_PROFILE: LinkProfile = Object.freeze({ mtu: 517, intervalMs: 15 });
/** The default profile with one packet in five lost (a car park full of 2.4 GHz noise). */
export const LOSSY_LINK_PROFILE: LinkProfile = Object.freeze({ mtu: 185, intervalMs: 30, packetsPerEvent: 4, lossRate: 0.2 });
/** A power-saving peripheral: MTU 23 and a one-second interval. */
export const SLOW_LINK_PROFILE: LinkProfile = Object.freeze({ mtu: 23, intervalMs: 1000 });

/** The names of the profiles in LINK_PROFILES, in its order (a configuration names one of these). */
export const LINK_PROFILE_NAMES = ['default', 'minMtu', 'dle', 'maxMtu', 'lossy', 'slow'] as const;
/** The name of a profile in LINK_PROFILES. */
export type LinkProfileName = (typeof LINK_PROFILE_NAMES)[number];

/** Every named profile, for table-driven tests and the benchmark. */
export const LINK_PROFILES = Object.freeze({
  default: DEFAULT_LINK_PROFILE,
  minMtu: MIN_MTU_LINK_PROFILE,
  dle: DLE_LINK_PROFILE,
  maxMtu: MAX_MTU_LINK_PROFILE,
  lossy: LOSSY_LINK_PROFILE,
  slow: SLOW_LINK_PROFILE,
} satisfies Record<LinkProfileName, LinkProfile>);

/** Check a profile against the spec's bounds; throws RangeError. */
export function validateLinkProfile(profile: LinkProfile): LinkProfile {
  const { mtu, intervalMs, packetsPerEvent = 1, lossRate = 0, commandLossRate = 0, rssi = DEFAULT_RSSI } = profile;
  if (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU) throw new RangeError(`ATT MTU ${mtu} outside ${MIN_MTU}..${MAX_MTU}`);
  if (!(intervalMs >= MIN_INTERVAL_MS && intervalMs <= MAX_INTERVAL_MS) || !Number.isInteger(intervalMs / 1.25)) {
    throw new RangeError(`connection interval ${intervalMs} ms outside ${MIN_INTERVAL_MS}..${MAX_INTERVAL_MS} or not a multiple of 1.25 ms`);
  }
  if (!Number.isInteger(packetsPerEvent) || packetsPerEvent < 1 || packetsPerEvent > MAX_PACKETS_PER_EVENT) {
    throw new RangeError(`packets per event ${packetsPerEvent} outside 1..${MAX_PACKETS_PER_EVENT}`);
  }
  // Below 1, so every packet eventually gets through and a simulation always ends.
  if (!(lossRate >= 0 && lossRate <= 0.9)) throw new RangeError(`loss rate ${lossRate} outside 0..0.9`);
  if (!(commandLossRate >= 0 && commandLossRate <= 0.9)) throw new RangeError(`write command loss rate ${commandLossRate} outside 0..0.9`);
  if (!(rssi >= -127 && rssi <= 20)) throw new RangeError(`RSSI ${rssi} dBm outside -127..20`);
  return profile;
}
