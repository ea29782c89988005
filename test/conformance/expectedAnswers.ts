/**
 * What protocol.md says the car answers in each conformance case, in order, written by hand from the
 * document — not from running the car. The generator plays each case against our car and keeps it
 * only if the car's answers match this table (and the kit's own model of nonces, actuators and MACs,
 * caseBuilder.ts), so a bug in the car cannot bless itself into the vectors. `+mac` marks an answer
 * the car must authenticate ("Authenticated responses": from the moment it knows the credential).
 *
 * The table names every case; conformanceCases.ts must define exactly these (both are typed so).
 * Where protocol.md leaves a choice open, the entry says so and follows the car; see README.md.
 */
import { isAirCode, type AirCode } from './protocolCodes.js';

/** One answer: its code, and whether it carries a MAC. */
export type ExpectedAnswer = AirCode | `${AirCode}+mac`;

export const EXPECTED_ANSWERS = {
  // "What the car checks", 7: act, keep the credential, answer authenticated. A credential the car
  // holds may come whole again (it is recognised by its digest).
  'commands-with-the-whole-credential': ['OK+mac', 'OK+mac', 'OK+mac', 'OK+mac'],
  // "Bonding", "Challenge push" and "Credentials the car holds": the bonded phone hears a push after its
  // MTU exchange and names the credential by reference.
  'commands-by-reference-once-bonded': ['OK+mac', 'OK+mac', 'OK+mac'],
  // "A reference the car does not hold (it restarted …) is CREDENTIAL_UNKNOWN" — unauthenticated
  // (an unknown reference); then the whole credential after a fresh read.
  'credential-unknown-after-a-restart': ['OK+mac', 'CREDENTIAL_UNKNOWN', 'OK+mac'],
  // "Challenge push": no push to an unsubscribed link, the read refused with 0xFD, then subscribe.
  'bond-forgotten-by-the-car': ['OK+mac'],
  // "Challenge push": "for a bonded phone … when its MTU exchange is done"; "Bonding": bonds are kept
  // in the state file.
  'challenge-pushed-to-a-bonded-phone-after-its-mtu-exchange': ['OK+mac'],
  // "Pushes with no read in between carry the same nonce while it is fresh"; "A read of Challenge also
  // serves one … each challenge replaces the one before": the request over the replaced nonce spends
  // the read one and fails its assertion (authenticated: the credential verified). A push after the
  // nonce was spent carries a new one (there is none outstanding to repeat).
  'empty-write-after-a-push-gets-the-same-nonce': ['BAD_ASSERTION+mac', 'OK+mac'],
  // Step 2: a nonce is used once.
  'replay-on-the-same-connection': ['OK+mac', 'UNKNOWN_NONCE'],
  // Step 2 then 6: the new connection's nonce is consumed, the assertion is over another one; the
  // credential is known (cached), so the refusal is authenticated. Then the nonce is spent.
  'replay-on-a-new-connection': ['OK+mac', 'BAD_ASSERTION+mac', 'UNKNOWN_NONCE'],
  // "A connection holds one nonce: each challenge replaces the one before" — a read, here (pushes
  // with no read in between repeat the nonce).
  'only-the-newest-nonce-counts': ['BAD_ASSERTION+mac', 'UNKNOWN_NONCE'],
  // Step 2: "older than 30 s → UNKNOWN_NONCE"; a read serves a fresh one.
  'nonce-older-than-30-s': ['UNKNOWN_NONCE', 'OK+mac'],
  // Step 2: "unknown" — the pushed nonce was spent and the phone wrote again without asking for a challenge.
  'request-without-a-challenge': ['OK+mac', 'UNKNOWN_NONCE'],
  // Step 6 ("Transaction hash" binds cmd and the credential): the assertion does not verify.
  'command-swapped-after-signing': ['BAD_ASSERTION+mac'],
  'credential-swapped-after-signing': ['BAD_ASSERTION+mac'],
  'tampered-signature': ['BAD_ASSERTION+mac'],
  // Step 4: refusals of a credential that does not verify carry no MAC.
  'wrong-vehicle': ['WRONG_VEHICLE'],
  'untrusted-issuer': ['BAD_SIGNATURE'],
  // Step 4 lists "strict COSE, typ, a provisioned kid and its signature (BAD_SIGNATURE), claims
  // (BAD_CREDENTIAL)": which code a wrong typ gets is open; the car says BAD_CREDENTIAL.
  'manifest-presented-as-a-credential': ['BAD_CREDENTIAL'],
  // Step 4, a credential sent whole: its window is part of verifying it, so no MAC (open in
  // protocol.md; the car does so). Held by the car, its window is judged again, authenticated.
  expired: ['EXPIRED'],
  'expired-since-the-car-took-it': ['OK+mac', 'EXPIRED+mac'],
  'not-yet-valid': ['NOT_YET_VALID'],
  // "against the forward-only clock": the persisted highest trusted time, not the wall clock.
  'clock-behind-the-highest-trusted-time': ['EXPIRED'],
  'clock-rolled-back-after-use': ['OK+mac', 'EXPIRED+mac', 'EXPIRED+mac'],
  // Step 5, and step 3: a newer manifest carried by the request applies before the credential is judged.
  'epoch-stale-by-the-car-state': ['EPOCH_STALE+mac'],
  'epoch-stale-by-a-carried-manifest': ['EPOCH_STALE+mac'],
  'revoked-by-a-carried-manifest': ['REVOKED+mac'],
  'revoked-by-the-car-state': ['REVOKED+mac'],
  'permission-denied': ['PERMISSION_DENIED+mac', 'OK+mac'],
  // Step 6: UV before the signature (its own code); a missing UP flag fails the assertion.
  'user-not-verified': ['USER_NOT_VERIFIED+mac'],
  'no-user-presence': ['BAD_ASSERTION+mac'],
  // "The passkey is the one the credential binds."
  'another-passkey': ['BAD_ASSERTION+mac'],
  // Step 6: "when either signature counter is non-zero it must grow".
  'counter-regression-by-the-car-state': ['COUNTER_REGRESSION+mac'],
  'harvested-assertion': ['OK+mac', 'COUNTER_REGRESSION+mac'],
  // Step 3: "otherwise ignore it" — a manifest that does not verify for this VIN or is not newer.
  'forged-manifest-ignored': ['OK+mac'],
  'foreign-manifest-ignored': ['OK+mac'],
  'older-manifest-ignored': ['OK+mac'],
  'credential-presented-as-a-manifest-ignored': ['OK+mac'],
  // "Compact assertion": the platform's own clientDataJSON (field 8) is parsed strictly.
  'client-data-json-with-another-member': ['OK+mac'],
  'client-data-json-from-another-origin': ['BAD_ASSERTION+mac'],
  // "Framing": BAD_FRAME comes from reassembly, before the nonce is consumed, so the whole message
  // sent once more is answered.
  'framing-announced-length-0': ['BAD_FRAME', 'OK+mac'],
  'framing-announced-length-over-2048': ['BAD_FRAME', 'OK+mac'],
  'framing-fragment-over-mtu-minus-3': ['BAD_FRAME', 'OK+mac'],
  'framing-payload-past-the-announced-length': ['BAD_FRAME', 'OK+mac'],
  'framing-incomplete-message-times-out': ['BAD_FRAME', 'OK+mac'],
  // "Messages" and step 1: decoding fails before the nonce is consumed (step 2), so it still holds.
  'bad-message-not-deterministic-cbor': ['BAD_MESSAGE', 'OK+mac'],
  'bad-message-unknown-key': ['BAD_MESSAGE', 'OK+mac'],
  'bad-message-credential-and-reference': ['BAD_MESSAGE', 'OK+mac'],
  'bad-message-wrong-field-sizes': ['BAD_MESSAGE', 'BAD_MESSAGE', 'BAD_MESSAGE', 'OK+mac'],
  // Field 3 is "0 unlock, 1 lock, 2 start, 3 trunk": protocol.md does not say whether another
  // number is BAD_MESSAGE or UNKNOWN_COMMAND (4); the car and its codec tests say BAD_MESSAGE.
  'bad-message-unknown-command-number': ['BAD_MESSAGE', 'OK+mac'],
  // "a map whose key 0 is an integer other than 2 is UNSUPPORTED_VERSION".
  'unsupported-version': ['UNSUPPORTED_VERSION', 'UNSUPPORTED_VERSION', 'OK+mac'],
} as const satisfies Record<string, readonly ExpectedAnswer[]>;

/** The name of a conformance case. */
export type CaseName = keyof typeof EXPECTED_ANSWERS;

/** An answer's code and whether it is authenticated. */
export function parseExpectedAnswer(answer: ExpectedAnswer): { code: AirCode; mac: boolean } {
  const [code = '', mac] = answer.split('+');
  if (!isAirCode(code)) throw new TypeError(`${code} is not a code protocol.md defines`);
  return { code, mac: mac === 'mac' };
}
