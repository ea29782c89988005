/**
 * The simulated vehicle: a BLE peripheral on the air that verifies a key credential plus a fresh,
 * biometric-gated WebAuthn assertion offline (R7, R14), then acts. This module wires the parts:
 * the GATT transport (vehicleGatt.ts), single-use nonces (nonceStore.ts), the pure verifier
 * (vehicleVerifier.ts), the forward-only clock, the actuators, the event log, and the persisted
 * state with atomic writes (vehicleStateFile.ts).
 *
 * Private advertising: the car's name and address change every ADVERTISING_PERIOD_MS by its
 * forward-only clock, derived from its link secret (shared/ble/advertisingName.ts), so only key
 * holders recognise it. The air asks for them whenever the advertisement is observed; a change
 * never drops a connection.
 *
 * Requests are handled one at a time, so "check the counter, store the counter, act" is atomic
 * across connections; the response is notified only after the new state is on disk.
 *
 * @example
 * const vehicle = createVehicle({ vin, linkSecret, trust, rpId, origins: [origin], stateFile, clock, air });
 * await vehicle.start();
 * // … a phone sends commands over noble …
 * await vehicle.applyManifest(manifestFromServer);
 * await vehicle.stop();
 */
import type { AdvertisedIdentity, Air, Advertising } from '../air/air.js';
import type { PeripheralLink } from '../air/links.js';
import type { LinkProfile } from '../air/linkProfile.js';
import { DEFAULT_LINK_PROFILE } from '../air/linkProfile.js';
import type { Clock } from '../../shared/clock.js';
import type { Command } from '../../shared/commands.js';
import { base64UrlToBytes } from '../../shared/base64url.js';
import { verifyStateManifest } from '../../shared/credential/stateManifest.js';
import { MAX_TRUSTED_ISSUER_KEYS, verifyTrustUpdate } from '../../shared/credential/trustUpdate.js';
import type { TrustedIssuer } from '../../shared/credential/trustedIssuer.js';
import { asDigitalKeyError, DigitalKeyError } from '../../shared/errors/digitalKeyError.js';
import type { ErrorCode } from '../../shared/errors/errorCode.js';
import type { KeyId, Vin } from '../../shared/ids.js';
import { bleResponseCode } from '../../shared/ble/bleResponseCode.js';
import { SERVICE_UUID } from '../../shared/ble/gattUuids.js';
import { decodeRequest, encodeChallenge, encodeResponse, encodeResponseBody, type RequestMessage, type ResponseMessage } from '../../shared/ble/messages.js';
import { responseMac } from '../../shared/ble/responseMac.js';
import { advertisingAddress, advertisingName, advertisingPeriod } from '../../shared/ble/advertisingName.js';
import { deriveAdvertisingKey } from '../../shared/ble/linkKeys.js';
import { actuate } from './actuate.js';
import { CredentialCache } from './credentialCache.js';
import { ForwardOnlyClock } from './forwardOnlyClock.js';
import { NonceStore, type RandomBytes } from './nonceStore.js';
import { VehicleEventLog, type VehicleEvent } from './vehicleEventLog.js';
import { VehicleGatt } from './vehicleGatt.js';
import { initialVehicleState, withBond, withManifest, withTrustUpdate, type VehicleState } from './vehicleState.js';
import { loadVehicleState, saveVehicleState } from './vehicleStateFile.js';
import { verifyCommandRequest, type VerifierConfig } from './vehicleVerifier.js';

/** How a simulated vehicle is provisioned and where it lives. */
export interface CreateVehicleOptions {
  vin: Vin;
  /**
   * The car's link secret (LINK_SECRET_BYTES), as provisioned: the server's vehicle record holds the
   * same. Its advertising key names the car's private advertisements; its response keys authenticate
   * the car's answers (linkKeys.ts). Never exposed.
   */
  linkSecret: Uint8Array;
  /** The issuer the vehicle was provisioned to trust (issuer id + JWKS). */
  trust: TrustedIssuer;
  rpId: string;
  origins: readonly string[];
  /** Where the state is persisted (JSON, atomic writes). */
  stateFile: string;
  clock: Clock;
  air: Air;
  /** The link the vehicle offers (MTU cap, interval, loss, RSSI). Default DEFAULT_LINK_PROFILE. */
  linkProfile?: LinkProfile;
  /** Randomness for nonces (default node:crypto). */
  random?: RandomBytes;
  skewSeconds?: number;
  eventLogSize?: number;
  /** Called with each command's log entry as it is recorded (e.g. to print it). */
  onEvent?: (event: VehicleEvent) => void;
}

