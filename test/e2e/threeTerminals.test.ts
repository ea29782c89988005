/**
 * The README's three terminals, as separate processes started exactly as a newcomer types them:
 * `npm run dev` (server on the memory store, one vehicle provisioned, the commands printed), the car
 * command it prints, and the phone commands it prints, each its own `npm run phone` process sharing
 * one state file — ending in an unlock over BLE. The operator CLI acts on the same dev server.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnProcess, type SpawnedProcess, runCommandLine } from '../support/spawnedProcess.js';

let dir: string;
let env: Record<string, string>;
let dev: SpawnedProcess;
let car: SpawnedProcess | undefined;
/** Lines of the dev server's banner: the car's command and the phone's commands. */
let carCommand: string;
let phoneCommands: string[];

/** Run one shell command line the way a user types it, in this test's environment. */
function run(commandLine: string, extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runCommandLine(commandLine, { ...env, ...extraEnv });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sdk-three-terminals-'));
  const port = await freePort();
  // Only the ports and the data folder differ from the README (tests must not take 8080/7433 or .data/).
  env = { SDK_DATA_DIR: dir, AIR_PORT: String(await freePort()) };
  dev = spawnProcess('npm', ['run', 'dev'], { env: { ...env, PORT: String(port) } });
  await dev.waitFor((l) => /npm run phone -- unlock$/.test(l.text), 90_000, 'the dev banner');
  const lines = dev.lines.map((l) => l.text.trim());
  carCommand = lines[lines.indexOf('Terminal 2, the car:') + 1]!;
  phoneCommands = lines.filter((l) => l.startsWith('npm run phone -- '));
}, 120_000);

