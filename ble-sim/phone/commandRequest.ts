/**
 * Builds the Request message for one command (DESIGN.md §3, steps 2–3): the transaction hash
 * `tx = SHA-256(CBOR([nonce, vin, cmd, SHA-256(credential)]))` becomes the WebAuthn challenge, so the
 * assertion is bound to this connection's nonce, this car, this command and this credential. The
 * authenticator does the biometric check (R14).
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import type { Command } from '../../shared/commands.js';
import type { Vin } from '../../shared/ids.js';
import { PROTOCOL_VERSION, type AssertionMessage, type ChallengeMessage, type RequestMessage } from '../../shared/ble/messages.js';
import { transactionHash } from '../../shared/ble/transactionHash.js';
import type { AssertionOptions } from './virtualAuthenticator.js';

/** Anything that makes WebAuthn assertions: the VirtualAuthenticator, or a platform authenticator. */
export interface AssertionSource {
  getAssertion(opts: AssertionOptions): AuthenticationResponseJSON | Promise<AuthenticationResponseJSON>;
}

/** What the phone needs to build one Request. */
export interface BuildCommandRequestOptions {
  challenge: ChallengeMessage;
  vin: Vin;
  cmd: Command;
  /** The key credential (compact JWS) from the server. */
  credential: string;
  /** A newer state manifest to hand the car (DESIGN.md §3 step 3). */
  state?: string;
  authenticator: AssertionSource;
  rpId: string;
  origin: string;
  /** The passkey to use (default: the credential's `cnf.wa.id`). */
  passkeyId?: string;
}

/** Compute tx for this challenge and command, get the assertion over it, and build the Request message. */
export async function buildCommandRequest(opts: BuildCommandRequestOptions): Promise<RequestMessage> {
  const tx = transactionHash({ nonce: opts.challenge.nonce, vin: opts.vin, cmd: opts.cmd, credential: opts.credential });
  const passkeyId = opts.passkeyId ?? boundPasskeyId(opts.credential);
  const assertion = await opts.authenticator.getAssertion({
    rpId: opts.rpId,
    origin: opts.origin,
    challenge: tx,
    ...(passkeyId === undefined ? {} : { allowCredentials: [passkeyId] }),
  });
  return {
    v: PROTOCOL_VERSION,
    cmd: opts.cmd,
    cred: opts.credential,
    asr: toAssertionMessage(assertion),
    ...(opts.state !== undefined && newerThanCar(opts.state, opts.challenge.seq) ? { state: opts.state } : {}),
  };
}

/**
 * Whether a manifest is worth its bytes: its seq is newer than the one the car named in its
 * challenge. One the phone cannot read is sent (the car judges it).
 */
function newerThanCar(manifest: string, carSeq: number): boolean {
  try {
    const { seq } = manifestSeqSchema.parse(decodeJwt(manifest));
    return seq > carSeq;
  } catch {
    return true;
  }
}
const manifestSeqSchema = z.object({ seq: z.number() });

/** The WebAuthn JSON (base64url strings) as CBOR byte strings for the BLE message. */
export function toAssertionMessage(assertion: AuthenticationResponseJSON): AssertionMessage {
  const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));
  const { response } = assertion;
  return {
    id: bytes(assertion.rawId),
    authenticatorData: bytes(response.authenticatorData),
    clientDataJSON: bytes(response.clientDataJSON),
    signature: bytes(response.signature),
    // No userHandle: the car identifies the passkey by the credential, and would only carry it.
  };
}

/** The `cnf` claim as far as picking the passkey needs it (the car verifies the whole credential). */
const boundPasskeySchema = z.object({ wa: z.object({ id: z.string() }) });

/** The passkey a credential is bound to, read without verifying (only to pick the passkey). */
function boundPasskeyId(credential: string): string | undefined {
  try {
    const cnf = boundPasskeySchema.safeParse(decodeJwt(credential).cnf);
    return cnf.success ? cnf.data.wa.id : undefined;
  } catch {
    return undefined;
  }
}
