/** What the API shows of an account and its passkeys (Mijn Profiel), with the schemas that document it. */
import { z } from 'zod';
import { base64UrlIdSchema, uuidSchema } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { LANGUAGES, type AccountRecord, type PasskeyRecord } from './accountRecord.js';

export const passkeyViewSchema = z.object({
  passkeyId: base64UrlIdSchema,
  label: z.string().nullable(),
  createdAt: z.number().int(),
  lastUsedAt: z.number().int().nullable(),
  disabled: z.object({ at: z.number().int(), reason: z.string() }).nullable(),
  /** The passkey of the calling session. */
  current: z.boolean(),
});

export const profileSchema = z.object({
  accountId: uuidSchema,
  email: z.string(),
  emailVerified: z.boolean(),
  pendingEmail: z.string().nullable(),
  displayName: z.string(),
  language: z.enum(LANGUAGES).nullable(),
  timeZone: z.string().nullable(),
  dealer: z.boolean(),
  /** R15: after e-mail recovery, no main-user key until presence at a car is proven. */
  presenceRequired: z.boolean(),
  passkeys: z.array(passkeyViewSchema),
});

export function passkeyView(p: PasskeyRecord, currentPasskeyId: string | null): z.infer<typeof passkeyViewSchema> {
  return {
    passkeyId: p.passkeyId,
    label: p.label ?? null,
    createdAt: p.createdAt,
    lastUsedAt: p.lastUsedAt ?? null,
    disabled: p.disabled ? { at: p.disabled.at, reason: p.disabled.reason } : null,
    current: p.passkeyId === currentPasskeyId,
  };
}

/** Every passkey of the account, oldest first. */
export async function passkeysOf(ctx: Pick<AppContext, 'accounts'>, account: AccountRecord): Promise<PasskeyRecord[]> {
  const found = await Promise.all(account.passkeyIds.map((id) => ctx.accounts.findPasskey(id)));
  return found.flatMap((f) => (f ? [f] : []));
}

export async function profileView(ctx: Pick<AppContext, 'accounts'>, account: AccountRecord, currentPasskeyId: string | null): Promise<z.infer<typeof profileSchema>> {
  return {
    accountId: account.accountId,
    email: account.email,
    emailVerified: account.emailVerified === true,
    pendingEmail: account.pendingEmail ?? null,
    displayName: account.displayName,
    language: account.language ?? null,
    timeZone: account.timeZone ?? null,
    dealer: account.dealer,
    presenceRequired: account.presenceRequired === true,
    passkeys: (await passkeysOf(ctx, account)).map((p) => passkeyView(p, currentPasskeyId)),
  };
}
