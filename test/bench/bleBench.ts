/**
 * BLE bench: (1) the car's verify CPU per command — credential (ES256 JWS) + WebAuthn assertion, and
 * the same with a newer manifest attached — against two raw P-256 verifies measured in the same run;
 * (2) round trips, connection events and bytes on air per command at two link profiles (MTU 185 /
 * 30 ms and MTU 23 / 7.5 ms); (3) `unlock`: the same figures per scenario (first contact, bonded
 * with a new credential, bonded with the same credential again) at each of the three issue-10
 * profiles. Link figures are simulated, so they are exact and repeatable.
 */
import { createSign, createVerify, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import type { LinkMetrics } from '../../ble-sim/air/linkMetrics.js';
import { DEFAULT_LINK_PROFILE, DLE_LINK_PROFILE, MIN_MTU_LINK_PROFILE, type LinkProfile } from '../../ble-sim/air/linkProfile.js';
import { buildCommandRequest } from '../../ble-sim/phone/commandRequest.js';
import { verifyCommandRequest } from '../../ble-sim/vehicle/vehicleVerifier.js';
import { encodeMessage, PROTOCOL_VERSION } from '../../shared/ble/messages.js';
import { verifyKeyCredential } from '../../shared/credential/keyCredential.js';
import { createBleWorld, mintManifest, ORIGIN, RP_ID, VIN } from '../support/bleFixtures.js';
import { fmt, measureInterleaved, type BenchSection } from './benchSupport.js';

const COMMANDS = ['unlock', 'lock', 'start'] as const;

async function linkFigures(profile: LinkProfile) {
  const world = await createBleWorld({ linkProfile: profile });
  try {
    const key = await world.issueKey();
    const rows = [];
    for (const cmd of COMMANDS) {
      const { response, metrics } = await world.send({ cmd, credential: key.credential });
      if (!response.ok) throw new Error(`${cmd} refused: ${response.code}`);
      rows.push({ cmd, ...metrics });
    }
    return rows;
  } finally {
    await world.cleanup();
  }
}

/** The scenarios of the benchmark contract (issue 10), in the order one phone meets them. */
const UNLOCK_SCENARIOS = ['first-contact', 'bonded-new-credential', 'bonded-cached'] as const;

/** One row of `sections.ble.unlock`. */
interface UnlockFigures {
  scenario: (typeof UNLOCK_SCENARIOS)[number];
  profile: string;
  roundTrips: number;
  connectionEvents: number;
  bytesOnAir: LinkMetrics['bytesOnAir'];
  simulatedMs: number;
}

/**
 * One phone, one car: the first command (a new phone: discovery, CCCD write, bonding), then a
 * command with a credential the car has not seen (a second passkey's key), then the same again.
 */
async function unlockFigures(profileName: string, profile: LinkProfile): Promise<UnlockFigures[]> {
  const world = await createBleWorld({ linkProfile: profile });
  try {
    const bonds = world.phone.bindings;
    const first = await world.issueKey();
    const next = await world.issueKey();
    const credentials = { 'first-contact': first.credential, 'bonded-new-credential': next.credential, 'bonded-cached': next.credential };
    const rows: UnlockFigures[] = [];
    for (const scenario of UNLOCK_SCENARIOS) {
      const { response, metrics } = await world.send({ cmd: 'unlock', credential: credentials[scenario], bonds });
      if (!response.ok) throw new Error(`${scenario} at ${profileName} refused: ${response.code}`);
      const { roundTrips, connectionEvents, bytesOnAir, simulatedMs } = metrics;
      rows.push({ scenario, profile: profileName, roundTrips, connectionEvents, bytesOnAir, simulatedMs });
    }
    return rows;
  } finally {
    await world.cleanup();
  }
}

export const bleBench: BenchSection = {
  name: 'ble',
  description: 'car verify CPU per command vs two raw P-256 verifies; link figures per command at two profiles',
  async run(opts) {
    const world = await createBleWorld();
    const key = await world.issueKey();
    const nonce = new Uint8Array(randomBytes(32));
    const challenge = { v: PROTOCOL_VERSION, nonce, seq: 0, t: Math.floor(world.clock.now() / 1000) } as const;
    const request = await buildCommandRequest({ challenge, vin: VIN, cmd: 'unlock', credential: key.credential, authenticator: world.phone.authenticator, rpId: RP_ID, origin: ORIGIN });
    const manifest = await mintManifest({ issuer: world.issuer, iatMs: world.clock.now(), seq: 1, ep: 0, revoked: [] });
    const withState = { ...request, state: manifest };
    const config = { vin: VIN, trust: world.issuer.trust, rpId: RP_ID, origins: [ORIGIN] };
    const state = world.vehicle.state;
    const nowMs = world.clock.now();
    for (const r of [request, withState]) {
      const d = await verifyCommandRequest({ request: r, nonce, state, nowMs, config });
      if (!d.ok) throw new Error(`bench request refused: ${d.code}`);
    }
    await world.cleanup();

    // Baseline: the two P-256 signature checks a command needs at minimum (JWS + assertion).
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwsInput = Buffer.from(key.credential.slice(0, key.credential.lastIndexOf('.')));
    const jwsSig = sign('sha256', jwsInput, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const assertionInput = randomBytes(37 + 32);
    const assertionSig = createSign('sha256').update(assertionInput).sign(privateKey);
    const twoRawVerifies = () => {
      verify('sha256', jwsInput, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jwsSig);
      createVerify('sha256').update(assertionInput).verify(publicKey, assertionSig);
    };

    const quick = opts.quick;
    const results = await opts.stage('verify CPU (interleaved trials)', () =>
      measureInterleaved(
        [
          { name: 'two raw P-256 verifies (baseline)', fn: twoRawVerifies },
          { name: 'credential only (verifyKeyCredential)', fn: () => verifyKeyCredential({ credential: key.credential, trust: config.trust, vin: VIN, nowSeconds: Math.floor(nowMs / 1000) }) },
          { name: 'full command verify (credential + assertion)', fn: () => verifyCommandRequest({ request, nonce, state, nowMs, config }) },
          { name: 'full verify + newer manifest carried', fn: () => verifyCommandRequest({ request: withState, nonce, state, nowMs, config }) },
        ],
        { trials: quick ? 3 : 5, warmupMs: quick ? 200 : 500, durationMs: quick ? 300 : 1000 },
      ),
    );
    const verifyRows = [...results.entries()].map(([name, r]) => ({
      case: name,
      'ops/s': Math.round(r.opsPerSec),
      'µs/op': fmt(1e6 / r.opsPerSec, 1),
      'cost vs baseline': `${fmt(1 / r.ratioToBaseline, 2)}×`,
    }));

    const profiles = [
      { name: 'MTU 185 / 30 ms', profile: DEFAULT_LINK_PROFILE },
      { name: 'MTU 23 / 7.5 ms', profile: MIN_MTU_LINK_PROFILE },
    ];
    const link: Record<string, unknown> = {};
    const linkRows = [];
    for (const p of profiles) {
      const rows = await opts.stage(`link figures at ${p.name}`, () => linkFigures(p.profile));
      link[p.name] = rows;
      for (const r of rows) {
        linkRows.push({
          profile: p.name,
          cmd: r.cmd,
          'round trips': r.roundTrips,
          'conn. events': r.connectionEvents,
          'bytes →car': r.bytesOnAir.centralToPeripheral,
          'bytes ←car': r.bytesOnAir.peripheralToCentral,
          'simulated ms': r.simulatedMs,
        });
      }
    }

    const unlockProfiles = [
      { name: 'MTU 185 / 30 ms / 4 per event', profile: DEFAULT_LINK_PROFILE },
      { name: 'MTU 23 / 7.5 ms / 1 per event', profile: MIN_MTU_LINK_PROFILE },
      { name: 'MTU 247 / 15 ms / 6 per event', profile: DLE_LINK_PROFILE },
    ];
    const unlock: UnlockFigures[] = [];
    for (const p of unlockProfiles) unlock.push(...(await opts.stage(`unlock scenarios at ${p.name}`, () => unlockFigures(p.name, p.profile))));
    const unlockRows = unlock.map((r) => ({
      scenario: r.scenario,
      profile: r.profile,
      'round trips': r.roundTrips,
      'conn. events': r.connectionEvents,
      'bytes →car': r.bytesOnAir.centralToPeripheral,
      'bytes ←car': r.bytesOnAir.peripheralToCentral,
      'simulated ms': r.simulatedMs,
    }));

    return {
      tables: [
        { title: 'Car verify CPU per command (one core; ratio = cost in units of two raw P-256 verifies)', rows: verifyRows },
        { title: 'Link figures per command (simulated air, no loss)', rows: linkRows },
        { title: 'Unlock per scenario (simulated air, no loss; one phone meeting the car, then bonded)', rows: unlockRows },
      ],
      results: {
        requestBytes: { withoutState: encodeMessage(request).length, withState: encodeMessage(withState).length, credentialChars: key.credential.length },
        verify: Object.fromEntries([...results.entries()].map(([name, r]) => [name, { opsPerSec: Math.round(r.opsPerSec), usPerOp: 1e6 / r.opsPerSec, costVsBaseline: 1 / r.ratioToBaseline, trialsOpsPerSec: r.trialsOpsPerSec }])),
        link,
        unlock,
      },
      notes: [
        'verify CPU is measured on the pure verifier (vehicleVerifier.ts) with the nonce already consumed, as the car runs it; the assertion is checked with node:crypto (verifyAssertion.ts), the passkey key imported once and cached',
        `a request is ${encodeMessage(request).length} bytes without a manifest and ${encodeMessage(withState).length} with one`,
        'unlock: link figures are simulated and exact (load cannot change them); each profile runs one phone through the three scenarios in order, bonding on its first OK',
      ],
    };
  },
};
