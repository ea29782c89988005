/**
 * Where operator commands act: the shared Redis store (production: REDIS_URL), or a development
 * server's loopback operator endpoint (`npm run dev` runs on the memory store, which lives inside
 * that one process, so the CLI asks the process itself). Both offer the same two actions.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dataDir } from '../../shared/dataDir.js';
import { systemClock } from '../../shared/clock.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { isErrorCode } from '../../shared/errors/errorCode.js';
import { AccountRepository } from '../accounts/accountRepository.js';
import { createStore } from '../store/createStore.js';
import { VehicleRepository } from '../vehicles/vehicleRepository.js';
import { grantDealer } from './grantDealer.js';
import { provisionVehicle, type ProvisionVehicleInput } from './provisionVehicle.js';

export interface OperatorTarget {
  /** What the commands act on, for the output ("redis 10.0.0.5:6379", "development server http://127.0.0.1:…"). */
  readonly description: string;
  provisionVehicle(input: ProvisionVehicleInput): Promise<{ vin: string; firstRegistration: string }>;
  grantDealer(email: string): Promise<{ accountId: string }>;
  close(): Promise<void>;
}

/** Where `npm run dev` tells the operator CLI how to reach it (mode 0600: it holds the token). */
export function devOperatorFile(): string {
  return join(dataDir(), 'dev-operator.json');
}

/** The development server's operator endpoint, as written to {@link DEV_OPERATOR_FILE}. */
export interface DevOperatorEndpoint {
  url: string;
  token: string;
  pid: number;
}

/** Act directly on a store (Redis in production). */
export function storeTarget(redisUrl: string): OperatorTarget {
  const store = createStore({ redisUrl, clock: systemClock });
  const vehicles = new VehicleRepository(store);
  const accounts = new AccountRepository(store);
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
    close: () => store.close(),
  };
}

/** Act through a development server's loopback operator endpoint. */
export function devServerTarget(endpoint: Pick<DevOperatorEndpoint, 'url' | 'token'>): OperatorTarget {
  const call = async <T>(path: string, body: unknown): Promise<T> => {
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
    const json = (await res.json().catch(() => undefined)) as { error?: { code?: unknown; message?: unknown } } | undefined;
    if (!res.ok) {
      const code = isErrorCode(json?.error?.code) ? json.error.code : 'INTERNAL_ERROR';
      throw new DigitalKeyError(code, typeof json?.error?.message === 'string' ? json.error.message : undefined, { detail: { status: res.status, ...((json?.error as { detail?: object } | undefined)?.detail ?? {}) } });
    }
    return json as T;
  };
  return {
    description: `development server ${endpoint.url}`,
    provisionVehicle: (input) => call('/operator/vehicles', input),
    grantDealer: (email) => call('/operator/dealers', { email }),
    close: async () => undefined,
  };
}

/** The development server's endpoint file, or null when there is none (no `npm run dev` has run). */
export async function readDevOperatorEndpoint(path = devOperatorFile()): Promise<DevOperatorEndpoint | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as DevOperatorEndpoint;
  } catch {
    return null;
  }
}
