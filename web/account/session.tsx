/**
 * The signed-in state the pages share: the profile, the passkey this browser logged in with, the
 * unread count, and the actions that change them (log in, log out, reload the profile). The token
 * itself stays in api.ts's memory.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Profile } from '../shared/apiTypes';

export interface Session {
  me: Profile | null;
  /** The passkey of this browser's session (a key for "this device" is bound to it). */
  passkeyId: string | null;
  unread: number;
  /** Keep a new session (token from a login, an enrollment or a recovery) and load the profile. */
  start(token: string, passkeyId: string): Promise<void>;
  reloadMe(): Promise<void>;
  reloadUnread(): Promise<void>;
  logOut(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside the app');
  return session;
}

/** The profile of a page that needs a session (the app shows those only when signed in). */
export function useMe(): Profile {
  const { me } = useSession();
  if (!me) throw new Error('this page needs a session');
  return me;
}

/** The passkey this browser signed in with, on a page that needs a session. */
export function usePasskeyId(): string {
  const { passkeyId } = useSession();
  if (!passkeyId) throw new Error('this page needs a session');
  return passkeyId;
}