afterAll(async () => {
  await car?.stop();
  await dev?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('three terminals: npm run dev, npm run vehicle, npm run phone', () => {
  it('the dev server prints the VIN, the QR token once, and the exact commands', () => {
    const text = dev.output();
    expect(text).toMatch(/vehicle +SDKDEM00000000001 provisioned/);
    expect(text).toMatch(/QR token +[A-Za-z0-9_-]{43} +\(shown once/);
    expect(carCommand).toMatch(/^SERVER_URL=http:\/\/localhost:\d+ VEHICLE_KEY_FILE=\S+vehicle-SDKDEM00000000001\.key\.json .*npm run vehicle$/);
    expect(phoneCommands.map((c) => c.split(' ')[4])).toEqual(['sign-up', 'claim', 'activate', 'key', 'unlock']);
  });

  it('the printed car command starts the car, which keeps its sync channel to the server', async () => {
    // exec env: the shell becomes the printed command itself, so stopping it reaches npm and the car (a plain `sh -c` would die alone and leave them running).
    car = spawnProcess('sh', ['-c', `exec env ${carCommand}`], { env });
    await car.waitFor((l) => l.json?.msg === 'advertising', 90_000, 'the car advertising');
    await car.waitFor((l) => (l.json?.sync as { type?: string } | undefined)?.type === 'connected', 30_000, 'the sync channel');
  }, 120_000);

  it('each printed phone command is its own process, one phone through the state file, ending in an unlock over BLE', async () => {
    for (const command of phoneCommands) {
      const result = await run(command);
      expect({ command, code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
      expect(result.stderr).toContain('→'); // progress lines
      if (command.endsWith('unlock')) expect(result.stdout).toMatch(/SDKDEM00000000001 unlocked ✓ \(car: unlocked, engine off; \d+ round trips?/);
    }
    await car!.waitFor((l) => (l.json?.event as { cmd?: string; ok?: boolean } | undefined)?.cmd === 'unlock', 10_000, 'the car logging the unlock');
    // The passkey lives in the state file, readable by its owner only.
    expect((await stat(join(dir, 'phone.json'))).mode & 0o777).toBe(0o600);
    const status = await run('npm run -s phone -- status --json');
    expect(JSON.parse(status.stdout)).toMatchObject({ currentVin: 'SDKDEM00000000001', keys: [{ vin: 'SDKDEM00000000001', lastSeen: { locked: false, engine: false } }] });
    // --json: one object, no progress.
    const lock = await run('npm run -s phone -- lock --json');
    expect([lock.code, lock.stderr]).toEqual([0, '']);
    expect(JSON.parse(lock.stdout)).toMatchObject({ cmd: 'lock', ok: true, vehicle: { locked: true } });
  }, 240_000);

  it('a second phone (its own state file) accepts an invitation and unlocks; start is refused with the exact code', async () => {
    const invite = await run('npm run -s phone -- invite --perms unlock,lock --json');
    const { code } = JSON.parse(invite.stdout) as { code: string };
    const serverUrl = /^SERVER_URL=(\S+)/.exec(carCommand)![1]!;
    const second = { PHONE_STATE: join(dir, 'second-phone.json'), SERVER_URL: serverUrl };
    expect((await run('npm run -s phone -- sign-up --email family@example.com --name Family --json', second)).code).toBe(0);
    expect((await run(`npm run -s phone -- accept --vin SDKDEM00000000001 --code ${code} --json`, second)).code).toBe(0);
    const unlock = await run('npm run -s phone -- unlock --json', second);
    expect(JSON.parse(unlock.stdout)).toMatchObject({ ok: true, cmd: 'unlock' });
    const start = await run('npm run -s phone -- start --json', second);
    expect(start.code).toBe(1);
    expect(JSON.parse(start.stdout)).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
  }, 240_000);

  it('the phone and the operator answer --help, for the CLI and for a command (one table drives every command’s help)', async () => {
    for (const [cli, command, mentions] of [
      ['phone', '', ['sign-up', 'login', 'claim', 'activate', 'key', 'invite', 'accept', 'unlock', 'lock', 'start', 'status']],
      ['phone', 'claim', ['--qr TOKEN', '--odometer KM']],
      ['operator', '', ['provision-vehicle', 'grant-dealer']],
      ['operator', 'provision-vehicle', ['--key-file', 'shown once']],
    ] as const) {
      const r = await run(`npm run -s ${cli} -- ${command} --help`);
      expect({ cli, command, code: r.code }).toEqual({ cli, command, code: 0 });
      for (const m of mentions) expect(r.stdout).toContain(m);
    }
  }, 180_000);
});

describe('the operator CLI against the memory-store dev server', () => {
  it('provision-vehicle makes the key pair, the link secret and the QR token, writes the car provisioning file (0600), and the QR claims the car', async () => {
    const result = await run('npm run -s operator -- provision-vehicle --vin WVWZZZ1JZXW000777 --odometer 1200 --json');
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { vin: string; qrToken: string; keyFile: string };
    expect(out).toMatchObject({ vin: 'WVWZZZ1JZXW000777', qrToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), keyFile: join(dir, 'vehicle-WVWZZZ1JZXW000777.key.json') });
    // Written to the file, so not shown.
    expect(out).not.toHaveProperty('linkSecret');
    expect((await stat(out.keyFile)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(out.keyFile, 'utf8'))).toEqual({
      vehicleKey: { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), d: expect.any(String) },
      linkSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const claim = await run(`npm run -s phone -- claim --vin WVWZZZ1JZXW000777 --qr ${out.qrToken} --json`);
    expect(JSON.parse(claim.stdout)).toMatchObject({ vin: 'WVWZZZ1JZXW000777', role: 'main' });
  }, 120_000);

  it('provision-vehicle with the car\'s own public key writes no file and shows the link secret once', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwkFile = join(dir, 'own-car.public.jwk');
    await writeFile(jwkFile, JSON.stringify(publicKey.export({ format: 'jwk' })));
    const json = await run(`npm run -s operator -- provision-vehicle --vin WVWZZZ1JZXW000778 --odometer 10 --vehicle-jwk ${jwkFile} --json`);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ vin: 'WVWZZZ1JZXW000778', firstRegistration: expect.any(String), odometerKm: 10, qrToken: expect.any(String), linkSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const text = await run(`npm run -s operator -- provision-vehicle --vin WVWZZZ1JZXW000779 --odometer 10 --vehicle-jwk ${jwkFile}`);
    expect(text.stdout).toMatch(/^link secret \(shown once; the server keeps it\): [A-Za-z0-9_-]{43}$/m);
    expect(text.stdout).not.toMatch(/provisioning file \(private key/);
  }, 120_000);

  it('errors are sentences, not zod arrays', async () => {
    const [badVin, again, missing, nobody, noServer] = await Promise.all([
      run('npm run -s operator -- provision-vehicle --vin NOTAVIN --odometer 5'),
      run('npm run -s operator -- provision-vehicle --vin SDKDEM00000000001 --odometer 5'),
      run('npm run -s operator -- provision-vehicle --odometer 5'),
      run('npm run -s operator -- grant-dealer --email nobody@example.com'),
      run('npm run -s operator -- grant-dealer --email you@example.com', { SDK_DATA_DIR: join(dir, 'empty') }),
    ]);
    expect(badVin.code).toBe(1);
    expect(badVin.stderr.trim()).toMatch(/^provision-vehicle failed: the VIN is not valid: /);
    expect(badVin.stderr).not.toMatch(/[[{]\s*"(code|path)"/);
    expect(again.stderr.trim()).toBe('provision-vehicle failed: this VIN is already provisioned');
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([2, '--vin is required']);
    expect(nobody.stderr.trim()).toBe('grant-dealer failed: no account with this e-mail');
    expect(noServer.stderr.trim()).toMatch(/^grant-dealer failed: REDIS_URL is not set and no development server is running/);
  }, 120_000);
});
