/**
 * A vehicle's payment ledger (R10, R11): an append-only list of every amount charged or refunded,
 * beside a record of the ledger effects already written, so a redone effect (after a crash) adds
 * no second line. Every line is read back through its schema.
 */
import type { Vin } from '../../shared/ids.js';
import { paymentEntrySchema, type LedgerEffect, type PaymentEntry } from '../domain/subscriptionRecord.js';
import { parseRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';

export class PaymentLedger {
  constructor(
    private readonly store: Store,
    /** The bound of a vehicle's ledger here: its newest lines kept (LEDGER_ENTRIES_KEPT; the books of record are the payment provider's). */
    private readonly entriesKept: number,
  ) {}

  /** Append the effect's line unless that effect was written before (its "done" marker in the same commit). */
  async appendOnce(vin: Vin, effect: LedgerEffect): Promise<void> {
    const doneKey = storeKeys.vehicleEffectsDone(vin);
    await this.store.commit({
      expect: [{ key: doneKey, field: effect.id, value: null }],
      hset: [{ key: doneKey, field: effect.id, value: String(effect.at) }],
      append: [{ key: storeKeys.vehiclePayments(vin), value: JSON.stringify(effect.entry), keepLast: this.entriesKept }],
    });
  }

  /** The newest `limit` lines of the vehicle's ledger, oldest first. */
  async lines(vin: Vin, limit: number): Promise<PaymentEntry[]> {
    const raws = await this.store.range(storeKeys.vehiclePayments(vin), -limit, -1);
    return raws.map((raw) => parseRecord(paymentEntrySchema, raw, 'payment ledger line'));
  }
}
