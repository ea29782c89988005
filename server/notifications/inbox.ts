/**
 * The account's outbox read as an inbox: newest first, each with whether the account has read it,
 * and the unread count. Read marks are a hash of notification ids beside the outbox (same hash tag).
 */
import type { AccountId } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { storeKeys } from '../store/storeKeys.js';
import type { Notification } from './outbox.js';

/** Unread counts look at this many of the newest notifications. */
export const INBOX_WINDOW = 200;

export type InboxEntry = Notification & { read: boolean };

export async function readInbox(ctx: Pick<AppContext, 'outbox' | 'store'>, accountId: AccountId, limit: number): Promise<{ notifications: InboxEntry[]; unread: number }> {
  const { entries } = await inboxWindow(ctx, accountId);
  return { notifications: entries.slice(0, limit), unread: entries.filter((e) => !e.read).length };
}

/** The newest INBOX_WINDOW notifications with their read flags, and the ids of every read mark stored. */
async function inboxWindow(ctx: Pick<AppContext, 'outbox' | 'store'>, accountId: AccountId): Promise<{ entries: InboxEntry[]; marks: string[] }> {
  const [all, read] = await Promise.all([ctx.outbox.list(accountId, INBOX_WINDOW), ctx.store.hgetall(storeKeys.outboxRead(accountId))]);
  return { entries: all.reverse().map((n) => ({ ...n, read: Object.hasOwn(read, n.id) })), marks: Object.keys(read) };
}

export async function unreadCount(ctx: Pick<AppContext, 'outbox' | 'store'>, accountId: AccountId): Promise<number> {
  return (await readInbox(ctx, accountId, 0)).unread;
}

/**
 * Mark some notifications (ids of this account's outbox; others are ignored), or all of them, read.
 * Marks of notifications that left the window go in the same commit: the read marks never outnumber
 * the window (issue 11).
 */
export async function markRead(ctx: Pick<AppContext, 'outbox' | 'store' | 'clock'>, accountId: AccountId, which: { ids: string[] } | { all: true }): Promise<number> {
  const { entries, marks } = await inboxWindow(ctx, accountId);
  const key = storeKeys.outboxRead(accountId);
  const wanted = 'all' in which ? null : new Set(which.ids);
  const now = String(ctx.clock.now());
  const hset = entries.filter((n) => !n.read && (wanted === null || wanted.has(n.id))).map((n) => ({ key, field: n.id, value: now }));
  const shown = new Set(entries.map((n) => n.id));
  const hdel = marks.filter((id) => !shown.has(id)).map((field) => ({ key, field }));
  if (hset.length > 0 || hdel.length > 0) await ctx.store.commit({ hset, hdel });
  return unreadCount(ctx, accountId);
}
