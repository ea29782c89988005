/** The compressed public key of the passkey a phone app signed up with: what its credentials bind. */
import type { PhoneApp } from '../../ble-sim/phone/phoneApp.js';
import { compressedPointOfJwk } from '../../shared/cose/p256Point.js';

export function passkeyPointOf(phone: PhoneApp): Uint8Array {
  const saved = phone.authenticator.exportPasskeys().find((p) => p.id === phone.passkeyId);
  if (!saved) throw new Error('the phone holds no such passkey');
  const { kty, crv, x, y } = saved.privateJwk;
  return compressedPointOfJwk({ ...(kty ? { kty } : {}), ...(crv ? { crv } : {}), ...(x ? { x } : {}), ...(y ? { y } : {}) });
}
