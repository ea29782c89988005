/**
 * The phone's side of the BLE protocol over a byte-level VehicleLink: it frames requests at the
 * link's MTU, reassembles notified fragments into messages and decodes them. It never touches noble
 * or GATT; `openVehicleSession` wires it to a noble link. Link metrics come from an injected
 * source (AirBindings on the simulated air), else from what the phone itself counted.
 */
import type { LinkMetrics, LinkMetricsSource } from '../air/linkMetrics.js';
import type { Noble } from '../noble/createNoble.js';
import { encodeFrames, FrameAssembler } from '../../shared/ble/framing.js';
import { challengeSchema, decodeMessage, responseSchema, type ChallengeMessage, type ResponseMessage } from '../../shared/ble/messages.js';
import { asDigitalKeyError, type DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { Vin } from '../../shared/ids.js';
import { Deadline } from './deadline.js';
import { connectNobleVehicleLink, type VehicleAdvertising } from './nobleVehicleLink.js';
import type { PeerBonds, VehicleLink } from './vehicleLink.js';

/** Default budget of one command, wall-clock ms. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/** Which car to talk to, with which noble, within which budget, and where link metrics come from. */
export interface OpenVehicleSessionOptions {
  noble: Noble;
  vin: Vin;
  /** The budget for everything done through this session (default DEFAULT_COMMAND_TIMEOUT_MS). */
  deadline?: Deadline;
  /** Reports the connection's link metrics (AirBindings does); without it the phone's own count is used. */
  metricsSource?: LinkMetricsSource;
  /** The stack's bonds (AirBindings): a bonded car is neither discovered nor subscribed to again. */
  bonds?: PeerBonds;
  /** How to recognise the car's private advertisement (its advertising key, from the wallet). */
  advertising: VehicleAdvertising;
}

/** An open protocol session with one car (for sendCommand, attack tests and fuzzing). */
export interface VehicleSession {
  /** The transport's id of the car (noble's peripheral id). */
  readonly peerId: string;
  /** The negotiated ATT MTU. */
  readonly mtu: number;
  /** Read a fresh challenge (a new nonce for this connection). */
  readChallenge(): Promise<ChallengeMessage>;
  /** Write one message, framed at the MTU. */
  writeMessage(message: Uint8Array): Promise<void>;
  /** Write ATT payloads exactly as given (attack tests and fuzzing). */
  writeFragments(fragments: readonly Uint8Array[]): Promise<void>;
  /** The next framed response from the car. */
  nextResponse(): Promise<ResponseMessage>;
  /**
   * Write one message and await the car's response. Fragments travel as write commands, which the
   * car may drop unseen; it then answers BAD_FRAME (its 2 s fragment timer, or a fragment past the
   * announced length) without having decoded anything, so the whole message is sent once more.
   */
  request(message: Uint8Array): Promise<ResponseMessage>;
  /** Disconnect (idempotent, bounded). */
  close(): Promise<void>;
  /** Link metrics so far (or of the finished connection, after close). */
  metrics(): LinkMetrics;
}

/** Find the vehicle over noble, connect, and open a protocol session on the link. */
export async function openVehicleSession(opts: OpenVehicleSessionOptions): Promise<VehicleSession> {
  const startedMs = Date.now();
  const deadline = opts.deadline ?? new Deadline(DEFAULT_COMMAND_TIMEOUT_MS);
  const link = await connectNobleVehicleLink({ noble: opts.noble, vin: opts.vin, advertising: opts.advertising, deadline, ...(opts.bonds ? { bonds: opts.bonds } : {}) });
  const metrics = () => opts.metricsSource?.linkMetrics(link.peerId) ?? observedMetrics(link, startedMs);
  return vehicleSession(link, metrics);
}

type Received = { response: ResponseMessage } | { error: DigitalKeyError };

/** The protocol over any byte-level link. */
export function vehicleSession(link: VehicleLink, metrics: () => LinkMetrics): VehicleSession {
  // Responses: reassemble notifications into messages, queue them for nextResponse().
  const assembler = new FrameAssembler();
  const inbox: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  const deliver = (r: Received) => {
    const waiter = waiters.shift();
    if (waiter) waiter(r);
    else inbox.push(r);
  };
  link.onReceive((payload) => {
    const r = assembler.push(payload, Date.now());
    if (r.kind === 'error') deliver({ error: r.error });
    else if (r.kind === 'message') {
      try {
        deliver({ response: decodeMessage(responseSchema, r.message) });
      } catch (err) {
        deliver({ error: asDigitalKeyError(err) });
      }
    }
  });
  const writeFragments = async (fragments: readonly Uint8Array[]) => {
    for (const f of fragments) await link.write(f);
  };
  const writeMessage = (message: Uint8Array) => writeFragments(encodeFrames(message, link.mtu));
  const nextResponse = async () => {
    const next = inbox.shift() ?? (await link.wait(new Promise<Received>((resolve) => waiters.push(resolve)), 'response'));
    if ('error' in next) throw next.error;
    return next.response;
  };
  return {
    peerId: link.peerId,
    mtu: link.mtu,
    readChallenge: async () => decodeMessage(challengeSchema, await link.readChallenge()),
    writeMessage,
    writeFragments,
    nextResponse,
    async request(message) {
      await writeMessage(message);
      const response = await nextResponse();
      // BAD_FRAME comes from reassembly, before the car decodes or consumes the nonce: safe to resend once.
      if (response.code !== 'BAD_FRAME') return response;
      // What the car made of the rest of the broken copy is stale; an answer to a decoded request
      // always names its cmd, so later leftovers (a misread fragment that failed to decode) are skipped.
      inbox.length = 0;
      await writeMessage(message);
      for (;;) {
        const next = await nextResponse();
        if (next.cmd !== undefined || next.code === 'BAD_FRAME') return next;
      }
    },
    close: () => link.close(),
    metrics,
  };
}

/** What the phone itself saw, for links whose transport reports no link metrics (a real radio). */
function observedMetrics(link: VehicleLink, startedMs: number): LinkMetrics {
  const o = link.observed();
  return {
    roundTrips: o.roundTrips,
    connectionEvents: o.roundTrips + o.notifications,
    notifications: o.notifications,
    retransmissions: 0,
    bytesOnAir: { centralToPeripheral: o.sent, peripheralToCentral: o.received },
    simulatedMs: Date.now() - startedMs,
    mtu: link.mtu,
    intervalMs: 0,
  };
}
