/**
 * Billing-date arithmetic (R10, R11): subscription months and periods counted from an anchor, the
 * activation instant. All dates are UTC calendar dates; amounts never appear here.
 *
 * The month-end rule: month k of a subscription ends at the anchor's day-of-month and time of day,
 * k months later; when that month is shorter than the anchor's day, it ends on the month's last
 * day. Every boundary is computed from the anchor, never from the previous boundary, so the day
 * returns to the anchor's day whenever the month has it:
 * 31 Jan → 28 Feb (29 in a leap year) → 31 Mar → 30 Apr → 31 May. The terms' own example
 * ("activated on 25 October, the first month ends on 25 November") is the common case.
 * A year is twelve such months, so a 29 February anchor renews on 28 February in common years and
 * on 29 February again in leap years.
 */

/** Milliseconds in a (UTC) day. */
export const DAY_MS = 86_400_000;

/** Days in a month of a year (month 0-11, UTC). */
export function daysInMonth(year: number, month0: number): number {
  return new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
}

/**
 * The instant `months` subscription months after `anchorMs`, by the month-end rule above.
 *
 * @example
 * addMonths(Date.UTC(2027, 0, 31), 1); // 2027-02-28T00:00Z
 * addMonths(Date.UTC(2027, 0, 31), 2); // 2027-03-31T00:00Z (back on the anchor's day)
 */
export function addMonths(anchorMs: number, months: number): number {
  if (!Number.isInteger(months)) throw new RangeError('months must be a whole number');
  const a = new Date(anchorMs);
  const total = a.getUTCMonth() + months;
  const year = a.getUTCFullYear() + Math.floor(total / 12);
  const month0 = ((total % 12) + 12) % 12;
  const day = Math.min(a.getUTCDate(), daysInMonth(year, month0));
  const at = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  at.setUTCFullYear(year, month0, day);
  at.setUTCHours(a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds(), a.getUTCMilliseconds());
  return at.getTime();
}

/** How many whole subscription months since `anchorMs` have ended by `atMs` (0 before the first month ends). */
export function monthsElapsed(anchorMs: number, atMs: number): number {
  if (atMs < anchorMs) return 0;
  const a = new Date(anchorMs);
  const b = new Date(atMs);
  // An estimate from the calendar, then corrected by the rule itself (clamping can shift it by one).
  let k = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + (b.getUTCMonth() - a.getUTCMonth());
  while (k > 0 && addMonths(anchorMs, k) > atMs) k -= 1;
  while (addMonths(anchorMs, k + 1) <= atMs) k += 1;
  return k;
}

/** The end of the subscription month `atMs` falls in (a month starts at its boundary, inclusive). */
export function subscriptionMonthEnd(anchorMs: number, atMs: number): number {
  return addMonths(anchorMs, monthsElapsed(anchorMs, atMs) + 1);
}

/** Midnight UTC of the day `ms` falls in. */
export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** A YYYY-MM-DD date at midnight UTC. */
export function utcDate(isoDate: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) throw new RangeError(`"${isoDate}" is not a YYYY-MM-DD date`);
  const at = new Date(0);
  at.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return at.getTime();
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time of an instant in an IANA time zone, as if it were UTC (ms). */
function wallClockAsUtc(ms: number, timeZone: string): number {
  let format = zoneFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    zoneFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(ms);
  const part = (type: Intl.DateTimeFormatPartTypes): number => {
    const found = parts.find((p) => p.type === type);
    if (!found) throw new RangeError(`the ${timeZone} wall clock has no ${type}`);
    return Number(found.value);
  };
  return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second')) + (ms % 1000);
}

/**
 * Midnight, in the customer's calendar (an IANA time zone such as Europe/Brussels), of the day that
 * comes `days` calendar days after the day `ms` falls on there. Consumer deadlines count in the
 * customer's days, not UTC's: a contract made at 00:30 in Brussels is made on that Brussels day.
 */
export function zonedMidnightAfter(ms: number, days: number, timeZone: string): number {
  const localDay = startOfUtcDay(wallClockAsUtc(ms, timeZone));
  const target = localDay + days * DAY_MS;
  // The instant whose wall clock reads `target`: correct the guess by the offset there (twice, for DST).
  let at = target - (wallClockAsUtc(target, timeZone) - target);
  at = target - (wallClockAsUtc(at, timeZone) - at);
  return at;
}

/** Whether a string names a time zone this runtime knows (IANA, e.g. Europe/Brussels). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
