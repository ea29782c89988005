/** The account's outbox as an inbox (issue 8): notifications newest first, unread count, marking read. */
import { z } from 'zod';
import type { AppContext } from '../appContext.js';
import { requireAccount } from '../http/authenticate.js';
import { defineRoute, type RouteDefinition } from '../http/route.js';
import { INBOX_WINDOW, markRead, readInbox, unreadCount } from '../notifications/inbox.js';
import { notificationSchema } from '../notifications/outbox.js';

const unreadSchema = z.object({ unread: z.number().int() });

export function notificationRoutes(ctx: AppContext): RouteDefinition[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/me/notifications',
      operationId: 'listNotifications',
      summary: "The account's notifications, newest first, with the unread count (claimed by another, payment failed, key revoked, recovery used, …)",
      tags: ['notifications'],
      errors: [],
      auth: 'session',
      allowDealer: true,
      query: z.object({ limit: z.coerce.number().int().min(1).max(INBOX_WINDOW).default(50) }).strict(),
      responses: {
        200: { description: 'Notifications', schema: z.object({ notifications: z.array(notificationSchema.omit({ accountId: true }).extend({ read: z.boolean() })), unread: z.number().int() }) },
      },
      handler: async ({ caller, query }) => {
        const { notifications, unread } = await readInbox(ctx, requireAccount(caller).accountId, query.limit);
        return { body: { notifications: notifications.map(({ accountId: _a, ...n }) => n), unread } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/me/notifications/unread-count',
      operationId: 'countUnreadNotifications',
      summary: 'How many notifications the account has not read',
      tags: ['notifications'],
      errors: [],
      auth: 'session',
      allowDealer: true,
      responses: { 200: { description: 'Unread count', schema: unreadSchema } },
      handler: async ({ caller }) => ({ body: { unread: await unreadCount(ctx, requireAccount(caller).accountId) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/me/notifications/read',
      operationId: 'markNotificationsRead',
      summary: 'Mark notifications read: some by id, or all',
      tags: ['notifications'],
      errors: [],
      auth: 'session',
      allowDealer: true,
      body: z.union([z.object({ ids: z.array(z.string().min(1).max(64)).min(1).max(INBOX_WINDOW) }).strict(), z.object({ all: z.literal(true) }).strict()]),
      responses: { 200: { description: 'The unread count after', schema: unreadSchema } },
      handler: async ({ caller, body }) => ({ body: { unread: await markRead(ctx, requireAccount(caller).accountId, body) } }),
    }),
  ];
}
