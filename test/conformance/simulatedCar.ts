/**
 * Our car (ble-sim/vehicle/createVehicle.ts) behind the adapter protocol, in process: a fresh
 * simulated air, state file, clock and nonce source for each case, and a raw central radio to play
 * the phone's ATT operations byte for byte. The adapter program (simulatedCarAdapter.ts) puts it on
 * stdin/stdout for the runner; the generator drives it directly. A fault can be switched on to make
 * a deliberately wrong car, so the kit's own tests can watch the runner catch it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Air } from '../../ble-sim/air/air.js';
import { AttError, normalizeUuid } from '../../ble-sim/air/gattServer.js';
import type { LinkProfile } from '../../ble-sim/air/linkProfile.js';
import type { CentralLink } from '../../ble-sim/air/links.js';
import { createVehicle, type Vehicle } from '../../ble-sim/vehicle/createVehicle.js';
import { VEHICLE_STATE_VERSION, type VehicleState } from '../../ble-sim/vehicle/vehicleState.js';
import { saveVehicleState } from '../../ble-sim/vehicle/vehicleStateFile.js';
import { MAX_MTU } from '../../shared/ble/framing.js';
import { CHALLENGE_CHAR_UUID, REQUEST_CHAR_UUID, RESPONSE_CHAR_UUID, SERVICE_UUID } from '../../shared/ble/gattUuids.js';
import { ManualClock } from '../../shared/clock.js';
import type { AdapterEvent, AdapterOp, CarChannel } from './adapterProtocol.js';
import { bytesOfHex, hexOf, KIT_VERSION, type CarState } from './vectorFormat.js';

/** Deliberate bugs, each a car that forgets part of its persisted state when provisioned. */
export const SIMULATED_CAR_FAULTS = {
  'forget-revocations': 'ignores the revoked keys of its provisioned state',
  'forget-counters': 'ignores the signature counters of its provisioned state',
} as const;
export type SimulatedCarFault = keyof typeof SIMULATED_CAR_FAULTS;

export function isSimulatedCarFault(value: string): value is SimulatedCarFault {
  return Object.hasOwn(SIMULATED_CAR_FAULTS, value);
}

/** Any MTU a case asks for: the car offers the largest, the phone's exchange picks. */
const CAR_LINK: LinkProfile = { mtu: MAX_MTU, intervalMs: 15, packetsPerEvent: 6 };
const RESPONSE = normalizeUuid(RESPONSE_CHAR_UUID);

interface CaseWorld {
  dir: string;
  air: Air;
  clock: ManualClock;
  vehicle: Vehicle;
  /** A new vehicle on the same state file, clock, air and nonce source (a restart). */
  makeVehicle(): Vehicle;
}


export class SimulatedCar implements CarChannel {
  readonly #fault: SimulatedCarFault | undefined;
  readonly #listeners = new Set<(event: AdapterEvent) => void>();
  #world: CaseWorld | null = null;
  #link: CentralLink | null = null;

  constructor(opts: { fault?: SimulatedCarFault } = {}) {
    this.#fault = opts.fault;
  }

