/**
 * Step-up before a destructive action (docs/owner-api.md): a new passkey login of the same dealer,
 * whose fresh session (its passkey check is seconds old) replaces the current one.
 */
import { api, ApiError, setSessionToken } from '../shared/api';
import { getAssertion } from '../shared/webauthn';

/** Ask the passkey again; throws FORBIDDEN when another account's passkey answered. */
export async function stepUp(accountId: string): Promise<void> {
  const { challengeId, options } = await api('post', '/v1/sessions/options', { body: {} });
  const response = await getAssertion(options);
  const fresh = await api('post', '/v1/sessions', { body: { challengeId, response } });
  if (fresh.accountId !== accountId) throw new ApiError('STEP_UP_OTHER_ACCOUNT', 403, 'another account answered the passkey check');
  setSessionToken(fresh.token);
}
