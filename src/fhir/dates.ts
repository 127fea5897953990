/**
 * FHIR date and dateTime handling for policy decisions.
 *
 * Dates are compared as calendar days *as written* by the sender: a dateTime
 * `2025-03-02T23:30:00-05:00` is the day 2025-03-02, the day the clinician saw.
 * No Date objects in the local time zone are involved, so results do not depend
 * on the machine's TZ.
 */

/** A calendar date with the precision FHIR allows: year, year-month or full day. */
export interface PartialDate {
  readonly year: number;
  readonly month?: number;
  readonly day?: number;
}

/** A full calendar day. */
export interface Day {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

// A time after the date (T or, as some EHRs send a birthDate, a space) is read for its date.
const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses a FHIR date or dateTime; returns undefined for anything that is not one. */
export function parseFhirDate(value: string | undefined): PartialDate | undefined {
  if (typeof value !== 'string') return undefined;
  const m = FHIR_DATE.exec(value.trim());
  if (!m) return undefined;
  const year = Number(m[1]);
  if (m[2] === undefined) return { year };
  const month = Number(m[2]);
  if (month < 1 || month > 12) return undefined;
  if (m[3] === undefined) return { year, month };
  const day = Number(m[3]);
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

export function isFullDay(d: PartialDate | undefined): d is Day {
  return d !== undefined && d.month !== undefined && d.day !== undefined;
}

/** Parses a FHIR date or dateTime that must carry a full day. */
export function parseDay(value: string | undefined): Day | undefined {
  const d = parseFhirDate(value);
  return isFullDay(d) ? d : undefined;
}

export function formatDay(d: Day): string {
  return `${String(d.year).padStart(4, '0')}-${pad(d.month)}-${pad(d.day)}`;
}

export function formatPartialDate(d: PartialDate): string {
  if (d.month === undefined) return String(d.year).padStart(4, '0');
  if (d.day === undefined) return `${String(d.year).padStart(4, '0')}-${pad(d.month)}`;
  return formatDay(d as Day);
}

/** The first and last day a partial date can stand for. */
export function earliestDay(d: PartialDate): Day {
  return { year: d.year, month: d.month ?? 1, day: d.day ?? 1 };
}
export function latestDay(d: PartialDate): Day {
  const month = d.month ?? 12;
  return { year: d.year, month, day: d.day ?? daysInMonth(d.year, month) };
}

export function compareDays(a: Day, b: Day): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/** Whole days from `a` to `b` (positive when b is later). */
export function daysBetween(a: Day, b: Day): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}

/**
 * Age in completed years on a day. A 29 February birthday is reached on
 * 1 March in common years (the day after 28 February), the usual US reading.
 */
export function ageOn(birth: Day, on: Day): number {
  let age = on.year - birth.year;
  if (on.month < birth.month || (on.month === birth.month && on.day < birth.day)) age -= 1;
  return age;
}

/** The youngest and oldest the person can be on `on`, given a possibly partial birth date. */
export function ageRangeOn(birth: PartialDate, on: Day): { min: number; max: number } {
  return { min: ageOn(latestDay(birth), on), max: ageOn(earliestDay(birth), on) };
}

/** Today's calendar day in an IANA time zone (the plan's, not the server's). */
export function dayIn(timeZone: string, now: Date): Day {
  const parts = dayFormat(timeZone).formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

// The one module-level cache kept (docs/performance.md): building an
// Intl.DateTimeFormat costs far more than using one (it loads the zone's
// rules). Bounded by the time zones policies name (one today); a formatter
// gives the same answer whenever it was built, so results cannot depend on it.
const dayFormats = new Map<string, Intl.DateTimeFormat>();

function dayFormat(timeZone: string): Intl.DateTimeFormat {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  return format;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