  onEvent(listener: (event: AdapterEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(event: AdapterEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  async call(op: AdapterOp): Promise<unknown> {
    switch (op.op) {
      case 'hello':
        return { name: `simulated car (ble-sim/vehicle/createVehicle.ts)${this.#fault ? `, fault ${this.#fault}` : ''}`, kitVersion: KIT_VERSION };
      case 'provision':
        await this.#provision(op);
        return {};
      case 'setClock':
        this.#requireWorld().clock.set(op.ms);
        return {};
      case 'connect':
        return { mtu: await this.#connect(op.central, op.mtu) };
      case 'subscribe':
        await this.#requireLink().subscribe(SERVICE_UUID, RESPONSE_CHAR_UUID, true);
        await this.#settle();
        return {};
      case 'read':
        return this.#attempt(async () => ({ hex: hexOf(await this.#requireLink().read(SERVICE_UUID, CHALLENGE_CHAR_UUID)) }));
      case 'write':
        return this.#attempt(async () => {
          await this.#requireLink().write(SERVICE_UUID, REQUEST_CHAR_UUID, bytesOfHex(op.hex), op.withoutResponse);
          return {};
        });
      case 'disconnect':
        await this.#requireLink().disconnect();
        this.#link = null;
        await this.#settle();
        return {};
      case 'restart': {
        const world = this.#requireWorld();
        await world.vehicle.stop();
        this.#link = null;
        world.vehicle = world.makeVehicle();
        await world.vehicle.start();
        return {};
      }
      case 'settle':
        await this.#settle();
        return {};
      case 'state':
        return { state: carStateOf(this.#requireWorld().vehicle.state) };
      case 'shutdown':
        await this.close();
        return {};
    }
  }

  /** Stop the car and remove its state file. */
  async close(): Promise<void> {
    const world = this.#world;
    this.#world = null;
    this.#link = null;
    if (!world) return;
    await world.vehicle.stop();
    await rm(world.dir, { recursive: true, force: true });
  }

  async #provision(op: Extract<AdapterOp, { op: 'provision' }>): Promise<void> {
    await this.close();
    const dir = await mkdtemp(join(tmpdir(), 'sdk-conformance-'));
    const stateFile = join(dir, 'vehicle-state.json');
    const state: VehicleState = {
      version: VEHICLE_STATE_VERSION,
      vin: op.car.vin,
      seq: op.state.seq,
      ep: op.state.ep,
      revoked: this.#fault === 'forget-revocations' ? [] : op.state.revoked,
      counters: this.#fault === 'forget-counters' ? {} : op.state.counters,
      highestTrustedMs: op.state.highestTrustedMs,
      actuators: op.state.actuators,
      bonds: op.state.bonds,
    };
    await saveVehicleState(stateFile, state);
    const clock = new ManualClock(op.clockMs);
    const air = new Air({ seed: 1 });
    const nonces = op.nonces.map(bytesOfHex);
    const given = nonces.length;
    const random = (n: number): Uint8Array => {
      const next = nonces.shift();
      if (!next || next.length !== n) {
        const why = next ? `a ${n}-byte nonce (the case's are ${next.length})` : `nonce ${given + 1}, but the case gives ${given}`;
        this.#emit({ event: 'problem', message: `the car asked for ${why}` });
        throw new Error('no nonce left');
      }
      return next;
    };
    const makeVehicle = () =>
      createVehicle({
        vin: op.car.vin,
        trust: op.car.issuer,
        linkSecret: bytesOfHex(op.car.linkSecret),
        rpId: op.car.rpId,
        origins: op.car.origins,
        stateFile,
        clock,
        air,
        random,
        linkProfile: CAR_LINK,
        onEvent: (event) => {
          if (event.code === 'INTERNAL_ERROR') this.#emit({ event: 'problem', message: `the car answered INTERNAL_ERROR: ${event.cause ?? 'no cause logged'}` });
        },
      });
    const vehicle = makeVehicle();
    this.#world = { dir, air, clock, vehicle, makeVehicle };
    await vehicle.start();
  }

  async #connect(central: string, mtu: number): Promise<number> {
    const world = this.#requireWorld();
    if (this.#link?.open) throw new Error('a connection is already open; the case must disconnect first');
    const link = await world.air.radio({ address: central }).connect(world.vehicle.address);
    link.onNotification((_service, characteristic, value) => {
      if (characteristic === RESPONSE) this.#emit({ event: 'notification', hex: hexOf(value) });
    });
    this.#link = link;
    const negotiated = await link.exchangeMtu(mtu);
    await this.#settle();
    return negotiated;
  }

  /** Run an ATT operation; an ATT error is an answer (`attError`), not a failure. */
  async #attempt<T>(operation: () => Promise<T>): Promise<T | { attError: number }> {
    try {
      return await operation();
    } catch (err) {
      if (err instanceof AttError) return { attError: err.attCode };
      throw err;
    } finally {
      await this.#settle();
    }
  }

  /** Wait until the car has answered all it received and the air has carried it. */
  async #settle(): Promise<void> {
    const world = this.#world;
    if (!world) return;
    for (let i = 0; i < 3; i++) {
      await world.vehicle.settled();
      await world.air.idle();
    }
  }

  #requireWorld(): CaseWorld {
    if (!this.#world) throw new Error('no car is provisioned yet');
    return this.#world;
  }

  #requireLink(): CentralLink {
    if (!this.#link?.open) throw new Error('no connection is open (the case did not connect, or the car hung up)');
    return this.#link;
  }
}

/** The car's persisted state as the vector format names it. */
function carStateOf(state: Readonly<VehicleState>): CarState {
  return {
    seq: state.seq,
    ep: state.ep,
    revoked: [...state.revoked],
    counters: { ...state.counters },
    highestTrustedMs: state.highestTrustedMs,
    actuators: { ...state.actuators },
    bonds: [...(state.bonds ?? [])],
  };
}
