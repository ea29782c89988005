/**
 * Fixtures for BLE tests: an issuer, passkeys registered the way the server will register them
 * (hand-built creation options → VirtualAuthenticator → verifyRegistrationResponse), credentials
 * and manifests minted directly, and a "world" (air + vehicle with a temp state file + phones).
 * A world's car is provisioned with LINK_SECRET; its phones find it with the advertising key derived
 * from it, as a wallet entry would give them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyRegistrationResponse, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { Air } from '../../ble-sim/air/air.js';
import { DEFAULT_LINK_PROFILE, type LinkProfile } from '../../ble-sim/air/linkProfile.js';
import { AirBindings } from '../../ble-sim/noble/airBindings.js';
import { createNoble, type Noble } from '../../ble-sim/noble/createNoble.js';
import type { VehicleAdvertising } from '../../ble-sim/phone/nobleVehicleLink.js';
import { sendCommand, type SendCommandOptions, type SendCommandResult } from '../../ble-sim/phone/phoneCentral.js';
import { VirtualAuthenticator } from '../../ble-sim/phone/virtualAuthenticator.js';
import { createVehicle, type CreateVehicleOptions, type Vehicle } from '../../ble-sim/vehicle/createVehicle.js';
import { passkeyCounterKey } from '../../ble-sim/vehicle/vehicleVerifier.js';
import { compressedPointOfCoseKey } from '../../shared/cose/p256Point.js';
import { ForwardOnlyClock } from '../../ble-sim/vehicle/forwardOnlyClock.js';
import { deriveAdvertisingKey } from '../../shared/ble/linkKeys.js';
import { ManualClock } from '../../shared/clock.js';
import type { Command } from '../../shared/commands.js';
import { LocalIssuerKey } from '../../shared/credential/issuerKey.js';
import { issueKeyCredential } from '../../shared/credential/keyCredential.js';
import { signStateManifest } from '../../shared/credential/stateManifest.js';
import type { TrustedIssuer } from '../../shared/credential/trustedIssuer.js';
import { bytesToBase64Url } from '../../shared/base64url.js';
import { credentialDigest, deriveResponseKey } from '../../shared/ble/linkKeys.js';

export const RP_ID = 'localhost';
export const ORIGIN = 'http://localhost:8080';
export const ISSUER_ID = 'https://sdk.test';
export const VIN = '5YJ3E1EA7KF317000';
export const OTHER_VIN = 'WBA8E9G50GNT40001';
/** 2026-01-01T00:00:00Z */
export const START_MS = Date.UTC(2026, 0, 1);
export const DAY_S = 86_400;
/** The link secret of a world's car (as provisioning would make it, 32 bytes). */
export const LINK_SECRET = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 ^ i);
/** The advertising key a key holder of a world's car gets with each credential. */
export const ADVERTISING_KEY = deriveAdvertisingKey(LINK_SECRET);

export interface TestIssuer {
  key: LocalIssuerKey;
  trust: TrustedIssuer;
}

export async function createIssuer(issuer = ISSUER_ID): Promise<TestIssuer> {
  const key = await LocalIssuerKey.generate();
  return { key, trust: { issuer, jwks: { keys: [key.publicJwk] } } };
}

/** A passkey as the server stores it: credential id and COSE public key, both base64url. */
export interface RegisteredPasskey {
  id: string;
  pk: string;
}

