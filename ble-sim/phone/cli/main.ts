/**
 * `npm run phone -- <command>`: the simulated phone as a command-line app. It talks HTTP to the
 * key-issuance server and BLE — ordinary noble over the loopback air bridge — to a car started with
 * `npm run vehicle`. Its passkeys and key wallet live in a state file (mode 0600; `--state`, default
 * `$SDK_DATA_DIR/phone.json`), so separate invocations are one phone; use another state file for a
 * second phone. Human output with progress by default, one JSON object with `--json`.
 */
import { decodeJwt } from 'jose';
import { join } from 'node:path';
import { commandList, parseCommandLine, type CliCommand, type OptionValues } from '../../../shared/cli/commandLine.js';
import { COMMANDS as VEHICLE_COMMANDS, type Command as VehicleCommand } from '../../../shared/commands.js';
import { dataDir } from '../../../shared/dataDir.js';
import { DigitalKeyError } from '../../../shared/errors/digitalKeyError.js';
import { connectRemoteRadio } from '../../air/remoteRadio.js';
import { AirBindings } from '../../noble/airBindings.js';
import { createNoble } from '../../noble/createNoble.js';
import { PhoneApp, type IssuedKey } from '../phoneApp.js';
import { sendCommand } from '../phoneCentral.js';
import { readPhoneState, writePhoneState, type PhoneState } from './phoneStateFile.js';

type Values = OptionValues;

/** What a command reports: a sentence for people and an object for `--json`. */
interface Outcome {
  text: string;
  json: Record<string, unknown>;
}

interface Context {
  values: Values;
  /** A progress line (human mode only, on stderr). */
  progress(line: string): void;
  /** The phone, restored from the state file (fails with a sentence when it has not signed up yet). */
  phone(): PhoneApp;
  state(): PhoneState;
  /** A session, logging in with the passkey first when there is none or it expired. */
  session(): Promise<PhoneApp>;
  vin(): string;
}

interface CommandSpec extends CliCommand {
  run(ctx: Context): Promise<Outcome>;
}

class UsageError extends Error {}

const DEFAULT_SERVER = 'http://localhost:8080';
const VIN_OPTION = { vin: { type: 'string' } } as const;
/** Refresh a credential that expires within this margin before using it (`expiresAt` is in epoch seconds). */
const REFRESH_MARGIN_MS = 60_000;

const need = (values: Values, name: string): string => {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
};

