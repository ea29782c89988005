/**
 * The notification outbox (R10, R12): every message to a user is first stored durably in the
 * account's outbox, then handed to the mailer port. The default mailer writes to the log; an SMTP
 * mailer can replace it behind configuration without touching the rules that notify.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import type { AccountId } from '../../shared/ids.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { parseRecord } from '../store/records.js';
import { storeKeys } from '../store/storeKeys.js';

export const notificationSchema = z.object({
  id: z.string().min(1),
  at: z.number(),
  accountId: z.string(),
  /** A stable kind, e.g. `vehicle-claimed-by-another`, `payment-failed`. */
  kind: z.string(),
  subject: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.unknown()),
});

export type Notification = z.infer<typeof notificationSchema>;

/**
 * A notification as it leaves for the mailbox: `link` carries a single-use token (e-mail
 * verification, recovery) to the mailbox only — it is never stored in the outbox nor logged.
 */
export type OutgoingMessage = Notification & { link?: string };

/** The port a real e-mail provider implements. */
export interface Mailer {
  send(to: { accountId: AccountId; email: string | null }, message: OutgoingMessage): Promise<void>;
}

export interface NotifyOptions {
  /** Idempotency: a notification already stored under this id is neither stored nor sent again. */
  id?: string;
  /** Send to this address instead of the account's (a new address being verified). */
  to?: string;
  /**
   * A link with a secret token (see OutgoingMessage). A message with a link is mailed only, never
   * kept in the outbox: the token must not be stored, and the link is worth nothing once used.
   */
  link?: string;
}

/** Default mailer: a structured log line (no e-mail leaves the process). */
export function logMailer(logger: Logger): Mailer {
  return {
    async send(to, message) {
      logger.info({ notification: { id: message.id, kind: message.kind, accountId: to.accountId, subject: message.subject } }, 'notification sent');
    },
  };
}

export class Outbox {
  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      mailer: Mailer;
      emailOf: (accountId: AccountId) => Promise<string | null>;
      /** The bound of an account's outbox: its newest notifications kept (OUTBOX_ENTRIES_KEPT; the inbox shows fewer). */
      entriesKept: number;
    },
  ) {}

  /**
   * Store a notification and hand it to the mailer. With `opts.id` it is idempotent: a notification
   * already stored under that id is neither stored nor sent again (work redone after a crash, R10).
   */
  async notify(accountId: AccountId, message: Omit<Notification, 'id' | 'at' | 'accountId'>, opts: NotifyOptions = {}): Promise<Notification> {
    const notification: Notification = { id: opts.id ?? randomUUID(), at: this.deps.clock.now(), accountId, ...message };
    if (opts.link !== undefined) {
      await this.deps.mailer.send({ accountId, email: opts.to ?? (await this.deps.emailOf(accountId)) }, { ...notification, link: opts.link });
      return notification;
    }
    const append = [{ key: storeKeys.outbox(accountId), value: JSON.stringify(notification), keepLast: this.deps.entriesKept }];
    if (opts.id === undefined) {
      await this.deps.store.commit({ append });
    } else {
      const ids = storeKeys.outboxIds(accountId);
      const fresh = await this.deps.store.commit({ expect: [{ key: ids, field: opts.id, value: null }], hset: [{ key: ids, field: opts.id, value: String(notification.at) }], append });
      if (!fresh) return notification;
    }
    await this.deps.mailer.send({ accountId, email: opts.to ?? (await this.deps.emailOf(accountId)) }, notification);
    // After the mail: its id is recorded already, so a failure before the mail would have lost it
    // for good. A trim that fails is redone by the next notice's (it trims everything past the bound).
    if (opts.id !== undefined) await this.#trimIds(accountId).catch(() => undefined);
    return notification;
  }

  /**
   * Keep the idempotency ids in step with the outbox: the newest `entriesKept` ids stay (no more
   * notifications stay either); older ones belong to notices delivered long ago, which no pending
   * effect sends again.
   */
  async #trimIds(accountId: AccountId): Promise<void> {
    const key = storeKeys.outboxIds(accountId);
    const ids = Object.entries(await this.deps.store.hgetall(key));
    if (ids.length <= this.deps.entriesKept) return;
    const oldest = ids.sort(([a, at], [b, bt]) => Number(at) - Number(bt) || a.localeCompare(b)).slice(0, ids.length - this.deps.entriesKept);
    await this.deps.store.commit({ hdel: oldest.map(([field]) => ({ key, field })) });
  }

  /** The account's last `limit` notifications, oldest first. */
  async list(accountId: AccountId, limit = 50): Promise<Notification[]> {
    const raws = await this.deps.store.range(storeKeys.outbox(accountId), -limit, -1);
    return raws.map((r) => parseRecord(notificationSchema, r, 'notification'));
  }
}
