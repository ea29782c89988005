/**
 * A `datetime-local` value read as a wall clock in the profile's zone, not the browser's: the
 * offset on either side of both daylight-saving changes, the hour that happens twice and the hour
 * that never happens, UTC, and zones far from the machine's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { secondsOfWallClock, zoneOffsetMs } from '../../../../web/shared/i18n/zonedTime.js';

const utc = (iso: string) => Date.parse(`${iso}Z`) / 1000;

describe('secondsOfWallClock', () => {
  it.each([
    // Europe/Brussels: CET (+1) in winter, CEST (+2) from 2026-03-29 02:00 to 2026-10-25 03:00.
    ['winter', '2027-01-15T18:00', 'Europe/Brussels', '2027-01-15T17:00'],
    ['summer', '2026-07-01T12:00', 'Europe/Brussels', '2026-07-01T10:00'],
    ['the last minute before the spring change', '2026-03-29T01:59', 'Europe/Brussels', '2026-03-29T00:59'],
    ['the skipped hour moves forward by the gap (02:30 is 03:30 CEST)', '2026-03-29T02:30', 'Europe/Brussels', '2026-03-29T01:30'],
    ['the first minute after the spring change', '2026-03-29T03:00', 'Europe/Brussels', '2026-03-29T01:00'],
    ['the last minute before the autumn change', '2026-10-25T01:59', 'Europe/Brussels', '2026-10-24T23:59'],
    ['the hour that happens twice is its first occurrence (CEST)', '2026-10-25T02:30', 'Europe/Brussels', '2026-10-25T00:30'],
    ['the first minute after the autumn change', '2026-10-25T03:00', 'Europe/Brussels', '2026-10-25T02:00'],
    ['midnight', '2026-12-31T00:00', 'Europe/Brussels', '2026-12-30T23:00'],
    ['seconds, when the input shows them', '2026-12-31T00:00:30', 'Europe/Brussels', '2026-12-30T23:00:30'],
    // UTC has no changes: Brussels' skipped hour is an ordinary one.
    ['UTC', '2026-03-29T02:30', 'UTC', '2026-03-29T02:30'],
    // Far from any European browser: the other hemisphere, half and quarter hours, the US change.
    ['Auckland in its summer (NZDT, +13)', '2027-01-15T18:00', 'Pacific/Auckland', '2027-01-15T05:00'],
    ['Auckland the day before (a date change)', '2027-01-15T08:00', 'Pacific/Auckland', '2027-01-14T19:00'],
    ['Kolkata (+5:30)', '2026-11-25T13:00', 'Asia/Kolkata', '2026-11-25T07:30'],
    ['Kathmandu (+5:45)', '2026-11-25T13:00', 'Asia/Kathmandu', '2026-11-25T07:15'],
    ['Los Angeles in the skipped hour of 2026-03-08', '2026-03-08T02:30', 'America/Los_Angeles', '2026-03-08T10:30'],
    ['Los Angeles in the repeated hour of 2026-11-01 (PDT)', '2026-11-01T01:30', 'America/Los_Angeles', '2026-11-01T08:30'],
  ])('%s: %s in %s is %s UTC', (_what, input, zone, expected) => {
    expect(secondsOfWallClock(input, zone)).toBe(utc(expected));
  });

  it.each([[''], ['2027-01-15'], ['2027-02-30T10:00'], ['2027-01-15T25:00'], ['2027-01-15T18:60'], ['15/01/2027 18:00'], ['0050-01-01T00:00']])('refuses %j', (input) => {
    expect(secondsOfWallClock(input, 'Europe/Brussels')).toBeNull();
  });

  describe("whatever the machine's own zone", () => {
    const saved = process.env.TZ;
    afterEach(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });
    it.each([['Pacific/Auckland'], ['America/New_York'], ['UTC']])('TZ=%s reads Brussels the same', (tz) => {
      process.env.TZ = tz;
      expect(secondsOfWallClock('2026-10-25T02:30', 'Europe/Brussels')).toBe(utc('2026-10-25T00:30'));
      expect(secondsOfWallClock('2027-01-15T18:00', 'Europe/Brussels')).toBe(utc('2027-01-15T17:00'));
    });
  });
});

describe('zoneOffsetMs', () => {
  it.each([
    ['2026-03-29T00:59:59', 'Europe/Brussels', 1],
    ['2026-03-29T01:00:00', 'Europe/Brussels', 2],
    ['2026-10-25T00:59:59', 'Europe/Brussels', 2],
    ['2026-10-25T01:00:00', 'Europe/Brussels', 1],
    ['2026-07-01T00:00:00', 'UTC', 0],
    ['2026-07-01T00:00:00', 'America/Los_Angeles', -7],
  ])('at %s UTC, %s is UTC%+d', (iso, zone, hours) => {
    expect(zoneOffsetMs(utc(iso) * 1000, zone)).toBe(hours * 3_600_000);
  });
});
