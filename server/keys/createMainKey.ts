/**
 * The main user gets a main key for one of their passkeys, with every command, and its first
 * credential (R2: main user only; R1, R4b: while Standard Services and the subscription allow keys;
 * R15: not after an e-mail recovery until presence at a car is proven).
 */
import { COMMANDS } from '../../shared/commands.js';
import type { AccountId, PasskeyId, Vin } from '../../shared/ids.js';
import { assertPresenceProven } from '../accounts/presence.js';
import { assertMainUser } from '../domain/assertMainUser.js';
import { createKey, type CreateKeyDeps } from './createKey.js';
import { credentialForKey, type CredentialForKeyDeps, type IssuedCredential } from './credentialForKey.js';

export type CreateMainKeyDeps = CreateKeyDeps & CredentialForKeyDeps;

export interface CreateMainKeyOpts {
  vin: Vin;
  accountId: AccountId;
  passkeyId: PasskeyId;
}

export type CreateMainKeyResult = IssuedCredential;

export async function createMainKey(deps: CreateMainKeyDeps, opts: CreateMainKeyOpts): Promise<CreateMainKeyResult> {
  // R15: after an e-mail recovery, no main-user key until presence at a car is proven.
  assertPresenceProven(await deps.accounts.find(opts.accountId));
  const { key } = await createKey(deps, {
    vin: opts.vin,
    accountId: opts.accountId,
    passkeyId: opts.passkeyId,
    role: 'main',
    perms: [...COMMANDS],
    admit: (vehicle) => {
      assertMainUser(vehicle, opts.accountId);
      deps.gate.assertKeysAllowed(vehicle);
      return vehicle;
    },
  });
  return credentialForKey(deps, { keyId: key.keyId, accountId: opts.accountId, home: Promise.resolve({ vin: key.vin, epoch: key.epoch }) });
}
