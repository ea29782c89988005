/**
 * The phone's BLE side: send one command to a car over noble (protocol.md). Scan, connect (a bonded
 * car is neither discovered nor subscribed to again), take the challenge the car pushes, compute tx,
 * get a biometric-gated assertion over tx (R14), write the Request (as write commands; resent once
 * if the car lost a fragment), await the Response, check the car's authentication of it, disconnect.
 *
 * The credential travels by reference when the car already holds it (`carHoldsCredential`); a car
 * that does not (it restarted, or dropped it from its cache) answers CREDENTIAL_UNKNOWN and the
 * phone sends the credential whole on the same connection, with a fresh challenge.
 *
 * An answer counts only when the car authenticated it for this request with this credential's
 * response key: an "OK" without that is RESPONSE_UNVERIFIED (a relay or a fake car cannot report
 * "unlocked"); a refusal without it is passed on as the car said it, marked unauthenticated.
 *
 * Bounded: the whole command has one time budget. Running out is DigitalKeyError('TIMEOUT') and
 * the command may have been carried out (`detail.requestSent` says whether any of the request left
 * the phone): do not retry it blindly.
 *
 * @example
 * const { response, authenticated } = await sendCommand({ noble, vin, cmd: 'unlock', credential,
 *   responseKey, authenticator, rpId: 'localhost', origin: 'http://localhost:8080', metricsSource: bindings });
 * if (!response.ok) console.log(response.code); // e.g. 'EXPIRED': refresh the credential online (R8)
 */
import type { Noble } from '../noble/createNoble.js';
import type { LinkMetrics, LinkMetricsSource } from '../air/linkMetrics.js';
import { base64UrlToBytes } from '../../shared/base64url.js';
import { MAX_MESSAGE_BYTES } from '../../shared/ble/framing.js';
import { encodeRequest, encodeResponseBody, type ChallengeMessage, type ResponseMessage } from '../../shared/ble/messages.js';
import { responseMacMatches } from '../../shared/ble/responseMac.js';
import { buildCommandRequestWithTx, type BuildCommandRequestOptions } from './commandRequest.js';
import { Deadline } from './deadline.js';
import type { PeerBonds } from './vehicleLink.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, openVehicleSession, type OpenVehicleSessionOptions, type VehicleSession } from './vehicleSession.js';

/** One command to one car: what a request needs (but the challenge, pushed by the car), the noble to use and a time budget. */
export type SendCommandOptions = Omit<BuildCommandRequestOptions, 'challenge' | 'byReference'> & {
  noble: Noble;
  /** The credential's response key (base64url, from the server with the credential): answers are checked with it. */
  responseKey: string;
  /** The car answered OK to this credential before, so it holds it: send the 8-byte reference. */
  carHoldsCredential?: boolean;
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
  /** Whether the car authenticated this answer for this request (always true when `ok`). */
  authenticated: boolean;
  /** Whether the car now holds the credential (it answered this request with it, authenticated). */
  carHoldsCredential: boolean;
  /** The connection's link metrics (simulated: connection events and simulated ms). */
  metrics: LinkMetrics;
  /** The same when the answer arrived: connected → actuated, without the disconnection. */
  answerMetrics: LinkMetrics;
}

/** Send one command over noble and return the car's answer; throws DigitalKeyError TIMEOUT when out of time. */
export async function sendCommand(opts: SendCommandOptions): Promise<SendCommandResult> {
  const deadline = new Deadline(opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
  const { noble, metricsSource, bonds, advertising, timeoutMs: _timeoutMs, responseKey, carHoldsCredential, ...command } = opts;
  const key = base64UrlToBytes(responseKey);
  const session = await openVehicleSession({ noble, vin: opts.vin, advertising, deadline, ...(metricsSource ? { metricsSource } : {}), ...(bonds ? { bonds } : {}) });
  let result: { response: ResponseMessage; authenticated: boolean };
  let answerMetrics: LinkMetrics;
  try {
    result = await exchange(session, await session.challenge(), command, key, carHoldsCredential === true);
    if (result.response.code === 'CREDENTIAL_UNKNOWN' && carHoldsCredential) {
      // The car no longer holds it: the whole credential, on the same link, with a fresh nonce.
      result = await exchange(session, await session.readChallenge(), command, key, false);
    }
    answerMetrics = session.metrics();
    // The car bonds a phone on its first successful command; the phone does the same (protocol.md, Bonding).
    if (result.response.ok) bonds?.bond(session.peerId);
  } finally {
    await session.close();
  }
  return { ...result, carHoldsCredential: result.authenticated && result.response.ok, metrics: session.metrics(), answerMetrics };
}

async function exchange(
  session: VehicleSession,
  challenge: ChallengeMessage,
  command: Omit<BuildCommandRequestOptions, 'challenge' | 'byReference'>,
  responseKey: Uint8Array,
  byReference: boolean,
): Promise<{ response: ResponseMessage; authenticated: boolean }> {
  const { request, tx } = await buildCommandRequestWithTx({ ...command, challenge, byReference });
  let message = encodeRequest(request);
  if (message.length > MAX_MESSAGE_BYTES && request.state !== undefined) {
    // A manifest listing very many revoked keys can exceed the 2048-byte frame cap. The manifest is
    // not covered by the assertion, only ever restricts, and reaches the car through its sync
    // channel too: send the command without it rather than fail it.
    const { state: _tooBig, ...withoutState } = request;
    message = encodeRequest(withoutState);
  }
  const response = await session.request(message);
  const authenticated = responseMacMatches({ responseKey, tx, body: encodeResponseBody(response), mac: response.mac });
  if (response.ok && !authenticated) {
    return { response: { ...response, ok: false, code: 'RESPONSE_UNVERIFIED' }, authenticated: false };
  }
  return { response, authenticated };
}
