/**
 * `npm run demo` as its user runs it: a separate process on the embedded store. It must exit 0 and
 * narrate every step, including each attack refused with its exact code and the figures table.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('npm run demo', () => {
  it('tells the whole story and ends with the figures table', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'ble-sim/demo/main.ts'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, FORCE_COLOR: '0' } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = run.stdout;
    for (const line of [
      /claim WVWZZZ1JZXW000001 by odometer/,
      /claim WBA8E9G50GNT40002 by scanning its QR code/,
      /COSE_Sign1 ES256 sdk-key\+cwt/,
      /✓ +\d+\. unlock +[\d.]+ ms/,
      /unlock again, with no server reachable/,
      /refused: BAD_ASSERTION/,
      /refused: UNKNOWN_NONCE/,
      /refused: WRONG_VEHICLE/,
      /refused: USER_NOT_VERIFIED/,
      /the family member unlocks over BLE/,
      /refused: PERMISSION_DENIED/,
      /the car receives the new manifest on its sync channel/,
      /refused: REVOKED/,
      /unlock \(online; first contact\) +7 +\d+ +\d+ \/ \d+ +\d+/,
      /lock \(online; bonded, new credential\) +1 +\d+ +\d+ \/ \d+ +\d+/,
      /unlock \(offline; bonded, credential held by the car\) +1 +\d+ +\d+ \/ \d+ +\d+/,
      /every step ended as designed/,
    ]) {
      expect(out).toMatch(line);
    }
    expect(out).not.toMatch(/✗/);
  });
});
