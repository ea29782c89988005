/**
 * Redis footprint per digital key (issue 11). One throwaway redis-server, the real app on it (a
 * manual clock), and N vehicles populated through the HTTP API the phones use: the owner signs up
 * (passkey), verifies the address, claims by odometer, activates Standard Services, starts the trial
 * and gets a main key; two guests sign up, verify, and accept an invitation each (3 keys, 3 holder
 * accounts, 3 passkeys per vehicle). `INFO memory` used_memory is read before and after, once a
 * warm-up batch has loaded the scripts and connections, so the difference is what the vehicles
 * cost; `MEMORY USAGE` of every key, summed by key family, says where the bytes go.
 *
 * Then what a key's life leaves behind: every vehicle's keys are wiped (a dealer's revoke-all, R4),
 * the clock moves past the last credential any wiped key could have (plus WIPED_EPOCH_RETENTION),
 * the scheduler runs (retention), and the same holders log in again and get new keys the same way;
 * the growth over the figure before the wipe, per key, is what a re-key leaves. That runs twice:
 * the first wipe of a year also makes the vehicle's audit list for the year (R13), the second shows
 * what a re-key leaves once the list is there. Last, each owner
 * revokes one shared key, the clock moves past its last credential, the scheduler runs, and the
 * growth per revoked key is what a revocation leaves. The audit trail (R13, kept by law under its
 * own bound) is shown apart.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ManualClock } from '../../shared/clock.js';
import { DEFAULT_SKEW_SECONDS, MAX_CREDENTIAL_LIFETIME_SECONDS } from '../../shared/credential/keyCredential.js';
import type { PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { revokeAllKeysByDealer } from '../../server/keys/revokeAllKeysByDealer.js';
import { loadConfig } from '../../server/config.js';
import { RECOMMENDED_LISTPACK } from '../../server/store/footprintWarnings.js';
import { createRedisStore } from '../../server/store/redisStore.js';
import { shareKey } from '../support/ownerFixtures.js';
import { startRedisServer } from '../support/redisServer.js';
import { startTestServer, type TestServer } from '../support/testServer.js';
import { fmt, progress, runPool, type BenchOptions, type BenchReport, type BenchSection, type BenchTable } from './benchSupport.js';
import { MemoryReader, type Family, type Snapshot } from './redisMemory.js';

/** Keys and holders per vehicle in this bench (the sizing case). */
const KEYS_PER_VEHICLE = 3;
const FLEET = 10_000_000;
/** Vehicles populated at once (HTTP requests in flight). */
const CONCURRENCY = 4;
/** The server's default INDEX_BUCKET_BITS, as its configuration says. */
const DEFAULT_BUCKET_BITS = loadConfig({}).INDEX_BUCKET_BITS;
/** Holders per bucket at fleet scale: 10 M vehicles' 30 M holders over the default 2^INDEX_BUCKET_BITS buckets. */
const FLEET_HOLDERS_PER_BUCKET = (FLEET * KEYS_PER_VEHICLE) / 2 ** DEFAULT_BUCKET_BITS;

/**
 * The bucket bits that give this bench's holders (warm-up included) the per-bucket density of the
 * fleet under the default INDEX_BUCKET_BITS: the nearest power of two, so a bucket holds between
 * 0.7 and 1.4 times as many. A bucket's own cost (its storage key, some 100 B) is spread over its
 * holders either way; at 2^17 buckets for a few hundred vehicles each bucket would hold one holder.
 */
function benchBucketBits(holders: number): number {
  return Math.max(0, Math.round(Math.log2(holders / FLEET_HOLDERS_PER_BUCKET)));
}

interface Vehicle {
  vin: string;
  owner: PhoneApp;
  guests: PhoneApp[];
}

/** What changed in MEMORY STATS from `a` to `b` (the larger moves), per `per`. */
function statsDelta(a: Snapshot, b: Snapshot, per: number): Record<string, number> {
  return Object.fromEntries(
    Object.keys(b.stats)
      .filter((k) => !k.startsWith('allocator') && !k.includes('fragmentation') && !k.includes('rss') && Math.abs((b.stats[k] ?? 0) - (a.stats[k] ?? 0)) >= per)
      .map((k) => [k, Math.round(((b.stats[k] ?? 0) - (a.stats[k] ?? 0)) / per)]),
  );
}

async function signedUpPhone(t: TestServer, label: string): Promise<PhoneApp> {
  const phone = t.phone();
  const email = `${label}-${randomBytes(6).toString('hex')}@example.com`;
  await phone.signUp(email, label);
  // What a user does with the link: it is used once and gone.
  await t.verifyEmail(email);
  return phone;
}

