/**
 * What a vector file says apart from its keys: the cases, their steps and every expected answer
 * (code, MAC or not, command, vehicle, challenge nonce and seq), without the bytes that change with
 * each generation's random issuer key, passkeys and link secret. Two files with the same shape come
 * from the same cases and the same hand table, so the suite can tell that the committed vectors.json
 * is what the current code generates, and `conformance:generate --check` can say so too.
 */
import type { CarStatePart, Step, VectorFile } from './vectorFormat.js';

/** A state without the passkey names (random per generation: the passkeys are) that key its counters. */
function stateShape(state: CarStatePart) {
  const { counters, ...rest } = state;
  return counters === undefined ? rest : { ...rest, counters: Object.values(counters) };
}

function stepShape(step: Step) {
  switch (step.step) {
    case 'write':
      return { step: step.step, why: step.why, withoutResponse: step.withoutResponse, bytes: step.hex.length / 2 };
    case 'expectNotify':
      return { step: step.step, why: step.why, is: step.is.kind === 'response' ? { ...step.is, mac: step.is.mac !== null } : step.is };
    case 'read':
      return { step: step.step, why: step.why, expect: 'hex' in step.expect ? step.expect.is : step.expect };
    case 'expectResponse':
      return { ...step, macKey: step.macKey !== undefined };
    case 'expectState':
      return { ...step, state: stateShape(step.state) };
    default:
      return step;
  }
}

export function vectorShape(file: VectorFile) {
  return {
    kitVersion: file.kitVersion,
    protocolVersion: file.protocolVersion,
    cases: file.cases.map((c) => ({
      name: c.name,
      proves: c.proves,
      vin: c.car.vin,
      rpId: c.car.rpId,
      origins: c.car.origins,
      state: stateShape(c.state),
      clockMs: c.clockMs,
      nonces: c.nonces,
      steps: c.steps.map(stepShape),
    })),
  };
}
