/**
 * The passkey ceremonies of the portal, each a few /v1 calls around one browser prompt: sign up,
 * log in, add this device, and recover with a dealer code or an e-mail link. Each returns the
 * session it made and the passkey this browser now uses.
 */
import { api } from '../shared/api';
import type { AddPasskeyOptions, LoginOptions, RecoveryOptions, SignUpStarted } from '../shared/apiTypes';
import { createPasskey, getAssertion } from '../shared/webauthn';

export interface NewSession {
  token: string;
  passkeyId: string;
}

/** `POST /v1/accounts`, a new passkey, `POST /v1/accounts/{id}/passkeys`. */
export async function signUp(input: { email: string; displayName: string }): Promise<NewSession> {
  const started = await api<SignUpStarted>('POST', '/v1/accounts', { email: input.email, displayName: input.displayName });
  const response = await createPasskey(started.options);
  return api<NewSession>('POST', `/v1/accounts/${started.accountId}/passkeys`, { enrollmentToken: started.enrollmentToken, response });
}

/** Name a passkey of the signed-in account ("Pixel 8"). */
export async function labelPasskey(passkeyId: string, label: string): Promise<void> {
  await api('PATCH', `/v1/me/passkeys/${passkeyId}`, { label });
}

/** A discoverable-passkey login: the browser offers this device's passkeys for the site. */
export async function logIn(): Promise<NewSession> {
  const { challengeId, options } = await api<LoginOptions>('POST', '/v1/sessions/options', {});
  const response = await getAssertion(options);
  const { token } = await api<{ token: string }>('POST', '/v1/sessions', { challengeId, response });
  return { token, passkeyId: String(response.id) };
}

/** Add a passkey on this device to the signed-in account. */
export async function addThisDevice(label: string): Promise<string> {
  const { challengeId, options } = await api<AddPasskeyOptions>('POST', '/v1/me/passkeys/options', {});
  const response = await createPasskey(options);
  const { passkeyId } = await api<{ passkeyId: string }>('POST', '/v1/me/passkeys', { challengeId, response, ...(label ? { label } : {}) });
  return passkeyId;
}

export interface Recovered extends NewSession {
  /** After an e-mail link: no main key until presence at a car is proven (R15). */
  presenceRequired: boolean;
}

/** R15: a dealer's one-time code or an e-mail link registers a new passkey on this device. */
export async function recover(proof: { code: string } | { emailToken: string }, label: string): Promise<Recovered> {
  const { challengeId, options } = await api<RecoveryOptions>('POST', '/v1/recovery/options', proof);
  const response = await createPasskey(options);
  return api<Recovered>('POST', '/v1/recovery/passkeys', { challengeId, response, ...(label ? { label } : {}) });
}
