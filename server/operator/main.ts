/**
 * `npm run operator -- <command> [options]`: operator actions, never public routes. They act on the
 * shared Redis store when REDIS_URL is set (production), else on the development server that
 * `npm run dev` runs on the memory store (through its loopback operator endpoint). `--help` on the
 * CLI and on each command says what it does; failures are sentences, exit code 1 (2 for bad usage).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { commandList, parseCommandLine, type CliCommand, type OptionValues } from '../../shared/cli/commandLine.js';
import { DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import { loadConfig } from '../config.js';
import { errorMessage } from '../errorMessage.js';
import { describeInputError } from './describeInputError.js';
import { dataDir } from '../../shared/dataDir.js';
import type { VehiclePublicJwk } from './newVehicleIdentity.js';
import { provisionNewVehicle } from './provisionNewVehicle.js';
import { devOperatorFile, devServerTarget, readDevOperatorEndpoint, storeTarget, type OperatorTarget } from './operatorTarget.js';

/** A usage mistake: the message, then the command's help. */
class UsageError extends Error {}

interface Command extends CliCommand {
  run(values: OptionValues, target: () => Promise<OperatorTarget>): Promise<{ text: string; json: Record<string, unknown> }>;
}

const today = () => new Date().toISOString().slice(0, 10);

const COMMANDS: Record<string, Command> = {
  'provision-vehicle': {
    summary: "register a vehicle: its VIN, first registration date, odometer, QR token, public key and link secret",
    usage: `operator provision-vehicle --vin VIN --odometer KM [--first-registration YYYY-MM-DD]
          [--qr-token TOKEN] [--vehicle-jwk PUBLIC_JWK_FILE | --key-file PRIVATE_JWK_FILE] [--json]

  --vin                 the vehicle's VIN (17 characters, no I, O or Q)
  --odometer            the odometer reading telematics reports, in km (odometer claims are checked against it)
  --first-registration  the first registration date (the trial's start, R9); default: today
  --qr-token            the token printed in the car's QR code; default: a fresh random one, shown once
                        (the server keeps only its SHA-256)
  --vehicle-jwk         a file with the car's P-256 public key (JWK) when the car made its own key pair;
                        default: a fresh key pair, the private half written to --key-file
  --key-file            where the car's provisioning file is written: its private key and its link
                        secret, {"vehicleKey": JWK, "linkSecret": base64url} (mode 0600; VEHICLE_KEY_FILE
                        of npm run vehicle); default: $SDK_DATA_DIR/vehicle-<VIN>.key.json (.data/)
  --json                print the result as JSON

A fresh link secret (32 random bytes) is made for every car: the server keeps it, the car gets it in
its provisioning file. With --vehicle-jwk no file is written: the link secret is shown once, to go
into the car's provisioning file next to its own private key.`,
    options: {
      vin: { type: 'string' },
      odometer: { type: 'string' },
      'first-registration': { type: 'string' },
      'qr-token': { type: 'string' },
      'vehicle-jwk': { type: 'string' },
      'key-file': { type: 'string' },
    },
    async run(values, target) {
      if (!values.vin) throw new UsageError('--vin is required');
      if (values.odometer === undefined) throw new UsageError('--odometer is required');
      if (values['vehicle-jwk'] && values['key-file']) throw new UsageError('give either --vehicle-jwk (the car has its key pair) or --key-file (make one), not both');
      const vin = String(values.vin);
      const odometerKm = Number(values.odometer);
      if (!Number.isInteger(odometerKm)) throw new UsageError('--odometer must be a whole number of km');
      const t = await target();
      const { registered, newQrToken, keyFile, newLinkSecret } = await provisionNewVehicle((input) => t.provisionVehicle(input), {
        vin,
        odometerKm,
        firstRegistration: String(values['first-registration'] ?? today()),
        ...(typeof values['qr-token'] === 'string' ? { qrToken: values['qr-token'] } : {}),
        ...(typeof values['vehicle-jwk'] === 'string' ? { vehiclePublicJwk: await readPublicJwk(values['vehicle-jwk']) } : {}),
        keyFile: typeof values['key-file'] === 'string' ? values['key-file'] : join(dataDir(), `vehicle-${vin}.key.json`),
      });
      const lines = [
        `provisioned ${registered.vin} on ${t.description} (first registration ${registered.firstRegistration}, odometer ${odometerKm} km)`,
        ...(newQrToken ? [`QR token (shown once; the server keeps only its SHA-256): ${newQrToken}`] : []),
        ...(keyFile ? [`the car's provisioning file (private key and link secret): ${keyFile} (mode 0600) — run the car with VIN=${vin} VEHICLE_KEY_FILE=${keyFile} npm run vehicle`] : []),
        ...(newLinkSecret
          ? [
              `link secret (shown once; the server keeps it): ${newLinkSecret}`,
              `the car's provisioning file (VEHICLE_KEY_FILE, mode 0600) holds it next to the car's own private key: {"vehicleKey": <private JWK>, "linkSecret": "<the link secret>"}`,
            ]
          : []),
      ];
      return {
        text: lines.join('\n'),
        json: {
          vin: registered.vin,
          firstRegistration: registered.firstRegistration,
          odometerKm,
          ...(newQrToken ? { qrToken: newQrToken } : {}),
          ...(keyFile ? { keyFile } : {}),
          ...(newLinkSecret ? { linkSecret: newLinkSecret } : {}),
        },
      };
    },
  },
  'grant-dealer': {
    summary: 'make an existing account a dealer (dealers revoke and look up keys, never issue them)',
    usage: `operator grant-dealer --email EMAIL [--json]

  --email   the e-mail address of an account that signed up
  --json    print the result as JSON`,
    options: { email: { type: 'string' } },
    async run(values, target) {
      if (!values.email) throw new UsageError('--email is required');
      const t = await target();
      const { accountId } = await t.grantDealer(String(values.email));
      return { text: `${String(values.email)} (account ${accountId}) is now a dealer on ${t.description}`, json: { dealer: accountId, email: values.email } };
    },
  },
  'invite-dealer': {
    summary: 'invite a new dealer: a single-use link (72 h) that opens the dealer desk and registers their passkey',
    usage: `operator invite-dealer --email EMAIL [--name NAME] [--json]

  --email   the dealer's e-mail address (it must not have an account yet: make an existing account a
            dealer with grant-dealer)
  --name    who the invitation is for, only to address the output to
  --json    print the result as JSON

The link holds the invitation's token (shown once: the server keeps only its SHA-256). Send it to the
dealer's address; opening it in the desk asks their name and registers their passkey.`,
    options: { email: { type: 'string' }, name: { type: 'string' } },
    async run(values, target) {
      if (!values.email) throw new UsageError('--email is required');
      const t = await target();
      const { email, link, expiresAt } = await t.inviteDealer(String(values.email));
      const until = new Date(expiresAt).toISOString();
      const who = typeof values.name === 'string' ? `${values.name} <${email}>` : email;
      return {
        text: `dealer invitation for ${who} on ${t.description}, usable once until ${until}:\n${link}`,
        json: { email, link, expiresAt: until, ...(typeof values.name === 'string' ? { name: values.name } : {}) },
      };
    },
  },
  'move-passkeys': {
    summary: 'move the passkey records stored before holder buckets into their buckets (safe while servers run)',
    usage: `operator move-passkeys [--json]

  --json    print the result as JSON

Walks the store's keyspace (SCAN on every master) for passkey records still under their own keys —
those of phones that have not signed in since the upgrade; the others moved at their login — and
moves each into its bucket: marked under its old key, copied, the old key dropped. Safe while servers
run: a change made meanwhile wins and is moved with the record. Run it again to move what is left.
Progress goes to standard error.`,
    options: {},
    async run(_values, target) {
      const t = await target();
      const { found, moved } = await t.movePasskeys((so) => process.stderr.write(`… ${so.found} passkey records of before found, ${so.moved} moved\n`));
      const left = found - moved;
      return {
        text: `moved ${moved} of ${found} passkey records stored before holder buckets into their buckets on ${t.description}${left > 0 ? ` (${left} changed while moving: run it again)` : ''}`,
        json: { found, moved },
      };
    },
  },
};

