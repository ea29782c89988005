/**
 * The phone's side of the BLE protocol over a byte-level VehicleLink: it frames requests at the
 * link's MTU, reassembles notified fragments into messages and decodes them — the challenge the car
 * pushes when the link can hear it, and responses. It never touches noble or GATT;
 * `openVehicleSession` wires it to a noble link. Link metrics come from an injected source
 * (AirBindings on the simulated air), else from what the phone itself counted.
 */
import type { LinkMetrics, LinkMetricsSource } from '../air/linkMetrics.js';
import type { Noble } from '../noble/createNoble.js';
import { encodeFrames, FRAGMENT_TIMEOUT_MS, FrameAssembler } from '../../shared/ble/framing.js';
import { decodeChallenge, decodeNotification, type ChallengeMessage, type ResponseMessage } from '../../shared/ble/messages.js';
import { asDigitalKeyError, type DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { Vin } from '../../shared/ids.js';
import { Deadline } from './deadline.js';
import { connectNobleVehicleLink, type VehicleAdvertising } from './nobleVehicleLink.js';
import type { PeerBonds, VehicleLink } from './vehicleLink.js';

/** Default budget of one command, wall-clock ms. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
/**
 * How long a phone waits for the pushed challenge before reading one (wall-clock ms). The car pushes
 * it within a connection event of the subscription (or of a bonded phone's empty write); no push
 * means a car that forgot the bond (the read then subscribes again).
 */
export const CHALLENGE_PUSH_WAIT_MS = 1_500;
/** With no answer at all this long after a request (wall-clock ms), every fragment was lost: send it again once. */
export const SILENT_LOSS_RESEND_MS = FRAGMENT_TIMEOUT_MS + 1_000;

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
  /** The challenge the car pushed on this link, or (none within CHALLENGE_PUSH_WAIT_MS) a read one. */
  challenge(): Promise<ChallengeMessage>;
  /** Read a fresh challenge (a new nonce for this connection, replacing a pushed one). */
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

/** A queue of things that arrive on their own, taken in order by whoever waits. */
class Inbox<T> {
  readonly #items: T[] = [];
  readonly #waiters: ((item: T) => void)[] = [];
  put(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(item);
    else this.#items.push(item);
  }
  take(): Promise<T> {
    const item = this.#items.shift();
    return item !== undefined ? Promise.resolve(item) : new Promise<T>((resolve) => this.#waiters.push(resolve));
  }
  /** The next item, or null when none arrives within `ms` (the wait is then withdrawn). */
  takeWithin(ms: number): Promise<T | null> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise<T | null>((resolve) => {
      const waiter = (value: T) => {
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        resolve(null);
      }, ms);
      timer.unref();
      this.#waiters.push(waiter);
    });
  }
  clear(): void {
    this.#items.length = 0;
  }
}

/** The protocol over any byte-level link. */
export function vehicleSession(link: VehicleLink, metrics: () => LinkMetrics): VehicleSession {
  // Notifications: reassemble into messages; challenges and responses go to their own queues.
  const assembler = new FrameAssembler();
  const responses = new Inbox<Received>();
  const challenges = new Inbox<ChallengeMessage>();
  link.onReceive((payload) => {
    const r = assembler.push(payload, Date.now());
    if (r.kind === 'error') responses.put({ error: r.error });
    else if (r.kind === 'message') {
      try {
        const n = decodeNotification(r.message);
        if ('challenge' in n) challenges.put(n.challenge);
        else responses.put({ response: n.response });
      } catch (err) {
        responses.put({ error: asDigitalKeyError(err) });
      }
    }
  });
  const writeFragments = async (fragments: readonly Uint8Array[]) => {
    for (const f of fragments) await link.write(f);
  };
  const writeMessage = (message: Uint8Array) => writeFragments(encodeFrames(message, link.mtu));
  const nextResponse = async () => {
    const next = await link.wait(responses.take(), 'response');
    if ('error' in next) throw next.error;
    return next.response;
  };
  const readChallenge = async () => {
    const challenge = decodeChallenge(await link.readChallenge());
    // A read replaces this link's nonce: anything pushed before it is spent.
    challenges.clear();
    return challenge;
  };
  return {
    peerId: link.peerId,
    mtu: link.mtu,
    async challenge() {
      await link.askForChallenge();
      const pushed = await link.wait(challenges.takeWithin(CHALLENGE_PUSH_WAIT_MS), 'challenge');
      return pushed ?? readChallenge();
    },
    readChallenge,
    writeMessage,
    writeFragments,
    nextResponse,
    async request(message) {
      await writeMessage(message);
      // Every fragment of a message can be lost unseen (write commands): the car then heard nothing
      // and says nothing. No answer within the car's fragment timer and a margin means that; the
      // copy sent again spends the same nonce, so the car acts on at most one of them.
      let response = await link.wait(responses.takeWithin(SILENT_LOSS_RESEND_MS), 'response');
      if (response === null) {
        await writeMessage(message);
        response = await link.wait(responses.take(), 'response');
      }
      if ('error' in response) throw response.error;
      // BAD_FRAME comes from reassembly, before the car decodes or consumes the nonce: safe to resend once.
      if (response.response.code !== 'BAD_FRAME') return response.response;
      // What the car made of the rest of the broken copy is stale; an answer to a decoded request
      // always names its cmd, so later leftovers (a misread fragment that failed to decode) are skipped.
      responses.clear();
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
