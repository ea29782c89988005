/**
 * Identifier formats (DESIGN.md §2): no user input may reach a storage key name or a Redis Cluster
 * hash slot unless it is a VIN, a UUID or url-safe base64, so `{`, `}`, `:` and whitespace never pass.
 */
import { describe, expect, it } from 'vitest';
import { idSchema, isId, isVin, vinSchema } from '../../shared/ids.js';

describe('VIN (ISO 3779: 17 characters of A-H, J-N, P, R-Z, 0-9)', () => {
  it.each(['WVWZZZ1JZXW000001', '1HGCM82633A004352', 'JH4KA7561PC008269', 'ABCDEFGHJKLMNPRST', '01234567890123456', 'XYZXYZXYZ12345678'])(
    '%s is a VIN',
    (vin) => {
      expect(isVin(vin)).toBe(true);
      expect(vinSchema.safeParse(vin).success).toBe(true);
    },
  );

  it.each<[string, unknown]>([
    ['with an I', 'WVWZZZ1JZXW00000I'],
    ['with an O', 'WVWZZZ1JZXW00000O'],
    ['with a Q', 'WVWZZZ1JZXW00000Q'],
    ['16 characters', 'WVWZZZ1JZXW00000'],
    ['18 characters', 'WVWZZZ1JZXW0000001'],
    ['empty', ''],
    ['lower case', 'wvwzzz1jzxw000001'],
    ['one lower-case letter', 'WVWZZZ1JZXw000001'],
    ['a space inside', 'WVWZZZ1JZ W000001'],
    ['a trailing newline', 'WVWZZZ1JZXW000001\n'],
    ['a leading space', ' WVWZZZ1JZXW00000'],
    ['a hash-tag brace', 'WVWZZZ1JZ{W00000}'],
    ['a colon', 'WVWZZZ1JZ:W000001'],
    ['a full-width digit', 'WVWZZZ1JZXW00000１'],
    ['a Cyrillic А', 'WVWZZZ1JZXW00000А'],
    ['a number', 1234567890123456],
    ['null', null],
  ])('%s is refused', (_name, value) => {
    expect(isVin(value)).toBe(false);
    expect(vinSchema.safeParse(value).success).toBe(false);
  });
});

describe('ids (UUID or url-safe base64 of 16-256 characters)', () => {
  it.each([
    ['a v4 UUID', '3f0b8c52-6f1e-4c1a-9d0e-2b7f5e8a9c10'],
    ['a v7 UUID', '01890a5d-ac96-774b-bcce-b302099a8057'],
    ['16 base64url characters', 'AAAAAAAAAAAAAAAA'],
    ['256 base64url characters', 'A'.repeat(256)],
    ['base64url with - and _', 'k_-Zx9_Qm-2LpT0aB1cD'],
    ['a base64url WebAuthn credential id', Buffer.alloc(32, 0xfb).toString('base64url')],
  ])('%s is an id', (_name, id) => {
    expect(isId(id)).toBe(true);
    expect(idSchema.safeParse(id).success).toBe(true);
  });

  it.each<[string, unknown]>([
    ['an opening brace (Redis Cluster hash tag)', 'AAAAAAAA{AAAAAAAAAA'],
    ['a closing brace', 'AAAAAAAAAAAAAAAA}'],
    ['a hash tag choosing another vehicle\'s slot', '{WVWZZZ1JZXW000001}'],
    ['a colon (key-name separator)', 'AAAAAAAA:AAAAAAAAAA'],
    ['a key-name injection', 'x:sdk:{WVWZZZ1JZXW000001}:keys'],
    ['a space', 'AAAAAAAA AAAAAAAAAA'],
    ['a tab', 'AAAAAAAA\tAAAAAAAAAA'],
    ['a trailing newline', 'AAAAAAAAAAAAAAAAAA\n'],
    ['a CR LF', 'AAAAAAAA\r\nAAAAAAAAA'],
    ['a NUL byte', 'AAAAAAAA\u0000AAAAAAAAA'],
    ['a glob star', 'AAAAAAAAAAAAAAAA*'],
    ['standard base64 + and /', 'AAAAAAAA+AAAAAAA/A'],
    ['base64 padding', 'AAAAAAAAAAAAAAAA=='],
    ['a dot', 'AAAAAAAA.AAAAAAAAA'],
    ['a slash (path traversal)', '../../AAAAAAAAAAAAAA'],
    ['non-ASCII letters', 'AAAAAAAAÄAAAAAAAAA'],
    ['15 characters', 'A'.repeat(15)],
    ['257 characters', 'A'.repeat(257)],
    ['empty', ''],
    ['a UUID with braces', '{3f0b8c52-6f1e-4c1a-9d0e-2b7f5e8a9c10}'],
    ['a number', 1234567890123456],
    ['an object', { id: 'AAAAAAAAAAAAAAAA' }],
  ])('%s is refused', (_name, value) => {
    expect(isId(value)).toBe(false);
    expect(idSchema.safeParse(value).success).toBe(false);
  });
});
