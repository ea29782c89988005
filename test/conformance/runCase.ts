/**
 * Plays one vector case against a car (an adapter process or our car in process) and reports the
 * first difference in plain words. The runner CLI calls it for each case, and so does the
 * generator, which keeps a case only once our own car passes it. Every wait is bounded: an
 * operation the adapter does not answer, or a notification that does not come, fails the case
 * after `stepTimeoutMs` instead of hanging the run.
 */
import type { z } from 'zod';
import { FrameAssembler } from '../../shared/ble/framing.js';
import { adapterResultSchemas, callAdapter, type AdapterOp, type CarChannel } from './adapterProtocol.js';
import { describe, describeMessage, notificationDifference, responseExpectationDifference } from './notificationReading.js';
import { bytesOfHex, type CarState, type CarStatePart, type Step, type VectorCase } from './vectorFormat.js';

export interface RunCaseOptions {
  channel: CarChannel;
  /** The longest wait for one adapter operation or one notification. */
  stepTimeoutMs: number;
}

/** A case passed, or where and why it failed. */
export type CaseResult =
  | { name: string; passed: true }
  | {
      name: string;
      passed: false;
      /** 1-based index of the failing step; 0 while provisioning, steps + 1 after the last step. */
      step: number;
      /** The failing step's kind and why it is there, in words. */
      where: string;
      difference: string;
      /** The adapter stopped answering: the caller should start a new one before the next case. */
      stuck: boolean;
    };

/** A step failed: the sentence says why. */
class StepFailure extends Error {
  constructor(
    message: string,
    readonly stuck = false,
  ) {
    super(message);
  }
}

const attError = (code: number) => `ATT error 0x${code.toString(16).padStart(2, '0')}`;

/** The notifications of one case: reassembled from their frames, waited for with a bound. */
class CaseSession {
  readonly #channel: CarChannel;
  readonly #timeoutMs: number;
  readonly #messages: Uint8Array[] = [];
  readonly #problems: string[] = [];
  #assembler = new FrameAssembler();
  #mtu = 23;
  #wake: (() => void) | null = null;
  readonly stop: () => void;

  constructor(channel: CarChannel, timeoutMs: number) {
    this.#channel = channel;
    this.#timeoutMs = timeoutMs;
    this.stop = channel.onEvent((event) => {
      if (event.event === 'problem') this.#problems.push(`the adapter reported: ${event.message}`);
      else this.#fragment(bytesOfHex(event.hex));
      this.#wake?.();
    });
  }

  #fragment(fragment: Uint8Array): void {
    if (fragment.length > this.#mtu - 3) this.#problems.push(`the car notified ${fragment.length} bytes at once, over MTU − 3 (${this.#mtu - 3})`);
    const result = this.#assembler.push(fragment, performance.now());
    if (result.kind === 'message') this.#messages.push(result.message);
    else if (result.kind === 'error') this.#problems.push(`the car's notifications are not framed as protocol.md says: ${result.error.message}`);
  }

  /** A new link: frames start again, at this MTU. */
  linked(mtu: number): void {
    this.#mtu = mtu;
    this.#assembler = new FrameAssembler();
  }

