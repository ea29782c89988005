/**
 * `npm run conformance -- --car "<command>"`: runs the conformance kit's vectors against a car
 * under test — any program that speaks the adapter protocol (README.md) — and says per case whether
 * it passed, and if not, the first difference in words. Exit 0 when every case passed, 1 when one
 * failed (or the car could not be run), 2 for a usage error. The BLE-module team points it at their
 * car; our suite points it at ours (simulatedCarAdapter.ts).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { adapterResultSchemas, callAdapter } from './adapterProtocol.js';
import { AdapterProcess } from './adapterProcess.js';
import { runCase, type CaseResult } from './runCase.js';
import { KIT_VERSION, vectorFileSchema, type VectorFile } from './vectorFormat.js';

const DEFAULT_VECTORS = fileURLToPath(new URL('./vectors.json', import.meta.url));
const DEFAULT_STEP_TIMEOUT_MS = 5000;
/** How long a starting adapter may take to say hello (tsx and a JIT warming up are slow). */
const HELLO_TIMEOUT_MS = 30_000;

const HELP = `Run the BLE conformance kit (kit ${KIT_VERSION}) against a car.

usage: npm run conformance -- --car "<command>" [options]

  --car <command>       the car under test: a command line (run by sh) that speaks the adapter
                        protocol on stdin/stdout (test/conformance/README.md)
  --vectors <file>      the vector file (default: test/conformance/vectors.json)
  --case <name>         run only this case (repeat for more)
  --list                list the cases and what each proves, then exit
  --step-timeout <ms>   the longest wait for one adapter operation or notification (default ${DEFAULT_STEP_TIMEOUT_MS})
  --json                print one JSON report instead of a line per case
  --help                this text

Exit status: 0 every case passed, 1 a case failed or the car could not be run, 2 a usage error.
Example: npm run conformance -- --car "tsx test/conformance/simulatedCarAdapter.ts"`;

class UsageError extends Error {}

interface Options {
  car: string | undefined;
  vectors: string;
  cases: string[];
  list: boolean;
  stepTimeoutMs: number;
  json: boolean;
}

function parseOptions(argv: string[]): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        car: { type: 'string' },
        vectors: { type: 'string' },
        case: { type: 'string', multiple: true },
        list: { type: 'boolean' },
        'step-timeout': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return 'help';
  const timeout = values['step-timeout'] ?? String(DEFAULT_STEP_TIMEOUT_MS);
  if (!/^\d+$/.test(timeout) || Number(timeout) < 100) throw new UsageError(`--step-timeout takes a whole number of milliseconds, at least 100; "${timeout}" is not one.`);
  return {
    car: values.car,
    vectors: values.vectors ?? DEFAULT_VECTORS,
    cases: values.case ?? [],
    list: values.list ?? false,
    stepTimeoutMs: Number(timeout),
    json: values.json ?? false,
  };
}

async function readVectors(file: string): Promise<VectorFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`The vector file ${file} cannot be read (${err instanceof Error ? err.message : String(err)}).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`The vector file ${file} is not JSON.`);
  }
  const kit = z.object({ kitVersion: z.unknown() }).safeParse(json);
  if (kit.success && kit.data.kitVersion !== KIT_VERSION) {
    throw new UsageError(`The vector file ${file} is for kit ${JSON.stringify(kit.data.kitVersion)}; this runner reads kit ${KIT_VERSION}.`);
  }
  const parsed = vectorFileSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`The vector file ${file} does not follow the kit ${KIT_VERSION} format:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Start the adapter and check it speaks this kit's protocol; returns it and the name it gives. */
async function startAdapter(commandLine: string): Promise<{ adapter: AdapterProcess; name: string }> {
  const adapter = new AdapterProcess(commandLine);
  let timer: NodeJS.Timeout | undefined;
  let stopListening = () => {};
  try {
    const hello = await Promise.race([
      callAdapter(adapter, { op: 'hello', kitVersion: KIT_VERSION }, adapterResultSchemas.hello),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`it did not answer "hello" within ${HELLO_TIMEOUT_MS / 1000} s`)), HELLO_TIMEOUT_MS);
        // An adapter that prints something else than the protocol will not answer either: say so at once.
        stopListening = adapter.onEvent((event) => {
          if (event.event === 'problem') reject(new Error(event.message));
        });
      }),
    ]);
    return { adapter, name: hello.name };
  } catch (err) {
    adapter.kill();
    throw new Error(`The car "${commandLine}" could not be started as a kit ${KIT_VERSION} adapter: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    clearTimeout(timer);
    stopListening();
  }
}

function caseLine(result: CaseResult): string {
  return result.passed ? `ok    ${result.name}` : `FAIL  ${result.name}: ${result.where}: ${result.difference}`;
}

async function run(options: Options): Promise<number> {
  const file = await readVectors(options.vectors);
  if (options.list) {
    for (const c of file.cases) console.log(`${c.name}\n    ${c.proves}`);
    return 0;
  }
  if (options.car === undefined) throw new UsageError('Say which car to test with --car "<command>" (see --help).');
  const unknown = options.cases.filter((name) => !file.cases.some((c) => c.name === name));
  if (unknown.length > 0) throw new UsageError(`${options.vectors} has no case named ${unknown.map((n) => `"${n}"`).join(', ')}; --list shows them.`);
  const cases = options.cases.length === 0 ? file.cases : file.cases.filter((c) => options.cases.includes(c.name));

  let { adapter, name } = await startAdapter(options.car);
  if (!options.json) console.log(`BLE conformance kit ${file.kitVersion}, protocol ${file.protocolVersion}: ${cases.length} case${cases.length === 1 ? '' : 's'} from ${options.vectors}\ncar: ${options.car} (${name})\n`);
  const results: CaseResult[] = [];
  for (const c of cases) {
    const result = await runCase(c, { channel: adapter, stepTimeoutMs: options.stepTimeoutMs });
    results.push(result);
    if (!options.json) console.log(caseLine(result));
    if (!result.passed && (result.stuck || adapter.exitReason !== null)) {
      // A stuck or dead adapter gets a fresh start, so one case cannot fail all the others.
      adapter.kill();
      ({ adapter, name } = await startAdapter(options.car));
    }
  }
  await adapter.stop(options.stepTimeoutMs);

  const failed = results.filter((r) => !r.passed);
  if (options.json) {
    console.log(
      JSON.stringify(
        { kitVersion: file.kitVersion, protocolVersion: file.protocolVersion, vectors: options.vectors, generatedFrom: file.generatedFrom, car: options.car, adapter: name, passed: results.length - failed.length, failed: failed.length, results },
        null,
        2,
      ),
    );
  } else {
    const names = failed.map((r) => r.name).join(', ');
    console.log(`\n${results.length - failed.length} of ${results.length} cases passed${failed.length > 0 ? `; failed: ${names}` : ''}.`);
  }
  return failed.length === 0 ? 0 : 1;
}

async function main(): Promise<void> {
  try {
    const options = parseOptions(process.argv.slice(2));
    if (options === 'help') {
      console.log(HELP);
      return;
    }
    process.exitCode = await run(options);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\nusage: npm run conformance -- --car "<command>" [--vectors <file>] [--case <name>]… [--list] [--step-timeout <ms>] [--json] [--help]`);
      process.exitCode = 2;
      return;
    }
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  }
}

await main();
