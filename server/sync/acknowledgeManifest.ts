/**
 * The car says which state manifest it applied (the sync channel's acknowledgement): the server
 * keeps the newest seq and when the car was last seen, so a dealer can tell a customer whether the
 * car already refuses a revoked key. A car cannot report a seq the server never made.
 */
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { Vin } from '../../shared/ids.js';
import type { AppContext } from '../appContext.js';
import { AppliedManifests, type AppliedManifest } from './appliedManifests.js';

export interface AcknowledgeManifestOpts {
  vin: Vin;
  /** The seq of the manifest the car applied. */
  seq: number;
}

/** The car's record after the report. */
export type AcknowledgedManifest = AppliedManifest;

export async function acknowledgeManifest(ctx: Pick<AppContext, 'store' | 'clock' | 'vehicles'>, opts: AcknowledgeManifestOpts): Promise<AcknowledgedManifest> {
  const vehicle = await ctx.vehicles.get(opts.vin);
  if (opts.seq > vehicle.seq) throw new DigitalKeyError('VALIDATION_FAILED', 'this seq was never issued for the vehicle');
  return new AppliedManifests(ctx.store).report(opts.vin, { seq: opts.seq, atMs: ctx.clock.now() });
}