  /** Perform `op` within the step timeout; its result read through `schema`. */
  async call<T>(op: AdapterOp, schema: z.ZodType<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StepFailure(`the adapter did not answer "${op.op}" within ${this.#timeoutMs} ms`, true)), this.#timeoutMs);
    });
    try {
      return await Promise.race([callAdapter(this.#channel, op, schema), timeout]);
    } catch (err) {
      if (err instanceof StepFailure) throw err;
      throw new StepFailure(`the adapter could not ${op.op}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next whole message, or null after the timeout. */
  async nextMessage(): Promise<Uint8Array | null> {
    const deadline = performance.now() + this.#timeoutMs;
    while (this.#messages.length === 0 && this.#problems.length === 0) {
      const left = deadline - performance.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
    this.checkProblems();
    return this.#messages.shift() ?? null;
  }

  /** Fail if the adapter reported a problem or the car's frames broke the rules. */
  checkProblems(): void {
    const problem = this.#problems.shift();
    if (problem) throw new StepFailure(problem);
  }

  /** Fail if anything was notified that no step consumed. */
  checkQuiet(what: string): void {
    this.checkProblems();
    const extra = this.#messages.shift();
    if (extra) throw new StepFailure(`${what} the car notified ${describeMessage(extra)}`);
    if (this.#assembler.inProgress) throw new StepFailure(`${what} the car notified the start of a message and never finished it`);
  }
}

/** How the car's state differs from the listed parts of `expected`, in a sentence; null when it does not. */
export function stateDifference(expected: CarStatePart, actual: CarState): string | null {
  for (const key of ['seq', 'ep', 'highestTrustedMs'] as const) {
    const want = expected[key];
    if (want !== undefined && actual[key] !== want) return `the car's ${key} is ${actual[key]}, expected ${want}`;
  }
  const sets = { revoked: 'revoked keys', bonds: 'bonds' } as const;
  for (const key of ['revoked', 'bonds'] as const) {
    const want = expected[key];
    if (want === undefined) continue;
    const missing = want.filter((x) => !actual[key].includes(x));
    const extra = actual[key].filter((x) => !want.includes(x));
    if (missing.length > 0) return `the car's ${sets[key]} lack ${missing.join(', ')}`;
    if (extra.length > 0) return `the car's ${sets[key]} hold ${extra.join(', ')}, which the case does not expect`;
  }
  for (const [passkey, want] of Object.entries(expected.counters ?? {})) {
    const got = actual.counters[passkey];
    if (got !== want) return `the car's counter for passkey ${passkey} is ${got ?? 'absent'}, expected ${want}`;
  }
  const a = expected.actuators;
  if (a && (a.locked !== actual.actuators.locked || a.engine !== actual.actuators.engine)) {
    const words = (v: { locked: boolean; engine: boolean }) => `${v.locked ? 'locked' : 'unlocked'} with the engine ${v.engine ? 'on' : 'off'}`;
    return `the car is ${words(actual.actuators)}, expected ${words(a)}`;
  }
  return null;
}

async function play(step: Step, session: CaseSession, clock: { ms: number }): Promise<void> {
  switch (step.step) {
    case 'connect': {
      // A new link, ready before the adapter replies: the car pushes a bonded phone its challenge as
      // soon as the MTU exchange is done, which may be before the adapter says it is connected.
      session.linked(step.mtu);
      const { mtu } = await session.call({ op: 'connect', central: step.central, mtu: step.mtu }, adapterResultSchemas.connect);
      if (mtu !== step.mtu) throw new StepFailure(`the link runs at MTU ${mtu}; the case needs ${step.mtu}`);
      return;
    }
    case 'subscribe':
    case 'disconnect':
    case 'restart':
      await session.call({ op: step.step }, adapterResultSchemas[step.step]);
      return;
    case 'read': {
      const result = await session.call({ op: 'read' }, adapterResultSchemas.read);
      const expect = step.expect;
      if ('attError' in expect) {
        if ('hex' in result) throw new StepFailure(`expected the read refused with ${attError(expect.attError)}; the car served ${result.hex}`);
        if (result.attError !== expect.attError) throw new StepFailure(`expected the read refused with ${attError(expect.attError)}; the car refused it with ${attError(result.attError)}`);
        return;
      }
      if ('attError' in result) throw new StepFailure(`expected ${describe(expect.is)}; the car refused the read with ${attError(result.attError)}`);
      const difference = notificationDifference(expect, bytesOfHex(result.hex));
      if (difference) throw new StepFailure(difference);
      return;
    }
    case 'write':
    case 'emptyWrite': {
      const value = step.step === 'write' ? { hex: step.hex, withoutResponse: step.withoutResponse } : { hex: '', withoutResponse: true };
      const result = await session.call({ op: 'write', ...value }, adapterResultSchemas.write);
      if (result.attError !== undefined) throw new StepFailure(`the car refused the write with ${attError(result.attError)}; protocol.md answers on Response instead`);
      return;
    }
    case 'advanceClock':
      clock.ms += step.ms;
      await session.call({ op: 'setClock', ms: clock.ms }, adapterResultSchemas.setClock);
      return;
    case 'expectNotify':
    case 'expectResponse': {
      const message = await session.nextMessage();
      const wanted = step.step === 'expectNotify' ? describe(step.is) : `a Response ${step.code}`;
      if (!message) throw new StepFailure(`expected ${wanted}; nothing was notified`);
      const difference = step.step === 'expectNotify' ? notificationDifference(step, message) : responseExpectationDifference(step, message);
      if (difference) throw new StepFailure(difference);
      return;
    }
    case 'expectNoNotify':
      await session.call({ op: 'settle' }, adapterResultSchemas.settle);
      session.checkQuiet('expected no notification;');
      return;
    case 'expectState': {
      const { state } = await session.call({ op: 'state' }, adapterResultSchemas.state);
      const difference = stateDifference(step.state, state);
      if (difference) throw new StepFailure(difference);
      return;
    }
  }
}

/** Play a case from provisioning to its last step; then the car must have nothing more to say. */
export async function runCase(c: VectorCase, opts: RunCaseOptions): Promise<CaseResult> {
  const session = new CaseSession(opts.channel, opts.stepTimeoutMs);
  const clock = { ms: c.clockMs };
  let index = 0;
  let where = 'provisioning';
  try {
    await session.call({ op: 'provision', car: c.car, state: c.state, clockMs: c.clockMs, nonces: c.nonces }, adapterResultSchemas.provision);
    for (const step of c.steps) {
      index++;
      where = `step ${index} of ${c.steps.length} (${step.step}${step.why ? `: ${step.why}` : ''})`;
      await play(step, session, clock);
      session.checkProblems();
    }
    index++;
    where = 'after the last step';
    await session.call({ op: 'settle' }, adapterResultSchemas.settle);
    session.checkQuiet('');
    return { name: c.name, passed: true };
  } catch (err) {
    const failure = err instanceof StepFailure ? err : new StepFailure(err instanceof Error ? err.message : String(err));
    return { name: c.name, passed: false, step: index, where, difference: failure.message.trim(), stuck: failure.stuck };
  } finally {
    session.stop();
  }
}
