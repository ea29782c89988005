/** Who is calling, once authenticated. Least privilege: each route says which kind it accepts. */
import type { AccountId, PasskeyId, Vin } from '../../shared/ids.js';

export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'account'; accountId: AccountId; passkeyId: PasskeyId; dealer: boolean; sessionId: string; sessionExpiresAt: number }
  | { kind: 'vehicle'; vin: Vin };

export type AccountCaller = Extract<Caller, { kind: 'account' }>;
