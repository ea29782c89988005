/**
 * `npm run bench [-- [--quick] [section…]]`: runs the bench sections in order, prints a line per
 * stage with its duration and a table per section, and merges each section into
 * test/bench/results.json as soon as it is done. Adding a section is one line in SECTIONS.
 */
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { hrnow, mergeSectionResult, msSince, renderTable, type BenchOptions, type BenchSection } from './benchSupport.js';

/** Every section, in run order; each is loaded only when it runs. */
const SECTIONS: Array<{ name: string; load: () => Promise<BenchSection> }> = [
  { name: 'issuance', load: async () => (await import('./issuanceBench.js')).issuanceBench },
  { name: 'wipe', load: async () => (await import('./wipeBench.js')).wipeBench },
  { name: 'propagation', load: async () => (await import('./propagationBench.js')).propagationBench },
  { name: 'ble', load: async () => (await import('./bleBench.js')).bleBench },
  { name: 'footprint', load: async () => (await import('./footprintBench.js')).footprintBench },
];

const RESULTS_FILE = fileURLToPath(new URL('./results.json', import.meta.url));

function usage(): string {
  return `usage: npm run bench -- [--quick] [section…]\n  sections: ${SECTIONS.map((s) => s.name).join(', ')} (default: all)`;
}

async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage());
    return 0;
  }
  const unknownFlags = argv.filter((a) => a.startsWith('-') && a !== '--quick');
  const names = argv.filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknownFlags.length > 0 || unknown.length > 0) {
    console.error(`unknown ${[...unknownFlags, ...unknown].join(', ')}\n${usage()}`);
    return 2;
  }
  const chosen = names.length === 0 ? SECTIONS : SECTIONS.filter((s) => names.includes(s.name));

  const runStart = hrnow();
  console.log(`bench: ${chosen.map((s) => s.name).join(', ')}${quick ? ' (--quick)' : ''}; results → ${RESULTS_FILE}`);
  for (const entry of chosen) {
    const section = await entry.load();
    const sectionStart = hrnow();
    const log = (line: string) => console.log(line);
    const opts: BenchOptions = {
      quick,
      log,
      async stage(name, fn) {
        log(`  … ${name}`);
        const start = hrnow();
        const value = await fn();
        log(`  ✓ ${name} (${(msSince(start) / 1000).toFixed(2)} s)`);
        return value;
      },
    };
    const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
    console.log(`\n== ${section.name}: ${section.description} (load average ${loadAtStart.join(' ')})`);
    const report = await section.run(opts);
    const durationMs = msSince(sectionStart);
    console.log(`== ${section.name} done in ${(durationMs / 1000).toFixed(1)} s\n`);
    for (const table of report.tables) console.log(`${renderTable(table)}\n`);
    for (const note of report.notes ?? []) console.log(`  note: ${note}`);
    await mergeSectionResult(RESULTS_FILE, section.name, {
      measuredAt: new Date().toISOString(),
      quick,
      durationMs: Math.round(durationMs),
      // Other work on the machine skews every figure: keep the load beside them.
      loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((l) => Math.round(l * 100) / 100) },
      ...report.results,
      ...(report.notes ? { notes: report.notes } : {}),
    });
  }
  console.log(`\nbench finished in ${(msSince(runStart) / 1000).toFixed(1)} s; results in ${RESULTS_FILE}`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
