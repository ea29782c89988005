/**
 * Shared helpers of the benchmarks (`npm run bench`): monotonic timing, percentiles, an ops/s loop
 * with warm-up, a bounded-concurrency pool, progress lines, tables and the merged results file.
 * Benchmarks measure and report (ratios against a baseline measured in the same run); they never
 * assert a time.
 */
import { cpus, totalmem } from 'node:os';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** What every bench section gets from main.ts. */
export interface BenchOptions {
  /** Smaller N and shorter loops (`--quick`). */
  quick: boolean;
  /** Print one progress line. */
  log(line: string): void;
  /** Run one stage, printing a line when it starts and one with its duration when it ends. */
  stage<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** One printed table: rows of cells, columns in the order of the first row's keys. */
export interface BenchTable {
  title: string;
  rows: Array<Record<string, string | number>>;
}

/** What a section hands back: tables to print and the data of its results-file section. */
export interface BenchReport {
  tables: BenchTable[];
  results: Record<string, unknown>;
  /** Things a reader of the figures should know (how something was measured, what surprised). */
  notes?: string[];
}

/** A bench module: `name` is what `npm run bench -- <name>` picks and its key in results.json. */
export interface BenchSection {
  name: string;
  description: string;
  run(opts: BenchOptions): Promise<BenchReport>;
}

/** Monotonic nanoseconds (CLOCK_MONOTONIC on Linux: comparable between processes of one machine). */
export function hrnow(): bigint {
  return process.hrtime.bigint();
}

/** Milliseconds from `start` to `end` (default now). */
export function msSince(start: bigint, end: bigint = hrnow()): number {
  return Number(end - start) / 1e6;
}

/** Run `fn` and return its value and how long it took. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = hrnow();
  const value = await fn();
  return { ms: msSince(start), value };
}

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** The `p`-th percentile (0–100) of ascending `sorted`, linearly interpolated between ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** Min, percentiles, max and mean of some samples. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, x) => s + x, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean,
  };
}

/** How often the ops loop lets the event loop run (5 ms). */
const YIELD_EVERY_NS = 5_000_000n;

export interface OpsResult {
  ops: number;
  ms: number;
  opsPerSec: number;
  /** Per-operation latency in ms (only when asked for: it costs two clock reads per op). */
  latencyMs?: Summary;
}

/**
 * Run `fn` for `warmupMs` (not counted), then for `durationMs` (or at most `maxOps` operations),
 * with `concurrency` operations in flight (1: one after the other), and report operations per
 * second. A synchronous `fn` is not awaited, so the loop adds no microtask per operation; every
 * 5 ms the loop yields to the event loop once.
 */
export async function measureOps(opts: {
  fn: () => unknown;
  warmupMs: number;
  durationMs: number;
  maxOps?: number;
  concurrency?: number;
  latency?: boolean;
}): Promise<OpsResult> {
  const concurrency = opts.concurrency ?? 1;
  const maxOps = opts.maxOps ?? 10_000_000;
  const loop = async (ms: number, keepLatency: boolean) => {
    const deadline = hrnow() + BigInt(Math.round(ms * 1e6));
    const latencies: number[] = [];
    let ops = 0;
    let nextYield = hrnow() + YIELD_EVERY_NS;
    const worker = async () => {
      for (let now = hrnow(); ops < maxOps && now < deadline; now = hrnow()) {
        // A synchronous fn (or one that settles in microtasks) would otherwise hold the event loop
        // for the whole run: timers and sockets starve, and kept-alive HTTP connections of later
        // cases time out on both ends at once (a reused socket then fails with ECONNRESET).
        if (now > nextYield) {
          await new Promise((resolve) => setImmediate(resolve));
          nextYield = hrnow() + YIELD_EVERY_NS;
        }
        ops++;
        const start = keepLatency ? hrnow() : 0n;
        const r = opts.fn();
        if (r instanceof Promise) await r;
        if (keepLatency) latencies.push(msSince(start));
      }
    };
    const start = hrnow();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { ops, ms: msSince(start), latencies };
  };
  if (opts.warmupMs > 0) await loop(opts.warmupMs, false);
  const run = await loop(opts.durationMs, opts.latency ?? false);
  return {
    ops: run.ops,
    ms: run.ms,
    opsPerSec: (run.ops / run.ms) * 1000,
    ...(opts.latency ? { latencyMs: summarize(run.latencies) } : {}),
  };
}

/** One operation to measure among others (see {@link measureInterleaved}). */
export interface OpsCase {
  name: string;
  fn: () => unknown;
  concurrency?: number;
  latency?: boolean;
  /** This case's measuring time per trial, when not the common one. */
  durationMs?: number;
}

export interface CaseResult extends OpsResult {
  /** ops/s of every trial, in run order; the figures above are the median trial's. */
  trialsOpsPerSec: number[];
  /** Median over trials of this case's ops/s divided by the baseline case's in the same trial. */
  ratioToBaseline: number;
}

/**
 * Measure several operations in interleaved trials: each trial runs every case once, in order
 * (the first trial after a warm-up of each), so a burst of noise from elsewhere on the machine
 * falls on all cases alike. Each case keeps its median trial; its ratio to the first case (the
 * baseline) is the median of the per-trial ratios. `eachTrial` wraps a trial (progress lines).
 */
export async function measureInterleaved(
  cases: OpsCase[],
  opts: { trials: number; warmupMs: number; durationMs: number; eachTrial?: (trial: number, run: () => Promise<void>) => Promise<void> },
): Promise<Map<string, CaseResult>> {
  const runs = new Map<string, OpsResult[]>(cases.map((c) => [c.name, []]));
  for (let trial = 0; trial < opts.trials; trial++) {
    const run = async () => {
      for (const c of cases) {
        const r = await measureOps({
          fn: c.fn,
          warmupMs: trial === 0 ? opts.warmupMs : 0,
          durationMs: c.durationMs ?? opts.durationMs,
          ...(c.concurrency !== undefined ? { concurrency: c.concurrency } : {}),
          ...(c.latency !== undefined ? { latency: c.latency } : {}),
        });
        runs.get(c.name)!.push(r);
      }
    };
    if (opts.eachTrial) await opts.eachTrial(trial, run);
    else await run();
  }
  const baseline = runs.get(cases[0]!.name)!;
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  return new Map(
    cases.map((c) => {
      const list = runs.get(c.name)!;
      const mid = [...list].sort((a, b) => a.opsPerSec - b.opsPerSec)[Math.floor((list.length - 1) / 2)]!;
      return [
        c.name,
        {
          ...mid,
          trialsOpsPerSec: list.map((r) => Math.round(r.opsPerSec)),
          ratioToBaseline: median(list.map((r, i) => r.opsPerSec / baseline[i]!.opsPerSec)),
        },
      ];
    }),
  );
}

let gcFunction: (() => void) | undefined;

/**
 * A full garbage collection now, so the garbage of a bench's set-up is not collected in the middle
 * of what it times next. Node runs without `--expose-gc` here (tsx): the flag is set at run time and
 * `gc` taken from a fresh context, which V8 gives it from then on.
 */
export function collectGarbage(): void {
  if (!gcFunction) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
}

/** Run `worker(i)` for i in [0, count) with at most `concurrency` in flight; results in order. */
export async function runPool<T>(count: number, concurrency: number, worker: (i: number) => Promise<T>, onDone?: (done: number) => void): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await worker(i);
      done++;
      onDone?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}

