/**
 * The WebAuthn relying party: passkey registration and login with @simplewebauthn/server. User
 * verification is required in both ceremonies (R14: biometrics); only ES256 passkeys are accepted,
 * because the car verifies them too. `verified: false` is treated exactly like a thrown error.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { isId } from '../../shared/ids.js';
import { isStrictDerEcdsaSignature } from '../../shared/credential/strictDerSignature.js';
import type { AccountRecord, PasskeyRecord } from './accountRecord.js';

export interface RelyingPartyConfig {
  rpId: string;
  rpName: string;
  origins: string[];
}

const ES256 = -7;

export async function registrationOptions(rp: RelyingPartyConfig, account: AccountRecord): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpId,
    userName: account.email,
    userDisplayName: account.displayName,
    userID: new TextEncoder().encode(account.accountId),
    attestationType: 'none',
    excludeCredentials: account.passkeyIds.map((id) => ({ id })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    supportedAlgorithmIDs: [ES256],
  });
}

export interface VerifyRegistrationOpts {
  rp: RelyingPartyConfig;
  response: RegistrationResponseJSON;
  expectedChallenge: string;
  accountId: string;
  nowMs: number;
}

/** The new passkey, ready to store. */
export type VerifyRegistrationResult = PasskeyRecord;

export async function verifyRegistration(opts: VerifyRegistrationOpts): Promise<VerifyRegistrationResult> {
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response: opts.response,
      expectedChallenge: opts.expectedChallenge,
      expectedOrigin: opts.rp.origins,
      expectedRPID: opts.rp.rpId,
      requireUserVerification: true,
      supportedAlgorithmIDs: [ES256],
    });
  } catch (err) {
    throw new DigitalKeyError('REGISTRATION_FAILED', 'the passkey registration does not verify', { cause: err });
  }
  if (!verification.verified) throw new DigitalKeyError('REGISTRATION_FAILED');
  const info = verification.registrationInfo;
  if (!info.userVerified) throw new DigitalKeyError('USER_NOT_VERIFIED');
  // The credential id names a storage key and travels in every credential: it must be an id we accept.
  if (!isId(info.credential.id) || info.credential.id !== opts.response.id) throw new DigitalKeyError('REGISTRATION_FAILED', 'unsupported credential id');
  return {
    passkeyId: info.credential.id,
    accountId: opts.accountId,
    publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
    counter: info.credential.counter,
    transports: info.credential.transports ?? [],
    backedUp: info.credentialBackedUp,
    createdAt: opts.nowMs,
    disabled: null,
  };
}

/**
 * Login options: UV required and no credential ids listed — passkeys are discoverable, and listing an
 * account's ids would tell anyone which e-mails have accounts.
 */
export async function authenticationOptions(rp: RelyingPartyConfig): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({ rpID: rp.rpId, userVerification: 'required' });
}

/** Verify a login assertion against a stored passkey; returns the new counter. */
export interface VerifyLoginOpts {
  rp: RelyingPartyConfig;
  response: AuthenticationResponseJSON;
  expectedChallenge: string;
  passkey: PasskeyRecord;
}

export interface VerifyLoginResult {
  /** The authenticator's signature counter, to store with the passkey. */
  newCounter: number;
}

export async function verifyLogin(opts: VerifyLoginOpts): Promise<VerifyLoginResult> {
  // One spelling per signature: bytes after the DER SEQUENCE or non-minimal integers are refused.
  if (!isStrictDerEcdsaSignature(Buffer.from(opts.response.response.signature, 'base64url'))) {
    throw new DigitalKeyError('AUTHENTICATION_FAILED', 'the assertion signature is not strict DER');
  }
  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response: opts.response,
      expectedChallenge: opts.expectedChallenge,
      expectedOrigin: opts.rp.origins,
      expectedRPID: opts.rp.rpId,
      credential: {
        id: opts.passkey.passkeyId,
        publicKey: new Uint8Array(Buffer.from(opts.passkey.publicKey, 'base64url')),
        counter: opts.passkey.counter,
      },
      requireUserVerification: true,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    if (/user verification/i.test(message)) throw new DigitalKeyError('USER_NOT_VERIFIED', undefined, { cause: err });
    if (/counter/i.test(message)) throw new DigitalKeyError('COUNTER_REGRESSION', undefined, { cause: err });
    throw new DigitalKeyError('AUTHENTICATION_FAILED', undefined, { cause: err });
  }
  if (!verification.verified) throw new DigitalKeyError('AUTHENTICATION_FAILED');
  return { newCounter: verification.authenticationInfo.newCounter };
}
