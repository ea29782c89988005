/**
 * Throwaway Redis servers and clusters for tests. Each runs `redis-server` on a free loopback port
 * with no persistence, in a fresh temporary directory, and never touches the Redis that may be
 * running on 127.0.0.1:6379. Servers die with the test process: `stop()` in `afterAll`, a kill on
 * process exit, and a small watchdog process that kills the server if this process is killed
 * outright (SIGKILL gives no `exit` event).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** A running throwaway `redis-server`. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, for createRedisStore. */
  url: string;
  port: number;
  /** The server's process id (to pause it with SIGSTOP, say). */
  pid: number;
  /** Kill the server and remove its directory (idempotent). */
  stop(): Promise<void>;
}

/** A running throwaway Redis Cluster (masters, and replicas when asked for). */
export interface RedisCluster {
  /** `redis+cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,…`, for createRedisStore. */
  url: string;
  /** The client port of every master (as created; a failover may promote a replica later). */
  ports: number[];
  /** Every node as started (masters first), with its process id, to pause or kill one. */
  nodes: Array<{ port: number; pid: number }>;
  /** Kill every node and remove their directories (idempotent). */
  stop(): Promise<void>;
}

/** A decoded RESP2 reply. */
export type RespValue = string | number | null | Error | RespValue[];

const HOST = '127.0.0.1';
/** The shared development Redis: never ours to use. */
const RESERVED_PORT = 6379;
const START_TIMEOUT_MS = 10_000;
const CLUSTER_OK_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 3_000;

/** Servers started by this process and not stopped yet, killed on exit whatever happens. */
const running = new Set<{ child: ChildProcess; dir: string; disarm(): void }>();
let exitHookInstalled = false;

/**
 * Start one `redis-server` on a free loopback port (or on `port`, for a server that comes up where
 * a client already waits) and wait until it answers PING. `args` are more server options (a bench
 * passes `--enable-debug-command local` to read DEBUG HTSTATS).
 *
 * @example
 * ```ts
 * let redis: RedisServer;
 * beforeAll(async () => { redis = await startRedisServer(); });
 * afterAll(async () => { await redis?.stop(); });
 * ```
 */
export async function startRedisServer(opts: { port?: number; args?: string[] } = {}): Promise<RedisServer> {
  if (opts.port === RESERVED_PORT) throw new Error('refusing to start a Redis on port 6379');
  return withPortRetries(async () => {
    const port: number = opts.port ?? (await pickPorts(1, false))[0]!;
    const node = await launch(port, opts.args ?? []);
    return { url: `redis://${HOST}:${port}`, port, pid: node.pid, stop: node.stop };
  });
}

/**
 * Start a Redis Cluster of `masters` masters, each with `replicasPerMaster` replicas (default 0), on
 * free loopback ports whose cluster-bus ports (port + 10000) are free too, join it with `redis-cli
 * --cluster create`, and wait until every node reports `cluster_state:ok` and every replica is in sync.
 */
export async function startRedisCluster(opts: { masters: number; replicasPerMaster?: number } = { masters: 3 }): Promise<RedisCluster> {
  if (opts.masters < 3) throw new RangeError('a Redis Cluster needs at least 3 masters');
  const replicas = opts.replicasPerMaster ?? 0;
  return withPortRetries(async () => {
    const ports = await pickPorts(opts.masters * (1 + replicas), true);
    const settled = await Promise.allSettled(
      ports.map((port) =>
        launch(port, ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']),
      ),
    );
    const nodes = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const stop = async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    };
    try {
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      await promisify(execFile)(
        'redis-cli',
        ['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
        { timeout: CLUSTER_OK_TIMEOUT_MS },
      );
      await until(CLUSTER_OK_TIMEOUT_MS, 'the cluster did not reach cluster_state:ok', async () => {
        const infos = await Promise.all(ports.map((p) => redisCommand(p, ['CLUSTER', 'INFO']).catch(() => '')));
        return infos.every((info) => typeof info === 'string' && info.includes('cluster_state:ok'));
      });
      if (replicas > 0) {
        await until(CLUSTER_OK_TIMEOUT_MS, 'the replicas did not sync with their masters', async () => {
          const roles = await Promise.all(ports.map((p) => redisCommand(p, ['INFO', 'replication']).catch(() => '')));
          return roles.every((info) => typeof info === 'string' && (info.includes('role:master') || info.includes('master_link_status:up')));
        });
      }
    } catch (err) {
      await stop();
      throw err;
    }
    const masterPorts = replicas === 0 ? ports : (await clusterNodes(ports[0]!)).filter((n) => n.role === 'master').map((n) => n.port);
    return { url: `redis+cluster://${masterPorts.map((p) => `${HOST}:${p}`).join(',')}`, ports: masterPorts, nodes: nodes.map((n, i) => ({ port: ports[i]!, pid: n.pid })), stop };
  });
}

/** One node as CLUSTER NODES describes it. */
export interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** The id of the master a replica follows. */
  masterId: string | null;
  /** Flagged `fail` or `fail?` by the node asked. */
  failing: boolean;
  /** Slot ranges a master serves, inclusive. */
  slots: Array<[number, number]>;
}

