/**
 * A byte-level link to one car, the shape of Tesla's vehicle-command `Connector` (connect, send
 * bytes, receive bytes, close): it knows GATT characteristics and ATT payloads, nothing of framing
 * or messages. The protocol on top (vehicleSession.ts) frames and decodes, so a second transport
 * (a real radio, a relay test harness) reuses the protocol untouched.
 */

/** What the phone itself counted on a link (for transports that report no link metrics). */
export interface ObservedTraffic {
  /** ATT request/response exchanges the phone waited for (write commands are none). */
  roundTrips: number;
  /** Notifications received. */
  notifications: number;
  /** ATT payload bytes written and received. */
  sent: number;
  received: number;
}

/** An open byte-level link to one car. Every wait is bounded by the link's deadline and ends at once if the car hangs up. */
export interface VehicleLink {
  /** The transport's id of the peer (noble's peripheral id). */
  readonly peerId: string;
  /** The negotiated ATT MTU. */
  readonly mtu: number;
  /** Read the Challenge characteristic's value. */
  readChallenge(): Promise<Uint8Array>;
  /**
   * Make sure the car pushes a challenge: a link that subscribed on this connection gets one anyway;
   * a bonded link (its subscription kept by the car) asks with an empty write command.
   */
  askForChallenge(): Promise<void>;
  /**
   * Write one ATT payload (at most MTU − 3 bytes) to the Request characteristic, as a write command
   * (no ATT response: several share a connection event, and the car may drop one unseen) unless
   * `withResponse`. Call it for every fragment of a message without awaiting in between, so the
   * stack can queue them together.
   */
  write(payload: Uint8Array, withResponse?: boolean): Promise<void>;
  /** Every payload notified on the Response characteristic, in order. */
  onReceive(listener: (payload: Uint8Array) => void): void;
  /** `promise`, bounded by the link's deadline; rejects with TIMEOUT when the car hangs up first. */
  wait<T>(promise: Promise<T>, stage: string): Promise<T>;
  /** Whether any request bytes have left the phone (a TIMEOUT after that may mean the car acted). */
  readonly requestSent: boolean;
  /** What the phone counted so far. */
  observed(): ObservedTraffic;
  /** Disconnect (idempotent, bounded). */
  close(): Promise<void>;
}

/**
 * The phone's bonds as its BLE stack keeps them (AirBindings does; a phone OS does too). A bonded
 * peer's GATT table is cached, so connecting to it discovers nothing over the air, and the peer keeps
 * its Response subscription for the phone, so the phone does not write the CCCD again.
 *
 * A car's address rotates (private advertising), so a bond is kept under the peer's identity, not
 * under the address it had: the app, which resolved the advertisement, names the identity (the
 * car's VIN) with identify() before asking about the bond.
 */
export interface PeerBonds {
  /** The peer now at `peerId` is `identity` (the app resolved its advertisement): the bond kept under that identity serves it. */
  identify(peerId: string, identity: string): void;
  isBonded(peerId: string): boolean;
  /** Bond with the connected peer: keep the GATT table discovered on this connection. */
  bond(peerId: string): void;
  /** Forget a bond (the peer no longer knows the phone). */
  forget(peerId: string): void;
}
