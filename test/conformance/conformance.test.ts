/**
 * The conformance kit, checked the way its users meet it: the committed vectors.json follows the
 * format and is what the current cases and hand table generate; protocol.md still says what the
 * kit's own code table and formulas say; the runner CLI, spawned as a user runs it, passes our car
 * on every case and fails a deliberately wrong car, naming the case and the difference in words.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCommandLine } from '../support/spawnedProcess.js';
import { EXPECTED_ANSWERS, parseExpectedAnswer } from './expectedAnswers.js';
import { generateVectorFile, VECTORS_FILE } from './generateVectors.js';
import { protocolCodeSentence } from './protocolCodes.js';
import { challengeBytes, responseBodyMap, responseBytes, transactionHashOf } from './protocolFormulas.js';
import { runCase } from './runCase.js';
import { SimulatedCar } from './simulatedCar.js';
import { hexOf, vectorFileSchema, type Step, type VectorCase, type VectorFile } from './vectorFormat.js';
import { vectorShape } from './vectorShape.js';

const TSX = join(process.cwd(), 'node_modules/.bin/tsx');
const RUNNER = `${TSX} test/conformance/runConformance.ts`;
const OUR_CAR = `${TSX} test/conformance/simulatedCarAdapter.ts`;
/** Each spawned run starts tsx twice (runner and adapter): slow on a small machine. */
const SPAWN_TIMEOUT_MS = 120_000;

async function committedVectors(): Promise<VectorFile> {
  return vectorFileSchema.parse(JSON.parse(await readFile(VECTORS_FILE, 'utf8')));
}

/** The codes a case expects, in order, with `+mac` where authenticated (the hand table's notation). */
function answersOf(c: VectorCase): string[] {
  return c.steps.flatMap((s) => (s.step === 'expectNotify' && s.is.kind === 'response' ? [`${s.is.code}${s.is.mac ? '+mac' : ''}`] : []));
}

describe('the vectors', () => {
  it('follow the kit 2 format for protocol 2, with every case of the hand table and its answers in order', async () => {
    const file = await committedVectors();
    expect(file).toMatchObject({ kitVersion: 2, protocolVersion: 2 });
    expect(file.cases.map((c) => c.name)).toEqual(Object.keys(EXPECTED_ANSWERS));
    const table = new Map<string, readonly string[]>(Object.entries(EXPECTED_ANSWERS));
    for (const c of file.cases) expect(answersOf(c), c.name).toEqual(table.get(c.name));
  });

  it('are what the current cases and hand table generate (only the random keys differ)', async () => {
    const regenerated = await generateVectorFile({ playAgainstOurCar: false });
    expect(vectorShape(await committedVectors())).toEqual(vectorShape(regenerated));
  });

  it('are not written when our car disagrees with the hand table: the generator names the case', async () => {
    const car = new SimulatedCar({ fault: 'forget-counters' });
    await expect(generateVectorFile({ playAgainstOurCar: true, car, only: ['counter-regression-by-the-car-state', 'wrong-vehicle'] })).rejects.toThrow(
      /^Our car does not answer 1 case as protocol.md and the hand table say, so no vectors were written:\ncounter-regression-by-the-car-state: step 6 of 6 .*expected COUNTER_REGRESSION \(17\).*the car sent OK \(0\)/,
    );
  });

  it("protocol.md numbers the codes as the kit's table does, and the kit's formulas give protocol.md's test vectors", async () => {
    const protocol = (await readFile('shared/ble/protocol.md', 'utf8')).replace(/\s+/g, ' ');
    expect(protocol).toContain(protocolCodeSentence());
    expect(protocol).toContain('`a2 01 50 07…07 02 0c` (21 bytes)');
    const challenge = challengeBytes(new Uint8Array(16).fill(7), 12);
    expect([hexOf(challenge), challenge.length]).toEqual([`a20150${'07'.repeat(16)}020c`, 21]);
    expect(hexOf(responseBytes(responseBodyMap({ code: 'OK', cmd: 'unlock', vehicle: { locked: false, engine: true } }), null))).toBe('a4000203000a000b02');
    const credential = Buffer.concat([Buffer.from('d28443a10126a0', 'hex'), Buffer.from('credential bytes')]);
    const nonce = Uint8Array.from({ length: 16 }, (_, i) => i);
    expect(hexOf(transactionHashOf({ nonce, vin: 'WVWZZZ1JZXW000001', cmd: 'unlock', credential }))).toBe('26856245f5eebadd809edceaa30d8e80621332ed5571ae8990e678989ef1922b');
    for (const answers of Object.values(EXPECTED_ANSWERS)) for (const a of answers) expect(() => parseExpectedAnswer(a)).not.toThrow();
  });
});

