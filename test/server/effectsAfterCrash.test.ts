/**
 * Issue 11: every effect of a commit survives a crash. A claim and a revocation are committed by a
 * process that stops right after its commit (its manifest publish throws, nothing after it runs);
 * then the user retries, and another instance's scheduler runs. The retry answers as done and
 * publishes the state again; the notice the commit owed (R12, a revoked key's holder) is delivered
 * exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimVehicle } from '../../server/vehicles/claimVehicle.js';
import { revokeKeyByUser } from '../../server/keys/revokeKeyByUser.js';
import { acceptInvitation } from '../../server/sharing/acceptInvitation.js';
import { revokeLostPasskey } from '../../server/keys/revokeLostPasskey.js';
import type { App } from '../../server/app.js';
import { ownerAndAnother, shareKey } from '../support/ownerFixtures.js';
import { startTestServer, type TestServer } from '../support/testServer.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

class ProcessStopped extends Error {}

/**
 * `target`, where the process stops at its method `name`: `stop` runs instead, with the real method
 * and the call's arguments (it may call the real one first: a stop just after it), and must throw.
 */
function stoppingAt<T extends object>(target: T, name: keyof T & string, stop: (real: (...args: unknown[]) => Promise<unknown>, args: unknown[]) => Promise<never>): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      const bound = value.bind(object);
      return property === name ? (...args: unknown[]) => stop(bound, args) : bound;
    },
  });
}

const stopped = (where: string) => Promise.reject(new ProcessStopped(`the process stopped ${where}`));

/** The app's dependencies as a process that stops right after its commit would run them: publishing is where it dies. */
function stoppingAfterCommit(app: App) {
  return { deps: { ...app.ctx, manifests: stoppingAt(app.ctx.manifests, 'publish', () => stopped('after the commit')), gate: app.subscriptions } };
}

/** The app's dependencies as a process that stops right after (or right before) the vehicle's commit. */
function stoppingAtVehicleCommit(app: App, when: 'before' | 'after') {
  const vehicles = stoppingAt(app.ctx.vehicles, 'update', async (real, args) => {
    if (when === 'after') await real(...args);
    return stopped(`${when} the vehicle's commit`);
  });
  return { ...app.ctx, vehicles, gate: app.subscriptions };
}

const kindsOf = async (accountId: string) => (await t.app.outbox.list(accountId)).map((n) => n.kind);

