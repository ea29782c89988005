/**
 * CPU time used by a process and all its descendants (a server pool: the primary and its
 * workers), read from Linux's /proc (utime + stime of each, in clock ticks). For the benches'
 * "server CPU per request": read before and after a load, divide the difference by the requests.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux everywhere). */
const TICKS_PER_S = 100;

interface ProcStat {
  pid: number;
  ppid: number;
  cpuTicks: number;
}

/** Parse /proc/<pid>/stat: the command name is in parentheses and may hold spaces. */
export function parseProcStat(line: string): ProcStat {
  const close = line.lastIndexOf(')');
  const pid = Number(line.slice(0, line.indexOf(' ')));
  // After ") ": state(3) ppid(4) … utime(14) stime(15); fields counted from 3.
  const rest = line.slice(close + 2).split(' ');
  const field = (n: number) => Number(rest[n - 3]);
  return { pid, ppid: field(4), cpuTicks: field(14) + field(15) };
}

async function allStats(): Promise<ProcStat[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const stats = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/stat`, 'utf8').then(parseProcStat, () => null)));
  return stats.filter((s): s is ProcStat => s !== null);
}

/** CPU seconds of `rootPid` and every descendant still alive, and how many processes that is. */
export async function treeCpuSeconds(rootPid: number): Promise<{ cpuS: number; processes: number }> {
  const stats = await allStats();
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const root = stats.find((s) => s.pid === rootPid);
  if (!root) throw new Error(`no process ${rootPid}`);
  let ticks = 0;
  let processes = 0;
  const stack = [root];
  while (stack.length > 0) {
    const s = stack.pop()!;
    ticks += s.cpuTicks;
    processes += 1;
    stack.push(...(children.get(s.pid) ?? []));
  }
  return { cpuS: ticks / TICKS_PER_S, processes };
}
