/**
 * The phone's BLE side: send one command to a car over noble (DESIGN.md §3). Scan for the service,
 * connect, subscribe to Response, read Challenge, compute tx, get a biometric-gated assertion over
 * tx (R14), write the framed Request (as write commands; resent once if the car lost a fragment),
 * await the framed Response, disconnect.
 *
 * Bounded: the whole command has one time budget. Running out is DigitalKeyError('TIMEOUT') and
 * the command may have been carried out (`detail.requestSent` says whether any of the request left
 * the phone): do not retry it blindly.
 *
 * @example
 * const { response, metrics } = await sendCommand({ noble, vin, cmd: 'unlock', credential,
 *   authenticator, rpId: 'localhost', origin: 'http://localhost:8080', metricsSource: bindings });
 * if (!response.ok) console.log(response.code); // e.g. 'EXPIRED': refresh the credential online (R8)
 */
import type { Noble } from '../noble/createNoble.js';
import type { LinkMetrics, LinkMetricsSource } from '../air/linkMetrics.js';
import { MAX_MESSAGE_BYTES } from '../../shared/ble/framing.js';
import { encodeMessage, type ResponseMessage } from '../../shared/ble/messages.js';
import { buildCommandRequest, type BuildCommandRequestOptions } from './commandRequest.js';
import { Deadline } from './deadline.js';
import type { PeerBonds } from './vehicleLink.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, openVehicleSession, type OpenVehicleSessionOptions } from './vehicleSession.js';

/** One command to one car: what a request needs (but the challenge, read here), the noble to use and a time budget. */
export type SendCommandOptions = Omit<BuildCommandRequestOptions, 'challenge'> & {
  noble: Noble;
  /** Budget for the whole command, wall-clock ms (default 10 s). */
  timeoutMs?: number;
  /** Reports the link's metrics (AirBindings on the simulated air); without it, what the phone counted. */
  metricsSource?: LinkMetricsSource;
  /** The stack's bonds (AirBindings): the first successful command bonds the phone with the car. */
  bonds?: PeerBonds;
} & Pick<OpenVehicleSessionOptions, 'advertising'>;

/** The car's answer and the link's figures. */
export interface SendCommandResult {
  /** The car's answer; `ok: false` carries the exact refusal code. */
  response: ResponseMessage;
  /** The connection's link metrics (simulated: connection events and simulated ms). */
  metrics: LinkMetrics;
}

/** Send one command over noble and return the car's answer; throws DigitalKeyError TIMEOUT when out of time. */
export async function sendCommand(opts: SendCommandOptions): Promise<SendCommandResult> {
  const deadline = new Deadline(opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
  const { noble, metricsSource, bonds, advertising, timeoutMs: _timeoutMs, ...command } = opts;
  const session = await openVehicleSession({ noble, vin: opts.vin, advertising, deadline, ...(metricsSource ? { metricsSource } : {}), ...(bonds ? { bonds } : {}) });
  let response: ResponseMessage;
  try {
    const challenge = await session.readChallenge();
    const request = await buildCommandRequest({ challenge, ...command });
    let message = encodeMessage(request);
    if (message.length > MAX_MESSAGE_BYTES && request.state !== undefined) {
      // Credential + assertion + a manifest listing more than ~11 revoked keys exceed the 2048-byte
      // frame cap. The manifest is not covered by the assertion, only ever restricts, and reaches
      // the car through its sync channel too: send the command without it rather than fail it.
      const { state: _tooBig, ...withoutState } = request;
      message = encodeMessage(withoutState);
    }
    response = await session.request(message);
    // The car bonds a phone on its first successful command; the phone does the same (protocol.md, Bonding).
    if (response.ok) bonds?.bond(session.peerId);
  } finally {
    await session.close();
  }
  return { response, metrics: session.metrics() };
}
