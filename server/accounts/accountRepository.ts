/** Reads and writes accounts and passkeys; every read is parsed with its schema, every change is one compare-and-set (server/store/records.ts). */
import { randomUUID } from 'node:crypto';
import type { ErrorCode } from '../../shared/errors/errorCode.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { AccountId, PasskeyId } from '../../shared/ids.js';
import { readPlaced } from '../store/bucketMove.js';
import type { HolderBuckets } from '../store/holderBuckets.js';
import { readRecord, recordText, updateRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { uuidValue } from '../store/storedForm.js';
import { storeKeys } from '../store/storeKeys.js';
import { accountRecordSchema, accountStoredForm, assertActivePasskey, passkeyRecordSchema, passkeyStoredForm, type AccountRecord, type PasskeyRecord } from './accountRecord.js';

export class AccountRepository {
  /** `buckets`: where passkey records and the e-mail index live (server/store/holderBuckets.ts). */
  constructor(
    private readonly store: Store,
    readonly buckets: HolderBuckets,
  ) {}

  /** A new account record (not yet stored) for this address and name. */
  static newAccount(opts: { email: string; displayName: string; nowMs: number }): AccountRecord {
    return { accountId: randomUUID(), email: opts.email.trim().toLowerCase(), displayName: opts.displayName, createdAt: opts.nowMs, passkeyIds: [], dealer: false };
  }

  /** Store a new account and claim its address in the e-mail index; false, and nothing stored, if the address is taken. */
  async insertWithEmail(account: AccountRecord): Promise<boolean> {
    if (!(await this.#takeEmail(account.email, account.accountId))) return false;
    await this.store.set(storeKeys.account(account.accountId), recordText(account, accountStoredForm(account.accountId)));
    return true;
  }

  /** Store a new account whose address is not (and cannot become) its own: the address belongs to another account. */
  async insertWithoutEmail(account: AccountRecord): Promise<void> {
    await this.store.set(storeKeys.account(account.accountId), recordText(account, accountStoredForm(account.accountId)), { ifAbsent: true });
  }

  /**
   * The account an address belongs to (the e-mail index: its bucket, then its own key of before), or
   * null. An entry of before stays where it is: a released entry leaves its bucket field empty, so
   * a move (server/store/bucketMove.ts) finished late could bring a released address back.
   */
  ownerOfEmail(email: string): Promise<AccountId | null> {
    return this.buckets.whenChecked(async () => {
      const place = this.buckets.email(email);
      const owner = (await this.store.hget(place.key, place.field)) ?? (await this.store.get(place.before));
      return owner === null ? null : (uuidValue.decode(owner) as string);
    });
  }

  /** Make `email` this account's address in the index; false if it belongs to another account. */
  async claimEmail(email: string, accountId: AccountId): Promise<boolean> {
    if (await this.#takeEmail(email, accountId)) return true;
    return (await this.ownerOfEmail(email)) === accountId;
  }

  /**
   * Write `email → accountId` in the index's bucket if the address is nobody's: not in its bucket
   * (checked in the commit) nor under its own key of before (checked just ahead: no server writes
   * there any more). Whether it was written.
   */
  #takeEmail(email: string, accountId: AccountId): Promise<boolean> {
    return this.buckets.whenChecked(async () => {
      const { key, field, before } = this.buckets.email(email);
      if ((await this.store.get(before)) !== null) return false;
      return this.store.commit({ expect: [{ key, field, value: null }], hset: [{ key, field, value: emailOwnerText(accountId) }] });
    });
  }

  /**
   * Erase what a closed account leaves besides its record (one commit, one hash slot): its payment
   * cards, its notifications and which were read, its vehicle index and its live dealer recovery code.
   */
  async eraseClosedAccountData(accountId: AccountId): Promise<void> {
    const a = storeKeys;
    await this.store.commit({ del: [a.paymentCards(accountId), a.outbox(accountId), a.outboxIds(accountId), a.outboxRead(accountId), a.accountVehicles(accountId), a.accountRecoveryCode(accountId)] });
  }

  /** Free `email` in the index if it is this account's (never another's): in its bucket, or under its own key of before, whichever spelling of its id that holds. */
  releaseEmail(email: string, accountId: AccountId): Promise<void> {
    return this.buckets.whenChecked(async () => {
      const { key, field, before } = this.buckets.email(email);
      if (await this.store.commit({ expect: [{ key, field, value: emailOwnerText(accountId) }], hdel: [{ key, field }] })) return;
      if (await this.store.commit({ expect: [{ key: before, value: emailOwnerText(accountId) }], del: [before] })) return;
      await this.store.commit({ expect: [{ key: before, value: accountId }], del: [before] });
    });
  }

  async find(accountId: AccountId): Promise<AccountRecord | null> {
    return readRecord(this.store, storeKeys.account(accountId), accountRecordSchema, 'account', accountStoredForm(accountId));
  }

  async findByEmail(email: string): Promise<AccountRecord | null> {
    const accountId = await this.ownerOfEmail(email);
    return accountId === null ? null : this.find(accountId);
  }

  /** Change one account atomically (retried on a concurrent change); NOT_FOUND if there is none. */
  async update(accountId: AccountId, change: (account: AccountRecord) => AccountRecord | Promise<AccountRecord>): Promise<AccountRecord> {
    const { record } = await updateRecord(
      this.store,
      storeKeys.account(accountId),
      accountRecordSchema,
      async (account) => {
        if (account === null) throw new DigitalKeyError('NOT_FOUND', 'no such account');
        return { record: await change(account), result: null };
      },
      { what: 'account', form: accountStoredForm(accountId) },
    );
    return record;
  }

  findPasskey(passkeyId: PasskeyId): Promise<PasskeyRecord | null> {
    return this.buckets.whenChecked(() => readRecord(this.store, this.buckets.passkey(passkeyId), passkeyRecordSchema, 'passkey', passkeyStoredForm(passkeyId)));
  }

  /** A passkey of this account that is not disabled, or PASSKEY_NOT_FOUND / PASSKEY_DISABLED. */
  async activePasskeyOf(accountId: AccountId, passkeyId: PasskeyId): Promise<PasskeyRecord> {
    const passkey = await this.findPasskey(passkeyId);
    assertActivePasskey(passkey, accountId);
    return passkey;
  }

  /**
   * Store a new passkey in its bucket and list it on its account; REGISTRATION_FAILED if its id is
   * registered already (in its bucket, checked in the commit, or under its own key of before).
   */
  async addPasskey(passkey: PasskeyRecord): Promise<void> {
    await this.buckets.checked();
    const place = this.buckets.passkey(passkey.passkeyId);
    const { key, field } = place;
    const created =
      (await readPlaced(this.store, place)).raw === null &&
      (await this.store.commit({ expect: [{ key, field, value: null }], hset: [{ key, field, value: recordText(passkey, passkeyStoredForm(passkey.passkeyId)) }] }));
    if (!created) throw new DigitalKeyError('REGISTRATION_FAILED', 'this passkey is already registered');
    await this.update(passkey.accountId, (a) => ({ ...a, passkeyIds: [...a.passkeyIds, passkey.passkeyId] }));
  }

  /**
   * Change one passkey atomically (signature counters and R6's disabling: no lost update). `change`
   * runs again on the fresh record after a concurrent change; `ifMissing` is the error when there is no such passkey.
   */
  async updatePasskey(passkeyId: PasskeyId, change: (passkey: PasskeyRecord) => PasskeyRecord | Promise<PasskeyRecord>, opts: { ifMissing?: ErrorCode } = {}): Promise<PasskeyRecord> {
    await this.buckets.checked();
    const { record } = await updateRecord(
      this.store,
      this.buckets.passkey(passkeyId),
      passkeyRecordSchema,
      async (passkey) => {
        if (passkey === null) throw new DigitalKeyError(opts.ifMissing ?? 'PASSKEY_NOT_FOUND');
        return { record: await change(passkey), result: null };
      },
      { what: 'passkey', form: passkeyStoredForm(passkeyId) },
    );
    return record;
  }
}

/** An account id as the e-mail index holds it: a UUID as 22 characters (issue 11); an index entry written before holds 36 and reads the same. */
function emailOwnerText(accountId: AccountId): string {
  return uuidValue.encode(accountId) as string;
}
