/**
 * The scheduler of time-driven subscription work (R9, R10, R11, R4b): renewals, retries, trial
 * ends, cancellations taking effect, pending refunds; and of the retention of key records (issue
 * 11: server/vehicles/applyRetention.ts). Safe with any number of server instances:
 * - the due index (dueIndex.ts) says which vehicles to look at; the vehicle document says what is due;
 * - an instance works on a vehicle only under its lease (SET NX PX, `SCHEDULER_LEASE`), so two
 *   instances do not work on one vehicle at once; a crashed instance's lease simply runs out;
 * - every step is compare-and-set on the vehicle document, and every charge carries the idempotency
 *   key written before it was sent, so even work redone after a lost lease happens exactly once;
 * - a vehicle's entry moves to its next due time in one step, and only if nobody filed it again
 *   since it was read: a crash at any point leaves the work findable (resumable).
 * Time is the injected clock: `runDue()` does what is due "now", so a test moves through years by
 * setting a ManualClock and calling it. In production `start()` runs it on a timer.
 */
import type { AppContext } from '../appContext.js';
import { applyRetention } from '../vehicles/applyRetention.js';
import type { SubscriptionService } from './subscriptionService.js';
import { VehicleLeases } from './vehicleLeases.js';

export interface RunSummary {
  /** Vehicles worked on. */
  processed: number;
  /** Due vehicles another instance held the lease of. */
  skipped: number;
  /** Vehicles whose work failed (left in the index, retried next run). */
  failed: number;
}

const BATCH = 100;

export class SubscriptionScheduler {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<RunSummary> | null = null;
  #stopped = false;

  readonly #leases: VehicleLeases;

  constructor(private readonly deps: { ctx: Pick<AppContext, 'store' | 'clock' | 'vehicles' | 'logger' | 'metrics' | 'config'>; service: SubscriptionService; leaseMs: number }) {
    this.#leases = new VehicleLeases({ store: deps.ctx.store, leaseMs: deps.leaseMs });
  }

  /** Do all subscription work due now (by the injected clock), on every vehicle this instance can lease. */
  async runDue(): Promise<RunSummary> {
    const { ctx, service } = this.deps;
    const now = ctx.clock.now();
    const summary: RunSummary = { processed: 0, skipped: 0, failed: 0 };
    const seen = new Set<string>();
    for (;;) {
      const entries = (await service.due.due(now, BATCH + seen.size)).filter((e) => !seen.has(e.member));
      if (entries.length === 0) return this.#ran(summary);
      for (const entry of entries) {
        seen.add(entry.member);
        ctx.metrics.schedulerPickedUp(now - entry.at);
        const lease = await this.#leases.acquire(entry.vin);
        if (!lease) {
          summary.skipped += 1;
          continue;
        }
        try {
          // Subscription work, and (issue 11) retention: a wiped epoch's archive and expired
          // revocations go once no credential needs them. Each runs whether the other failed.
          const failures: unknown[] = [];
          await service.processVehicle(entry.vin).catch((err: unknown) => failures.push(err));
          await applyRetention(ctx, entry.vin).catch((err: unknown) => failures.push(err));
          if (failures.length > 0) throw failures[0];
          // Moved to its next time in one step (never a moment with no entry), unless filed again meanwhile.
          await service.due.settle(entry, await ctx.vehicles.find(entry.vin));
          summary.processed += 1;
        } catch (err) {
          summary.failed += 1;
          ctx.logger.error({ err, vin: entry.vin }, 'subscription work failed; it stays due');
        } finally {
          // A lease that cannot be given back now runs out on its own.
          await this.#leases.release(entry.vin, lease).catch(() => undefined);
        }
      }
    }
  }

  #ran(summary: RunSummary): RunSummary {
    this.deps.ctx.metrics.schedulerRan(summary);
    return summary;
  }

  /** Run `runDue` every `intervalMs` until `stop()` (production; tests call runDue themselves). */
  start(intervalMs: number): void {
    if (this.#timer || intervalMs <= 0) return;
    this.#stopped = false;
    const tick = async () => {
      if (this.#stopped) return;
      this.#running = this.runDue().catch((err: unknown) => {
        this.deps.ctx.logger.error({ err }, 'subscription scheduler run failed');
        return { processed: 0, skipped: 0, failed: 1 };
      });
      await this.#running;
      this.#running = null;
      if (!this.#stopped) this.#timer = setTimeout(() => void tick(), intervalMs).unref();
    };
    this.#timer = setTimeout(() => void tick(), intervalMs).unref();
  }

  /** Stop the timer and wait for a run in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
