/**
 * The notification outbox (R10, R12): every message to a user is first stored durably in the
 * account's outbox, then handed to the mailer port. The default mailer writes to the log; an SMTP
 * mailer can replace it behind configuration without touching the rules that notify.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import type { AccountId } from '../../shared/ids.js';
import type { Logger } from '../logger.js';
import type { Store } from '../store/store.js';
import { parseRecord, recordText } from '../store/records.js';
import { compactShape, timeValue, uuidValue, type StoredForm } from '../store/storedForm.js';
import { storeKeys } from '../store/storeKeys.js';
import { renderedNoticeText } from './noticeTexts.js';

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

/** Short stored names of a notification's fields (issue 11). Never change one: stored entries use them. */
export const NOTIFICATION_ALIASES = { id: 'i', at: 't', kind: 'k', subject: 's', body: 'b', data: 'd' } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A notification id as stored: "<kind>:" as ":", a UUID (alone or after it) as "~" and its 22
 * characters; any other rest that starts with one of ":~!" gets a "!" before it (read as it is).
 */
function storedId(id: string, kind: string): string {
  const [prefix, rest] = id.startsWith(`${kind}:`) ? [':', id.slice(kind.length + 1)] : ['', id];
  return prefix + (UUID.test(rest) ? `~${String(uuidValue.encode(rest))}` : /^[:~!]/.test(rest) ? `!${rest}` : rest);
}

function idOfStored(stored: string, kind: string): string {
  const [prefix, rest] = stored.startsWith(':') ? [`${kind}:`, stored.slice(1)] : ['', stored];
  if (rest.startsWith('~')) return prefix + String(uuidValue.decode(rest.slice(1)));
  return prefix + (rest.startsWith('!') ? rest.slice(1) : rest);
}

const notificationShape = compactShape({ aliases: NOTIFICATION_ALIASES, values: { at: timeValue }, verbatim: ['data'] });

/**
 * A notification as stored in its account's outbox (issue 11): short names, without the account
 * (the outbox's key says it), its instant in base 36, its id shortened (storedId), and, for a notice
 * whose text follows from its kind and data (noticeTexts.ts), without its subject and body — they
 * are rendered again when read. Its data is stored as it is. An entry written before (every field,
 * long names) reads unchanged.
 */
export function notificationStoredForm(accountId: AccountId): StoredForm {
  const form = notificationShape({ accountId });
  return {
    encode(record) {
      const n = record as Notification;
      const text = renderedNoticeText(n.kind, n.data);
      const { subject: _subject, body: _body, ...rest } = n;
      const kept = text && text.subject === n.subject && text.body === n.body ? rest : n;
      return form.encode({ ...kept, id: storedId(n.id, n.kind) });
    },
    decode(stored) {
      const n = form.decode(stored) as Record<string, unknown>;
      // Only the compact form (short names) has a shortened id or a text left out.
      if (typeof stored !== 'object' || stored === null || !('i' in stored) || typeof n.kind !== 'string') return n;
      if (typeof n.id === 'string') n.id = idOfStored(n.id, n.kind);
      if (!('subject' in n) && !('body' in n) && typeof n.data === 'object' && n.data !== null) Object.assign(n, renderedNoticeText(n.kind, n.data as Record<string, unknown>));
      return n;
    },
  };
}

/**
 * The field under which a delivered notice's id is kept (idempotency of redelivery): 16 characters
 * of its SHA-256 (96 bits: no two ids of one account meet). Ids were kept whole before; both are looked for.
 */
export function noticeIdField(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 16);
}

/** When a delivered notice's id was kept: base 36 now, decimal before. */
function keptAt(value: string): number {
  const at = timeValue.decode(value);
  return typeof at === 'number' ? at : Number(value);
}

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
    const append = [{ key: storeKeys.outbox(accountId), value: recordText(notification, notificationStoredForm(accountId)), keepLast: this.deps.entriesKept }];
    if (opts.id === undefined) {
      await this.deps.store.commit({ append });
    } else {
      const ids = storeKeys.outboxIds(accountId);
      // Kept before under the whole id: a notice delivered then is not delivered again either.
      const fresh = await this.deps.store.commit({
        expect: [
          { key: ids, field: noticeIdField(opts.id), value: null },
          { key: ids, field: opts.id, value: null },
        ],
        hset: [{ key: ids, field: noticeIdField(opts.id), value: String(timeValue.encode(notification.at)) }],
        append,
      });
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
    const oldest = ids.sort(([a, at], [b, bt]) => keptAt(at) - keptAt(bt) || a.localeCompare(b)).slice(0, ids.length - this.deps.entriesKept);
    await this.deps.store.commit({ hdel: oldest.map(([field]) => ({ key, field })) });
  }

  /** The account's last `limit` notifications, oldest first. */
  async list(accountId: AccountId, limit = 50): Promise<Notification[]> {
    const raws = await this.deps.store.range(storeKeys.outbox(accountId), -limit, -1);
    const form = notificationStoredForm(accountId);
    return raws.map((r) => parseRecord(notificationSchema, r, 'notification', form));
  }
}