/** Register a passkey with UV required, and verify it as the server will. */
export async function registerPasskey(
  authenticator: VirtualAuthenticator,
  opts: { rpId?: string; origin?: string } = {},
): Promise<RegisteredPasskey> {
  const rpId = opts.rpId ?? RP_ID;
  const origin = opts.origin ?? ORIGIN;
  const challenge = randomBytes(32).toString('base64url');
  const options: PublicKeyCredentialCreationOptionsJSON = {
    rp: { id: rpId, name: 'Smart Digital Key' },
    user: { id: randomBytes(16).toString('base64url'), name: 'driver@example.com', displayName: 'Driver' },
    challenge,
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    authenticatorSelection: { userVerification: 'required', residentKey: 'required' },
    attestation: 'none',
  };
  const response = authenticator.createCredential(options, origin);
  const verification = await verifyRegistrationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: origin,
    expectedRPID: rpId,
    requireUserVerification: true,
  });
  if (!verification.verified) throw new Error('passkey registration did not verify');
  const { credential } = verification.registrationInfo;
  return { id: credential.id, pk: Buffer.from(credential.publicKey).toString('base64url') };
}

export interface MintCredentialOptions {
  issuer: TestIssuer;
  passkey: RegisteredPasskey;
  vin?: string;
  keyId?: string;
  perms?: Command[];
  role?: 'main' | 'shared';
  ep?: number;
  /** Issued at (default START_MS), seconds are derived. */
  nowMs?: number;
  /** Validity from nbf (default 24 h). */
  ttlS?: number;
}

/** Under which name the car keeps this passkey's signature counter. */
export function counterKeyOf(passkey: RegisteredPasskey): string {
  return passkeyCounterKey(compressedPointOfCoseKey(Buffer.from(passkey.pk, 'base64url')));
}

/** A credential as the API hands it out: base64url of its COSE bytes. */
export async function mintCredential(opts: MintCredentialOptions): Promise<string> {
  const now = Math.floor((opts.nowMs ?? START_MS) / 1000);
  const credential = await issueKeyCredential({
    key: opts.issuer.key,
    claims: {
      iss: opts.issuer.trust.issuer,
      sub: opts.keyId ?? randomUUID(),
      aud: opts.vin ?? VIN,
      iat: now,
      nbf: now,
      exp: now + (opts.ttlS ?? DAY_S),
      role: opts.role ?? 'main',
      perms: opts.perms ?? ['unlock', 'lock', 'start', 'trunk'],
      ep: opts.ep ?? 0,
      cnf: { wa: { pk: opts.passkey.pk } },
    },
  });
  return bytesToBase64Url(credential);
}

/** The response key the server hands out with a credential for a car with this link secret. */
export function responseKeyFor(linkSecret: Uint8Array, credential: string): string {
  return bytesToBase64Url(deriveResponseKey(linkSecret, credentialDigest(credential)));
}

export async function mintManifest(opts: {
  issuer: TestIssuer;
  seq: number;
  vin?: string;
  ep?: number;
  revoked?: string[];
  iatMs?: number;
}): Promise<string> {
  const manifest = await signStateManifest({
    key: opts.issuer.key,
    claims: {
      iss: opts.issuer.trust.issuer,
      aud: opts.vin ?? VIN,
      iat: Math.floor((opts.iatMs ?? START_MS) / 1000),
      seq: opts.seq,
      ep: opts.ep ?? 0,
      revoked: opts.revoked ?? [],
    },
  });
  return bytesToBase64Url(manifest);
}

/** A phone: its own radio on the air, a noble instance over it, and an authenticator. */
export interface TestPhone {
  noble: Noble;
  bindings: AirBindings;
  authenticator: VirtualAuthenticator;
}

export function createPhone(air: Air, opts: { rssi?: number; countSignatures?: boolean } = {}): TestPhone {
  const bindings = new AirBindings(air, opts.rssi === undefined ? {} : { rssi: opts.rssi });
  return {
    noble: createNoble(bindings),
    bindings,
    authenticator: new VirtualAuthenticator(opts.countSignatures === undefined ? {} : { countSignatures: opts.countSignatures }),
  };
}

/** A key held by a phone: its passkey and a credential bound to it. */
export interface TestKey {
  keyId: string;
  passkey: RegisteredPasskey;
  credential: string;
  /** The credential's response key, as the server hands it out with the credential. */
  responseKey: string;
}

