/**
 * `npm run conformance:generate`: writes the kit's vectors.json. It builds every case of
 * conformanceCases.ts with fresh issuer keys, passkeys and a link secret (so the bytes change with
 * each run, the cases and answers do not), computes the answers from the hand table and the
 * protocol model, and plays each case against our car in process: the file is written only if our
 * car passes every case, so a vector is both what protocol.md says and what our car does.
 * `--check` writes nothing and says whether the committed file still matches the cases.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { PROTOCOL_VERSION } from '../../shared/ble/messages.js';
import { createKitWorld } from './caseBuilder.js';
import { buildCases } from './conformanceCases.js';
import type { CaseName } from './expectedAnswers.js';
import { runCase } from './runCase.js';
import { SimulatedCar } from './simulatedCar.js';
import { KIT_VERSION, vectorFileSchema, type VectorFile } from './vectorFormat.js';
import { vectorShape } from './vectorShape.js';

export const VECTORS_FILE = fileURLToPath(new URL('./vectors.json', import.meta.url));
/** Long enough for the car's own 2 s framing timer. */
const STEP_TIMEOUT_MS = 5000;

const HELP = `Generate the BLE conformance kit's vectors (kit ${KIT_VERSION}, protocol ${PROTOCOL_VERSION}).

usage: npm run conformance:generate [-- --out <file>] [-- --check]

  --out <file>  where to write (default test/conformance/vectors.json)
  --check       write nothing; exit 1 if the file no longer matches the cases and answers
  --help        this text`;

function gitDescription(): string {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' }).trim();
  } catch {
    return 'an unknown commit';
  }
}

/**
 * Build every case (or the named ones) and, unless told not to, keep them only once our car (or the
 * given one, which is closed afterwards) passes each.
 */
export async function generateVectorFile(opts: { playAgainstOurCar: boolean; car?: SimulatedCar; only?: readonly CaseName[] }): Promise<VectorFile> {
  const cases = await buildCases(await createKitWorld(), opts.only);
  if (opts.playAgainstOurCar) {
    const car = opts.car ?? new SimulatedCar();
    const failures: string[] = [];
    try {
      for (const c of cases) {
        const result = await runCase(c, { channel: car, stepTimeoutMs: STEP_TIMEOUT_MS });
        if (!result.passed) failures.push(`${c.name}: ${result.where}: ${result.difference}`);
      }
    } finally {
      await car.close();
    }
    if (failures.length > 0) {
      throw new Error(`Our car does not answer ${failures.length} case${failures.length === 1 ? '' : 's'} as protocol.md and the hand table say, so no vectors were written:\n${failures.join('\n')}`);
    }
  }
  return vectorFileSchema.parse({
    kitVersion: KIT_VERSION,
    protocolVersion: PROTOCOL_VERSION,
    generatedFrom: `test/conformance/generateVectors.ts (cases: conformanceCases.ts, answers: expectedAnswers.ts) at git ${gitDescription()}`,
    cases,
  });
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: process.argv.slice(2), options: { out: { type: 'string' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const out = values.out ?? VECTORS_FILE;
  const file = await generateVectorFile({ playAgainstOurCar: true });
  if (values.check) {
    const committed = vectorFileSchema.safeParse(JSON.parse(await readFile(out, 'utf8')));
    if (committed.success && isDeepStrictEqual(vectorShape(committed.data), vectorShape(file))) {
      console.log(`${out} matches the cases and answers (${file.cases.length} cases), and our car passes them.`);
      return 0;
    }
    console.error(`${out} no longer matches the cases and answers; run npm run conformance:generate and commit the result.`);
    return 1;
  }
  await writeFile(out, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`Wrote ${file.cases.length} cases to ${out}; our car passes every one.`);
  return 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exitCode = 1;
    },
  );
}
