/**
 * Our car as a conformance-kit adapter: a program that speaks the adapter protocol (README.md,
 * adapterProtocol.ts) on stdin/stdout around the simulated car (simulatedCar.ts), so the runner
 * drives it exactly as it drives another team's car. It is also a worked example for that team.
 *
 *   npm run conformance -- --car "tsx test/conformance/simulatedCarAdapter.ts"
 *
 * `--fault <name>` makes it a deliberately wrong car (the kit's tests check the runner catches it).
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { adapterOpSchema, requestIdSchema, type AdapterEvent } from './adapterProtocol.js';
import { isSimulatedCarFault, SIMULATED_CAR_FAULTS, SimulatedCar, type SimulatedCarFault } from './simulatedCar.js';

const HELP = `Our simulated car behind the conformance kit's adapter protocol (one JSON object a line on stdin and stdout).

usage: tsx test/conformance/simulatedCarAdapter.ts [--fault <name>]

  --fault <name>  a deliberately wrong car:
${Object.entries(SIMULATED_CAR_FAULTS)
  .map(([name, what]) => `                    ${name}: ${what}`)
  .join('\n')}
  --help          this text

Run it through the runner: npm run conformance -- --car "tsx test/conformance/simulatedCarAdapter.ts"`;

function send(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function parseFault(argv: string[]): SimulatedCarFault | undefined | 'exit' {
  let values: { fault?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: { fault: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    process.exitCode = 2;
    return 'exit';
  }
  if (values.help) {
    console.log(HELP);
    return 'exit';
  }
  if (values.fault === undefined) return undefined;
  if (!isSimulatedCarFault(values.fault)) {
    console.error(`There is no fault named "${values.fault}"; the faults are ${Object.keys(SIMULATED_CAR_FAULTS).join(', ')}.`);
    process.exitCode = 2;
    return 'exit';
  }
  return values.fault;
}

function main(): void {
  const fault = parseFault(process.argv.slice(2));
  if (fault === 'exit') return;
  const car = new SimulatedCar(fault === undefined ? {} : { fault });
  car.onEvent((event: AdapterEvent) => send(event));
  // One operation at a time, in the order they came: the runner waits for each reply anyway.
  let queue: Promise<void> = Promise.resolve();
  let lineNumber = 0;
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (text) => {
    lineNumber++;
    const n = lineNumber;
    queue = queue.then(async () => {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        send({ event: 'problem', message: `line ${n} is not JSON` });
        return;
      }
      const request = requestIdSchema.safeParse(json);
      if (!request.success) {
        send({ event: 'problem', message: `line ${n} has no request id: ${z.prettifyError(request.error)}` });
        return;
      }
      const { id } = request.data;
      const parsed = adapterOpSchema.safeParse(json);
      if (!parsed.success) {
        send({ id, ok: false, error: `request ${id} is not an operation of the adapter protocol: ${z.prettifyError(parsed.error)}` });
        return;
      }
      const op = parsed.data;
      try {
        const result = await car.call(op);
        send({ id, ok: true, ...(typeof result === 'object' ? result : {}) });
      } catch (err) {
        send({ id, ok: false, error: err instanceof Error ? err.message : String(err) });
      }
      if (op.op === 'shutdown') process.exit(0);
    });
  });
  lines.on('close', () => {
    void queue.then(() => car.close()).then(() => process.exit(0));
  });
}

main();