/** A progress printer for long loops: at most one line per `everyMs`, and one at the end. */
export function progress(log: (line: string) => void, label: string, total: number, everyMs = 2000): (done: number) => void {
  const start = hrnow();
  let lastPrint = start;
  return (done: number) => {
    const now = hrnow();
    if (done < total && msSince(lastPrint, now) < everyMs) return;
    lastPrint = now;
    const s = msSince(start, now) / 1000;
    log(`    ${label}: ${done}/${total} (${s.toFixed(1)} s, ${Math.round(done / Math.max(s, 1e-3))}/s)`);
  };
}

/** A number for a table: integers as they are, else `digits` decimals under 100, fewer above; thousands separated. */
export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  const d = Number.isInteger(value) || Math.abs(value) >= 1000 ? 0 : Math.abs(value) >= 100 ? Math.min(digits, 1) : digits;
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** Mebibytes, for memory figures. */
export function mib(bytes: number): number {
  return bytes / (1024 * 1024);
}

/** Render a table as aligned text (numbers right-aligned). */
export function renderTable(table: BenchTable): string {
  const first = table.rows[0];
  if (!first) return `${table.title}\n  (no rows)`;
  const columns = Object.keys(first);
  const cell = (v: string | number | undefined) => (v === undefined ? '' : typeof v === 'number' ? fmt(v) : v);
  const widths = columns.map((c) => Math.max(c.length, ...table.rows.map((r) => cell(r[c]).length)));
  const line = (cells: string[], numeric: boolean[]) =>
    '  ' + cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const isNumeric = columns.map((c) => table.rows.every((r) => typeof r[c] === 'number' || r[c] === undefined || r[c] === ''));
  return [
    table.title,
    line(columns, isNumeric),
    line(widths.map((w) => '-'.repeat(w)), isNumeric),
    ...table.rows.map((r) => line(columns.map((c) => cell(r[c])), isNumeric)),
  ].join('\n');
}

/** The machine the figures come from. */
export function machineInfo(): { cpus: number; cpuModel: string; node: string; platform: string; totalMemGiB: number } {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    totalMemGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
  };
}

/** The results file: sections written by different bench modules, merged by name. */
export interface ResultsFile {
  generatedAt: string;
  machine: ReturnType<typeof machineInfo>;
  sections: Record<string, unknown>;
}

/**
 * Write one section into the results file, keeping every other section (written by other bench
 * modules or earlier runs) as it is. The file is replaced atomically (write, then rename).
 */
export async function mergeSectionResult(file: string, name: string, section: unknown): Promise<void> {
  let sections: Record<string, unknown> = {};
  try {
    const existing = JSON.parse(await readFile(file, 'utf8')) as Partial<ResultsFile>;
    if (existing.sections && typeof existing.sections === 'object') sections = existing.sections;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') console.warn(`  (could not read ${file}, starting it afresh: ${(err as Error).message})`);
  }
  const merged: ResultsFile = { generatedAt: new Date().toISOString(), machine: machineInfo(), sections: { ...sections, [name]: section } };
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(merged, null, 2)}\n`);
  await rename(tmp, file);
}

/** Reject when `promise` has not settled within `ms` (for clean-up steps that must not hang). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Poll `check` every 20 ms until true; false if `ms` went by first. */
export async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
