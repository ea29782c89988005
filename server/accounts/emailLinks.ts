/**
 * Single-use links sent by e-mail: verifying an address, and recovering an account (R15). The token
 * travels only in the e-mail (in the URL fragment of a portal link); the store keeps its SHA-256,
 * with the account, the address it was sent to and its expiry (checked against the injected clock;
 * the store TTL only collects garbage). A link is used with GETDEL, so of two concurrent uses only
 * one succeeds.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { uuidSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { parseRecordOrNull } from '../store/records.js';
import { secretDigest } from '../store/secretDigest.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';

export const emailLinkSchema = z.object({
  kind: z.enum(['verify-email', 'recover']),
  accountId: uuidSchema,
  /** The address the link was sent to. */
  email: z.string(),
  expiresAt: z.number(),
  /** Who asked for a recovery link: the account holder (self-service) or a dealer for them. */
  requestedBy: z.object({ accountId: uuidSchema.nullable(), role: z.enum(['self', 'dealer']) }).optional(),
});
export type EmailLink = z.infer<typeof emailLinkSchema>;
export type EmailLinkKind = EmailLink['kind'];

/** The format of a link token (32 random bytes, base64url). */
export const emailTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'a link token');

const INVALID = { 'verify-email': 'VERIFICATION_INVALID', recover: 'RECOVERY_INVALID' } as const;

/** Where a link of this kind points in the customer portal (the token rides in the fragment). */
export function portalLink(ctx: Pick<AppContext, 'config'>, kind: EmailLinkKind, token: string): string {
  const page = kind === 'verify-email' ? 'verify-email' : 'recover';
  return `${ctx.config.PORTAL_URL.replace(/\/$/, '')}/account/#/${page}/${token}`;
}

export class EmailLinks {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /** Store a new link; returns its token (to be e-mailed, never stored). */
  async create(link: Omit<EmailLink, 'expiresAt'>, ttlSeconds: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const record: EmailLink = { ...link, expiresAt: this.deps.clock.now() + ttlSeconds * 1000 };
    await this.deps.store.set(storeKeys.emailLink(secretDigest(token)), JSON.stringify(record), { ttlMs: ttlSeconds * 1000 + 60_000 });
    return token;
  }

  /** The link if it exists, is of this kind and has not expired; else VERIFICATION_INVALID / RECOVERY_INVALID. */
  async peek(kind: EmailLinkKind, token: string): Promise<EmailLink> {
    return this.#valid(kind, await this.deps.store.get(storeKeys.emailLink(secretDigest(token))));
  }

  /** Use the link up (single use, GETDEL); the same refusals as `peek`. */
  async take(kind: EmailLinkKind, token: string): Promise<EmailLink> {
    return this.takeDigest(kind, secretDigest(token));
  }

  async takeDigest(kind: EmailLinkKind, digest: string): Promise<EmailLink> {
    return this.#valid(kind, await this.deps.store.take(storeKeys.emailLink(digest)));
  }

  #valid(kind: EmailLinkKind, raw: string | null): EmailLink {
    const link = parseRecordOrNull(emailLinkSchema, raw, 'e-mail link');
    if (!link || link.kind !== kind || link.expiresAt <= this.deps.clock.now()) throw new DigitalKeyError(INVALID[kind]);
    return link;
  }
}