const COMMANDS: Record<string, CommandSpec> = {
  'sign-up': {
    summary: 'create an account and register this phone’s passkey (a biometric check)',
    usage: 'phone sign-up --email EMAIL --name NAME [--server URL] [--rp-id ID] [--origin ORIGIN]',
    options: { email: { type: 'string' }, name: { type: 'string' }, server: { type: 'string' }, 'rp-id': { type: 'string' }, origin: { type: 'string' } },
    async run(ctx) {
      const email = need(ctx.values, 'email');
      const name = need(ctx.values, 'name');
      const phone = ctx.phone();
      ctx.progress(`creating an account for ${email} on ${phone.opts.baseUrl}`);
      ctx.progress('registering this phone’s passkey (biometric check passes)');
      const { accountId, passkeyId } = await phone.signUp(email, name);
      ctx.state().email = email;
      return { text: `signed up as ${email} (account ${accountId}); this phone holds passkey ${passkeyId.slice(0, 12)}…`, json: { accountId, passkeyId, email } };
    },
  },
  login: {
    summary: 'log in with this phone’s passkey (a fresh biometric assertion)',
    usage: 'phone login [--email EMAIL]',
    options: { email: { type: 'string' } },
    async run(ctx) {
      const phone = ctx.phone();
      ctx.progress('logging in with the passkey (biometric check passes)');
      const email = typeof ctx.values.email === 'string' ? ctx.values.email : ctx.state().email;
      await phone.logIn(email);
      return { text: `logged in (account ${phone.accountId})`, json: { accountId: phone.accountId } };
    },
  },
  claim: {
    summary: 'become the vehicle’s main user, by its QR code or its odometer reading (R2), accepting the terms',
    usage: 'phone claim --vin VIN (--qr TOKEN | --odometer KM)',
    options: { ...VIN_OPTION, qr: { type: 'string' }, odometer: { type: 'string' } },
    async run(ctx) {
      const vin = need(ctx.values, 'vin');
      const qr = ctx.values.qr;
      const odometer = ctx.values.odometer;
      if ((typeof qr === 'string') === (typeof odometer === 'string')) throw new UsageError('give either --qr TOKEN or --odometer KM');
      const proof = typeof qr === 'string' ? { method: 'qr' as const, qrToken: qr } : { method: 'odometer' as const, odometerKm: Number(odometer) };
      if (proof.method === 'odometer' && !Number.isInteger(proof.odometerKm)) throw new UsageError('--odometer must be a whole number of km');
      const phone = await ctx.session();
      ctx.progress(`claiming ${vin} by ${proof.method === 'qr' ? 'its QR code' : 'its odometer reading'} (terms accepted)`);
      const claimed = await phone.claim(vin, proof);
      ctx.state().currentVin = vin;
      return { text: `you are the main user of ${vin}${claimed.wiped ? ' (every earlier key of it was wiped)' : ''}`, json: { ...claimed } };
    },
  },
  activate: {
    summary: 'activate Standard Services (R1) and start the Smart Digital Key trial (R9) when none runs',
    usage: 'phone activate [--vin VIN]',
    options: { ...VIN_OPTION },
    async run(ctx) {
      const vin = ctx.vin();
      const phone = await ctx.session();
      ctx.progress(`activating Standard Services on ${vin}`);
      await phone.activateStandardServices(vin);
      let subscription = await phone.api.request<Record<string, unknown>>('GET', `/v1/vehicles/${vin}/subscriptions/current`);
      if (subscription.state === 'none' || subscription.state === 'ended') {
        ctx.progress('starting the trial (one year from the first registration, R9)');
        subscription = await phone.api.request<Record<string, unknown>>('POST', `/v1/vehicles/${vin}/subscriptions`, { plan: 'trial' });
      }
      return { text: `Standard Services active on ${vin}; Smart Digital Key subscription ${String(subscription.state)}`, json: { vin, subscription } };
    },
  },
  key: {
    summary: 'get a digital key for the vehicle, bound to this phone’s passkey; --refresh: a fresh credential for the key it holds (R8; lock, unlock and start refresh one about to expire themselves)',
    usage: 'phone key [--vin VIN] [--refresh]',
    options: { ...VIN_OPTION, refresh: { type: 'boolean' } },
    async run(ctx) {
      const vin = ctx.vin();
      const phone = await ctx.session();
      if (ctx.values.refresh === true) {
        ctx.progress(`asking for a fresh credential for ${vin}`);
        return credentialOutcome(`a fresh credential for ${vin}`, vin, await phone.refresh(vin));
      }
      ctx.progress(`asking for a key to ${vin}`);
      const entry = await phone.requestKey(vin);
      ctx.state().currentVin = vin;
      return credentialOutcome(`key ${entry.keyId} for ${vin}`, vin, entry);
    },
  },
  invite: {
    summary: 'invite someone to a shared key (main user): which commands, for how long',
    usage: 'phone invite [--vin VIN] [--perms unlock,lock] [--email EMAIL] [--not-after ISO-DATE]',
    options: { ...VIN_OPTION, perms: { type: 'string' }, email: { type: 'string' }, 'not-after': { type: 'string' } },
    async run(ctx) {
      const vin = ctx.vin();
      const perms = String(ctx.values.perms ?? 'unlock,lock').split(',').map((p) => p.trim());
      const notAfter = typeof ctx.values['not-after'] === 'string' ? Date.parse(ctx.values['not-after']) : undefined;
      if (notAfter !== undefined && Number.isNaN(notAfter)) throw new UsageError('--not-after must be a date such as 2027-01-31');
      const phone = await ctx.session();
      ctx.progress(`inviting to ${vin} with ${perms.join(', ')}`);
      const invitation = await phone.api.request<{ invitationId: string; code: string; expiresAt: number }>('POST', `/v1/vehicles/${vin}/invitations`, {
        perms,
        ...(typeof ctx.values.email === 'string' ? { email: ctx.values.email } : {}),
        ...(notAfter !== undefined ? { notAfter } : {}),
      });
      return {
        text: `invitation code (single use, until ${new Date(invitation.expiresAt).toISOString()}): ${invitation.code}\nthe invitee runs: npm run phone -- accept --vin ${vin} --code ${invitation.code}`,
        json: { vin, ...invitation },
      };
    },
  },
  accept: {
    summary: 'accept an invitation: a shared key bound to this phone’s passkey',
    usage: 'phone accept --vin VIN --code CODE',
    options: { ...VIN_OPTION, code: { type: 'string' } },
    async run(ctx) {
      const vin = need(ctx.values, 'vin');
      const code = need(ctx.values, 'code');
      const phone = await ctx.session();
      ctx.progress(`accepting the invitation to ${vin}`);
      const issued = await phone.api.request<IssuedKey>('POST', `/v1/invitations/${encodeURIComponent(code)}/accept`, { passkeyId: phone.passkeyId });
      const entry = phone.wallet.put(vin, issued);
      ctx.state().currentVin = vin;
      return { text: `shared key ${entry.keyId} for ${vin}, credential valid until ${new Date(entry.expiresAt * 1000).toISOString()}`, json: { vin, keyId: entry.keyId, expiresAt: entry.expiresAt } };
    },
  },
  status: {
    summary: 'what this phone holds: account, passkey, keys and what each car last answered',
    usage: 'phone status',
    options: {},
    async run(ctx) {
      const state = ctx.state();
      const phone = ctx.phone();
      const keys = phone.wallet.entries().map((e) => ({ vin: e.vin, keyId: e.keyId, expiresAt: e.expiresAt, expired: e.expiresAt * 1000 <= Date.now(), stateSeq: e.stateSeq, lastSeen: state.lastSeen[e.vin] }));
      const lines = [
        `server ${state.serverUrl}; account ${state.accountId ?? '(none: run sign-up)'}${state.email ? ` (${state.email})` : ''}`,
        `passkey ${state.passkeyId ? `${state.passkeyId.slice(0, 12)}…` : '(none)'}; session ${state.session && state.session.expiresAt > Date.now() ? `until ${new Date(state.session.expiresAt).toISOString()}` : 'none (the next command logs in)'}`,
        ...(keys.length === 0
          ? ['no keys yet']
          : keys.map(
              (k) =>
                `${k.vin}${k.vin === state.currentVin ? ' (current)' : ''}: key ${k.keyId}, credential ${k.expired ? 'expired (refreshed online at the next command)' : `valid until ${new Date(k.expiresAt * 1000).toISOString()}`}` +
                (k.lastSeen ? `; car ${k.lastSeen.locked ? 'locked' : 'unlocked'}, engine ${k.lastSeen.engine ? 'on' : 'off'}` : ''),
            )),
      ];
      return { text: lines.join('\n'), json: { serverUrl: state.serverUrl, accountId: state.accountId ?? null, passkeyId: state.passkeyId ?? null, currentVin: state.currentVin ?? null, keys } };
    },
  },
};

