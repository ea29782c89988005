/**
 * What a REDIS_URL names, parsed once for the configuration (refused at start with a sentence) and
 * for the Redis adapter (which connects to it):
 * - `redis://[[user]:password@]host[:port][/db]` (or `rediss://` for TLS): one server;
 * - `redis+cluster://[[user]:password@]host1:port1,host2:port2,…` (or `rediss+cluster://`): a Redis
 *   Cluster reached through any of its seed nodes.
 * `new URL()` cannot parse the cluster form (several hosts), hence this module. Errors never echo
 * the URL: it may hold a password.
 */

/** A host and port, as a seed node or a single server. */
export interface RedisNode {
  host: string;
  port: number;
}

/** A parsed REDIS_URL. */
export type RedisTarget =
  | { kind: 'single'; url: string; node: RedisNode; tls: boolean }
  | { kind: 'cluster'; nodes: RedisNode[]; tls: boolean; username?: string; password?: string };

const DEFAULT_PORT = 6379;

/** Parse a REDIS_URL; throws a TypeError whose message is a sentence saying what is wrong. */
export function parseRedisUrl(url: string): RedisTarget {
  const cluster = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?$/.exec(url);
  if (cluster) {
    // The host list is never empty here (the pattern requires it); an empty one would fail as a seed node.
    const [, scheme, auth, hosts = ''] = cluster;
    const nodes = hosts.split(',').map(parseHostPort);
    return { kind: 'cluster', nodes, tls: scheme === 'rediss', ...parseAuth(auth) };
  }
  if (/^rediss?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TypeError('the Redis URL is malformed');
    }
    if (!parsed.hostname) throw new TypeError('the Redis URL names no host');
    if (!/^\/?(\d+)?$/.test(parsed.pathname)) throw new TypeError('the Redis URL path must be a database number');
    const node = { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: parsed.port ? Number(parsed.port) : DEFAULT_PORT };
    return { kind: 'single', url, node, tls: parsed.protocol === 'rediss:' };
  }
  throw new TypeError('the Redis URL must start with redis://, rediss://, redis+cluster:// or rediss+cluster://');
}

/** "host:port" of every node, for logs and readiness answers (never the password). */
export function describeRedisTarget(target: RedisTarget): string {
  const nodes = target.kind === 'single' ? [target.node] : target.nodes;
  const list = nodes.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',');
  return target.kind === 'single' ? `redis ${list}` : `redis cluster ${list}`;
}

function parseAuth(auth: string | undefined): { username?: string; password?: string } {
  if (!auth) return {};
  const colon = auth.indexOf(':');
  if (colon < 0) return { password: decodeURIComponent(auth) };
  const username = decodeURIComponent(auth.slice(0, colon));
  return { ...(username ? { username } : {}), password: decodeURIComponent(auth.slice(colon + 1)) };
}

function parseHostPort(node: string): RedisNode {
  const [, host, portText] = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(node.trim()) ?? [];
  if (host === undefined) throw new TypeError('every Redis Cluster seed node must be host:port');
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (port < 1 || port > 65_535) throw new TypeError('a Redis port must be between 1 and 65535');
  return { host: host.replace(/^\[|\]$/g, ''), port };
}
