/**
 * The simulated phone app: a passkey authenticator (biometric-gated), a key wallet and the HTTP
 * client — what the phone-app team builds. The BLE side lives in phoneCentral.ts.
 */
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { base64UrlToBytes } from '../../shared/base64url.js';
import type { Vin } from '../../shared/ids.js';
import { ApiClient, type KeyIssuanceApi } from './apiClient.js';
import { KeyWallet, type WalletEntry } from './keyWallet.js';
import type { SendCommandOptions } from './phoneCentral.js';
import { VirtualAuthenticator } from './virtualAuthenticator.js';

export interface IssuedKey {
  keyId: string;
  credential: string;
  state: string;
  expiresAt: number;
  responseKey: string;
  advertisingKey: string;
}

export type ClaimProof = { method: 'odometer'; odometerKm: number } | { method: 'qr'; qrToken: string };

/** A WebAuthn response as the JSON body the typed client takes (its extension results a plain record). */
function asJsonBody<R extends { clientExtensionResults: object }>(response: R): Omit<R, 'clientExtensionResults'> & { clientExtensionResults: Record<string, unknown> } {
  const clientExtensionResults: Record<string, unknown> = { ...response.clientExtensionResults };
  return { ...response, clientExtensionResults };
}

export class PhoneApp {
  readonly api: KeyIssuanceApi;
  readonly authenticator: VirtualAuthenticator;
  readonly wallet = new KeyWallet();
  accountId: string | null = null;
  /** The passkey this phone holds (its WebAuthn credential id). */
  passkeyId: string | null = null;

  constructor(readonly opts: { baseUrl: string; rpId: string; origin: string; authenticator?: VirtualAuthenticator; api?: KeyIssuanceApi }) {
    this.api = opts.api ?? new ApiClient(opts.baseUrl);
    this.authenticator = opts.authenticator ?? new VirtualAuthenticator();
  }

  /** Create an account and enroll this phone's passkey (UV required); leaves the phone logged in. */
  async signUp(email: string, displayName: string): Promise<{ accountId: string; passkeyId: string }> {
    const created = await this.api.call(this.api.typed.POST('/v1/accounts', { body: { email, displayName } }));
    const response = this.authenticator.createCredential(created.options, this.opts.origin);
    const enrolled = await this.api.call(
      this.api.typed.POST('/v1/accounts/{accountId}/passkeys', {
        params: { path: { accountId: created.accountId } },
        body: { enrollmentToken: created.enrollmentToken, response: asJsonBody(response) },
      }),
    );
    this.api.token = enrolled.token;
    this.accountId = created.accountId;
    this.passkeyId = enrolled.passkeyId;
    return { accountId: created.accountId, passkeyId: enrolled.passkeyId };
  }

  /** Log in with this phone's passkey (a fresh biometric assertion). */
  async logIn(email?: string, opts: { userVerified?: boolean } = {}): Promise<string> {
    const { challengeId, options } = await this.api.call(this.api.typed.POST('/v1/sessions/options', { body: email ? { email } : {} }));
    const response: AuthenticationResponseJSON = this.authenticator.getAssertion({
      rpId: this.opts.rpId,
      origin: this.opts.origin,
      challenge: options.challenge,
      allowCredentials: (options.allowCredentials ?? []).map((c) => c.id),
      ...(opts.userVerified !== undefined ? { userVerified: opts.userVerified } : {}),
    });
    const session = await this.api.call(this.api.typed.POST('/v1/sessions', { body: { challengeId, response: asJsonBody(response) } }));
    this.api.token = session.token;
    this.accountId = session.accountId;
    this.passkeyId = response.id;
    return session.token;
  }

  async claim(vin: Vin, proof: ClaimProof): Promise<{ vin: string; role: 'main'; wiped: boolean }> {
    return this.api.call(this.api.typed.POST('/v1/vehicles/{vin}/claims', { params: { path: { vin } }, body: { ...proof, acceptTerms: true } }));
  }

  async activateStandardServices(vin: Vin): Promise<void> {
    await this.api.call(this.api.typed.POST('/v1/vehicles/{vin}/standard-services', { params: { path: { vin } }, body: {} }));
  }

  /** Ask for a main key bound to this phone's passkey; stores it in the wallet. */
  async requestKey(vin: Vin): Promise<WalletEntry> {
    if (!this.passkeyId) throw new Error('this phone holds no passkey yet: sign up or log in first');
    const issued = await this.api.call(this.api.typed.POST('/v1/vehicles/{vin}/keys', { params: { path: { vin } }, body: { passkeyId: this.passkeyId } }));
    return this.wallet.put(vin, issued);
  }

  /** Refresh the credential of the key held for this vehicle (R8: needs the server). */
  async refresh(vin: Vin): Promise<WalletEntry> {
    const entry = this.wallet.get(vin);
    if (!entry) throw new Error(`no key for ${vin} in the wallet`);
    const issued = await this.api.call(this.api.typed.POST('/v1/keys/{keyId}/credential', { params: { path: { keyId: entry.keyId } }, body: {} }));
    return this.wallet.put(vin, issued);
  }

  /**
   * What the BLE central needs for a command, in the shape sendCommand takes: the credential and its
   * response key, whether the car holds it already, the newest manifest, the advertising key that
   * finds the car, and the passkey.
   */
  credentialFor(vin: Vin): Pick<SendCommandOptions, 'credential' | 'responseKey' | 'carHoldsCredential' | 'state' | 'advertising'> & { passkeyId?: string } {
    const entry = this.wallet.get(vin);
    if (!entry) throw new Error(`no key for ${vin} in the wallet`);
    return {
      credential: entry.credential,
      responseKey: entry.responseKey,
      carHoldsCredential: entry.carHolds === true,
      ...(entry.state !== undefined ? { state: entry.state } : {}),
      advertising: { key: base64UrlToBytes(entry.advertisingKey) },
      ...(this.passkeyId ? { passkeyId: this.passkeyId } : {}),
    };
  }

  /** After a command: whether the car now holds the credential it was sent with. */
  noteCommand(vin: Vin, credential: string, result: { carHoldsCredential: boolean }): void {
    this.wallet.noteCarHolds(vin, credential, result.carHoldsCredential);
  }
}

