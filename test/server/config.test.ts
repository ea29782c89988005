/** The server's configuration: what it accepts, what it refuses (with the message a person reads), and the defaults that follow PORT. */
import { describe, expect, it } from 'vitest';
import { AUTO_WORKERS_MAX, loadConfig, workerCount } from '../../server/config.js';
import { cpusOfCpuMax } from '../../server/usableCores.js';
import { describeRedisTarget, parseRedisUrl } from '../../server/store/redisUrl.js';

describe('configuration', () => {
  it('ISSUER and RP_ORIGINS follow PORT when unset, and stay as given when set', () => {
    expect(loadConfig({ PORT: '9100' })).toMatchObject({ ISSUER: 'http://localhost:9100', RP_ORIGINS: ['http://localhost:9100'] });
    expect(loadConfig({})).toMatchObject({ ISSUER: 'http://localhost:8080', RP_ORIGINS: ['http://localhost:8080'] });
    expect(loadConfig({ PORT: '9100', ISSUER: 'https://keys.example.com', RP_ORIGINS: 'https://app.example.com, android:apk-key-hash:' + 'A'.repeat(43) })).toMatchObject({
      ISSUER: 'https://keys.example.com',
      RP_ORIGINS: ['https://app.example.com', 'android:apk-key-hash:' + 'A'.repeat(43)],
    });
  });

  it.each([
    ['notanorigin'],
    ['https://app.example.com/'],
    ['https://app.example.com/path'],
    ['ftp://app.example.com'],
    ['https://app.example.com,javascript:alert(1)'],
    ['android:apk-key-hash:short'],
  ])('RP_ORIGINS=%s is refused: each entry must be an origin', (value) => {
    expect(() => loadConfig({ RP_ORIGINS: value })).toThrow(/RP_ORIGINS: ".*" is not an origin/);
  });

  it.each([['keys.example.com'], ['ftp://keys.example.com'], ['not a url']])('ISSUER=%s is refused', (value) => {
    expect(() => loadConfig({ ISSUER: value })).toThrow(/ISSUER: must be an http\(s\) URL/);
  });

  it('PORTAL_URL follows PORT when unset (e-mailed links point at this server), and stays as given when set', () => {
    expect(loadConfig({ PORT: '9100' }).PORTAL_URL).toBe('http://localhost:9100');
    expect(loadConfig({}).PORTAL_URL).toBe('http://localhost:8080');
    expect(loadConfig({ PORT: '9100', PORTAL_URL: 'https://my.example.com' }).PORTAL_URL).toBe('https://my.example.com');
  });

  it('REDIS_URL: the cluster form with several seed nodes is accepted (new URL() cannot parse it)', () => {
    expect(loadConfig({ REDIS_URL: 'redis+cluster://h1:7000,h2:7001,h3' }).REDIS_URL).toBe('redis+cluster://h1:7000,h2:7001,h3');
    expect(parseRedisUrl('redis+cluster://:pw@h1:7000,[::1]:7001')).toEqual({ kind: 'cluster', tls: false, password: 'pw', nodes: [{ host: 'h1', port: 7000 }, { host: '::1', port: 7001 }] });
    expect(describeRedisTarget(parseRedisUrl('rediss://user:pw@redis.example:6380/2'))).toBe('redis redis.example:6380');
    expect(describeRedisTarget(parseRedisUrl('redis+cluster://user:pw@h1:7000,h2:7001'))).toBe('redis cluster h1:7000,h2:7001');
  });

  it.each([
    ['http://user:secret@redis.example:6379', /REDIS_URL: the Redis URL must start with redis:\/\//],
    ['redis+cluster://user:secret@h1:p1,h2:6380', /REDIS_URL: every Redis Cluster seed node must be host:port/],
    ['redis+cluster://user:secret@h1:70000', /REDIS_URL: a Redis port must be between 1 and 65535/],
    ['redis://user:secret@redis.example/abc', /REDIS_URL: the Redis URL path must be a database number/],
  ])('REDIS_URL=%s is refused with a sentence that does not echo the password', (value, message) => {
    let text = '';
    try {
      loadConfig({ REDIS_URL: value });
    } catch (err) {
      text = (err as Error).message;
    }
    expect(text).toMatch(message);
    expect(text).not.toContain('secret');
  });

  it('SHUTDOWN_TIMEOUT is a duration (default 10 s)', () => {
    expect(loadConfig({}).SHUTDOWN_TIMEOUT).toBe(10);
    expect(loadConfig({ SHUTDOWN_TIMEOUT: '30s' }).SHUTDOWN_TIMEOUT).toBe(30);
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT: 'soon' })).toThrow(/SHUTDOWN_TIMEOUT/);
  });

  it('bounds and retention (issue 11): the documented defaults, durations and counts accepted, nonsense refused', () => {
    expect(loadConfig({})).toMatchObject({ OUTBOX_ENTRIES_KEPT: 500, VEHICLE_AUDIT_ENTRIES_KEPT: 10_000, ACCOUNT_AUDIT_ENTRIES_KEPT: 1_000, LEDGER_ENTRIES_KEPT: 10_000, WIPED_EPOCH_RETENTION: 0 });
    expect(loadConfig({ WIPED_EPOCH_RETENTION: '30d', VEHICLE_AUDIT_ENTRIES_KEPT: '50000' })).toMatchObject({ WIPED_EPOCH_RETENTION: 30 * 86_400, VEHICLE_AUDIT_ENTRIES_KEPT: 50_000 });
    expect(loadConfig({ WIPED_EPOCH_RETENTION: '0' }).WIPED_EPOCH_RETENTION).toBe(0);
    expect(() => loadConfig({ WIPED_EPOCH_RETENTION: 'forever' })).toThrow(/WIPED_EPOCH_RETENTION/);
    expect(() => loadConfig({ OUTBOX_ENTRIES_KEPT: '0' })).toThrow(/OUTBOX_ENTRIES_KEPT/);
    expect(() => loadConfig({ VEHICLE_AUDIT_ENTRIES_KEPT: '10.5' })).toThrow(/VEHICLE_AUDIT_ENTRIES_KEPT/);
    expect(() => loadConfig({ LEDGER_ENTRIES_KEPT: 'all' })).toThrow(/LEDGER_ENTRIES_KEPT/);
    expect(() => loadConfig({ ACCOUNT_AUDIT_ENTRIES_KEPT: '-1' })).toThrow(/ACCOUNT_AUDIT_ENTRIES_KEPT/);
  });
});

