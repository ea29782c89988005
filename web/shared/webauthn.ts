/**
 * Passkeys in the browser: turns the server's WebAuthn options (JSON, base64url) into what
 * `navigator.credentials` takes, and the browser's credential back into the JSON the server
 * verifies. A cancelled or timed-out prompt becomes {@link PasskeyCancelled}, so a page can say so
 * in words and offer to try again.
 */
import type { RequestBody } from './apiTypes';

export type Base64Url = string;

/** The user closed the passkey prompt, or it timed out (the browser does not tell which). */
export class PasskeyCancelled extends Error {
  constructor() {
    super('The passkey prompt was cancelled or timed out');
  }
}

/** The browser has no passkey support at all (very old browser, or an insecure origin). */
export class PasskeyUnsupported extends Error {}

function toBytes(value: Base64Url): ArrayBuffer {
  const b64 = value.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((value.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
}

function toBase64Url(buffer: ArrayBuffer): Base64Url {
  let s = '';
  for (const byte of new Uint8Array(buffer)) s += String.fromCharCode(byte);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

interface CredentialDescriptorJSON {
  id: Base64Url;
  type: 'public-key';
  /** Any of WebAuthn's transports, "cable" and "smart-card" included (the DOM types know five). */
  transports?: string[];
}

/** `PublicKeyCredentialCreationOptionsJSON`, as the server sends it. */
export interface CreationOptionsJSON extends Omit<PublicKeyCredentialCreationOptions, 'challenge' | 'user' | 'excludeCredentials'> {
  challenge: Base64Url;
  user: { id: Base64Url; name: string; displayName: string };
  excludeCredentials?: CredentialDescriptorJSON[];
}

/** `PublicKeyCredentialRequestOptionsJSON`, as the server sends it. */
export interface RequestOptionsJSON extends Omit<PublicKeyCredentialRequestOptions, 'challenge' | 'allowCredentials'> {
  challenge: Base64Url;
  allowCredentials?: CredentialDescriptorJSON[];
}

// WebAuthn makes transports DOMStrings that a browser must ignore when it does not know them, so
// the server's list goes through whole; only TypeScript's DOM union is narrower than the standard.
const descriptor = (c: CredentialDescriptorJSON): PublicKeyCredentialDescriptor => ({ id: toBytes(c.id), type: c.type, ...(c.transports ? { transports: c.transports as AuthenticatorTransport[] } : {}) });

function available(): CredentialsContainer {
  if (typeof PublicKeyCredential === 'undefined' || !navigator.credentials) throw new PasskeyUnsupported('passkeys are not supported here');
  return navigator.credentials;
}

/** `RegistrationResponseJSON` and `AuthenticationResponseJSON`, as the API takes them. */
export type RegistrationJSON = RequestBody<'/v1/me/passkeys', 'post'>['response'];
export type AuthenticationJSON = RequestBody<'/v1/sessions', 'post'>['response'];
type Transport = NonNullable<RegistrationJSON['response']['transports']>[number];
const TRANSPORTS: readonly string[] = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'] satisfies Transport[];
// A transport newer than the API's list would make the server refuse the whole registration; it
// is only a hint for later logins, so an unknown one is left out instead.
const isTransport = (value: string): value is Transport => TRANSPORTS.includes(value);
const ATTACHMENTS = ['platform', 'cross-platform'] as const;
const isAttachment = (value: string | null): value is (typeof ATTACHMENTS)[number] => ATTACHMENTS.some((a) => a === value);

/** Run one browser prompt; the credential's JSON with `response` made by `responseOf`. */
async function ceremony<R>(run: () => Promise<Credential | null>, responseOf: (response: AuthenticatorResponse) => R) {
  let found: Credential | null;
  try {
    found = await run();
  } catch (err) {
    if (err instanceof DOMException && (err.name === 'NotAllowedError' || err.name === 'AbortError')) throw new PasskeyCancelled();
    throw err;
  }
  if (!found) throw new PasskeyCancelled();
  const credential = found as PublicKeyCredential;
  const attachment = credential.authenticatorAttachment;
  return {
    id: credential.id,
    rawId: toBase64Url(credential.rawId),
    type: 'public-key' as const,
    response: responseOf(credential.response),
    clientExtensionResults: { ...credential.getClientExtensionResults() },
    ...(isAttachment(attachment) ? { authenticatorAttachment: attachment } : {}),
  };
}

/** A new passkey on this device (user verification as the server asks: required). */
export function createPasskey(options: CreationOptionsJSON): Promise<RegistrationJSON> {
  const container = available();
  const publicKey: PublicKeyCredentialCreationOptions = {
    ...options,
    challenge: toBytes(options.challenge),
    user: { ...options.user, id: toBytes(options.user.id) },
    excludeCredentials: (options.excludeCredentials ?? []).map(descriptor),
  };
  return ceremony(
    () => container.create({ publicKey }),
    (r) => {
      const response = r as AuthenticatorAttestationResponse;
      return {
        clientDataJSON: toBase64Url(response.clientDataJSON),
        attestationObject: toBase64Url(response.attestationObject),
        transports: (response.getTransports?.() ?? []).filter(isTransport),
      };
    },
  );
}

/** An assertion with one of this device's passkeys (a discoverable login when no list is given). */
export function getAssertion(options: RequestOptionsJSON): Promise<AuthenticationJSON> {
  const container = available();
  const publicKey: PublicKeyCredentialRequestOptions = {
    ...options,
    challenge: toBytes(options.challenge),
    allowCredentials: (options.allowCredentials ?? []).map(descriptor),
  };
  return ceremony(
    () => container.get({ publicKey }),
    (r) => {
      const response = r as AuthenticatorAssertionResponse;
      return {
        clientDataJSON: toBase64Url(response.clientDataJSON),
        authenticatorData: toBase64Url(response.authenticatorData),
        signature: toBase64Url(response.signature),
        ...(response.userHandle ? { userHandle: toBase64Url(response.userHandle) } : {}),
      };
    },
  );
}