/** Whether a manifest was applied, and the state it left. */
export interface ApplyTrustUpdateResult {
  /** Whether the update was newer than the last one taken. */
  applied: boolean;
  /** The kids of the issuer keys the car trusts now. */
  kids: string[];
}

export interface ApplyManifestResult {
  applied: boolean;
  seq: number;
  ep: number;
}

/** A simulated vehicle (see createVehicle). */
export interface Vehicle {
  readonly vin: Vin;
  /** The local name it advertises now (it changes every rotation period, see advertisingName.ts). */
  readonly localName: string;
  /** The radio address it advertises from now (changes with the name). */
  readonly address: string;
  readonly running: boolean;
  /** A deep copy of the persisted state (throws before start). */
  readonly state: Readonly<VehicleState>;
  /** Load the state file (or create it) and start advertising. */
  start(): Promise<void>;
  /** Stop advertising, drop connections, and wait for requests in flight to be answered. */
  stop(): Promise<void>;
  /**
   * Apply a state manifest (base64url, as the sync channel carries it). A stale one is not applied;
   * an invalid one throws DigitalKeyError (BAD_SIGNATURE, BAD_STATE, WRONG_VEHICLE).
   */
  applyManifest(manifest: string): Promise<ApplyManifestResult>;
  /**
   * Apply a trust update from the sync channel: one or more tokens of the same key set, each signed
   * by another issuer key. The first one signed by a key the car trusts now is taken if it is newer
   * than the last; throws DigitalKeyError (BAD_SIGNATURE, BAD_STATE) when none verifies.
   */
  applyTrustUpdate(tokens: string[]): Promise<ApplyTrustUpdateResult>;
  /** The vehicle's forward-only clock, ms. */
  now(): number;
  /** The command log with RSSI and timing per command (relay-attack evidence), oldest first. */
  events(): readonly VehicleEvent[];
  /** Resolves when every request received so far has been handled. */
  settled(): Promise<void>;
}


/** Create a simulated vehicle; `start()` loads its state and begins advertising. */
export function createVehicle(opts: CreateVehicleOptions): Vehicle {
  return new SimulatedVehicle(opts);
}

class SimulatedVehicle implements Vehicle {
  readonly vin: Vin;
  readonly #opts: CreateVehicleOptions;
  /** Derived from the link secret once: what the car's private advertisement is made from. */
  readonly #advertisingKey: Uint8Array;
  /** The name and address of the period last advertised in. */
  #advertised: (AdvertisedIdentity & { period: number }) | null = null;
  readonly #config: VerifierConfig;
  readonly #nonces: NonceStore;
  readonly #log: VehicleEventLog;
  readonly #gatt: VehicleGatt;
  /** Credentials verified here, so phones may name them by reference (memory only, see credentialCache.ts). */
  readonly #credentials = new CredentialCache();
  #clock: ForwardOnlyClock;
  #state: VehicleState | null = null;
  #advertising: Advertising | null = null;
  /** Requests and manifest updates run one at a time through this chain. */
  #queue: Promise<void> = Promise.resolve();