const HELP = `usage: npm run operator -- <command> [options]   (--help after a command for its options)

commands:
${commandList(COMMANDS)}

Where they act: the Redis store of REDIS_URL when it is set (production), else the development
server started by npm run dev (its loopback operator endpoint, found in $SDK_DATA_DIR/dev-operator.json, .data/ by default).`;

async function readPublicJwk(path: string): Promise<VehiclePublicJwk> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the vehicle's public key from ${path}: ${errorMessage(err)}`);
  }
  const jwk = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string().min(1), y: z.string().min(1) }).safeParse(parsed);
  if (!jwk.success) throw new UsageError(`${path} does not hold a P-256 public key (a JWK with kty "EC", crv "P-256", x and y)`);
  return { kty: 'EC', crv: 'P-256', x: jwk.data.x, y: jwk.data.y };
}

/** Redis when configured, else the running development server. */
async function chooseTarget(): Promise<OperatorTarget> {
  const config = loadConfig();
  if (config.REDIS_URL) return storeTarget(config.REDIS_URL);
  const endpoint = await readDevOperatorEndpoint();
  if (!endpoint) throw new DigitalKeyError('STORE_UNAVAILABLE', `REDIS_URL is not set and no development server is running: set REDIS_URL to act on the shared store, or start one with npm run dev (it writes ${devOperatorFile()})`);
  return devServerTarget(endpoint);
}

/** Any failure as one sentence for a person. */
function describeFailure(err: unknown): string {
  if (err instanceof z.ZodError) return describeInputError(err);
  if (err instanceof DigitalKeyError && err.code === 'VEHICLE_EXISTS') return 'this VIN is already provisioned';
  return errorMessage(err);
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, { commands: COMMANDS, help: HELP, commonOptions: { json: { type: 'boolean' } }, commonUsage: '' });
  if ('exit' in parsed) return parsed.exit;
  const { name, command, values } = parsed;
  let target: OperatorTarget | undefined;
  try {
    const result = await command.run(values, async () => (target = await chooseTarget()));
    console.log(values.json ? JSON.stringify(result.json) : result.text);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\nusage: ${command.usage}`);
      return 2;
    }
    const message = describeFailure(err);
    console.error(values.json ? JSON.stringify({ error: { code: err instanceof DigitalKeyError ? err.code : 'INTERNAL_ERROR', message } }) : `${name} failed: ${message}`);
    return 1;
  } finally {
    await target?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(describeFailure(err));
    process.exit(1);
  },
);
