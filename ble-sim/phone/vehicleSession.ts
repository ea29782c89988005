/**
 * The phone's BLE connection to one vehicle, in ordinary noble code (scan for the service, match the
 * VIN-derived local name, connect, discover, subscribe to Response, read Challenge, write framed
 * Requests, reassemble framed Responses). Nothing here knows about the simulated air, so it would
 * run unchanged over a real radio; only the link metrics come from the bindings when they offer them.
 */
import type { Characteristic, Noble, Peripheral } from '../noble/createNoble.js';
import { isLinkMetricsSource, type LinkMetrics } from '../air/linkMetrics.js';
import { encodeFrames, FrameAssembler, MIN_MTU } from '../../shared/ble/framing.js';
import { CHALLENGE_CHAR_UUID, nobleUuid, REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID, SERVICE_UUID } from '../../shared/ble/gattUuids.js';
import { challengeSchema, decodeMessage, responseSchema, type ChallengeMessage, type ResponseMessage } from '../../shared/ble/messages.js';
import { vehicleLocalName } from '../../shared/ble/vehicleLocalName.js';
import { asDigitalKeyError, DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { Vin } from '../../shared/ids.js';
import { Deadline } from './deadline.js';

/** Default budget of one command, wall-clock ms. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
/** Disconnecting is bounded on its own, so a spent budget still lets the phone hang up. */
const DISCONNECT_TIMEOUT_MS = 2_000;

/** Which car to talk to, with which noble, within which budget. */
export interface OpenVehicleSessionOptions {
  noble: Noble;
  vin: Vin;
  /** The budget for everything done through this session (default DEFAULT_COMMAND_TIMEOUT_MS). */
  deadline?: Deadline;
}

/** An open GATT session with one car (for sendCommand, attack tests and fuzzing). */
export interface VehicleSession {
  readonly peripheral: Peripheral;
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
  /** Disconnect (idempotent, bounded). */
  close(): Promise<void>;
  /** Link metrics so far (or of the finished connection, after close). */
  metrics(): LinkMetrics;
}

type Received = { response: ResponseMessage } | { error: DigitalKeyError };

/** Find the vehicle, connect, and get its characteristics ready. */
export async function openVehicleSession(opts: OpenVehicleSessionOptions): Promise<VehicleSession> {
  const { noble, vin } = opts;
  const deadline = opts.deadline ?? new Deadline(DEFAULT_COMMAND_TIMEOUT_MS);
  const startedMs = Date.now();
  await deadline.race(poweredOn(noble), { stage: 'power', requestSent: false });
  const peripheral = await findVehicle(noble, vin, deadline);
  const observed = { roundTrips: 0, notifications: 0, sent: 0, received: 0 };

  try {
    await deadline.race(peripheral.connectAsync(), { stage: 'connect', requestSent: false });
    const { characteristics } = await deadline.race(
      peripheral.discoverSomeServicesAndCharacteristicsAsync(
        [nobleUuid(SERVICE_UUID)],
        [CHALLENGE_CHAR_UUID, REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID].map(nobleUuid),
      ),
      { stage: 'discover', requestSent: false },
    );
    observed.roundTrips += 3;
    const find = (uuid: string): Characteristic => {
      const c = characteristics.find((ch) => ch.uuid === nobleUuid(uuid));
      if (!c) throw new DigitalKeyError('VEHICLE_NOT_FOUND', 'the vehicle does not offer the digital-key service');
      return c;
    };
    const challengeChar = find(CHALLENGE_CHAR_UUID);
    const requestChar = find(REQUEST_CHAR_UUID);
    const responseChar = find(RESPONSE_CHAR_UUID);
    const mtu = peripheral.mtu ?? MIN_MTU;

    // If the car hangs up, every wait ends at once (not at the deadline). Whether the command was
    // carried out is then unknown, like a timeout.
    let requestSent = false;
    let rejectHangUp: (err: DigitalKeyError) => void = () => undefined;
    const hungUp = new Promise<never>((_, reject) => {
      rejectHangUp = reject;
    });
    hungUp.catch(() => undefined);
    const onDisconnect = () =>
      rejectHangUp(new DigitalKeyError('TIMEOUT', 'the vehicle closed the connection', { detail: { stage: 'link', requestSent, disconnected: true } }));
    peripheral.once('disconnect', onDisconnect);
    const wait = <T>(p: Promise<T>, stage: string): Promise<T> => deadline.race(Promise.race([p, hungUp]), { stage, requestSent });

    // Responses: reassemble notifications into messages, queue them for nextResponse().
    const assembler = new FrameAssembler();
    const inbox: Received[] = [];
    const waiters: ((r: Received) => void)[] = [];
    const deliver = (r: Received) => {
      const waiter = waiters.shift();
      if (waiter) waiter(r);
      else inbox.push(r);
    };
    responseChar.on('data', (data: Buffer, isNotification: boolean) => {
      if (!isNotification) return;
      observed.notifications += 1;
      observed.received += data.length;
      const r = assembler.push(new Uint8Array(data), Date.now());
      if (r.kind === 'error') deliver({ error: r.error });
      else if (r.kind === 'message') {
        try {
          deliver({ response: decodeMessage(responseSchema, r.message) });
        } catch (err) {
          deliver({ error: asDigitalKeyError(err) });
        }
      }
    });
    await wait(responseChar.subscribeAsync(), 'subscribe');
    observed.roundTrips += 1;

    let closed: Promise<void> | null = null;
    const writeFragments = async (fragments: readonly Uint8Array[]) => {
      requestSent = true;
      for (const f of fragments) {
        await wait(requestChar.writeAsync(Buffer.from(f), false), 'write');
        observed.roundTrips += 1;
        observed.sent += f.length;
      }
    };

    return {
      peripheral,
      mtu,
      async readChallenge() {
        const raw = await wait(challengeChar.readAsync(), 'challenge');
        observed.roundTrips += 1;
        observed.received += raw.length;
        return decodeMessage(challengeSchema, new Uint8Array(raw));
      },
      writeMessage: (message) => writeFragments(encodeFrames(message, mtu)),
      writeFragments,
      async nextResponse() {
        const next = inbox.shift() ?? (await wait(new Promise<Received>((resolve) => waiters.push(resolve)), 'response'));
        if ('error' in next) throw next.error;
        return next.response;
      },
      close() {
        peripheral.removeListener('disconnect', onDisconnect);
        closed ??= disconnect(peripheral).finally(() => responseChar.removeAllListeners('data'));
        return closed;
      },
      metrics: () => linkMetrics(noble, peripheral) ?? approximateMetrics(observed, mtu, startedMs),
    };
  } catch (err) {
    await disconnect(peripheral);
    throw err;
  }
}

async function poweredOn(noble: Noble): Promise<void> {
  if (noble.state === 'poweredOn') return;
  await new Promise<void>((resolve) => {
    const onState = (state: string) => {
      if (state !== 'poweredOn') return;
      noble.removeListener('stateChange', onState);
      resolve();
    };
    noble.on('stateChange', onState);
  });
}

/** Scan for the digital-key service and take the peripheral with this VIN's local name. */
async function findVehicle(noble: Noble, vin: Vin, deadline: Deadline): Promise<Peripheral> {
  const name = vehicleLocalName(vin);
  let onDiscover: ((p: Peripheral) => void) | undefined;
  const found = new Promise<Peripheral>((resolve) => {
    onDiscover = (p) => {
      if (p.advertisement?.localName === name) resolve(p);
    };
    noble.on('discover', onDiscover);
  });
  try {
    await deadline.race(noble.startScanningAsync([nobleUuid(SERVICE_UUID)], false), { stage: 'scan', requestSent: false });
    return await deadline.race(found, { stage: 'scan', requestSent: false });
  } finally {
    noble.removeListener('discover', onDiscover!);
    await noble.stopScanningAsync().catch(() => undefined);
  }
}

async function disconnect(peripheral: Peripheral): Promise<void> {
  if (peripheral.state !== 'connected' && peripheral.state !== 'connecting') return;
  await new Deadline(DISCONNECT_TIMEOUT_MS).race(peripheral.disconnectAsync(), { stage: 'disconnect' }).catch(() => undefined);
}

/** Link metrics from the bindings, when they can report them (AirBindings does). */
function linkMetrics(noble: Noble, peripheral: Peripheral): LinkMetrics | undefined {
  const bindings = noble._bindings;
  return isLinkMetricsSource(bindings) ? bindings.linkMetrics(peripheral.id) : undefined;
}

/** What the phone itself saw, for bindings that report no link metrics (a real radio). */
function approximateMetrics(
  observed: { roundTrips: number; notifications: number; sent: number; received: number },
  mtu: number,
  startedMs: number,
): LinkMetrics {
  return {
    roundTrips: observed.roundTrips,
    connectionEvents: observed.roundTrips + observed.notifications,
    notifications: observed.notifications,
    retransmissions: 0,
    bytesOnAir: { centralToPeripheral: observed.sent, peripheralToCentral: observed.received },
    simulatedMs: Date.now() - startedMs,
    mtu,
    intervalMs: 0,
  };
}
