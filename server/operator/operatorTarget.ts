/**
 * Where operator commands act: the shared Redis store (production: REDIS_URL), or a development
 * server's loopback operator endpoint (`npm run dev` runs on the memory store, which lives inside
 * that one process, so the CLI asks the process itself). Both offer the same actions.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { dataDir } from '../../shared/dataDir.js';
import { systemClock } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { isErrorCode } from '../../shared/errors/errorCode.js';
import { AccountRepository } from '../accounts/accountRepository.js';
import { createStore } from '../store/createStore.js';
import { HolderBuckets } from '../store/holderBuckets.js';
import { VehicleRepository } from '../vehicles/vehicleRepository.js';
import { loadConfig } from '../config.js';
import { grantDealer } from './grantDealer.js';
import { inviteDealer, type InviteDealerResult } from './inviteDealer.js';
import { movePasskeys, type PasskeyMoves } from './movePasskeys.js';
import { provisionVehicle, type ProvisionVehicleInput } from './provisionVehicle.js';

export interface OperatorTarget {
  /** What the commands act on, for the output ("redis 10.0.0.5:6379", "development server http://127.0.0.1:…"). */
  readonly description: string;
  provisionVehicle(input: ProvisionVehicleInput): Promise<{ vin: string; firstRegistration: string }>;
  grantDealer(email: string): Promise<{ accountId: string }>;
  inviteDealer(email: string): Promise<InviteDealerResult>;
  /** Move the passkey records stored before holder buckets into them (a store only: a development server's memory store has none). */
  movePasskeys(onProgress?: (moves: PasskeyMoves) => void): Promise<PasskeyMoves>;
  close(): Promise<void>;
}

/** Where `npm run dev` tells the operator CLI how to reach it (mode 0600: it holds the token). */
export function devOperatorFile(): string {
  return join(dataDir(), 'dev-operator.json');
}

const devOperatorEndpointSchema = z.object({ url: z.string(), token: z.string(), pid: z.number() });

/** The development server's operator endpoint, as written to {@link devOperatorFile}. */
export type DevOperatorEndpoint = z.infer<typeof devOperatorEndpointSchema>;

/** What the operator endpoint answers on failure: the error handler's body (any part may be missing). */
const endpointErrorSchema = z.object({ error: z.object({ code: z.unknown(), message: z.unknown(), detail: z.looseObject({}).optional().catch(undefined) }).optional() });

/** Act directly on a store (Redis in production). */
export function storeTarget(redisUrl: string): OperatorTarget {
  const store = createStore({ redisUrl, clock: systemClock });
  const config = loadConfig();
  const buckets = new HolderBuckets(store, { adopt: true });
  const accounts = new AccountRepository(store, buckets);
  const vehicles = new VehicleRepository(store, { auditEntriesKept: config.VEHICLE_AUDIT_ENTRIES_KEPT, auditYears: config.AUDIT_RETENTION_YEARS }, accounts);
  return {
    description: store.location ?? store.kind,
    async provisionVehicle(input) {
      const v = await provisionVehicle({ vehicles, clock: systemClock }, input);
      return { vin: v.vin, firstRegistration: v.firstRegistration };
    },
    async grantDealer(email) {
      const account = await grantDealer({ accounts }, email);
      return { accountId: account.accountId };
    },
    inviteDealer: (email) => inviteDealer({ accounts, store, clock: systemClock, config }, email),
    movePasskeys: (onProgress) => movePasskeys({ store, buckets }, onProgress),
    close: () => store.close(),
  };
}

/** Act through a development server's loopback operator endpoint. */
export function devServerTarget(endpoint: Pick<DevOperatorEndpoint, 'url' | 'token'>): OperatorTarget {
  const call = async <T>(path: string, body: unknown, answer: z.ZodType<T>): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(new URL(path, endpoint.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${endpoint.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new DigitalKeyError('STORE_UNAVAILABLE', `the development server's operator endpoint (${endpoint.url}) does not answer: is npm run dev still running?`, { cause: err });
    }
    const json: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const error = endpointErrorSchema.safeParse(json).data?.error;
      const code = isErrorCode(error?.code) ? error.code : 'INTERNAL_ERROR';
      throw new DigitalKeyError(code, typeof error?.message === 'string' ? error.message : undefined, { detail: { status: res.status, ...(error?.detail ?? {}) } });
    }
    return answer.parse(json);
  };
  return {
    description: `development server ${endpoint.url}`,
    provisionVehicle: (input) => call('/operator/vehicles', input, z.object({ vin: z.string(), firstRegistration: z.string() })),
    grantDealer: (email) => call('/operator/dealers', { email }, z.object({ accountId: z.string() })),
    inviteDealer: (email) => call('/operator/dealer-invitations', { email }, z.object({ email: z.string(), link: z.string(), expiresAt: z.number() })),
    // Its memory store was made by this version: it holds no record of before.
    movePasskeys: async () => ({ found: 0, moved: 0 }),
    close: async () => undefined,
  };
}

/** The development server's endpoint file, or null when there is none (no `npm run dev` has run). */
export async function readDevOperatorEndpoint(path = devOperatorFile()): Promise<DevOperatorEndpoint | null> {
  try {
    return devOperatorEndpointSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch {
    return null;
  }
}
