/**
 * The passkey ceremonies of the portal, each a few /v1 calls around one browser prompt: sign up,
 * log in, add this device, and recover with a dealer code or an e-mail link. Each returns the
 * session it made and the passkey this browser now uses.
 */
import { api } from '../shared/api';
import type { Answer } from '../shared/apiTypes';
import { createPasskey, getAssertion } from '../shared/webauthn';

export interface NewSession {
  token: string;
  passkeyId: string;
}

/** `POST /v1/accounts`, a new passkey, `POST /v1/accounts/{id}/passkeys`. */
export async function signUp(input: { email: string; displayName: string }): Promise<NewSession> {
  const started = await api('post', '/v1/accounts', { body: { email: input.email, displayName: input.displayName } });
  const response = await createPasskey(started.options);
  return api('post', '/v1/accounts/{accountId}/passkeys', { params: { accountId: started.accountId }, body: { enrollmentToken: started.enrollmentToken, response } });
}

/** Name a passkey of the signed-in account ("Pixel 8"). */
export async function labelPasskey(passkeyId: string, label: string): Promise<void> {
  await api('patch', '/v1/me/passkeys/{passkeyId}', { params: { passkeyId }, body: { label } });
}

/** A discoverable-passkey login: the browser offers this device's passkeys for the site. */
export async function logIn(): Promise<NewSession> {
  const { challengeId, options } = await api('post', '/v1/sessions/options', { body: {} });
  const response = await getAssertion(options);
  const { token } = await api('post', '/v1/sessions', { body: { challengeId, response } });
  return { token, passkeyId: String(response.id) };
}

/** Add a passkey on this device to the signed-in account. */
export async function addThisDevice(label: string): Promise<string> {
  const { challengeId, options } = await api('post', '/v1/me/passkeys/options', { body: {} });
  const response = await createPasskey(options);
  const { passkeyId } = await api('post', '/v1/me/passkeys', { body: { challengeId, response, ...(label ? { label } : {}) } });
  return passkeyId;
}

/** The new session; after an e-mail link `presenceRequired`: no main key until presence at a car is proven (R15). */
export type Recovered = Answer<'/v1/recovery/passkeys', 'post'>;

/** R15: a dealer's one-time code or an e-mail link registers a new passkey on this device. */
export async function recover(proof: { code: string } | { emailToken: string }, label: string): Promise<Recovered> {
  const { challengeId, options } = await api('post', '/v1/recovery/options', { body: proof });
  const response = await createPasskey(options);
  return api('post', '/v1/recovery/passkeys', { body: { challengeId, response, ...(label ? { label } : {}) } });
}