/** The cluster's nodes as the node on `port` sees them (CLUSTER NODES). */
export async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const text = await redisCommand(port, ['CLUSTER', 'NODES']);
  if (typeof text !== 'string') throw new Error('CLUSTER NODES did not answer text');
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, master, , , , , ...slots] = line.split(' ');
      return {
        id: id!,
        port: Number(/:(\d+)@/.exec(address!)?.[1]),
        role: flags!.includes('master') ? ('master' as const) : ('replica' as const),
        masterId: master === '-' ? null : master!,
        failing: /(^|,)fail\??(,|$)/.test(flags!),
        slots: slots.filter((r) => /^\d/.test(r)).map((r) => {
          const [from, to] = r.split('-').map(Number);
          return [from!, to ?? from!] as [number, number];
        }),
      };
    });
}

/**
 * Send one command to a server over a plain socket (no client library, no cluster redirects) and
 * return its decoded reply; a Redis error reply comes back as an `Error` value, not a rejection.
 */
export function redisCommand(port: number, args: string[], timeoutMs = 1000): Promise<RespValue> {
  if (port === RESERVED_PORT) return Promise.reject(new Error('refusing to talk to the Redis on port 6379'));
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port });
    let data = Buffer.alloc(0);
    const finish = (err: Error | null, value?: RespValue) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value ?? null);
    };
    const timer = setTimeout(() => finish(new Error(`no reply from port ${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (err) => finish(err));
    socket.on('connect', () => {
      socket.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      const parsed = parseResp(data, 0);
      if (parsed) finish(null, parsed.value);
    });
  });
}

/** One RESP2 value at `offset`, or undefined when more bytes are needed. */
function parseResp(buf: Buffer, offset: number): { value: RespValue; next: number } | undefined {
  const eol = buf.indexOf('\r\n', offset);
  if (eol < 0) return undefined;
  const line = buf.toString('utf8', offset + 1, eol);
  const next = eol + 2;
  switch (String.fromCharCode(buf[offset]!)) {
    case '+':
      return { value: line, next };
    case '-':
      return { value: new Error(line), next };
    case ':':
      return { value: Number(line), next };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), next: next + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseResp(buf, at);
        if (!item) return undefined;
        items.push(item.value);
        at = item.next;
      }
      return { value: items, next: at };
    }
    default:
      throw new Error('not a RESP reply');
  }
}

/** Start redis-server on `port` and wait until it answers PING; stop() kills it and cleans up. */
async function launch(port: number, extraArgs: string[]): Promise<{ pid: number; stop(): Promise<void> }> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'sdk-redis-'));
  const args = ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir];
  const child = spawn('redis-server', [...args, '--loglevel', 'warning', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer | string) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let ended = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      ended = true;
      resolve();
    });
    child.once('error', (err) => {
      keep(`${err.message}\n`);
      ended = true;
      resolve();
    });
  });
  // If this process is SIGKILLed, the watchdog's stdin closes and it kills the server and removes
  // its directory. (Only with a real pid: `kill -9 0` would kill our own process group.)
  const watchdog =
    child.pid === undefined
      ? undefined
      : spawn('sh', ['-c', 'read -r line; kill -9 "$1" 2>/dev/null; sleep 0.2; rm -rf "$2"', 'sh', String(child.pid), dir], {
          stdio: ['pipe', 'ignore', 'ignore'],
        });
  const disarm = () => {
    watchdog?.kill('SIGKILL');
    watchdog?.stdin?.destroy();
  };
  const entry = { child, dir, disarm };
  running.add(entry);
  // Neither the server nor the watchdog keeps the test process alive; the exit hook kills them.
  for (const c of [child, watchdog]) c?.unref();
  for (const s of [child.stdout, child.stderr, watchdog?.stdin]) (s as unknown as { unref?(): void } | undefined)?.unref?.();

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (!ended) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      disarm();
      running.delete(entry);
      await rm(dir, { recursive: true, force: true });
    })());

  try {
    await until(START_TIMEOUT_MS, `redis-server on port ${port} did not answer PING`, async () => {
      if (ended) {
        throw new PortTakenError(`redis-server on port ${port} exited early: ${log.trim()}`);
      }
      return (await redisCommand(port, ['PING'], 250).catch(() => null)) === 'PONG';
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { pid: child.pid!, stop };
}

/** Raised when a server could not start, most likely because another process took its port. */
class PortTakenError extends Error {}

/** A port picked free may be taken before redis-server binds it: try again with new ports. */
async function withPortRetries<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 3) throw err;
    }
  }
}

/** `count` distinct free loopback ports (and, for a cluster, free bus ports at port + 10000). */
async function pickPorts(count: number, withBusPort: boolean): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 200) throw new Error('no free loopback ports');
    const port = await freePort(0);
    if (port === RESERVED_PORT || ports.includes(port)) continue;
    if (withBusPort) {
      const bus = port + 10_000;
      if (bus > 65_535 || ports.some((p) => p === bus || p + 10_000 === port) || (await freePort(bus)) !== bus) continue;
    }
    ports.push(port);
  }
  return ports;
}

/** Bind `port` (0: any) on the loopback address and release it; the port, or -1 when taken. */
function freePort(port: number): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(-1));
    server.listen({ host: HOST, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : -1;
      server.close(() => resolve(bound));
    });
  });
}

/** Poll `check` every 25 ms until it returns true, or fail after `timeoutMs`. */
async function until(timeoutMs: number, message: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const { child, dir, disarm } of running) {
      disarm();
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