describe('expectResponse steps (codes instead of bytes)', () => {
  /** A case with its answers as expectResponse steps; `edit` may change the expected code. */
  function byCodes(c: VectorCase, edit: (code: string) => string = (code) => code): VectorCase {
    const steps = c.steps.map((s): Step => {
      if (s.step !== 'expectNotify' || s.is.kind !== 'response') return s;
      const { code, cmd, vehicle, mac } = s.is;
      const macKey = mac ? { macKey: { tx: mac.tx, responseKey: mac.responseKey } } : {};
      return { step: 'expectResponse', code: edit(code), cmd, vehicle, authenticated: mac !== null, ...macKey, ...(s.why === undefined ? {} : { why: s.why }) };
    });
    return { ...c, steps };
  }

  it('pass our car, and a wrong expected code fails with the difference in words', async () => {
    const file = await committedVectors();
    const replay = file.cases.find((c) => c.name === 'replay-on-a-new-connection');
    if (!replay) throw new Error('vectors.json lacks replay-on-a-new-connection');
    const car = new SimulatedCar();
    try {
      expect(await runCase(byCodes(replay), { channel: car, stepTimeoutMs: 5000 })).toEqual({ name: replay.name, passed: true });
      const wrong = await runCase(byCodes(replay, (code) => (code === 'BAD_ASSERTION' ? 'OK' : code)), { channel: car, stepTimeoutMs: 5000 });
      expect(wrong).toMatchObject({ passed: false, where: expect.stringContaining('(expectResponse: the answer to the sniffed request)'), difference: expect.stringMatching(/^expected OK with a MAC; the car sent BAD_ASSERTION \(15\) to unlock.*: the code differs$/) });
    } finally {
      await car.close();
    }
  });

});

describe('the runner CLI, spawned as its users run it', () => {
  it(
    'passes our simulated car on every case, a line per case and a summary, exit 0',
    async () => {
      const { code, stdout, stderr } = await runCommandLine(`${RUNNER} --car "${OUR_CAR}"`, {});
      expect(stderr).toBe('');
      const names = Object.keys(EXPECTED_ANSWERS);
      for (const name of names) expect(stdout).toContain(`\nok    ${name}\n`);
      expect(stdout).toContain(`${names.length} of ${names.length} cases passed.`);
      expect(code).toBe(0);
    },
    SPAWN_TIMEOUT_MS,
  );

  it(
    'fails a car that forgets its revocations, naming the case and the difference, exit 1',
    async () => {
      const cases = ['commands-with-the-whole-credential', 'revoked-by-a-carried-manifest', 'revoked-by-the-car-state'];
      const { code, stdout } = await runCommandLine(`${RUNNER} --car "${OUR_CAR} --fault forget-revocations" ${cases.map((c) => `--case ${c}`).join(' ')}`, {});
      expect(stdout).toContain('\nok    commands-with-the-whole-credential\n');
      expect(stdout).toContain('\nok    revoked-by-a-carried-manifest\n');
      expect(stdout).toMatch(
        /\nFAIL {2}revoked-by-the-car-state: step \d+ of \d+ \(expectNotify: the answer to unlock with a revoked key\): expected REVOKED \(12\) to unlock, locked, engine off, with a MAC; the car sent OK \(0\) to unlock, unlocked, engine off, with a MAC: the code differs\n/,
      );
      expect(stdout).toContain('2 of 3 cases passed; failed: revoked-by-the-car-state.');
      expect(code).toBe(1);
    },
    SPAWN_TIMEOUT_MS,
  );

  it(
    'reports as JSON with --json, and says what is wrong with its arguments (exit 2)',
    async () => {
      const json = await runCommandLine(`${RUNNER} --json --case wrong-vehicle --car "${OUR_CAR}"`, {});
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toMatchObject({ kitVersion: 2, protocolVersion: 2, passed: 1, failed: 0, results: [{ name: 'wrong-vehicle', passed: true }] });

      const unknown = await runCommandLine(`${RUNNER} --car true --case no-such-case`, {});
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('has no case named "no-such-case"; --list shows them.');
    },
    SPAWN_TIMEOUT_MS,
  );
});
