/**
 * Whether the car has the vehicle's latest state: "reached" once the car reported applying the
 * current seq (or a later one), "waiting" while it has not, "never" when it never reported.
 */
import { z } from 'zod';
import type { Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { AppliedManifests, type AppliedManifest } from './appliedManifests.js';

export const carSyncStatusSchema = z.object({
  state: z.enum(['reached', 'waiting', 'never']).describe('reached: the car applied the current seq; waiting: not yet; never: the car never reported'),
  /** The vehicle's current manifest seq on the server. */
  seq: z.number().int(),
  appliedSeq: z.number().int().nullable(),
  appliedAt: z.number().int().nullable().describe('epoch milliseconds: when the car first reported appliedSeq'),
  lastSeenAt: z.number().int().nullable().describe('epoch milliseconds: when the car last reported on its sync channel'),
});
export type CarSyncStatus = z.infer<typeof carSyncStatusSchema>;

/** The status of a car at the server's `seq` given its last report. */
export function carSyncStatusOf(seq: number, applied: AppliedManifest | null): CarSyncStatus {
  if (!applied) return { state: 'never', seq, appliedSeq: null, appliedAt: null, lastSeenAt: null };
  return { state: applied.seq >= seq ? 'reached' : 'waiting', seq, appliedSeq: applied.seq, appliedAt: applied.appliedAt, lastSeenAt: applied.lastSeenAt };
}

/** Read the car's status now. */
export async function carSyncStatus(ctx: Pick<AppContext, 'store'>, opts: { vin: Vin; seq: number }): Promise<CarSyncStatus> {
  return carSyncStatusOf(opts.seq, await new AppliedManifests(ctx.store).find(opts.vin));
}
