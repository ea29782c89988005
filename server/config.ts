/**
 * The server's configuration: every option is read from the environment here, validated at start
 * with a clear error, and documented where it is defined. Defaults suit a developer's localhost;
 * the ones production must change say so loudly at start (see `productionWarnings`).
 */
import { z } from 'zod';
import { originListSchema, parseEnvironment } from '../shared/parseEnvironment.js';
import { errorMessage } from './errorMessage.js';
import { parseRedisUrl } from './store/redisUrl.js';
import { isTimeZone } from './subscriptions/billingCalendar.js';
import { usableCores } from './usableCores.js';

/** Seconds per duration unit; no unit means seconds. */
const UNIT_SECONDS = new Map([['', 1], ['s', 1], ['m', 60], ['h', 3600], ['d', 86_400]]);

/** "90", "90s", "15m", "24h", "7d" → seconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (!m) throw new Error(`"${value}" is not a duration (e.g. 90, 90s, 15m, 24h, 7d)`);
  const [, amount, unit = ''] = m;
  const seconds = UNIT_SECONDS.get(unit);
  if (seconds === undefined) throw new Error(`"${value}" has an unknown duration unit "${unit}"`);
  return Number(amount) * seconds;
}

const duration = (min: number, max: number) =>
  z
    .string()
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: errorMessage(err) });
        return z.NEVER;
      }
    })
    .refine((s) => s >= min && s <= max, `must be between ${min} s and ${max} s`);

const envSchema = z.object({
  /** TCP port of the HTTP API. */
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /**
   * Server processes sharing PORT (node:cluster), each on its own core. `auto`: one per core this
   * process may use (the container's CPU quota counts), at most 8, on Redis; one on the memory store
   * (which lives inside one process, so more need REDIS_URL).
   */
  WORKERS: z.union([z.literal('auto'), z.coerce.number().int().min(1).max(64)]).default('auto'),
  /**
   * Unset: the in-process memory store (not durable, one instance only). `redis://[[user]:password@]host:port[/db]`
   * for one server, `redis+cluster://[[user]:password@]h1:p1,h2:p2,…` for a Redis Cluster through its seed
   * nodes (`rediss://`, `rediss+cluster://` for TLS).
   */
  REDIS_URL: z
    .string()
    .superRefine((url, ctx) => {
      try {
        parseRedisUrl(url);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: errorMessage(err) });
      }
    })
    .optional(),
  /**
   * Replicas that must confirm a revocation or wipe before it is acknowledged (Redis `WAIT`), so a
   * primary dying right after it cannot lose it at failover. 0: acknowledged on the primary alone.
   * Set it to 1 or more on a Redis (Cluster) with replicas.
   */
  REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(10).default(0),
  /**
   * The passkey records and the e-mail index live in 2^INDEX_BUCKET_BITS hash buckets each (a hash
   * of a few hundred small entries costs far less than as many storage keys). Fixed for the life of a
   * deployment: the store keeps the value of its first start, and a server configured otherwise
   * refuses to work on it. Default 17 (131,072 buckets: about 229 holders each at 10 M vehicles of 3
   * holders); a fleet far smaller can take fewer (docs/operations.md, "Holder buckets").
   */
  INDEX_BUCKET_BITS: z.coerce.number().int().min(0).max(24).default(17),
  /** How long a revocation or wipe waits for those replicas before it is refused as retryable (STORE_UNAVAILABLE), in ms. */
  REDIS_WAIT_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1000),
  /** The `iss` of every credential, manifest and session token (an http(s) URL). Default `http://localhost:<PORT>`. */
  ISSUER: z
    .string()
    .refine((v) => /^https?:$/.test(URL.parse(v)?.protocol ?? ''), 'must be an http(s) URL such as https://keys.example.com')
    .optional(),
  /** WebAuthn relying-party id (the registrable domain of the phone app's origin). */
  RP_ID: z.string().min(1).default('localhost'),
  /**
   * Comma-separated origins accepted in WebAuthn client data: web origins (`https://app.example.com`) or
   * the Android app's `android:apk-key-hash:…`. Default `http://localhost:<PORT>`.
   */
  RP_ORIGINS: originListSchema().optional(),
  /** Shown in the passkey prompt. */
  RP_NAME: z.string().min(1).default('Smart Digital Key'),
  /** Lifetime of a key credential. Must outlast a maintenance window (R7); refreshed online (R8). Max 7 days. */
  CREDENTIAL_TTL: duration(60, 7 * 86_400).default(24 * 3600),
  /** Lifetime of an API session token. */
  SESSION_TTL: duration(60, 86_400).default(15 * 60),
  /** Lifetime of a WebAuthn ceremony challenge or an enrollment token. */
  CHALLENGE_TTL: duration(30, 3600).default(5 * 60),
  /** At most this many shared keys per vehicle. */
  MAX_SHARED_KEYS: z.coerce.number().int().min(0).max(100).default(5),
  /** Lifetime of a sharing invitation. */
  INVITATION_TTL: duration(60, 30 * 86_400).default(72 * 3600),
  /** A claim by odometer must be within this many km of the telematics reading. */
  ODOMETER_TOLERANCE_KM: z.coerce.number().int().min(0).max(10_000).default(50),
  /** The issuer's private signing key as a P-256 JWK (JSON). Unset: a fresh key each start (development only). */
  ISSUER_PRIVATE_JWK: z.string().optional(),
  /**
   * Issuer key rotation (docs/operations.md): other P-256 JWKs the issuer publishes and cars keep
   * trusting beside the signing key (JSON array). A public one is the next key being announced or the
   * previous one still verifying; a private one also co-signs the cars' trust update.
   */
  ISSUER_EXTRA_JWKS: z.string().optional(),
  /** Requests per minute one client address may make to the anonymous routes (sign-up, login); shared by all instances on Redis, per instance on the memory store. */
  ANONYMOUS_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(120),
  /** How often a car's sync stream gets a heartbeat carrying the vehicle's current seq (a missed manifest is sent then). */
  SYNC_HEARTBEAT: duration(1, 300).default(15),
  // --- Accounts and recovery (R15) ----------------------------------------------------------------
  /** Where links in e-mails point: the customer portal is served at `<PORTAL_URL>/account/`. Default `http://localhost:<PORT>`. */
  PORTAL_URL: z.string().url().optional(),
  /** Lifetime of an e-mail verification link. */
  EMAIL_VERIFICATION_TTL: duration(300, 7 * 86_400).default(24 * 3600),
  /** Lifetime of an e-mail recovery link (short: whoever reads the mailbox can use it). */
  RECOVERY_LINK_TTL: duration(300, 86_400).default(3600),
  /** Lifetime of a dealer-issued recovery code; R15 allows at most 24 h. */
  RECOVERY_CODE_TTL: duration(300, 86_400).default(24 * 3600),
  /** Wrong recovery codes or links one client address may try per hour before it gets RATE_LIMITED (shared by all instances). */
  RECOVERY_GUESSES_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(10),
  // --- Metrics: Prometheus text on their own listener, never on the public port -----------------------
  /** TCP port of the metrics listener (GET /metrics only). 0 picks a free port (logged at start). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Address the metrics listener binds: loopback by default, so only this host (or a sidecar) scrapes. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Set: GET /metrics on the public port too, for `Authorization: Bearer <METRICS_TOKEN>` only (compared
   * in constant time). Unset: the public port answers 404 for /metrics. At least 32 characters.
   */
  METRICS_TOKEN: z.string().regex(/^\S{32,}$/, 'must be at least 32 characters without spaces').optional(),
  /** On SIGTERM/SIGINT, how long requests in flight may take to finish before their connections are cut. */
  SHUTDOWN_TIMEOUT: duration(1, 300).default(10),
  /** `production` makes the start-up checks strict: Redis persistence that can lose acknowledged writes is an error-level warning. */
  NODE_ENV: z.string().default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // --- Subscriptions (R9–R11): prices, retries, the scheduler, the payment gateway -------------------
  /** The customers' calendar: consumer deadlines (R11's 14-day withdrawal) count whole days in this IANA time zone. */
  CUSTOMER_TIME_ZONE: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Brussels').default('Europe/Brussels'),
  /** ISO 4217 currency of every price and charge. */
  SUBSCRIPTION_CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR').default('EUR'),
  /** Price of a monthly plan, per month, in cents (integer; paid in advance, R10). */
  PRICE_MONTHLY_CENTS: z.coerce.number().int().min(0).max(10_000_000).default(499),
  /** Price of a yearly plan, per year, in cents. */
  PRICE_YEARLY_CENTS: z.coerce.number().int().min(0).max(10_000_000).default(4_990),
  /** Price of a multi-year plan per year, in cents (a plan of N years costs N times this, paid up front). */
  PRICE_MULTI_YEAR_CENTS_PER_YEAR: z.coerce.number().int().min(0).max(10_000_000).default(4_490),
  /** Longest multi-year plan, in whole years (the shortest is 2). */
  MULTI_YEAR_MAX_YEARS: z.coerce.number().int().min(2).max(10).default(5),
  /** R10: spacing of the two retries after a failed charge ("over the next two days": 1d). */
  PAYMENT_RETRY_INTERVAL: duration(60, 7 * 86_400).default(86_400),
  /** How often each instance looks for due subscription work (renewals, retries, ends). 0 turns the timer off (tests call runDue). */
  SCHEDULER_INTERVAL: z.union([z.literal('0').transform(() => 0), duration(1, 3600)]).default(30),
  /** How long an instance may hold a vehicle's subscription work before another may take it over (after a crash). */
  SCHEDULER_LEASE: duration(5, 3600).default(120),
  /** The payment provider. Only the simulator exists so far; it moves no money (a loud warning at start). */
  PAYMENT_GATEWAY: z.enum(['simulator']).default('simulator'),
  /** Seed of the simulator's intermittently failing test card (…0119), so its failures are repeatable. */
  PAYMENT_SIMULATOR_SEED: z.string().min(1).max(200).default('sdk-payments'),

  // --- Bounds and retention (issue 11; docs/operations.md "Bounds and retention") ----------------------
  /** Notifications kept in an account's outbox (the newest); the ids of delivered notices and the read marks are bounded with it. */
  OUTBOX_ENTRIES_KEPT: z.coerce.number().int().min(10).max(100_000).default(500),
  /**
   * Full calendar years an audit entry is kept after the year it was written — a vehicle's trail
   * (R13: who, when, why, which keys) and an account's recovery and closure trail (R15) — then it
   * goes. Default 10: the limitation period of contractual claims (art. 2262bis Oud BW); set it to what the law asks of your fleet.
   */
  AUDIT_RETENTION_YEARS: z.coerce.number().int().min(1).max(30).default(10),
  /** Full calendar years a payment ledger line is kept after the year it was written. Default 7: the period Belgian law keeps accounting records (Code of Economic Law, book III). */
  LEDGER_RETENTION_YEARS: z.coerce.number().int().min(1).max(30).default(7),
  /** A bound on the entries of one calendar year of a vehicle's audit trail (the newest stay): a runaway writer cannot grow it without end. */
  VEHICLE_AUDIT_ENTRIES_KEPT: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
  /** A bound on the entries of one calendar year of an account's recovery and closure trail (the newest stay). */
  ACCOUNT_AUDIT_ENTRIES_KEPT: z.coerce.number().int().min(100).max(1_000_000).default(1_000),
  /** A bound on the lines of one calendar year of a vehicle's payment ledger (the newest stay). */
  LEDGER_ENTRIES_KEPT: z.coerce.number().int().min(100).max(1_000_000).default(10_000),
  /**
   * How long the key records of a wiped epoch are kept once the last credential any of them could
   * have had expired; then the scheduler drops them (their ids stay in the wipe's audit entry). 0: at once.
   */
  WIPED_EPOCH_RETENTION: z.union([z.literal('0').transform(() => 0), duration(1, 3650 * 86_400)]).default(0),
});