  constructor(opts: CreateVehicleOptions) {
    this.#opts = opts;
    this.vin = opts.vin;
    this.#advertisingKey = deriveAdvertisingKey(opts.linkSecret);
    this.#config = {
      vin: opts.vin,
      trust: opts.trust,
      linkSecret: opts.linkSecret,
      rpId: opts.rpId,
      origins: [...opts.origins],
      ...(opts.skewSeconds === undefined ? {} : { skewSeconds: opts.skewSeconds }),
    };
    this.#nonces = new NonceStore(opts.random ? { random: opts.random } : {});
    this.#log = new VehicleEventLog(opts.eventLogSize);
    this.#clock = new ForwardOnlyClock(opts.clock);
    this.#gatt = new VehicleGatt({
      linkNowMs: () => opts.air.now(),
      nowMs: () => this.#clock.now(),
      challenge: (link, o) => this.#serveChallenge(link, o?.reuse ?? false),
      message: (link, message) => this.#onMessage(link, message),
      frameError: (link, error) => this.#onFrameError(link, error),
      disconnected: (link) => {
        this.#nonces.drop(link.id);
      },
    });
  }

  get localName(): string {
    return this.#advertisedNow().localName;
  }

  get address(): string {
    return this.#advertisedNow().address;
  }

  /** The name and address of the current period by the car's forward-only clock (computed once per period). */
  #advertisedNow(): AdvertisedIdentity {
    const nowMs = this.#clock.now();
    const period = advertisingPeriod(nowMs);
    if (this.#advertised?.period !== period) {
      this.#advertised = { period, localName: advertisingName(this.#advertisingKey, nowMs), address: advertisingAddress(this.#advertisingKey, nowMs) };
    }
    return this.#advertised;
  }

  get running(): boolean {
    return this.#advertising?.active ?? false;
  }

  get state(): Readonly<VehicleState> {
    if (!this.#state) throw new Error('the vehicle has not been started');
    return structuredClone(this.#state);
  }

  now(): number {
    return this.#clock.now();
  }

  events(): readonly VehicleEvent[] {
    return this.#log.list();
  }

  settled(): Promise<void> {
    return this.#queue;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const loaded = await loadVehicleState(this.#opts.stateFile, this.vin);
    const state = loaded ?? initialVehicleState(this.vin, this.#opts.clock.now());
    this.#clock = new ForwardOnlyClock(this.#opts.clock, state.highestTrustedMs);
    if (!loaded) await saveVehicleState(this.#opts.stateFile, state);
    this.#state = state;
    this.#gatt.restoreBonds(state.bonds ?? []);
    this.#advertising = this.#opts.air.advertise({
      identity: () => this.#advertisedNow(),
      serviceUuids: [SERVICE_UUID],
      server: this.#gatt,
      linkProfile: this.#opts.linkProfile ?? DEFAULT_LINK_PROFILE,
    });
  }

  async stop(): Promise<void> {
    const adv = this.#advertising;
    if (adv) {
      adv.stop();
      for (const link of adv.links()) link.disconnect();
    }
    await this.#queue;
  }

  applyTrustUpdate(tokens: string[]): Promise<ApplyTrustUpdateResult> {
    return this.#serial(async () => {
      const state = this.#requireState();
      const trust = this.#trustOf(state);
      const nowSeconds = Math.floor(this.#clock.now() / 1000);
      let refusal: unknown = new DigitalKeyError('BAD_STATE', 'an empty trust update');
      for (const token of tokens.slice(0, MAX_TRUSTED_ISSUER_KEYS)) {
        const claims = await verifyTrustUpdate({ token, trust, nowSeconds }).catch((err: unknown) => {
          refusal = err;
          return null;
        });
        if (!claims) continue;
        const next = withTrustUpdate(state, claims);
        if (next === state) return { applied: false, kids: trust.jwks.keys.map((k) => k.kid ?? '') };
        await this.#commit(next);
        // A credential signed by a key no longer trusted must be verified again (and fail).
        this.#credentials.clear();
        return { applied: true, kids: claims.keys.map((k) => k.kid) };
      }
      throw asDigitalKeyError(refusal);
    });
  }

  /** The issuer as the car trusts it now: the keys of the newest trust update, else the provisioned ones. */
  #trustOf(state: VehicleState): TrustedIssuer {
    return state.issuerKeys ? { issuer: this.#config.trust.issuer, jwks: { keys: state.issuerKeys } } : this.#config.trust;
  }

  applyManifest(manifest: string): Promise<ApplyManifestResult> {
    return this.#serial(async () => {
      const state = this.#requireState();
      const nowMs = this.#clock.now();
      let bytes: Uint8Array;
      try {
        bytes = base64UrlToBytes(manifest);
      } catch (err) {
        throw new DigitalKeyError('BAD_STATE', 'the manifest is not base64url', { cause: err });
      }
      const claims = verifyStateManifest({ manifest: bytes, trust: this.#trustOf(state), vin: this.vin, nowSeconds: Math.floor(nowMs / 1000) });
      const next = withManifest(state, claims);
      if (next === state) return { applied: false, seq: state.seq, ep: state.ep };
      await this.#commit(next);
      return { applied: true, seq: next.seq, ep: next.ep };
    });
  }

  // --- GATT callbacks (synchronous, inside a connection event) ----------------------------------

  #serveChallenge(link: PeripheralLink, reuse: boolean): Uint8Array {
    const state = this.#requireState();
    const nowMs = this.#clock.now();
    const linkNowMs = this.#opts.air.now();
    const nonce = reuse ? this.#nonces.current(link.id, nowMs, linkNowMs) : this.#nonces.issue(link.id, nowMs, linkNowMs);
    return encodeChallenge({ nonce, seq: state.seq });
  }

  #onFrameError(link: PeripheralLink, error: DigitalKeyError): void {
    this.#finish(link, { ok: false, code: error.code, cause: error });
  }

  #onMessage(link: PeripheralLink, message: Uint8Array): void {
    let request: RequestMessage;
    try {
      request = decodeRequest(message);
    } catch (err) {
      this.#finish(link, { ok: false, code: asDigitalKeyError(err).code, cause: err });
      return;
    }
    // Consume the nonce before anything else, on arrival: a second try with it always fails.
    const nowMs = this.#clock.now();
    const challengeLinkMs = this.#nonces.issuedLinkAt(link.id);
    const nonce = this.#nonces.take(link.id, nowMs, this.#opts.air.now());
    const challengeToRequestMs = challengeLinkMs === undefined ? undefined : this.#opts.air.now() - challengeLinkMs;
    void this.#serial(async () => {
      try {
        await this.#execute(link, request, nonce, nowMs, challengeToRequestMs);
      } catch (err) {
        // A bug must not take the car down: the phone hears INTERNAL_ERROR, never a stack trace; the log keeps why.
        this.#finish(link, { ok: false, code: 'INTERNAL_ERROR', cmd: request.cmd, cause: err });
      }
    });
  }

  /** Verify, then commit (manifest, counter, actuators) atomically, then answer. */
  async #execute(
    link: PeripheralLink,
    request: RequestMessage,
    nonce: Uint8Array | null,
    nowMs: number,
    challengeToRequestMs: number | undefined,
  ): Promise<void> {
    const state = this.#requireState();
    const verifyStarted = performance.now();
    const decision = verifyCommandRequest({ request, nonce, state, nowMs, config: { ...this.#config, trust: this.#trustOf(state) }, cache: this.#credentials });
    const verifyMs = performance.now() - verifyStarted;
    let next = decision.manifest ? withManifest(state, decision.manifest) : state;
    if (decision.ok && decision.counter) {
      next = {
        ...next,
        counters: { ...next.counters, [decision.counter.passkeyKey]: decision.counter.value },
        actuators: actuate(next.actuators, request.cmd),
      };
      // The first command a phone completes bonds it; kept in the same write (protocol.md, Bonding).
      next = withBond(next, link.centralAddress);
    }
    let code: ErrorCode | 'OK' = decision.code;
    let cause: unknown;
    try {
      await this.#commit(next);
    } catch (err) {
      cause = err;
      // Not on disk means not done: keep a newer manifest in memory (it only restricts), but do
      // not act and do not keep the counter.
      if (decision.manifest) this.#state = withManifest(state, decision.manifest);
      code = 'INTERNAL_ERROR';
    }
    // The first command a phone completes bonds it (protocol.md, Bonding); its credential is kept.
    if (code === 'OK') {
      this.#gatt.bond(link);
      if (decision.cache) this.#credentials.add(decision.cache);
    }
    this.#finish(link, {
      ok: code === 'OK',
      code,
      cmd: request.cmd,
      ...(decision.keyId === undefined ? {} : { keyId: decision.keyId }),
      ...(decision.answerKey === undefined ? {} : { answerKey: decision.answerKey }),
      ...(challengeToRequestMs === undefined ? {} : { challengeToRequestMs }),
      verifyMs,
      cause,
    });
  }

  // --- internals ------------------------------------------------------------------------------

  /** Answer on Response and log the command with the link's RSSI and timing. */
  #finish(
    link: PeripheralLink,
    outcome: {
      ok: boolean;
      code: ErrorCode | 'OK';
      cmd?: Command;
      keyId?: KeyId;
      /** Present once the credential was known: the answer is authenticated with it. */
      answerKey?: { tx: Uint8Array; responseKey: Uint8Array };
      challengeToRequestMs?: number;
      verifyMs?: number;
      cause?: unknown;
    },
  ): void {
    const state = this.#state;
    const code = outcome.code === 'OK' ? 'OK' : bleResponseCode(outcome.code);
    // Why the car answered INTERNAL_ERROR: for its own log only, never told to the phone.
    const cause = code === 'INTERNAL_ERROR' ? describeCause(outcome.cause ?? `${outcome.code} is not told over BLE`) : undefined;
    const response: Omit<ResponseMessage, 'v'> = {
      ok: outcome.ok && code === 'OK',
      code,
      ...(outcome.cmd === undefined ? {} : { cmd: outcome.cmd }),
      vehicle: { locked: state?.actuators.locked ?? true, engine: state?.actuators.engine ?? false },
    };
    const metrics = link.metrics();
    const event: VehicleEvent = {
      atMs: this.#clock.now(),
      connectionId: link.id,
      central: link.centralAddress,
      ok: response.ok,
      code,
      rssi: link.rssi(),
      rttMs: link.roundTripMs(),
      mtu: metrics.mtu,
      intervalMs: metrics.intervalMs,
      ...(outcome.cmd === undefined ? {} : { cmd: outcome.cmd }),
      ...(outcome.keyId === undefined ? {} : { keyId: outcome.keyId }),
      ...(outcome.challengeToRequestMs === undefined ? {} : { challengeToRequestMs: outcome.challengeToRequestMs }),
      ...(outcome.verifyMs === undefined ? {} : { verifyMs: outcome.verifyMs }),
      ...(cause === undefined ? {} : { cause }),
    };
    this.#log.record(event);
    try {
      this.#opts.onEvent?.(event);
    } catch {
      // an observer's failure is not the car's
    }
    const mac = outcome.answerKey ? responseMac({ ...outcome.answerKey, body: encodeResponseBody(response) }) : undefined;
    this.#gatt.sendResponse(link, encodeResponse({ ...response, ...(mac ? { mac } : {}) }));
  }

  /** Persist `next` (with the latest trusted time) atomically, then make it the state. */
  async #commit(next: VehicleState): Promise<void> {
    this.#clock.observe(next.highestTrustedMs);
    const withTime = { ...next, highestTrustedMs: Math.max(next.highestTrustedMs, this.#clock.highestMs) };
    if (this.#state && JSON.stringify(withTime) === JSON.stringify(this.#state)) return;
    await saveVehicleState(this.#opts.stateFile, withTime);
    this.#state = withTime;
  }

  #requireState(): VehicleState {
    if (!this.#state) throw new Error('the vehicle has not been started');
    return this.#state;
  }

  /** Run a task after every earlier one; the chain itself never rejects. */
  #serial<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task);
    this.#queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

/** A failure's cause in words for the car's event log: codes and messages down the cause chain, never a stack trace. */
function describeCause(cause: unknown): string {
  if (cause instanceof DigitalKeyError) return cause.cause === undefined ? `${cause.code}: ${cause.message}` : `${cause.code}: ${describeCause(cause.cause)}`;
  if (cause instanceof Error) return `${cause.name}: ${cause.message}`;
  return String(cause);
}
