/**
 * A pool worker asks its primary for the development issuer key over IPC (server/workerPool.ts):
 * it takes the answer, ignores other messages, and gives up when the primary goes or stays silent.
 * The process test (test/process/serverProcess.test.ts) proves the real pool end to end.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LocalIssuerKey } from '../../shared/credential/issuerKey.js';
import { issuerKeyFromPrimary, type PrimaryChannel } from '../../server/workerPool.js';

/** A worker's channel whose primary answers with `answer` (or nothing) when asked. */
function channel(answer?: (ch: EventEmitter) => void): PrimaryChannel & { asked: unknown[]; listeners: () => number } {
  const ch = new EventEmitter();
  const asked: unknown[] = [];
  return Object.assign(ch, {
    asked,
    send: (message: string) => {
      asked.push(message);
      if (answer) setImmediate(() => answer(ch));
      return true;
    },
    listeners: () => ch.listenerCount('message') + ch.listenerCount('disconnect'),
  });
}

describe("a pool worker's issuer key from its primary", () => {
  it('asks once, skips messages that are not the answer, and takes the key the primary gives', async () => {
    const jwk = JSON.stringify((await LocalIssuerKey.generate()).exportPrivateJwk());
    const ch = channel((c) => {
      c.emit('message', 'sdk:shutdown-not-this');
      c.emit('message', { kind: 'sdk:issuer-key', jwk: 42 });
      c.emit('message', { kind: 'sdk:issuer-key', jwk });
    });
    const key = await issuerKeyFromPrimary(ch, 1000);
    expect(key.publicJwk).toMatchObject({ x: (JSON.parse(jwk) as { x: string }).x });
    expect(ch.asked).toEqual(['sdk:issuer-key?']);
    expect(ch.listeners()).toBe(0);
  });

  it('gives up with a sentence when the primary goes first, or stays silent', async () => {
    const gone = channel((c) => c.emit('disconnect'));
    await expect(issuerKeyFromPrimary(gone, 10_000)).rejects.toThrow('the primary went away before it gave this worker the issuer key');
    expect(gone.listeners()).toBe(0);
    const silent = channel();
    await expect(issuerKeyFromPrimary(silent, 50)).rejects.toThrow('the primary did not give this worker the issuer key within 0.05 s');
    expect(silent.listeners()).toBe(0);
  });

  it('a process that is no worker does not ask', async () => {
    await expect(issuerKeyFromPrimary({ on: () => undefined, off: () => undefined }, 50)).rejects.toThrow('only a worker of a pool asks the primary for the issuer key');
  });
});
