/**
 * Writes one conformance case as a phone (and an attacker) plays it, with real issuer keys, real
 * passkeys (VirtualAuthenticator) and real credentials from the test fixtures, and works out the
 * exact bytes the car must answer without asking the car: a small model of the protocol (which
 * nonce is live and when a push sends it again, what a command does to the actuators, which phone is
 * bonded, what the car's seq is) plus the hand-written answers of expectedAnswers.ts, encoded with the formulas of
 * protocolFormulas.ts. The generator then plays the finished case against our car and keeps it only
 * if the car agrees — so a vector is what protocol.md says and what our car does, both at once.
 */
import { createHash, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { buildCommandRequest, type AssertionSource } from '../../ble-sim/phone/commandRequest.js';
import { VirtualAuthenticator } from '../../ble-sim/phone/virtualAuthenticator.js';
import { encodeFrames } from '../../shared/ble/framing.js';
import { encodeRequest, type RequestMessage } from '../../shared/ble/messages.js';
import type { Command } from '../../shared/commands.js';
import { compressedPointOfCoseKey } from '../../shared/cose/p256Point.js';
import { readKeyCredential } from '../../shared/credential/keyCredential.js';
import { jwkSetSchema } from '../../shared/credential/jwkSchema.js';
import { readStateManifest } from '../../shared/credential/stateManifest.js';
import { base64UrlToBytes, bytesToBase64Url } from '../../shared/base64url.js';
import { createIssuer, mintCredential, mintManifest, ORIGIN, registerPasskey, RP_ID, START_MS, VIN, type MintCredentialOptions, type RegisteredPasskey, type TestIssuer } from '../support/bleFixtures.js';
import { EXPECTED_ANSWERS, parseExpectedAnswer, type CaseName, type ExpectedAnswer } from './expectedAnswers.js';
import { PROTOCOL_CODE_NUMBERS, type AirCode } from './protocolCodes.js';
import { challengeBytes, NONCE_BYTES, NONCE_LIFETIME_MS, responseBodyMap, responseBytes, responseKeyOf, responseMacOf, sha256, transactionHashOf } from './protocolFormulas.js';
import { hexOf, passkeyCounterKey, type CarState, type Step, type VectorCase } from './vectorFormat.js';

/** The owner's phone and an attacker's radio (static random addresses). */
export const PHONE = 'c0:00:00:00:00:01';
export const THIEF = 'c0:00:00:00:00:66';
/** A common phone MTU; cases about fragment sizes use the minimum, 23. */
export const PHONE_MTU = 185;
/** ATT error "client characteristic configuration descriptor improperly configured" (protocol.md, "Challenge push"). */
const ATT_CCCD_IMPROPERLY_CONFIGURED = 0xfd;
/** The answers to a message the car could not decode ("What the car checks", step 1). */
const UNDECODED: readonly AirCode[] = ['BAD_FRAME', 'BAD_MESSAGE', 'UNSUPPORTED_VERSION'];

/** The keys and passkeys all the cases of one vector file share. */
export interface KitWorld {
  issuer: TestIssuer;
  /** An issuer the car does not trust (same issuer id, another key). */
  rogue: TestIssuer;
  linkSecret: Uint8Array;
  phone: VirtualAuthenticator;
  phonePasskey: RegisteredPasskey;
  thief: VirtualAuthenticator;
  thiefPasskey: RegisteredPasskey;
}

export async function createKitWorld(): Promise<KitWorld> {
  const phone = new VirtualAuthenticator();
  const thief = new VirtualAuthenticator();
  const issuer = await createIssuer();
  return {
    issuer,
    rogue: await createIssuer(issuer.trust.issuer),
    linkSecret: new Uint8Array(randomBytes(32)),
    phone,
    phonePasskey: await registerPasskey(phone),
    thief,
    thiefPasskey: await registerPasskey(thief),
  };
}

/** What a written message is to the car: a request it can decode (naming this credential), or not. */
export type Written = { request: RequestMessage; bytes: Uint8Array; credential: Uint8Array; manifestApplies: Uint8Array | undefined } | 'undecodable';

export interface RequestOptions {
  cmd: Command;
  credential: Uint8Array;
  /** The nonce the assertion is over (the live one, or another for an attack). */
  nonce: Uint8Array;
  byReference?: boolean;
  /** Default: the owner's phone. */
  authenticator?: AssertionSource;
  /** The passkey the phone names to its authenticator (default: the owner's; the credential does not name it). */
  passkeyId?: string;
  /** A state manifest to carry (field 9), and whether the car must apply it (it verifies and is newer). */
  state?: { manifest: Uint8Array; applies: boolean };
  /** Change the request after signing (an attacker's edit). */
  tamper?: (request: RequestMessage) => RequestMessage;
}

/** What each command does to the car (Response field 11: bit 0 locked, bit 1 engine on). */
const ACTUATION: Record<Command, (v: CarState['actuators']) => CarState['actuators']> = {
  unlock: (v) => ({ ...v, locked: false }),
  lock: (v) => ({ ...v, locked: true }),
  start: (v) => ({ ...v, engine: true }),
  trunk: (v) => ({ ...v }),
};

/** A key id for a case, stable across runs (a UUID made from the case name and a label). */
function keyIdFor(caseName: string, label: string): string {
  const h = createHash('sha256').update(`sdk-conformance/${caseName}/key/${label}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** An authenticator that writes its own clientDataJSON (as some platforms do), re-signed with the passkey. */
export function withClientData(authenticator: VirtualAuthenticator, edit: (clientDataJSON: string) => string): AssertionSource {
  return {
    getAssertion(opts) {
      const assertion = authenticator.getAssertion(opts);
      const saved = authenticator.exportPasskeys().find((p) => p.id === assertion.id);
      if (!saved) throw new Error('the authenticator lost the passkey it just used');
      const clientDataJSON = Buffer.from(edit(Buffer.from(assertion.response.clientDataJSON, 'base64url').toString('utf8')));
      const authenticatorData = Buffer.from(assertion.response.authenticatorData, 'base64url');
      const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), createPrivateKey({ key: saved.privateJwk, format: 'jwk' }));
      return { ...assertion, response: { ...assertion.response, clientDataJSON: clientDataJSON.toString('base64url'), signature: signature.toString('base64url') } };
    },
  };
}

export class CaseBuilder {
  readonly name: CaseName;
  readonly world: KitWorld;
  readonly #answers: readonly ExpectedAnswer[];
  readonly #steps: Step[] = [];
  readonly #nonces: Uint8Array[] = [];
  #initial: CarState;
  #clockStartMs = START_MS;
  #model: CarState;
  #clockMs = START_MS;
  /** The car's forward-only clock. */
  #carMs = START_MS;
  #link: { central: string; mtu: number; subscribed: boolean } | null = null;
  #live: { nonce: Uint8Array; issuedMs: number } | null = null;
  #answered = 0;

  constructor(name: CaseName, world: KitWorld) {
    this.name = name;
    this.world = world;
    this.#answers = EXPECTED_ANSWERS[name];
    this.#initial = { seq: 0, ep: 0, revoked: [], counters: {}, highestTrustedMs: START_MS, actuators: { locked: true, engine: false }, bonds: [] };
    this.#model = structuredClone(this.#initial);
  }

  /** Start from another state or clock than a fresh, locked car at START_MS; only before the first step. */
  begin(opts: { state?: Partial<CarState>; clockMs?: number }): void {
    if (this.#steps.length > 0) throw new Error(`${this.name}: begin() comes before the first step`);
    this.#clockStartMs = opts.clockMs ?? START_MS;
    this.#initial = { ...this.#initial, highestTrustedMs: this.#clockStartMs, ...opts.state };
    this.#model = structuredClone(this.#initial);
    this.#clockMs = this.#clockStartMs;
    this.#carMs = Math.max(this.#clockMs, this.#initial.highestTrustedMs);
  }

  /** The k-th nonce (from 0) the car will issue in this case, known in advance. */
  nonceAt(k: number): Uint8Array {
    return sha256(`sdk-conformance/${this.name}/nonce/${k}`).subarray(0, NONCE_BYTES);
  }

  keyId(label = 'main'): string {
    return keyIdFor(this.name, label);
  }

  /** Under which name the car's state keeps this passkey's signature counter (default: the owner's). */
  counterKey(passkey: RegisteredPasskey = this.world.phonePasskey): string {
    return passkeyCounterKey(compressedPointOfCoseKey(base64UrlToBytes(passkey.pk)));
  }

  /** A credential bound to the owner's passkey (unless told otherwise), its COSE bytes. */
  async credential(opts: Partial<Omit<MintCredentialOptions, 'issuer' | 'passkey'>> & { issuer?: TestIssuer; passkey?: RegisteredPasskey; label?: string } = {}): Promise<Uint8Array> {
    const { issuer = this.world.issuer, passkey = this.world.phonePasskey, label = 'main', ...mint } = opts;
    return base64UrlToBytes(await mintCredential({ issuer, passkey, keyId: this.keyId(label), ...mint }));
  }

  /** A state manifest for this car (unless told otherwise), its COSE bytes. */
  async manifest(opts: { seq: number; ep?: number; revoked?: string[]; vin?: string; issuer?: TestIssuer }): Promise<Uint8Array> {
    const { issuer = this.world.issuer, ...claims } = opts;
    return base64UrlToBytes(await mintManifest({ issuer, ...claims }));
  }

  // --- the link ------------------------------------------------------------------------------

  /**
   * Connect and exchange the MTU. A bonded phone's subscription is restored when the link comes up
   * ("Bonding"), and the car pushes it a challenge once the MTU exchange is done ("Challenge push"):
   * its nonce is returned. An unbonded phone hears nothing until it subscribes (null).
   */
  connect(opts: { central?: string; mtu?: number; why?: string } = {}): Uint8Array | null {
    const central = opts.central ?? PHONE;
    const mtu = opts.mtu ?? PHONE_MTU;
    const bonded = this.#model.bonds.includes(central);
    this.#link = { central, mtu, subscribed: bonded };
    this.#live = null;
    this.#push({ step: 'connect', central, mtu }, opts.why);
    return bonded ? this.#expectPush('the challenge pushed to the bonded phone when its MTU exchange is done') : null;
  }

  /** Connect a phone the car has bonded: the nonce the car pushes once the MTU exchange is done. */
  connectBonded(opts: { central?: string; mtu?: number; why?: string } = {}): Uint8Array {
    const nonce = this.connect(opts);
    if (!nonce) throw new Error(`${this.name}: ${opts.central ?? PHONE} is not bonded here, so the car pushes it nothing on connecting`);
    return nonce;
  }

  /** Write the CCCD: the car pushes a challenge. */
  subscribe(why?: string): Uint8Array {
    this.#requireLink().subscribed = true;
    this.#push({ step: 'subscribe' }, why);
    return this.#expectPush('the challenge pushed on subscribe');
  }

  /** An empty write from a subscribed (bonded) phone: the car pushes a challenge (the live nonce again while it is fresh). */
  emptyWrite(why?: string): Uint8Array {
    if (!this.#requireLink().subscribed) throw new Error(`${this.name}: an unsubscribed link hears no challenge; use emptyWriteUnheard()`);
    this.#push({ step: 'emptyWrite' }, why);
    return this.#expectPush('the challenge pushed on the empty write');
  }

  /** An empty write from a link that is not subscribed: nothing is served. */
  emptyWriteUnheard(why?: string): void {
    if (this.#requireLink().subscribed) throw new Error(`${this.name}: this link is subscribed and would hear a challenge`);
    this.#push({ step: 'emptyWrite' }, why);
    this.expectNoNotify('the car serves challenges only to a link subscribed to Response');
  }

  /** Read Challenge on a subscribed link: a new nonce, replacing the live one even while it is fresh. */
  read(why?: string): Uint8Array {
    if (!this.#requireLink().subscribed) throw new Error(`${this.name}: an unsubscribed link's read is refused; use readRefused()`);
    const nonce = this.#issue();
    this.#push({ step: 'read', expect: this.#challenge(nonce) }, why);
    return nonce;
  }

  /** Read Challenge on a link that is not subscribed: ATT error 0xFD. */
  readRefused(why?: string): void {
    if (this.#requireLink().subscribed) throw new Error(`${this.name}: this link is subscribed and would be served`);
    this.#push({ step: 'read', expect: { attError: ATT_CCCD_IMPROPERLY_CONFIGURED } }, why);
  }

  disconnect(why?: string): void {
    this.#requireLink();
    this.#link = null;
    this.#live = null;
    this.#push({ step: 'disconnect' }, why);
  }

  /** The car restarts: state kept (bonds too), memory lost. */
  restart(why?: string): void {
    this.#link = null;
    this.#live = null;
    this.#push({ step: 'restart' }, why);
  }

  advanceClock(ms: number, why?: string): void {
    this.#clockMs += ms;
    this.#carMs = Math.max(this.#carMs, this.#clockMs);
    this.#push({ step: 'advanceClock', ms }, why);
  }

  expectNoNotify(why?: string): void {
    this.#push({ step: 'expectNoNotify' }, why);
  }

  /** The car's persisted state has, for these parts, the values the model says. */
  expectState(keys: readonly Exclude<keyof CarState, 'highestTrustedMs'>[], why?: string): void {
    const state: Partial<CarState> = {};
    for (const key of keys) Object.assign(state, { [key]: structuredClone(this.#model[key]) });
    this.#push({ step: 'expectState', state }, why);
  }

  // --- messages ------------------------------------------------------------------------------

  /** A request as the phone builds it (the assertion over `nonce`), then the attacker's edit if any. */
  async request(opts: RequestOptions): Promise<Exclude<Written, 'undecodable'>> {
    const signedAs = await buildCommandRequest({
      challenge: { nonce: opts.nonce, seq: this.#model.seq },
      vin: VIN,
      cmd: opts.cmd,
      credential: bytesToBase64Url(opts.credential),
      authenticator: opts.authenticator ?? this.world.phone,
      rpId: RP_ID,
      origin: ORIGIN,
      ...(opts.byReference ? { byReference: true } : {}),
      // The phone names its passkey itself: the credential binds the key, not a credential id.
      passkeyId: opts.passkeyId ?? this.world.phonePasskey.id,
    });
    const withState = opts.state ? { ...signedAs, state: opts.state.manifest } : signedAs;
    const request = opts.tamper ? opts.tamper(withState) : withState;
    return { request, bytes: encodeRequest(request), credential: request.cred ?? opts.credential, manifestApplies: opts.state?.applies ? opts.state.manifest : undefined };
  }

  /** Build a request, write it as the phone does, and expect the car's answer. */
  async send(opts: RequestOptions & { why: string }): Promise<Exclude<Written, 'undecodable'>> {
    const written = await this.request(opts);
    this.writeMessage(written.bytes, written, opts.why);
    return written;
  }

  /** Write a message as the phone does (framed at the link's MTU, as write commands), then expect the answer. */
  writeMessage(message: Uint8Array, written: Written, why: string): void {
    const frames = encodeFrames(message, this.#requireLink().mtu);
    this.writeFragments(frames, { withoutResponse: true }, why);
    this.expectAnswer(written, `the answer to ${why}`);
  }

  /** Write ATT payloads exactly as given (hostile ones too); no answer is expected by this step. */
  writeFragments(fragments: readonly Uint8Array[], opts: { withoutResponse: boolean }, why: string): void {
    this.#requireLink();
    fragments.forEach((f, i) => this.#push({ step: 'write', hex: hexOf(f), withoutResponse: opts.withoutResponse }, fragments.length > 1 ? `${why}, payload ${i + 1} of ${fragments.length}` : why));
  }

  /**
   * The car's next answer, as the hand table says (its code, authenticated or not) and as the model
   * works out the rest: the nonce it consumes, the echoed command, the vehicle bits after acting, and
   * the MAC over this request's transaction hash.
   */
  expectAnswer(written: Written, why: string): void {
    const entry = this.#answers[this.#answered];
    this.#answered++;
    if (entry === undefined) throw new Error(`${this.name}: the case makes more answers than expectedAnswers.ts lists (${this.#answers.length})`);
    const { code, mac } = parseExpectedAnswer(entry);
    const where = `${this.name}, answer ${this.#answered} (${entry})`;
    let cmd: Command | null = null;
    let key: { tx: Uint8Array; responseKey: Uint8Array } | null = null;
    if (written === 'undecodable') {
      if (!UNDECODED.includes(code) || mac) throw new Error(`${where}: a message the car cannot decode is answered ${UNDECODED.join(', ')}, without a MAC`);
    } else {
      cmd = written.request.cmd;
      const nonce = this.#takeNonce();
      if ((nonce === null) !== (code === 'UNKNOWN_NONCE')) throw new Error(`${where}: the nonce model has ${nonce ? 'a live nonce' : 'no live nonce'} to consume here`);
      if (nonce !== null && written.manifestApplies) this.#applyManifest(written.manifestApplies);
      if (code === 'OK') this.#act(written);
      if (mac && nonce !== null) {
        key = { tx: transactionHashOf({ nonce, vin: VIN, cmd, credential: written.credential }), responseKey: responseKeyOf(this.world.linkSecret, written.credential) };
      }
    }
    const vehicle = { ...this.#model.actuators };
    const body = responseBodyMap({ code, cmd, vehicle });
    const macBytes = key ? responseMacOf({ ...key, body: responseBytes(body, null) }) : null;
    const is = {
      kind: 'response' as const,
      code,
      number: PROTOCOL_CODE_NUMBERS[code],
      cmd,
      vehicle,
      mac: key && macBytes ? { hex: hexOf(macBytes), tx: hexOf(key.tx), responseKey: hexOf(key.responseKey) } : null,
    };
    this.#push({ step: 'expectNotify', hex: hexOf(responseBytes(body, macBytes)), is }, why);
  }

  /** The finished case; every answer of the hand table must have been expected. */
  build(proves: string): VectorCase {
    if (this.#answered !== this.#answers.length) throw new Error(`${this.name}: expectedAnswers.ts lists ${this.#answers.length} answers, the case expects ${this.#answered}`);
    return {
      name: this.name,
      proves,
      car: {
        vin: VIN,
        issuer: { issuer: this.world.issuer.trust.issuer, jwks: jwkSetSchema.parse(this.world.issuer.trust.jwks) },
        rpId: RP_ID,
        origins: [ORIGIN],
        linkSecret: hexOf(this.world.linkSecret),
      },
      state: this.#initial,
      clockMs: this.#clockStartMs,
      nonces: this.#nonces.map(hexOf),
      steps: this.#steps,
    };
  }

  // --- the model -----------------------------------------------------------------------------

  #push(step: Step, why: string | undefined): void {
    this.#steps.push(why === undefined ? step : { ...step, why });
  }

  #requireLink(): { central: string; mtu: number; subscribed: boolean } {
    if (!this.#link) throw new Error(`${this.name}: no link; connect() first`);
    return this.#link;
  }

  #issue(): Uint8Array {
    const nonce = this.nonceAt(this.#nonces.length);
    this.#nonces.push(nonce);
    this.#live = { nonce, issuedMs: this.#carMs };
    return nonce;
  }

  #challenge(nonce: Uint8Array) {
    return { hex: hexOf(challengeBytes(nonce, this.#model.seq)), is: { kind: 'challenge' as const, nonce: hexOf(nonce), seq: this.#model.seq } };
  }

  /**
   * A pushed challenge ("Challenge push"): "pushes with no read in between carry the same nonce while
   * it is fresh", so the live nonce again if it is not older than 30 s, else a new one.
   */
  #expectPush(why: string): Uint8Array {
    const live = this.#live;
    const nonce = live && this.#carMs - live.issuedMs <= NONCE_LIFETIME_MS ? live.nonce : this.#issue();
    this.#push({ step: 'expectNotify', ...this.#challenge(nonce) }, nonce === live?.nonce ? `${why}: the same nonce again` : why);
    return nonce;
  }

  /** Step 2: the live nonce is consumed whatever follows; none when absent or older than 30 s. */
  #takeNonce(): Uint8Array | null {
    const live = this.#live;
    this.#live = null;
    if (!live || this.#carMs - live.issuedMs > NONCE_LIFETIME_MS) return null;
    return live.nonce;
  }

  /** Step 3: a newer manifest replaces seq, raises ep, replaces the revoked list. */
  #applyManifest(manifest: Uint8Array): void {
    const m = readStateManifest(manifest);
    if (m.seq <= this.#model.seq) throw new Error(`${this.name}: a manifest with seq ${m.seq} cannot apply over seq ${this.#model.seq}`);
    this.#model = { ...this.#model, seq: m.seq, ep: Math.max(this.#model.ep, m.ep), revoked: [...m.revoked] };
  }

  /** Step 7: act, keep the counter (under the passkey's key: the credential names no credential id), bond the phone. */
  #act(written: Exclude<Written, 'undecodable'>): void {
    const { request, credential } = written;
    const passkey = passkeyCounterKey(readKeyCredential(credential).passkeyPoint);
    const counter = Buffer.from(request.authData).readUInt32BE(1);
    const central = this.#requireLink().central;
    this.#model = {
      ...this.#model,
      actuators: ACTUATION[request.cmd](this.#model.actuators),
      counters: { ...this.#model.counters, [passkey]: counter },
      bonds: this.#model.bonds.includes(central) ? this.#model.bonds : [...this.#model.bonds, central],
    };
  }
}
