/** Stored accounts and passkeys. A passkey is one phone's WebAuthn credential (UV required). */
import type { AccountId, Base64Url, PasskeyId } from '../../shared/ids.js';

export interface AccountRecord {
  accountId: AccountId;
  email: string;
  displayName: string;
  createdAt: number;
  passkeyIds: PasskeyId[];
  /** Granted by an operator command only: may revoke and look up, never issue or share (DESIGN §4). */
  dealer: boolean;
}

export interface PasskeyRecord {
  passkeyId: PasskeyId;
  accountId: AccountId;
  /** COSE public key, base64url; the credential's `cnf.wa.pk`. */
  publicKey: Base64Url;
  counter: number;
  transports: string[];
  backedUp: boolean;
  createdAt: number;
  /** Set when a dealer revoked the phone (R6): the passkey stops working for the account too. */
  disabled: { at: number; by: AccountId | null; reason: string } | null;
  /** A name the user gave the phone. */
  label?: string;
}
