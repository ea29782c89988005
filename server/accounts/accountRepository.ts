/** Reads and writes accounts and passkeys. Single-record changes use an expect-and-set commit. */
import { randomUUID } from 'node:crypto';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, PasskeyId } from '../../shared/ids.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';
import type { AccountRecord, PasskeyRecord } from './accountRecord.js';

const MAX_ATTEMPTS = 12;

export class AccountRepository {
  constructor(private readonly store: Store) {}

  /** Create an account; ACCOUNT_EXISTS if the e-mail belongs to an enrolled account (the e-mail index is claimed with SET NX). */
  async create(opts: { email: string; displayName: string; nowMs: number }): Promise<AccountRecord> {
    const account: AccountRecord = {
      accountId: randomUUID(),
      email: opts.email.trim().toLowerCase(),
      displayName: opts.displayName,
      createdAt: opts.nowMs,
      passkeyIds: [],
      dealer: false,
    };
    await this.store.set(storeKeys.account(account.accountId), JSON.stringify(account));
    const indexed = await this.store.set(storeKeys.accountByEmail(account.email), account.accountId, { ifAbsent: true });
    if (!indexed) {
      await this.store.del(storeKeys.account(account.accountId));
      // An account that never finished enrolling is not locked away: its sign-up can start again.
      const existing = await this.findByEmail(account.email);
      if (existing && existing.passkeyIds.length === 0) return existing;
      throw new DigitalKeyError('ACCOUNT_EXISTS');
    }
    return account;
  }

  async find(accountId: AccountId): Promise<AccountRecord | null> {
    const raw = await this.store.get(storeKeys.account(accountId));
    return raw === null ? null : (JSON.parse(raw) as AccountRecord);
  }

  async findByEmail(email: string): Promise<AccountRecord | null> {
    const accountId = await this.store.get(storeKeys.accountByEmail(email));
    return accountId === null ? null : this.find(accountId);
  }

  /** Change one account atomically (retried on a concurrent change). */
  async update(accountId: AccountId, change: (account: AccountRecord) => AccountRecord): Promise<AccountRecord> {
    const key = storeKeys.account(accountId);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const raw = await this.store.get(key);
      if (raw === null) throw new DigitalKeyError('NOT_FOUND', 'no such account');
      const next = change(JSON.parse(raw) as AccountRecord);
      if (await this.store.commit({ expect: [{ key, value: raw }], set: [{ key, value: JSON.stringify(next) }] })) return next;
    }
    throw new DigitalKeyError('CONFLICT');
  }

  async findPasskey(passkeyId: PasskeyId): Promise<{ passkey: PasskeyRecord; raw: string } | null> {
    const raw = await this.store.get(storeKeys.passkey(passkeyId));
    return raw === null ? null : { passkey: JSON.parse(raw) as PasskeyRecord, raw };
  }

  /** A passkey of this account that is not disabled, or PASSKEY_NOT_FOUND / PASSKEY_DISABLED. */
  async activePasskeyOf(accountId: AccountId, passkeyId: PasskeyId): Promise<PasskeyRecord> {
    const found = await this.findPasskey(passkeyId);
    if (!found || found.passkey.accountId !== accountId) throw new DigitalKeyError('PASSKEY_NOT_FOUND');
    if (found.passkey.disabled) throw new DigitalKeyError('PASSKEY_DISABLED');
    return found.passkey;
  }

  /** Store a new passkey and list it on its account. */
  async addPasskey(passkey: PasskeyRecord): Promise<void> {
    const created = await this.store.set(storeKeys.passkey(passkey.passkeyId), JSON.stringify(passkey), { ifAbsent: true });
    if (!created) throw new DigitalKeyError('REGISTRATION_FAILED', 'this passkey is already registered');
    await this.update(passkey.accountId, (a) => ({ ...a, passkeyIds: [...a.passkeyIds, passkey.passkeyId] }));
  }

  /** Replace a passkey record only if it is still `expectedRaw` (counters: no lost update). */
  async replacePasskey(expectedRaw: string, next: PasskeyRecord): Promise<boolean> {
    const key = storeKeys.passkey(next.passkeyId);
    return this.store.commit({ expect: [{ key, value: expectedRaw }], set: [{ key, value: JSON.stringify(next) }] });
  }
}
