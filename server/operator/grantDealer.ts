/** Make an account a dealer (an operator action): dealers revoke and look up keys, never issue them. */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountRecord } from '../accounts/accountRecord.js';
import type { AccountRepository } from '../accounts/accountRepository.js';

export async function grantDealer(deps: { accounts: AccountRepository }, email: string): Promise<AccountRecord> {
  const account = await deps.accounts.findByEmail(email);
  if (!account) throw new DigitalKeyError('NOT_FOUND', 'no account with this e-mail');
  return deps.accounts.update(account.accountId, (a) => ({ ...a, dealer: true }));
}