describe('effects of a commit survive a crash right after it', () => {
  it('R12: a claim whose process stopped after its commit — the retry answers as done and republishes; the previous main user is told once', async () => {
    const { v, owner, other: buyer } = await ownerAndAnother(t, 'buyer');
    const { deps } = stoppingAfterCommit(t.app);
    const published: number[] = [];
    const stopListening = await t.app.ctx.manifests.subscribe((event) => event.vin === v.vin && published.push(event.seq), () => undefined);

    await expect(claimVehicle(deps, { vin: v.vin, accountId: buyer.accountId!, proof: { method: 'qr', qrToken: v.qrToken }, acceptTerms: true })).rejects.toBeInstanceOf(ProcessStopped);
    // Committed: the buyer is the main user and the owner's keys are dead, but nothing was published or sent.
    const committed = await t.app.ctx.vehicles.get(v.vin);
    expect(committed.mainUser?.accountId).toBe(buyer.accountId);
    expect(await kindsOf(owner.accountId!)).toEqual([]);
    expect(published).toEqual([]);

    // The buyer's app retries the claim: answered as done, and the state is published.
    expect(await buyer.claim(v.vin, { method: 'qr', qrToken: v.qrToken })).toMatchObject({ role: 'main' });
    await expect.poll(() => published).toContain(committed.seq);
    // Another instance's scheduler runs too: the notice still reaches the owner exactly once.
    await t.app.scheduler.runDue();
    expect(await kindsOf(owner.accountId!)).toEqual(['vehicle-claimed-by-another']);
    await stopListening();
  });

  it('a revocation whose process stopped after its commit — the retry answers 200 with the current seq and republishes; the holder is told once', async () => {
    const { v, owner, other: guest } = await ownerAndAnother(t, 'guest');
    const keyId = await shareKey(owner, guest, v.vin);
    const { deps } = stoppingAfterCommit(t.app);
    const published: number[] = [];
    const stopListening = await t.app.ctx.manifests.subscribe((event) => event.vin === v.vin && published.push(event.seq), () => undefined);

    await expect(revokeKeyByUser(deps, { vin: v.vin, keyId, accountId: owner.accountId! })).rejects.toBeInstanceOf(ProcessStopped);
    const committed = await t.app.ctx.vehicles.get(v.vin);
    expect(committed.revoked.map((r) => r.keyId)).toContain(keyId);
    expect(await kindsOf(guest.accountId!)).toEqual([]);

    // The owner retries: not a 404 but the revocation, done, at the current seq; the state is published.
    expect(await owner.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${keyId}`)).toEqual({ keyId, seq: committed.seq });
    await expect.poll(() => published).toContain(committed.seq);
    await t.app.scheduler.runDue();
    expect(await kindsOf(guest.accountId!)).toEqual(['key-revoked']);
    // The holder may repeat it too; anyone else is told the key does not exist.
    expect(await guest.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${keyId}`)).toEqual({ keyId, seq: committed.seq });
    const stranger = t.phone();
    await stranger.signUp(`stranger-${v.vin}@example.com`, 'Stranger');
    await expect(stranger.api.request('DELETE', `/v1/vehicles/${v.vin}/keys/${keyId}`)).rejects.toMatchObject({ code: 'KEY_NOT_FOUND' });
    await stopListening();
  });

  for (const when of ['before', 'after'] as const) {
    it(`an invitation accept whose process stopped ${when} the key's commit — the retry makes (or finds) exactly one key`, async () => {
      const { v, owner, other: guest } = await ownerAndAnother(t, `guest-${when}`);
      const { code } = await owner.api.request<{ code: string }>('POST', `/v1/vehicles/${v.vin}/invitations`, { perms: ['unlock'] });
      await expect(acceptInvitation(stoppingAtVehicleCommit(t.app, when), { code, accountId: guest.accountId!, passkeyId: guest.passkeyId! })).rejects.toBeInstanceOf(ProcessStopped);
      const issued = await guest.api.request<{ keyId: string; credential: string }>('POST', `/v1/invitations/${code}/accept`, { passkeyId: guest.passkeyId });
      const vehicle = await t.app.ctx.vehicles.get(v.vin);
      const shared = (await t.app.ctx.vehicles.keys(v.vin, vehicle.epoch)).filter((k) => k.role === 'shared');
      expect(shared.map((k) => k.keyId)).toEqual([issued.keyId]);
      expect(vehicle.sharedKeys).toBe(1);
      // A credential: base64url of a tagged COSE_Sign1 (tag 18, a 4-element array: d2 84).
      expect(issued.credential).toMatch(/^0oR/);
      // Used up: it accepts no other key, for nobody.
      await expect(owner.api.request('GET', `/v1/invitations/${code}`)).rejects.toMatchObject({ code: 'INVITATION_INVALID' });
    });
  }

  it("R6: a dealer's lost-phone revocation whose process stopped before telling the owner — the retry tells them, once", async () => {
    const { v, owner, other: dealer } = await ownerAndAnother(t, 'dealer');
    const outbox = stoppingAt(t.app.outbox, 'notify', () => stopped('before telling the owner'));
    const lost = { vin: v.vin, passkeyId: owner.passkeyId!, dealer: dealer.accountId!, reason: 'phone stolen' };
    await expect(revokeLostPasskey({ ...t.app.ctx, outbox }, lost)).rejects.toBeInstanceOf(ProcessStopped);
    expect(await kindsOf(owner.accountId!)).toEqual([]);
    await revokeLostPasskey(t.app.ctx, lost);
    await revokeLostPasskey(t.app.ctx, lost);
    expect(await kindsOf(owner.accountId!)).toEqual(['key-revoked']);
  });
});
