/**
 * Passkey login refuses an assertion whose DER signature has more than one spelling: bytes after
 * the SEQUENCE, non-minimal or negative integers. Through HTTP, with the simulated phone's genuine
 * assertion as the control.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { isStrictDerEcdsaSignature } from '../../../shared/credential/strictDerSignature.js';
import { rawCall } from '../../support/httpCalls.js';
import { TEST_ORIGIN, TEST_RP_ID, startTestServer, type TestServer } from '../../support/testServer.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

/** A fresh genuine login assertion of a signed-up phone, and the challenge it answers. */
async function freshAssertion(phone: ReturnType<TestServer['phone']>) {
  const { challengeId, options } = await phone.api.request<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }>('POST', '/v1/sessions/options', {});
  const response = phone.authenticator.getAssertion({ rpId: TEST_RP_ID, origin: TEST_ORIGIN, challenge: options.challenge, allowCredentials: [] });
  return { challengeId, response };
}

function respell(response: Awaited<ReturnType<typeof freshAssertion>>['response'], change: (der: Buffer) => Buffer) {
  const der = Buffer.from(response.response.signature, 'base64url');
  return { ...response, response: { ...response.response, signature: change(der).toString('base64url') } };
}

/** Re-encode r with one needless leading zero (a non-minimal INTEGER), keeping the value. */
function paddedR(der: Buffer): Buffer {
  const rLen = der[3]!;
  const r = der.subarray(4, 4 + rLen);
  const rest = der.subarray(4 + rLen);
  const body = Buffer.concat([Buffer.from([0x02, rLen + 1, 0x00]), r, rest]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

describe('login assertion signatures', () => {
  it('attack: bytes appended to the DER signature are refused (the genuine one logs in)', async () => {
    const phone = t.phone();
    await phone.signUp('der-trailing@example.com', 'Der');
    const appended = await freshAssertion(phone);
    const refused = await rawCall(t.baseUrl, 'POST', '/v1/sessions', { body: { challengeId: appended.challengeId, response: respell(appended.response, (der) => Buffer.concat([der, Buffer.from([0x00, 0x01])])) } });
    expect([refused.status, refused.json?.error?.code]).toEqual([401, 'AUTHENTICATION_FAILED']);

    const padded = await freshAssertion(phone);
    const refusedPadded = await rawCall(t.baseUrl, 'POST', '/v1/sessions', { body: { challengeId: padded.challengeId, response: respell(padded.response, paddedR) } });
    expect([refusedPadded.status, refusedPadded.json?.error?.code]).toEqual([401, 'AUTHENTICATION_FAILED']);

    const genuine = await freshAssertion(phone);
    const ok = await rawCall(t.baseUrl, 'POST', '/v1/sessions', { body: genuine });
    expect(ok.status).toBe(200);
  });

  const r = Buffer.alloc(32, 0x11);
  const s = Buffer.alloc(32, 0x22);
  const int = (v: Buffer) => Buffer.concat([Buffer.from([0x02, v.length]), v]);
  const seq = (...parts: Buffer[]) => {
    const body = Buffer.concat(parts);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  };
  it.each([
    ['minimal r and s', seq(int(r), int(s)), true],
    ['r with the top bit set and its leading zero', seq(int(Buffer.concat([Buffer.from([0]), Buffer.alloc(32, 0x91)])), int(s)), true],
    ['a trailing byte', Buffer.concat([seq(int(r), int(s)), Buffer.from([0])]), false],
    ['a needless leading zero', seq(int(Buffer.concat([Buffer.from([0]), r])), int(s)), false],
    ['a negative integer', seq(int(Buffer.alloc(32, 0x91)), int(s)), false],
    ['a third integer', seq(int(r), int(s), int(Buffer.from([1]))), false],
    ['a long-form length', Buffer.concat([Buffer.from([0x30, 0x81, 68]), int(r), int(s)]), false],
    ['an empty integer', seq(Buffer.from([0x02, 0x00]), int(s)), false],
    ['the raw r‖s form', Buffer.concat([r, s]), false],
  ])('%s → %s', (_name, der, strict) => {
    expect(isStrictDerEcdsaSignature(der)).toBe(strict);
  });
});
