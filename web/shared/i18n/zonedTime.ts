/**
 * Wall-clock times in a named time zone (the profile's, not the browser's): a `datetime-local`
 * input's `YYYY-MM-DDTHH:mm` read as a time in that zone. Only `Intl` is used, so the offsets are
 * the browser's tz database's, right on either side of a daylight-saving change.
 */

type Zone = string;

const formats = new Map<Zone, Intl.DateTimeFormat>();

/** The fields of an instant's wall clock in a zone (h23: midnight is 00, never 24; ASCII digits). */
function formatIn(timeZone: Zone): Intl.DateTimeFormat {
  const known = formats.get(timeZone);
  if (known) return known;
  const format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  formats.set(timeZone, format);
  return format;
}

/** Year…second of an instant as a clock in the zone shows it, read as if those fields were UTC (ms). */
function wallClockMs(ms: number, timeZone: Zone): number {
  const f = Object.fromEntries(formatIn(timeZone).formatToParts(ms).map((p) => [p.type, Number(p.value)]));
  return Date.UTC(f.year ?? 0, (f.month ?? 1) - 1, f.day ?? 1, f.hour ?? 0, f.minute ?? 0, f.second ?? 0);
}

/** The zone's offset from UTC at an instant, in ms (Brussels in winter: +3 600 000). */
export function zoneOffsetMs(ms: number, timeZone: Zone): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallClockMs(whole, timeZone) - whole;
}

const DAY_MS = 86_400_000;
const LOCAL_INPUT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * `YYYY-MM-DDTHH:mm` (a `datetime-local` value) read as a wall-clock time in `timeZone` → epoch
 * seconds, or null for an empty or impossible value. A time that happens twice (the hour the clocks
 * go back) is its first occurrence; a time that never happens (the hour they skip) moves forward by
 * the gap, 02:30 becoming 03:30: Temporal's `compatible` choice, which is what people expect.
 * @example secondsOfWallClock('2027-01-15T18:00', 'Europe/Brussels') // 2027-01-15T17:00:00Z
 */
export function secondsOfWallClock(value: string, timeZone: Zone): number | null {
  const match = LOCAL_INPUT.exec(value);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map((n) => Number(n ?? 0)) as [number, number, number, number, number, number];
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wall);
  // 2027-02-30 or 25:00 would roll over into another day: refuse it rather than guess.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || check.getUTCHours() !== hour || check.getUTCMinutes() !== minute) return null;
  // The offsets a day either side bracket any single change in between.
  const before = zoneOffsetMs(wall - DAY_MS, timeZone);
  const after = zoneOffsetMs(wall + DAY_MS, timeZone);
  const fits = [wall - before, wall - after].filter((ms) => wallClockMs(ms, timeZone) === wall);
  // None fits: the time falls in a gap; the offset before it moves the time forward by the gap.
  const ms = fits.length > 0 ? Math.min(...fits) : wall - before;
  return Math.floor(ms / 1000);
}

