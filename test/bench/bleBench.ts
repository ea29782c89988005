/**
 * BLE bench (protocol v2): (1) the car's verify CPU per command — with a credential it has not
 * seen (COSE signature + compact assertion) and with one it holds (named by reference: the assertion
 * only) — against two raw P-256 verifies measured in the same run; (2) round trips, connection
 * events and bytes on air per command at two link profiles; (3) `unlock`: the same figures per
 * scenario (first contact, bonded with a new credential, bonded with the credential the car holds)
 * at each of the three issue-10 profiles, from the established connection to the car's answer
 * (connected → actuated), the whole connection beside it. Link figures are simulated, so they are
 * exact and repeatable.
 */
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import type { LinkMetrics } from '../../ble-sim/air/linkMetrics.js';
import { connectedToAnswer } from '../../ble-sim/air/linkMetrics.js';
import { DEFAULT_LINK_PROFILE, DLE_LINK_PROFILE, MIN_MTU_LINK_PROFILE, type LinkProfile } from '../../ble-sim/air/linkProfile.js';
import { buildCommandRequest } from '../../ble-sim/phone/commandRequest.js';
import { CredentialCache } from '../../ble-sim/vehicle/credentialCache.js';
import { verifyCommandRequest, type VerifierConfig } from '../../ble-sim/vehicle/vehicleVerifier.js';
import { base64UrlToBytes } from '../../shared/base64url.js';
import { encodeRequest, PROTOCOL_VERSION } from '../../shared/ble/messages.js';
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
  /** The same figures for the whole connection: link set-up and disconnection included. */
  wholeConnection: Omit<UnlockFigures, 'scenario' | 'profile' | 'wholeConnection'>;
}

function whole(m: LinkMetrics): UnlockFigures['wholeConnection'] {
  const { roundTrips, connectionEvents, bytesOnAir, simulatedMs } = m;
  return { roundTrips, connectionEvents, bytesOnAir, simulatedMs };
}

/**
 * One phone, one car: the first command (a new phone: discovery, CCCD write, bonding, the whole
 * credential), then a command with a credential the car has not seen (a second passkey's key), then
 * the same credential again, which the car now holds (sent as its 8-byte reference).
 */