export interface BleWorld {
  dir: string;
  stateFile: string;
  clock: ManualClock;
  air: Air;
  issuer: TestIssuer;
  /** The car's link secret (the server's vehicle record holds the same). */
  linkSecret: Uint8Array;
  vehicle: Vehicle;
  phone: TestPhone;
  /** How a key holder's phone recognises this world's car (its advertising key, the world's clock as the phone reads it). */
  advertising: VehicleAdvertising;
  /** Register a passkey on the phone and mint a credential for it. */
  issueKey(opts?: { phone?: TestPhone } & Omit<MintCredentialOptions, 'issuer' | 'passkey'>): Promise<TestKey>;
  /** sendCommand with this world's VIN, rpId, origin, advertising key (and the credential's response key and passkey unless given). */
  send(
    opts: { cmd: Command; credential: string; phone?: TestPhone } & Partial<Omit<SendCommandOptions, 'noble' | 'cmd' | 'credential'>>,
  ): Promise<SendCommandResult>;
  /** Stop the vehicle and start a new one on the same state file (a reboot). */
  restartVehicle(): Promise<Vehicle>;
  cleanup(): Promise<void>;
}

export async function createBleWorld(
  opts: { linkProfile?: LinkProfile; seed?: number; vehicle?: Partial<CreateVehicleOptions> } = {},
): Promise<BleWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'sdk-ble-'));
  const stateFile = join(dir, 'vehicle-state.json');
  const clock = new ManualClock(START_MS);
  const air = new Air({ seed: opts.seed ?? 42 });
  const issuer = await createIssuer();
  const linkSecret = LINK_SECRET;
  /** Which passkey each issued credential binds, so send() signs with it (the phone app knows its passkey). */
  const passkeyOfCredential = new Map<string, string>();
  const passkeyFor = (credential: string): { passkeyId?: string } => {
    const passkeyId = passkeyOfCredential.get(credential);
    return passkeyId === undefined ? {} : { passkeyId };
  };
  const makeVehicle = () =>
    createVehicle({
      vin: VIN,
      trust: issuer.trust,
      linkSecret,
      rpId: RP_ID,
      origins: [ORIGIN],
      stateFile,
      clock,
      air,
      linkProfile: opts.linkProfile ?? DEFAULT_LINK_PROFILE,
      ...opts.vehicle,
    });
  const world: BleWorld = {
    dir,
    stateFile,
    clock,
    air,
    issuer,
    linkSecret,
    vehicle: makeVehicle(),
    phone: createPhone(air),
    // The phone keeps true time: a test winding the car's clock back (an attack on the car) does not wind the phone's.
    advertising: { key: ADVERTISING_KEY, clock: new ForwardOnlyClock(clock) },
    async issueKey(o = {}) {
      const { phone = world.phone, ...mint } = o;
      const passkey = await registerPasskey(phone.authenticator);
      const keyId = mint.keyId ?? randomUUID();
      const credential = await mintCredential({ issuer, passkey, nowMs: clock.now(), ...mint, keyId });
      passkeyOfCredential.set(credential, passkey.id);
      return { keyId, passkey, credential, responseKey: responseKeyFor(linkSecret, credential) };
    },
    send(o) {
      const { phone = world.phone, ...rest } = o;
      return sendCommand({
        noble: phone.noble,
        metricsSource: phone.bindings,
        vin: VIN,
        advertising: world.advertising,
        authenticator: phone.authenticator,
        rpId: RP_ID,
        origin: ORIGIN,
        timeoutMs: 5_000,
        responseKey: responseKeyFor(linkSecret, rest.credential),
        ...passkeyFor(rest.credential),
        ...rest,
      });
    },
    async restartVehicle() {
      await world.vehicle.stop();
      world.vehicle = makeVehicle();
      await world.vehicle.start();
      return world.vehicle;
    },
    async cleanup() {
      await world.vehicle.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await world.vehicle.start();
  return world;
}