async function populate(t: TestServer): Promise<Vehicle> {
  const v = await t.provision();
  const owner = await signedUpPhone(t, 'owner');
  await owner.claim(v.vin, { method: 'odometer', odometerKm: v.odometerKm });
  await owner.activateStandardServices(v.vin);
  await owner.api.request('POST', `/v1/vehicles/${v.vin}/subscriptions`, { plan: 'trial' });
  await owner.requestKey(v.vin);
  const guests: PhoneApp[] = [];
  for (let i = 0; i < KEYS_PER_VEHICLE - 1; i++) {
    const guest = await signedUpPhone(t, 'guest');
    await shareKey(owner, guest, v.vin);
    guests.push(guest);
  }
  return { vin: v.vin, owner, guests };
}

/** After the wipe: the same holders log in again (their sessions expired meanwhile) and get keys the same way. */
async function rekey(v: Vehicle): Promise<void> {
  await v.owner.logIn();
  await v.owner.requestKey(v.vin);
  for (const guest of v.guests) {
    await guest.logIn();
    await shareKey(v.owner, guest, v.vin);
  }
}

/** The owner revokes the first guest's key. */
async function revokeOneSharedKey(v: Vehicle): Promise<void> {
  const guest = v.guests[0]!;
  const keyId = guest.wallet.get(v.vin)?.keyId;
  if (!keyId) throw new Error('the guest holds no key');
  await v.owner.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${keyId}`);
}

/** Growth from `a` to `b` by family (only families that changed), largest first. */
function growth(a: Map<string, Family>, b: Map<string, Family>, per: number): Array<Record<string, string | number>> {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names]
    .map((name) => ({ name, keys: (b.get(name)?.keys ?? 0) - (a.get(name)?.keys ?? 0), bytes: (b.get(name)?.bytes ?? 0) - (a.get(name)?.bytes ?? 0) }))
    .filter((d) => d.keys !== 0 || d.bytes !== 0)
    .sort((x, y) => y.bytes - x.bytes)
    .map((d) => ({ family: d.name, 'keys Δ': d.keys, 'bytes Δ': d.bytes, [`bytes Δ per ${per === 1 ? 'unit' : 'key'}`]: Math.round(d.bytes / per) }));
}

function familyTable(title: string, fams: Map<string, Family>, vehicles: number): BenchTable {
  const rows = [...fams]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([family, f]) => ({
      family,
      keys: f.keys,
      bytes: f.bytes,
      'per vehicle': Math.round(f.bytes / vehicles),
      'per key': Math.round(f.bytes / vehicles / KEYS_PER_VEHICLE),
      encoding: [...f.encodings].sort().join(','),
    }));
  return { title, rows };
}

function sumBytes(fams: Map<string, Family>, pick: (name: string) => boolean = () => true): number {
  return [...fams].filter(([name]) => pick(name)).reduce((s, [, f]) => s + f.bytes, 0);
}

const isAudit = (name: string) => /:audit(:<[a-z]+>|:\d+)?$/.test(name);

/**
 * Redis settings the bench applies to its throwaway server (CONFIG SET): by default the listpack
 * limits docs/operations.md tells operators to set (server/store/footprintWarnings.ts); else
 * FOOTPRINT_REDIS_CONFIG ("name value[, name value…]", e.g. "hash-max-listpack-value 256"; "none":
 * the server's own). The summary's title and results.json say which limits the figures were measured with.
 */
function redisSettingsFromEnv(): Array<[string, string]> {
  const recommended = `hash-max-listpack-entries ${RECOMMENDED_LISTPACK.entries}, hash-max-listpack-value ${RECOMMENDED_LISTPACK.value}`;
  const asked = process.env.FOOTPRINT_REDIS_CONFIG ?? recommended;
  return (asked.trim() === 'none' ? '' : asked)
    .split(',')
    .map((part) => part.trim().split(/\s+/))
    .filter((words): words is [string, string] => words.length === 2 && words[0] !== '');
}

async function measure(opts: BenchOptions, settings: Array<[string, string]>): Promise<BenchReport> {
  const n = opts.quick ? 40 : 200;
  const warmUp = opts.quick ? 4 : 10;
  const bucketBits = benchBucketBits((n + warmUp) * KEYS_PER_VEHICLE);
  const holdersPerBucket = ((n + warmUp) * KEYS_PER_VEHICLE) / 2 ** bucketBits;
  const configured = settings.map(([name, value]) => `${name} ${value}`).join(', ') || 'the server’s own settings';
  const redisServer = await opts.stage(`start a throwaway redis-server (${configured})`, () => startRedisServer());
  const raw = new Redis(redisServer.url);
  for (const [name, value] of settings) await raw.call('CONFIG', 'SET', name, value);
  const store = createRedisStore({ url: redisServer.url });
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  let t: TestServer | null = null;
  let reader: MemoryReader | null = null;
  try {
    t = await startTestServer({ store, clock, env: { INDEX_BUCKET_BITS: String(bucketBits) } });
    const app = t;
    const retentionSeconds = app.config.WIPED_EPOCH_RETENTION;
    const redisVersion = /^redis_version:(\S+)/m.exec(await raw.info('server'))?.[1] ?? 'unknown';
    const listpackLimits = (await raw.call('CONFIG', 'GET', 'hash-max-listpack-*')) as string[];

    // The warm-up goes through a key's whole life (wipe, retention, re-key, revocation): Redis
    // allocates state of its own at a command's first use (latency-tracking keeps a histogram of
    // some 50 KB per command), which no fleet size changes; a figure must not charge it to keys.
    await opts.stage(`warm-up: ${warmUp} vehicles through a key's whole life (scripts, connections, every command's first use)`, async () => {
      const warm = await runPool(warmUp, CONCURRENCY, () => populate(app));
      await runPool(warmUp, CONCURRENCY, (i) => revokeAllKeysByDealer(app.app.ctx, { vin: warm[i]!.vin, dealer: '3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41', reason: 'footprint bench warm-up' }));
      clock.advance((MAX_CREDENTIAL_LIFETIME_SECONDS + DEFAULT_SKEW_SECONDS + retentionSeconds + 60) * 1000);
      await app.app.scheduler.runDue();
      await runPool(warmUp, CONCURRENCY, (i) => rekey(warm[i]!));
      await runPool(warmUp, CONCURRENCY, (i) => revokeOneSharedKey(warm[i]!));
      clock.advance((MAX_CREDENTIAL_LIFETIME_SECONDS + DEFAULT_SKEW_SECONDS + 60) * 1000);
      await app.app.scheduler.runDue();
    });
    reader = await MemoryReader.open(raw);
    const snapshot = reader.snapshot.bind(reader);
    const before = await snapshot();
    const vehicles = await opts.stage(`populate ${n} vehicles over HTTP (claim, trial, main key, 2 invitations accepted)`, () =>
      runPool(n, CONCURRENCY, () => populate(app), progress(opts.log, 'vehicles', n)),
    );
    const populated = await snapshot();
    const keys = n * KEYS_PER_VEHICLE;
    const perKey = (populated.used - before.used) / keys;
    const perVehicle = (populated.used - before.used) / n;
    const familiesOfFleet = new Map([...populated.families].map(([name, f]) => [name, { ...f, keys: f.keys - (before.families.get(name)?.keys ?? 0), bytes: f.bytes - (before.families.get(name)?.bytes ?? 0) }]));
    const memoryUsagePerKey = sumBytes(familiesOfFleet) / keys;

    // --- Re-key after a wipe, twice ------------------------------------------------------------
    // The first wipe of a year also makes the vehicle's audit list for that year (R13); the second
    // shows what a re-key leaves once the list is there, as it is for a vehicle that had any
    // revocation or wipe that year.
    const cycle = async (round: string) => {
      await opts.stage(`${round} wipe of every key of the ${n} vehicles (a dealer's revoke-all)`, () =>
        runPool(n, CONCURRENCY, (i) => revokeAllKeysByDealer(app.app.ctx, { vin: vehicles[i]!.vin, dealer: '3f2b8c1e-9d4a-4e6b-a1f0-5c7d2e9b8a41', reason: 'footprint bench' })),
      );
      const wiped = await snapshot();
      clock.advance((MAX_CREDENTIAL_LIFETIME_SECONDS + DEFAULT_SKEW_SECONDS + retentionSeconds + 60) * 1000);
      const schedulerRun = await opts.stage('move the clock past the last credential of the wiped keys; run the scheduler (retention)', () => app.app.scheduler.runDue());
      const afterRetention = await snapshot();
      await opts.stage(`re-key: the same ${keys} holders log in again and get new keys`, () => runPool(n, CONCURRENCY, (i) => rekey(vehicles[i]!), progress(opts.log, 'vehicles', n)));
      return { wiped, afterRetention, rekeyed: await snapshot(), schedulerRun };
    };
    const clientBuffers = (a: Snapshot, b: Snapshot) => (b.stats['clients.normal'] ?? 0) - (a.stats['clients.normal'] ?? 0);
    /** What a re-key left per key from `a` to `b`: all, the audit trail's part, the client buffers' part. */
    const left = (a: Snapshot, b: Snapshot) => ({
      all: (b.used - a.used) / keys,
      audit: (sumBytes(b.families, isAudit) - sumBytes(a.families, isAudit)) / keys,
      clients: clientBuffers(a, b) / keys,
    });
    const first = await cycle('first');
    const { wiped, afterRetention, rekeyed: rekeyedOnce, schedulerRun: retention1 } = first;
    const firstLeft = left(populated, rekeyedOnce);
    const second = await cycle('second');
    const rekeyed = second.rekeyed;
    const secondLeft = left(rekeyedOnce, rekeyed);

    // --- One revocation per vehicle ---------------------------------------------------------------
    await opts.stage(`each owner revokes one shared key (${n} revocations)`, () =>
      runPool(n, CONCURRENCY, (i) => revokeOneSharedKey(vehicles[i]!)),
    );
    const revokedNow = await snapshot();
    clock.advance((MAX_CREDENTIAL_LIFETIME_SECONDS + DEFAULT_SKEW_SECONDS + 60) * 1000);
    const retention2 = await opts.stage('move the clock past the revoked keys’ last credentials; run the scheduler (retention)', () => app.app.scheduler.runDue());
    const revoked = await snapshot();
    const revocationLeft = (revoked.used - rekeyed.used) / n;
    const revocationAudit = (sumBytes(revoked.families, isAudit) - sumBytes(rekeyed.families, isAudit)) / n;
    const revocationClients = clientBuffers(rekeyed, revoked) / n;

    const projectionGB = (perVehicle * FLEET) / 1e9;
    const summary: BenchTable = {
      title: `Footprint on Redis ${redisVersion}, ${configured} (${listpackLimits.join(' ')}; INFO memory used_memory; ${n} vehicles after ${warmUp} warm-up; holder buckets: INDEX_BUCKET_BITS=${bucketBits}, ${Math.round(holdersPerBucket)} holders a bucket, as 10 M vehicles give the default ${DEFAULT_BUCKET_BITS} about ${Math.round(FLEET_HOLDERS_PER_BUCKET)})`,
      rows: [
        { figure: 'bytes per digital key, all-in', value: perKey, target: '≤ 1024' },
        { figure: 'bytes per vehicle (3 keys, 3 holders)', value: perVehicle, target: '≤ 3072' },
        { figure: `projection for ${fmt(FLEET)} vehicles (GB)`, value: projectionGB, target: `≤ ${fmt((3072 * FLEET) / 1e9)}` },
        { figure: 'MEMORY USAGE sum per key (no dict overhead)', value: memoryUsagePerKey, target: '' },
        { figure: 'left per key by the first re-key after a wipe (all; it makes the year’s audit list)', value: firstLeft.all, target: '≤ 100' },
        { figure: '… of which the audit trail (R13, kept by law)', value: firstLeft.audit, target: '' },
        { figure: '… of which client connection buffers (MEMORY STATS clients.normal: not data)', value: firstLeft.clients, target: '' },
        { figure: 'left per key by a second re-key (all; the year’s audit list is there)', value: secondLeft.all, target: '≤ 100' },
        { figure: '… of which the audit trail (R13, kept by law)', value: secondLeft.audit, target: '' },
        { figure: '… of which client connection buffers (not data)', value: secondLeft.clients, target: '' },
        { figure: 'left per revoked key once its credentials expired (all)', value: revocationLeft, target: '' },
        { figure: '… of which the audit trail (R13, kept by law)', value: revocationAudit, target: '' },
        { figure: '… of which client connection buffers (not data)', value: revocationClients, target: '' },
      ],
    };
    return {
      tables: [
        summary,
        familyTable(`Where the bytes go (MEMORY USAGE by key family, the ${n} vehicles)`, familiesOfFleet, n),
        { title: 'What the wipe left before retention (MEMORY USAGE Δ over the populated fleet)', rows: growth(populated.families, wiped.families, keys) },
        { title: 'What the first re-key left (MEMORY USAGE Δ over the populated fleet)', rows: growth(populated.families, rekeyedOnce.families, keys) },
        { title: 'What the second re-key left (MEMORY USAGE Δ over the first)', rows: growth(rekeyedOnce.families, rekeyed.families, keys) },
        { title: 'What a revocation left once expired (MEMORY USAGE Δ per revoked key)', rows: growth(rekeyed.families, revoked.families, n) },
      ],
      results: {
        redisVersion,
        listpackLimits,
        indexBucketBits: bucketBits,
        holdersPerBucket: Math.round(holdersPerBucket),
        fleetHoldersPerBucket: Math.round(FLEET_HOLDERS_PER_BUCKET),
        vehicles: n,
        warmUpVehicles: warmUp,
        keysPerVehicle: KEYS_PER_VEHICLE,
        holdersPerVehicle: KEYS_PER_VEHICLE,
        usedMemoryBytes: { beforeFleet: before.used, populated: populated.used, wiped: wiped.used, afterRetention: afterRetention.used, rekeyed: rekeyedOnce.used, wipedAgain: second.wiped.used, afterRetentionAgain: second.afterRetention.used, rekeyedAgain: rekeyed.used, revoked: revokedNow.used, revokedAfterRetention: revoked.used },
        bytesPerKey: Math.round(perKey),
        bytesPerVehicle: Math.round(perVehicle),
        projection10MVehiclesGB: Math.round(projectionGB * 10) / 10,
        memoryUsageSumPerKey: Math.round(memoryUsagePerKey),
        byFamily: Object.fromEntries([...familiesOfFleet].map(([name, f]) => [name, { keys: f.keys, bytes: f.bytes, perVehicle: Math.round(f.bytes / n), encodings: [...f.encodings] }])),
        memoryStatsDeltaPerKey: { populated: statsDelta(before, populated, keys), rekeyLeft: statsDelta(populated, rekeyedOnce, keys), secondRekeyLeft: statsDelta(rekeyedOnce, rekeyed, keys) },
        rekey: { leftBytesPerKey: Math.round(firstLeft.all), ofWhichAuditPerKey: Math.round(firstLeft.audit), ofWhichClientBuffersPerKey: Math.round(firstLeft.clients), schedulerRun: retention1 },
        secondRekey: { leftBytesPerKey: Math.round(secondLeft.all), ofWhichAuditPerKey: Math.round(secondLeft.audit), ofWhichClientBuffersPerKey: Math.round(secondLeft.clients), schedulerRun: second.schedulerRun },
        revocation: { leftBytesPerRevokedKey: Math.round(revocationLeft), ofWhichAuditPerRevokedKey: Math.round(revocationAudit), ofWhichClientBuffersPerRevokedKey: Math.round(revocationClients), schedulerRun: retention2 },
      },
      notes: [
        'used_memory is read after a warm-up batch that goes through a key’s whole life (populate, wipe, retention, re-key, revocation), so the Lua script cache, client buffers and what Redis allocates at a command’s first use (latency-tracking: a histogram of some 50 KB per command, whatever the fleet) are not charged to the fleet; it includes the keyspace dictionary (about 8–16 B per key) that MEMORY USAGE leaves out.',
        'Reading memory costs memory (the first MEMORY STATS, the reading connection’s buffers): the readings run on one connection of their own that has read once before the first snapshot, and used_memory is read last (test/bench/redisMemory.ts). Client buffers still move used_memory by some 10–20 KB between readings: about 100–170 B per key at 40 vehicles (--quick), 20–35 B at 200.',
        `E-mail links are used as a user would (verified); ceremony challenges are single-use. Hash encodings depend on hash-max-listpack-* (${listpackLimits.join(' ')}): a hash with a value over the limit becomes a hashtable.`,
        'The re-key and revocation figures compare INFO used_memory after retention ran (the scheduler, on the test clock) with the figure before the wipe; the audit trail is shown apart because R13 keeps it (AUDIT_RETENTION_YEARS after its year).',
      ],
    };
  } finally {
    reader?.close();
    await t?.close();
    await store.close();
    raw.disconnect();
    await redisServer.stop();
  }
}

export const footprintBench: BenchSection = {
  name: 'footprint',
  description: 'Redis bytes per digital key all-in (3 keys, 3 holders per vehicle), a projection for 10 M vehicles, and what a re-key and a revocation leave behind, under the recommended listpack limits (FOOTPRINT_REDIS_CONFIG="name value" measures under other Redis settings, "none" under the server\'s own)',
  async run(opts) {
    const settings = redisSettingsFromEnv();
    const report = await measure(opts, settings);
    return { ...report, results: { redisConfigSet: Object.fromEntries(settings), ...report.results } };
  },
};