async function unlockFigures(profileName: string, profile: LinkProfile): Promise<UnlockFigures[]> {
  const world = await createBleWorld({ linkProfile: profile });
  try {
    const bonds = world.phone.bindings;
    const first = await world.issueKey();
    const next = await world.issueKey();
    const sends = {
      'first-contact': { credential: first.credential, carHoldsCredential: false },
      'bonded-new-credential': { credential: next.credential, carHoldsCredential: false },
      'bonded-cached': { credential: next.credential, carHoldsCredential: true },
    };
    const rows: UnlockFigures[] = [];
    for (const scenario of UNLOCK_SCENARIOS) {
      const { response, answerMetrics, metrics } = await world.send({ cmd: 'unlock', ...sends[scenario], bonds });
      if (!response.ok) throw new Error(`${scenario} at ${profileName} refused: ${response.code}`);
      rows.push({ scenario, profile: profileName, ...connectedToAnswer(answerMetrics), wholeConnection: whole(metrics) });
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
    const nonce = new Uint8Array(randomBytes(16));
    const challenge = { v: PROTOCOL_VERSION, nonce, seq: 0 } as const;
    const build = (byReference: boolean) =>
      buildCommandRequest({ challenge, vin: VIN, cmd: 'unlock', credential: key.credential, byReference, authenticator: world.phone.authenticator, rpId: RP_ID, origin: ORIGIN });
    const whole = await build(false);
    const byRef = await build(true);
    const manifest = await mintManifest({ issuer: world.issuer, iatMs: world.clock.now(), seq: 1, ep: 0, revoked: [] });
    const withState = { ...whole, state: base64UrlToBytes(manifest) };
    const config: VerifierConfig = { vin: VIN, trust: world.issuer.trust, linkSecret: world.linkSecret, rpId: RP_ID, origins: [ORIGIN] };
    const state = world.vehicle.state;
    const nowMs = world.clock.now();
    const empty = new CredentialCache();
    const holding = new CredentialCache();
    const first = verifyCommandRequest({ request: whole, nonce, state, nowMs, config, cache: empty });
    if (!first.ok || !first.cache) throw new Error(`bench request refused: ${first.code}`);
    holding.add(first.cache);
    for (const [request, cache] of [[byRef, holding], [withState, empty]] as const) {
      const d = verifyCommandRequest({ request, nonce, state, nowMs, config, cache });
      if (!d.ok) throw new Error(`bench request refused: ${d.code}`);
    }
    await world.cleanup();

    // Baseline: the two P-256 signature checks a command needs at minimum (credential + assertion).
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const credentialInput = randomBytes(300);
    const credentialSig = sign('sha256', credentialInput, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const assertionInput = randomBytes(37 + 32);
    const assertionSig = sign('sha256', assertionInput, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const twoRawVerifies = () => {
      verify('sha256', credentialInput, { key: publicKey, dsaEncoding: 'ieee-p1363' }, credentialSig);
      verify('sha256', assertionInput, { key: publicKey, dsaEncoding: 'ieee-p1363' }, assertionSig);
    };

    const quick = opts.quick;
    const NEW = 'a credential the car has not seen (COSE + assertion)';
    const CACHED = 'a credential the car holds (by reference: assertion only)';
    const results = await opts.stage('verify CPU (interleaved trials)', () =>
      measureInterleaved(
        [
          { name: 'two raw P-256 verifies (baseline)', fn: twoRawVerifies },
          { name: NEW, fn: () => verifyCommandRequest({ request: whole, nonce, state, nowMs, config, cache: empty }) },
          { name: CACHED, fn: () => verifyCommandRequest({ request: byRef, nonce, state, nowMs, config, cache: holding }) },
          { name: 'a new credential and a newer manifest carried', fn: () => verifyCommandRequest({ request: withState, nonce, state, nowMs, config, cache: empty }) },
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
    const ratio = (name: string) => {
      const r = results.get(name);
      if (!r) throw new Error(`no result for ${name}`);
      return 1 / r.ratioToBaseline;
    };
    const baseline = results.get('two raw P-256 verifies (baseline)');
    if (!baseline) throw new Error('no baseline');

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
      'bytes total': r.bytesOnAir.centralToPeripheral + r.bytesOnAir.peripheralToCentral,
      'simulated ms': r.simulatedMs,
      'whole connection: bytes / ms': `${r.wholeConnection.bytesOnAir.centralToPeripheral + r.wholeConnection.bytesOnAir.peripheralToCentral} / ${r.wholeConnection.simulatedMs}`,
    }));

    return {
      tables: [
        { title: 'Car verify CPU per command (one core; ratio = cost in units of two raw P-256 verifies)', rows: verifyRows },
        { title: 'Link figures per command (simulated air, no loss; whole connection)', rows: linkRows },
        { title: 'Unlock per scenario (simulated air, no loss; connected → actuated, whole connection beside it)', rows: unlockRows },
      ],
      results: {
        requestBytes: {
          newCredential: encodeRequest(whole).length,
          cachedCredential: encodeRequest(byRef).length,
          withState: encodeRequest(withState).length,
          credentialBytes: base64UrlToBytes(key.credential).length,
        },
        verify: {
          baselineUsPerOp: 1e6 / baseline.opsPerSec,
          newCredential: { ratio: ratio(NEW) },
          cached: { ratio: ratio(CACHED) },
          cases: Object.fromEntries([...results.entries()].map(([name, r]) => [name, { opsPerSec: Math.round(r.opsPerSec), usPerOp: 1e6 / r.opsPerSec, costVsBaseline: 1 / r.ratioToBaseline, trialsOpsPerSec: r.trialsOpsPerSec }])),
        },
        link,
        unlock,
      },
      notes: [
        'verify CPU is measured on the pure verifier (vehicleVerifier.ts) with the nonce already consumed, as the car runs it; ratios are the median of per-trial ratios to two raw P-256 verifies run interleaved in the same trials',
        `a request is ${encodeRequest(whole).length} bytes with the whole credential (${base64UrlToBytes(key.credential).length} bytes of COSE), ${encodeRequest(byRef).length} by reference, ${encodeRequest(withState).length} with a manifest`,
        'unlock: link figures are simulated and exact (load cannot change them); each profile runs one phone through the three scenarios in order, bonding on its first OK; the row figures run from the established connection (after the link layer\'s set-up event) to the car\'s answer, wholeConnection adds the set-up and the disconnection',
      ],
    };
  },
};
