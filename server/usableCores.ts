/**
 * How many cores this process may really use: the machine's (`os.availableParallelism`), lowered to
 * the container's CPU quota when there is one (cgroup v2 `cpu.max`, e.g. "200000 100000" = 2 CPUs),
 * which Node does not see. Read once at start.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** "quota period" of cgroup v2's cpu.max → CPUs (rounded up), or null for "max" or anything unreadable. */
export function cpusOfCpuMax(text: string): number | null {
  const [quota, period] = text.trim().split(/\s+/);
  if (quota === undefined || period === undefined || !/^\d+$/.test(quota) || !/^\d+$/.test(period) || Number(period) === 0) return null;
  return Math.max(1, Math.ceil(Number(quota) / Number(period)));
}

export function usableCores(cpuMaxFile = '/sys/fs/cgroup/cpu.max'): number {
  let quota: number | null = null;
  try {
    quota = cpusOfCpuMax(readFileSync(cpuMaxFile, 'utf8'));
  } catch {
    quota = null; // no cgroup v2 here, or not readable: the machine's count stands
  }
  return Math.min(availableParallelism(), quota ?? Number.POSITIVE_INFINITY);
}