/** The validated configuration; ISSUER, RP_ORIGINS and PORTAL_URL are always set (they follow PORT when unset). */
export type Config = Omit<z.output<typeof envSchema>, 'ISSUER' | 'RP_ORIGINS' | 'PORTAL_URL'> & { ISSUER: string; RP_ORIGINS: string[]; PORTAL_URL: string };

/** Parse the environment; throws one Error that lists every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined> = process.env): Config {
  const parsed = parseEnvironment(envSchema, env, 'configuration');
  if (parsed.WORKERS !== 'auto' && parsed.WORKERS > 1 && !parsed.REDIS_URL) {
    throw new Error(`invalid configuration:\n  WORKERS: ${parsed.WORKERS} workers need REDIS_URL (the memory store lives inside one process); set REDIS_URL or WORKERS=1`);
  }
  const local = `http://localhost:${parsed.PORT}`;
  return { ...parsed, ISSUER: parsed.ISSUER ?? local, RP_ORIGINS: parsed.RP_ORIGINS ?? [local], PORTAL_URL: parsed.PORTAL_URL ?? local };
}

/** `WORKERS=auto` never starts more than this many processes (each has its own Redis connections, scheduler and caches). */
export const AUTO_WORKERS_MAX = 8;

/** How many server processes to run: WORKERS, with `auto` resolved for the cores this process may use. */
export function workerCount(config: Pick<Config, 'WORKERS' | 'REDIS_URL'>, cores = usableCores()): number {
  if (config.WORKERS !== 'auto') return config.WORKERS;
  return config.REDIS_URL ? Math.min(cores, AUTO_WORKERS_MAX) : 1;
}

/** Defaults that are fine on a laptop and wrong in production. */
export function productionWarnings(config: Config): string[] {
  const warnings: string[] = [];
  if (!config.REDIS_URL) warnings.push('REDIS_URL is unset: using the in-memory store — nothing is durable and only one instance may run');
  if (!config.ISSUER_PRIVATE_JWK) warnings.push('ISSUER_PRIVATE_JWK is unset: a fresh issuer key was generated — credentials die with this process');
  if (config.RP_ID === 'localhost') warnings.push('RP_ID is localhost: passkeys will only work for a local origin');
  if (config.PAYMENT_GATEWAY === 'simulator') warnings.push('PAYMENT_GATEWAY is the simulator: no money moves and test card numbers decide every payment');
  return warnings;
}
