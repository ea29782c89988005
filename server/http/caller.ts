/** Who is calling, once authenticated. Least privilege: each route says which kind it accepts. */
import type { AccountId, PasskeyId, Vin } from '../../shared/ids.js';
import type { AccountRecord, PasskeyRecord } from '../accounts/accountRecord.js';

export type Caller =
  | { kind: 'anonymous' }
  | {
      kind: 'account';
      accountId: AccountId;
      passkeyId: PasskeyId;
      dealer: boolean;
      sessionId: string;
      sessionExpiresAt: number;
      /** The account and the session's passkey as this request's authentication read them (an operation may use them instead of reading them again). */
      records: { account: AccountRecord; passkey: PasskeyRecord };
    }
  | { kind: 'vehicle'; vin: Vin };

export type AccountCaller = Extract<Caller, { kind: 'account' }>;
