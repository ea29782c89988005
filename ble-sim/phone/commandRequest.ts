/**
 * Builds the Request of protocol v2 for one command (protocol.md): the transaction hash
 * `tx = SHA-256(CBOR([nonce, vin, cmd, SHA-256(credential)]))` becomes the WebAuthn challenge, so
 * the assertion is bound to this connection's nonce, this car, this command and this credential;
 * the authenticator does the biometric check (R14). The assertion travels compact: authenticator
 * data without the RP-id hash, the raw signature, and clientDataJSON only when the platform wrote
 * another one than the car rebuilds. The credential travels whole, or as its 8-byte reference when
 * the car already holds it.
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Command } from '../../shared/commands.js';
import type { Vin } from '../../shared/ids.js';
import { base64UrlToBytes } from '../../shared/base64url.js';
import { readStateManifest } from '../../shared/credential/stateManifest.js';
import { rawEcdsaSignatureOfDer } from '../../shared/credential/strictDerSignature.js';
import { canonicalClientDataJSON } from '../../shared/ble/canonicalClientData.js';
import { credentialRef } from '../../shared/ble/credentialRef.js';
import { PROTOCOL_VERSION, type ChallengeMessage, type RequestMessage } from '../../shared/ble/messages.js';
import { sha256, transactionHash } from '../../shared/ble/transactionHash.js';
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
  /** The key credential from the server (base64url of its COSE bytes). */
  credential: string;
  /** Name the credential by reference: the car holds it (it answered OK to it before). */
  byReference?: boolean;
  /** A newer state manifest to hand the car (base64url), sent when newer than the challenge's seq. */
  state?: string;
  authenticator: AssertionSource;
  rpId: string;
  origin: string;
  /**
   * The phone's passkey the credential binds (its credential id). Without it the authenticator picks
   * among this relying party's passkeys (fine on a phone that holds one).
   */
  passkeyId?: string;
}

/** A built request and its transaction hash (the car's answer is authenticated over it). */
export interface BuiltRequest {
  request: RequestMessage;
  tx: Uint8Array;
}

/** Compute tx for this challenge and command, get the assertion over it, and build the Request. */
export async function buildCommandRequest(opts: BuildCommandRequestOptions): Promise<RequestMessage> {
  return (await buildCommandRequestWithTx(opts)).request;
}

export async function buildCommandRequestWithTx(opts: BuildCommandRequestOptions): Promise<BuiltRequest> {
  const cred = base64UrlToBytes(opts.credential);
  const digest = sha256(cred);
  const tx = transactionHash({ nonce: opts.challenge.nonce, vin: opts.vin, cmd: opts.cmd, credentialDigest: digest });
  const assertion = await opts.authenticator.getAssertion({
    rpId: opts.rpId,
    origin: opts.origin,
    challenge: tx,
    ...(opts.passkeyId === undefined ? {} : { allowCredentials: [opts.passkeyId] }),
  });
  const authenticatorData = base64UrlToBytes(assertion.response.authenticatorData);
  const clientDataJSON = base64UrlToBytes(assertion.response.clientDataJSON);
  const canonical = Buffer.from(canonicalClientDataJSON(tx, opts.origin)).equals(clientDataJSON);
  const state = opts.state === undefined ? undefined : base64UrlToBytes(opts.state);
  const request: RequestMessage = {
    v: PROTOCOL_VERSION,
    cmd: opts.cmd,
    ...(opts.byReference ? { ref: credentialRef(digest) } : { cred }),
    authData: authenticatorData.subarray(32),
    sig: rawEcdsaSignatureOfDer(base64UrlToBytes(assertion.response.signature)),
    ...(canonical ? {} : { clientDataJSON }),
    ...(state !== undefined && newerThanCar(state, opts.challenge.seq) ? { state } : {}),
  };
  return { request, tx };
}

/**
 * Whether a manifest is worth its bytes: its seq is newer than the one the car named in its
 * challenge. One the phone cannot read is sent (the car judges it).
 */
function newerThanCar(manifest: Uint8Array, carSeq: number): boolean {
  try {
    return readStateManifest(manifest).seq > carSeq;
  } catch {
    return true;
  }
}