describe('WORKERS', () => {
  const redis = 'redis://127.0.0.1:6390';
  it('auto: one per usable core on Redis, at most AUTO_WORKERS_MAX; one on the memory store', () => {
    const auto = loadConfig({ REDIS_URL: redis });
    expect([workerCount(auto, 2), workerCount(auto, 64)]).toEqual([2, AUTO_WORKERS_MAX]);
    expect(workerCount(loadConfig({}), 64)).toBe(1);
    expect(workerCount(loadConfig({ REDIS_URL: redis, WORKERS: '3' }), 64)).toBe(3);
  });

  it('more than one without REDIS_URL, 0 or a word are refused', () => {
    expect(() => loadConfig({ WORKERS: '2' })).toThrow(/WORKERS: 2 workers need REDIS_URL/);
    expect(() => loadConfig({ WORKERS: '0', REDIS_URL: redis })).toThrow(/WORKERS/);
    expect(() => loadConfig({ WORKERS: 'many', REDIS_URL: redis })).toThrow(/WORKERS/);
  });

  it("a container's CPU quota (cgroup v2 cpu.max) counts: quota / period, rounded up; max is none", () => {
    expect([cpusOfCpuMax('200000 100000\n'), cpusOfCpuMax('150000 100000'), cpusOfCpuMax('50000 100000'), cpusOfCpuMax('max 100000'), cpusOfCpuMax('')]).toEqual([2, 2, 1, null, null]);
  });
});
