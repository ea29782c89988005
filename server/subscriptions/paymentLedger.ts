/**
 * A vehicle's payment ledger (R10, R11): an append-only list of every amount charged or refunded,
 * one per calendar year, kept LEDGER_RETENTION_YEARS after it (server/store/yearlyTrail.ts), beside
 * a record of the ledger effects already written, kept as long, so a redone effect (after a crash)
 * adds no second line. Every line is read back through its schema.
 */
import type { Clock } from '../../shared/clock.js';
import type { Vin } from '../../shared/ids.js';
import type { Config } from '../config.js';
import { paymentEntrySchema, type LedgerEffect, type PaymentEntry } from '../domain/subscriptionRecord.js';
import { parseRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { storeKeys } from '../store/storeKeys.js';
import { readTrail, trailAppend, utcYear, yearExpiresAt, type YearlyTrail } from '../store/yearlyTrail.js';

export class PaymentLedger {
  constructor(
    private readonly deps: { store: Store; clock: Clock; config: Pick<Config, 'LEDGER_ENTRIES_KEPT' | 'LEDGER_RETENTION_YEARS'> },
  ) {}

  #trail(vin: Vin): YearlyTrail {
    return {
      keyOf: (year) => storeKeys.vehiclePaymentsOfYear(vin, year),
      legacyKey: storeKeys.vehiclePayments(vin),
      years: this.deps.config.LEDGER_RETENTION_YEARS,
      keepLast: this.deps.config.LEDGER_ENTRIES_KEPT,
    };
  }

  /**
   * Append the effect's line unless that effect was written before: its "done" marker goes in the
   * same commit, under the year of the effect's time (fixed for the effect, so a redo finds it), and
   * expires with that year's lines. Markers written before retention by age are still checked.
   */
  async appendOnce(vin: Vin, effect: LedgerEffect): Promise<void> {
    const year = utcYear(effect.at);
    const doneKey = storeKeys.vehicleEffectsDoneOfYear(vin, year);
    const legacyDoneKey = storeKeys.vehicleEffectsDone(vin);
    const line = trailAppend(this.#trail(vin), effect.at, JSON.stringify(effect.entry));
    const expiry = yearExpiresAt(year, this.deps.config.LEDGER_RETENTION_YEARS);
    await this.deps.store.commit({
      expect: [
        { key: doneKey, field: effect.id, value: null },
        { key: legacyDoneKey, field: effect.id, value: null },
      ],
      hset: [{ key: doneKey, field: effect.id, value: String(effect.at) }],
      append: line.append,
      expire: [...line.expire, { key: doneKey, atMs: expiry }, { key: legacyDoneKey, atMs: expiry, ifNone: true }],
    });
  }

  /** The newest `limit` lines of the vehicle's ledger, oldest first. */
  async lines(vin: Vin, limit: number): Promise<PaymentEntry[]> {
    const raws = await readTrail(this.deps.store, this.#trail(vin), this.deps.clock.now(), limit);
    return raws.map((raw) => parseRecord(paymentEntrySchema, raw, 'payment ledger line'));
  }
}
