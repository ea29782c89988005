/**
 * Trust updates (issuer key rotation): only an update signed by a trusted issuer key, of this
 * issuer, for vehicles, with well-formed keys verifies; the car's state takes only a newer one.
 */
import { describe, expect, it } from 'vitest';
import { initialVehicleState, withTrustUpdate } from '../../../ble-sim/vehicle/vehicleState.js';
import { LocalIssuerKey } from '../../../shared/credential/issuerKey.js';
import { signCompactJws } from '../../../shared/credential/signCompactJws.js';
import { signTrustUpdate, trustedIssuerKey, TRUST_UPDATE_AUDIENCE, TRUST_UPDATE_TYP, verifyTrustUpdate, type TrustUpdateClaims } from '../../../shared/credential/trustUpdate.js';

const ISSUER = 'https://keys.example.com';
const NOW = 1_790_000_000;

async function setup() {
  const k1 = await LocalIssuerKey.generate();
  const k2 = await LocalIssuerKey.generate();
  return { k1, k2, trust: { issuer: ISSUER, jwks: { keys: [k1.publicJwk] } } };
}

describe('trust updates', () => {
  it('verify when a trusted key signed them, and carry the public keys with their thumbprints', async () => {
    const { k1, k2, trust } = await setup();
    const token = await signTrustUpdate({ key: k1, issuer: ISSUER, keys: [k1.publicJwk, k2.publicJwk], nowSeconds: NOW });
    const claims = await verifyTrustUpdate({ token, trust, nowSeconds: NOW });
    expect(claims.keys.map((k) => k.kid)).toEqual([k1.kid, k2.kid]);
    expect(claims.keys.every((k) => !('d' in k))).toBe(true);
    expect(claims.iat).toBe(NOW);
  });

  it('are refused when signed by a key the verifier does not trust (BAD_SIGNATURE)', async () => {
    const { k2, trust } = await setup();
    const token = await signTrustUpdate({ key: k2, issuer: ISSUER, keys: [k2.publicJwk], nowSeconds: NOW });
    await expect(verifyTrustUpdate({ token, trust, nowSeconds: NOW })).rejects.toMatchObject({ code: 'BAD_SIGNATURE' });
  });

  it('are refused with another typ, issuer or audience, a repeated key, or a key that is not P-256 (BAD_STATE)', async () => {
    const { k1, trust } = await setup();
    const key = await trustedIssuerKey(k1.publicJwk);
    const claims = { iss: ISSUER, aud: TRUST_UPDATE_AUDIENCE, iat: NOW, keys: [key] };
    const cases = [
      await signCompactJws({ key: k1, typ: 'sdk-state+jwt', payload: claims }),
      await signCompactJws({ key: k1, typ: TRUST_UPDATE_TYP, payload: { ...claims, iss: 'https://other.example.com' } }),
      await signCompactJws({ key: k1, typ: TRUST_UPDATE_TYP, payload: { ...claims, aud: 'SDKDEM00000000001' } }),
      await signCompactJws({ key: k1, typ: TRUST_UPDATE_TYP, payload: { ...claims, keys: [key, key] } }),
      await signCompactJws({ key: k1, typ: TRUST_UPDATE_TYP, payload: { ...claims, keys: [{ ...key, crv: 'P-384' }] } }),
      await signCompactJws({ key: k1, typ: TRUST_UPDATE_TYP, payload: { ...claims, keys: [] } }),
    ];
    const codes = await Promise.all(cases.map((token) => verifyTrustUpdate({ token, trust, nowSeconds: NOW }).then(() => 'verified', (err: { code?: string }) => err.code)));
    expect(codes).toEqual(['BAD_STATE', 'BAD_STATE', 'WRONG_VEHICLE', 'BAD_STATE', 'BAD_STATE', 'BAD_STATE']);
  });

  it('a kid that is not the key thumbprint is refused when the update is made', async () => {
    const { k1 } = await setup();
    await expect(signTrustUpdate({ key: k1, issuer: ISSUER, keys: [{ ...k1.publicJwk, kid: 'not-the-thumbprint' }], nowSeconds: NOW })).rejects.toThrow(/thumbprint/);
  });

  it("the car's state takes an update only when it is newer than the last one taken", async () => {
    const { k1, k2 } = await setup();
    const first: TrustUpdateClaims = { iss: ISSUER, aud: TRUST_UPDATE_AUDIENCE, iat: NOW, keys: [await trustedIssuerKey(k1.publicJwk)] };
    const second = { ...first, iat: NOW + 60, keys: [await trustedIssuerKey(k2.publicJwk)] };
    const state = initialVehicleState('SDKDEM00000000001', NOW * 1000);
    const taken = withTrustUpdate(state, first);
    expect(taken.issuerKeys?.map((k) => k.kid)).toEqual([k1.kid]);
    const newer = withTrustUpdate(taken, second);
    expect(newer.issuerKeys?.map((k) => k.kid)).toEqual([k2.kid]);
    expect(withTrustUpdate(newer, first)).toBe(newer);
    expect(withTrustUpdate(newer, second)).toBe(newer);
  });
});
