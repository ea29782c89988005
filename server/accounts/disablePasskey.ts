/**
 * Disable a passkey for good: it can no longer log in, and no credential is signed for it. A
 * disabled passkey never comes back — recovery registers a new one (R6, R15), and the same WebAuthn
 * credential cannot be registered again (its record stays, so SET NX refuses it).
 */
import type { AccountId, PasskeyId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import type { PasskeyRecord } from './accountRecord.js';

export async function disablePasskey(ctx: Pick<AppContext, 'accounts' | 'clock'>, opts: { passkeyId: PasskeyId; by: AccountId | null; reason: string }): Promise<PasskeyRecord> {
  return ctx.accounts.updatePasskey(opts.passkeyId, (p) => (p.disabled ? p : { ...p, disabled: { at: ctx.clock.now(), by: opts.by, reason: opts.reason } }));
}
