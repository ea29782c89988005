/**
 * Sessions ended by logout before their expiry. A session token is stateless until then; logging
 * out writes its id here, and every authenticated request checks it. The entry lives a minute past
 * the token's own expiry (after which the token is refused anyway), so the set never outgrows the
 * sessions that could still be presented.
 */
import { epochSeconds } from '../../shared/clock.js';
import type { AppContext } from '../appContext.js';
import { storeKeys } from '../store/storeKeys.js';

export interface EndableSession {
  sessionId: string;
  /** The token's expiry, seconds since the epoch. */
  expiresAt: number;
}

/** End a session now: its token stops working on every instance. */
export async function endSession(ctx: Pick<AppContext, 'store' | 'clock'>, session: EndableSession): Promise<void> {
  const ttlMs = Math.max(1, session.expiresAt - epochSeconds(ctx.clock) + 60) * 1000;
  await ctx.store.set(storeKeys.endedSession(session.sessionId), '1', { ttlMs });
}

export async function isSessionEnded(ctx: Pick<AppContext, 'store'>, sessionId: string): Promise<boolean> {
  return (await ctx.store.get(storeKeys.endedSession(sessionId))) !== null;
}