const BLE_OPTIONS = { ...VIN_OPTION, 'air-port': { type: 'string' }, 'air-host': { type: 'string' } } as const;
for (const cmd of VEHICLE_COMMANDS.filter((c): c is VehicleCommand & ('unlock' | 'lock' | 'start') => c === 'unlock' || c === 'lock' || c === 'start')) {
  COMMANDS[cmd] = {
    summary: `${cmd} the car over BLE: the key’s credential plus a fresh biometric assertion over this very command (R14)`,
    usage: `phone ${cmd} [--vin VIN] [--air-port PORT] [--air-host HOST]   (the car's air bridge; default AIR_PORT or 7433)`,
    options: { ...BLE_OPTIONS },
    run: (ctx) => bleCommand(ctx, cmd),
  };
}

/** What `key` and `refresh` answer: the credential the phone now holds and until when. */
function credentialOutcome(what: string, vin: string, entry: { keyId: string; expiresAt: number }): Outcome {
  return { text: `${what}, credential valid until ${new Date(entry.expiresAt * 1000).toISOString()}`, json: { vin, keyId: entry.keyId, expiresAt: entry.expiresAt } };
}

async function bleCommand(ctx: Context, cmd: 'unlock' | 'lock' | 'start'): Promise<Outcome> {
  const vin = ctx.vin();
  const phone = ctx.phone();
  let entry = phone.wallet.get(vin);
  if (!entry) throw new DigitalKeyError('NOT_FOUND', `this phone holds no key for ${vin}: run npm run phone -- key (main user) or accept an invitation`);
  if (entry.expiresAt * 1000 - REFRESH_MARGIN_MS <= Date.now()) {
    ctx.progress('the credential is about to expire: refreshing it online (R8)');
    entry = await (await ctx.session()).refresh(vin);
  }
  const port = Number(ctx.values['air-port'] ?? process.env.AIR_PORT ?? 7433);
  const host = String(ctx.values['air-host'] ?? process.env.AIR_HOST ?? '127.0.0.1');
  ctx.progress(`connecting to the car's air at ${host}:${port}, scanning for ${vin}`);
  let radio;
  try {
    const address = ctx.state().bleAddress;
    radio = await connectRemoteRadio({ host, port, ...(address ? { address } : {}) });
  } catch (err) {
    throw new DigitalKeyError('TIMEOUT', `no car's air bridge answers at ${host}:${port}: is npm run vehicle running? (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  try {
    const bindings = new AirBindings(radio);
    // The radio address is the phone's identity to a car's bonds: keep it with the bonds.
    ctx.state().bleAddress = radio.address;
    bindings.restoreBonds(ctx.state().bonds);
    ctx.progress(`${cmd}: challenge, biometric check (passes), signed request`);
    const key = phone.credentialFor(vin);
    const result = await sendCommand({
      noble: createNoble(bindings),
      metricsSource: bindings,
      bonds: bindings,
      vin,
      cmd,
      ...key,
      authenticator: phone.authenticator,
      rpId: phone.opts.rpId,
      origin: phone.opts.origin,
    });
    const { response, metrics } = result;
    phone.noteCommand(vin, key.credential, result);
    ctx.state().lastSeen[vin] = { ...response.vehicle, at: Date.now() };
    ctx.state().bonds = bindings.bondRecords();
    const figures = { roundTrips: metrics.roundTrips, simulatedMs: metrics.simulatedMs, mtu: metrics.mtu };
    if (!response.ok) {
      throw new DigitalKeyError(response.code === 'OK' ? 'INTERNAL_ERROR' : response.code, `the car refused ${cmd}: ${response.code}`, { detail: { vehicle: response.vehicle, ...figures } });
    }
    const done = { unlock: 'unlocked', lock: 'locked', start: 'started' }[cmd];
    return {
      text: `${vin} ${done} ✓ (car: ${response.vehicle.locked ? 'locked' : 'unlocked'}, engine ${response.vehicle.engine ? 'on' : 'off'}; ${metrics.roundTrips} round trip${metrics.roundTrips === 1 ? '' : 's'}, ${metrics.simulatedMs} simulated ms)`,
      json: { vin, cmd, ok: true, code: response.code, vehicle: response.vehicle, ...figures },
    };
  } finally {
    await radio.close();
  }
}

const HELP = `usage: npm run phone -- <command> [options] [--json] [--state FILE]   (--help after a command for its options)

commands:
${commandList(COMMANDS)}

The phone's passkeys and keys live in --state (default $SDK_DATA_DIR/phone.json, .data/ by default;
mode 0600): every run with the same file is the same phone. --json prints one JSON object.`;

async function main(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(argv, { commands: COMMANDS, help: HELP, commonOptions: { json: { type: 'boolean' }, state: { type: 'string' } }, commonUsage: '[--json] [--state FILE]' });
  if ('exit' in parsed) return parsed.exit;
  const { name, command, values } = parsed;
  const json = values.json === true;
  const statePath = typeof values.state === 'string' ? values.state : process.env.PHONE_STATE || join(dataDir(), 'phone.json');
  const saved = await readPhoneState(statePath);
  if (!saved && name !== 'sign-up') {
    console.error(`this phone has no account yet (no ${statePath}): run npm run phone -- sign-up --email … --name … first`);
    return 1;
  }
  const serverUrl = String(values.server ?? saved?.serverUrl ?? process.env.SERVER_URL ?? DEFAULT_SERVER);
  const server = new URL(serverUrl);
  const state: PhoneState = saved ?? {
    version: 1,
    serverUrl,
    rpId: String(values['rp-id'] ?? server.hostname),
    origin: String(values.origin ?? server.origin),
    passkeys: [],
    wallet: [],
    bonds: [],
    lastSeen: {},
  };
  if (saved && name === 'sign-up' && saved.accountId) {
    console.error(`this phone already signed up (account ${saved.accountId}) in ${statePath}: use another --state for another phone`);
    return 1;
  }
  const phone = new PhoneApp({ baseUrl: state.serverUrl, rpId: state.rpId, origin: state.origin });
  phone.authenticator.importPasskeys(state.passkeys);
  phone.wallet.restore(state.wallet);
  phone.accountId = state.accountId ?? null;
  phone.passkeyId = state.passkeyId ?? null;
  if (state.session && state.session.expiresAt > Date.now() + 5_000) phone.api.token = state.session.token;

  const save = async () => {
    state.passkeys = phone.authenticator.exportPasskeys();
    state.wallet = phone.wallet.entries();
    if (phone.accountId) state.accountId = phone.accountId;
    if (phone.passkeyId) state.passkeyId = phone.passkeyId;
    if (phone.api.token) {
      const exp = decodeJwt(phone.api.token).exp;
      state.session = { token: phone.api.token, expiresAt: typeof exp === 'number' ? exp * 1000 : Date.now() };
    }
    await writePhoneState(statePath, state);
  };
  const ctx: Context = {
    values,
    progress: (line) => {
      if (!json) console.error(`  → ${line}`);
    },
    phone: () => phone,
    state: () => state,
    async session() {
      if (!phone.passkeyId) throw new DigitalKeyError('UNAUTHENTICATED', 'this phone has no passkey yet: run npm run phone -- sign-up first');
      if (!phone.api.token) {
        ctx.progress('logging in with the passkey (biometric check passes)');
        await phone.logIn(state.email);
      }
      return phone;
    },
    vin() {
      const vin = typeof values.vin === 'string' ? values.vin : state.currentVin;
      if (!vin) throw new UsageError('--vin is required (no vehicle claimed or keyed on this phone yet)');
      return vin;
    },
  };

  try {
    const outcome = await command.run(ctx);
    await save();
    console.log(json ? JSON.stringify(outcome.json) : outcome.text);
    return 0;
  } catch (err) {
    await save().catch(() => undefined);
    if (err instanceof UsageError) {
      console.error(`${err.message}\n\nusage: ${command.usage}`);
      return 2;
    }
    const code = err instanceof DigitalKeyError ? err.code : 'INTERNAL_ERROR';
    const message = err instanceof Error ? err.message : String(err);
    if (json) console.log(JSON.stringify({ error: { code, message, ...(err instanceof DigitalKeyError && err.detail ? { detail: err.detail } : {}) } }));
    else console.error(`✗ ${name} failed: ${message}${err instanceof DigitalKeyError && !message.includes(code) ? ` (${code})` : ''}`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`✗ ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
