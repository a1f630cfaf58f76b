import { IANAZone } from 'luxon';
import { AppError } from '../../errors.js';

/*
 * Time buckets that follow a user's time zone. A local bucket (hour, day, week, month) starts at
 * the first instant the wall clock shows its start time or later: a midnight skipped by a DST
 * change starts the day at the change, a repeated one at its first occurrence. Every boundary is
 * rounded down to the UTC minute, which only moves boundaries of pre-1970 zones whose offsets
 * have seconds (local mean time, e.g. Paris +00:09:21 before 1911); buckets emptied by rounding
 * or by a skipped day (Pacific/Apia, 30 December 2011) are dropped.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** Instants accepted from clients: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z. */
const MIN_INSTANT = -62_135_596_800_000;
const MAX_INSTANT = 253_402_300_799_999;

/**
 * Bucket sizes a series can be grouped by; all but `minute` follow the local time zone.
 * @example GRANULARITIES.includes(input as Granularity)
 */
export const GRANULARITIES = ['minute', 'hour', 'day', 'week', 'month'] as const;
/** @example const granularity: Granularity = 'day'; */
export type Granularity = (typeof GRANULARITIES)[number];

/**
 * Named ranges a client may ask for instead of `from` and `to`; see {@link resolvePreset}.
 * @example PRESETS.includes(input as Preset)
 */
export const PRESETS = [
  'today',
  'yesterday',
  'last_7_days',
  'last_15_days',
  'last_30_days',
  'last_90_days',
  'last_12_months',
  'month_to_date',
  'year_to_date',
] as const;
/** @example const preset: Preset = 'last_7_days'; */
export type Preset = (typeof PRESETS)[number];

/** Typical length of a bucket, for estimates and messages. */
const NOMINAL: Record<Granularity, number> = {
  minute: MINUTE,
  hour: HOUR,
  day: DAY,
  week: WEEK,
  month: (365.2425 / 12) * DAY,
};

/**
 * Longest a bucket can be: its nominal length plus the largest backward clock change in tzdb
 * (23 h, Pacific/Kwajalein 1969). Used to bound searches and to refuse huge ranges early.
 */
const LONGEST: Record<Granularity, number> = {
  minute: MINUTE,
  hour: DAY,
  day: 2 * DAY,
  week: WEEK + DAY,
  month: 32 * DAY,
};

// ---- Proleptic Gregorian calendar, in days since 1970-01-01 (H. Hinnant's algorithms) ----

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Months since January of year 0 of the date `days` days after 1970-01-01. */
function monthIndexOfDays(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return year * 12 + month - 1;
}

/** Local milliseconds (wall time written as if it were UTC) of the first day of a month index. */
function monthStart(monthIndex: number): number {
  return daysFromCivil(Math.floor(monthIndex / 12), mod(monthIndex, 12) + 1, 1) * DAY;
}

function daysInMonth(year: number, month: number): number {
  return daysFromCivil(year, month + 1, 1) - daysFromCivil(year, month, 1);
}

// ---- Time zones ----

interface Zone {
  readonly name: string;
  /** UTC offset in milliseconds at an instant, or undefined for UTC itself. */
  readonly offset: ((instant: number) => number) | undefined;
}

const UTC_ZONE: Zone = { name: 'UTC', offset: undefined };
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;
const UTC_ALIAS = /^(?:etc\/)?(?:utc|uct|gmt[+-]?0?|zulu|universal|greenwich)$/i;
const GMT_OFFSET = /GMT(?:([+\-\u2212])(\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const zones = new Map<string, Zone>();

function invalidTimeZone(): AppError {
  return new AppError(
    'TIME_ZONE_INVALID',
    'Unknown time zone: use an IANA name such as Europe/Paris, or UTC',
  );
}

function loadZone(tz: string): Zone {
  // The pattern refuses offsets (+02:00), which recent engines accept as zones.
  if (!ZONE_NAME.test(tz) || !IANAZone.isValidZone(tz)) throw invalidTimeZone();
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  if (resolved === 'UTC' || UTC_ALIAS.test(tz)) return UTC_ZONE;
  // Node 20 resolves links to ICU's old names (Asia/Kolkata → Asia/Calcutta): keep the client's
  // name unless only its letter case differs.
  const name = resolved.toLowerCase() === tz.toLowerCase() ? resolved : tz;
  const format = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
  return {
    name,
    offset: (instant) => {
      const text = format.format(instant);
      const match = GMT_OFFSET.exec(text);
      if (match === null) throw new Error(`Unexpected offset format: ${text}`);
      const [, sign, hours = '0', minutes = '0', seconds = '0'] = match;
      const offset = (Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds)) * SECOND;
      return sign === '+' || sign === undefined ? offset : -offset;
    },
  };
}

function zoneOf(tz: string): Zone {
  let zone = zones.get(tz);
  if (zone === undefined) {
    zone = loadZone(tz);
    if (zones.size >= 1000) zones.clear();
    zones.set(tz, zone);
  }
  return zone;
}

/**
 * Checks an IANA time zone name and returns its canonical spelling; UTC and its aliases
 * (utc, Etc/UTC, GMT, Zulu) become `UTC`. Offsets (`+02:00`) and luxon's `system`/`local` are
 * refused with TIME_ZONE_INVALID.
 * @example checkTimeZone('europe/paris') // 'Europe/Paris'
 */
export function checkTimeZone(tz: string): string {
  return zoneOf(tz).name;
}

function offsetAt(zone: Zone, instant: number): number {
  return zone.offset === undefined ? 0 : zone.offset(instant);
}

/** From `start` on, the zone's UTC offset is `offset`, until the next segment starts. */
interface Segment {
  readonly start: number;
  readonly offset: number;
}

/**
 * tzdb never changes a zone's offset twice within 95 hours (closest: Africa/Freetown, 1939), so
 * two equal samples 72 hours apart prove no change happened between them.
 */
const SAMPLE_STEP = 72 * HOUR;

/**
 * A zone's offsets as segments, sampled lazily as queries move forward in time; offset changes
 * are located to the second, as in tzdb. The first segment also covers all earlier time.
 */
class Timeline {
  readonly segments: Segment[] = [];
  /** Offsets are known up to this instant (a whole second). */
  private known = Number.NEGATIVE_INFINITY;
  private cursor = 0;

  constructor(private readonly zone: Zone) {}

  /**
   * Learns the offsets over [from, to]. Time between what is known and a distant `from` is
   * skipped: a change in it is dated at `from`, which is right for every instant from there on.
   */
  cover(from: number, to: number): void {
    const offset = this.zone.offset;
    if (offset === undefined) {
      if (this.segments.length === 0)
        this.segments.push({ start: Number.NEGATIVE_INFINITY, offset: 0 });
      return;
    }
    if (from - this.known > SAMPLE_STEP) {
      const at = Math.floor(from / SECOND) * SECOND;
      const atOffset = offset(at);
      const last = this.segments.at(-1);
      if (last === undefined)
        this.segments.push({ start: Number.NEGATIVE_INFINITY, offset: atOffset });
      else if (last.offset !== atOffset) this.segments.push({ start: at, offset: atOffset });
      this.known = at;
    }
    let a = this.known;
    let offsetA = this.segments.at(-1)?.offset;
    while (a < to) {
      const b = a + SAMPLE_STEP;
      const offsetB = offset(b);
      if (offsetB !== offsetA) {
        let before = a;
        let after = b;
        while (after - before > SECOND) {
          const middle = before + Math.floor((after - before) / (2 * SECOND)) * SECOND;
          if (offset(middle) === offsetA) before = middle;
          else after = middle;
        }
        this.segments.push({ start: after, offset: offsetB });
      }
      a = b;
      offsetA = offsetB;
    }
    this.known = Math.max(this.known, a);
  }

  /**
   * The first instant whose wall clock shows `local` (wall time written as if it were UTC) or
   * later. Successive calls must not go back in local time.
   */
  resolve(local: number): number {
    // Offsets stay within ±16 hours, so the answer lies within a day of `local`.
    this.cover(local - DAY, local + DAY);
    for (;;) {
      const segment = this.segments[this.cursor];
      if (segment === undefined) throw new Error('No offset segment');
      const instant = local - segment.offset;
      const next = this.segments[this.cursor + 1];
      if (next === undefined || instant < next.start) return Math.max(instant, segment.start);
      this.cursor += 1;
    }
  }
}

/** The first instant whose wall clock in `zone` shows `local` or later. */
function localToInstant(zone: Zone, local: number): number {
  return new Timeline(zone).resolve(local);
}

function floorMinute(instant: number): number {
  return Math.floor(instant / MINUTE) * MINUTE;
}

// ---- Bucket starts ----

/** Collects bucket starts rounded down to the minute, within [from, to], increasing, capped. */
class Starts {
  readonly values: number[] = [];

  constructor(
    private readonly from: number,
    private readonly to: number,
    private readonly limit: number,
  ) {}

  /** Adds a start; false once past `to` or full. */
  add(instant: number): boolean {
    const start = floorMinute(instant);
    if (start > this.to || this.values.length >= this.limit) return false;
    const last = this.values.at(-1);
    if (start >= this.from && (last === undefined || start > last)) this.values.push(start);
    return this.values.length < this.limit;
  }
}

/**
 * A local hour starts when the clock shows a whole hour, or when a change moves it into another
 * hour (Australia/Lord_Howe's 30-minute change from 02:00 to 02:30 starts hour 2 at 02:30).
 */
function addHourStarts(zone: Zone, starts: Starts, from: number): void {
  const timeline = new Timeline(zone);
  const segments = timeline.segments;
  timeline.cover(from - DAY, from + 2 * DAY);
  let index = 0;
  while ((segments[index + 1]?.start ?? Number.POSITIVE_INFINITY) < from) index += 1;
  let t = from;
  for (;;) {
    timeline.cover(t, t + 2 * DAY);
    const segment = segments[index];
    if (segment === undefined) throw new Error('No offset segment');
    const hour = t + mod(-(t + segment.offset), HOUR);
    const next = segments[index + 1];
    if (next !== undefined && next.start <= hour) {
      const after = next.start + next.offset;
      const before = next.start - 1 + segment.offset;
      const newHour =
        mod(after, HOUR) === 0 || Math.floor(after / HOUR) !== Math.floor(before / HOUR);
      if (newHour && !starts.add(next.start)) return;
      index += 1;
      t = next.start;
    } else {
      if (!starts.add(hour)) return;
      t = hour + 1;
    }
  }
}

function floorLocal(granularity: 'day' | 'week' | 'month', local: number): number {
  const days = Math.floor(local / DAY);
  if (granularity === 'day') return days * DAY;
  if (granularity === 'week') return (days - mod(days + 3, 7)) * DAY; // 1970-01-01 was a Thursday
  return monthStart(monthIndexOfDays(days));
}

function nextLocal(granularity: 'day' | 'week' | 'month', local: number): number {
  if (granularity === 'day') return local + DAY;
  if (granularity === 'week') return local + WEEK;
  return monthStart(monthIndexOfDays(Math.floor(local / DAY)) + 1);
}

/** Starts of the buckets of `granularity` in [from, to], at most `limit` of them. */
function bucketStarts(
  granularity: Granularity,
  zone: Zone,
  from: number,
  to: number,
  limit: number,
): number[] {
  const starts = new Starts(from, to, limit);
  if (granularity === 'minute') {
    for (let t = Math.ceil(from / MINUTE) * MINUTE; starts.add(t); t += MINUTE);
  } else if (granularity === 'hour') {
    addHourStarts(zone, starts, from);
  } else {
    const timeline = new Timeline(zone);
    let local = floorLocal(granularity, from + offsetAt(zone, from));
    while (starts.add(timeline.resolve(local))) local = nextLocal(granularity, local);
  }
  return starts.values;
}

// ---- Public API ----

function assertInstant(instant: number, field: string): void {
  if (!Number.isFinite(instant) || instant < MIN_INSTANT || instant > MAX_INSTANT) {
    throw new AppError(
      'RANGE_INVALID',
      `${field} must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z`,
    );
  }
}

const EPOCH_MILLISECONDS = /^\d{1,16}$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):(\d{2}))?)?$/;

/** YYYYMMDD of a year from 1900 to 2199: a date, never meant as milliseconds since 1970. */
const BASIC_DATE = /^(19|20|21)\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/;

/**
 * Parses a `from` or `to` query parameter to epoch milliseconds. Accepted: a date-time with a
 * zone (`2026-03-01T09:30:00Z`, `…+05:30`), a date (`2026-03-01`, local midnight in `tz`), a
 * local date-time (`2026-03-01T09:30[:00]`, wall time in `tz`) or epoch milliseconds. A wall time
 * skipped by a DST change resolves to the change, a repeated one to its first occurrence.
 * Anything else, or an impossible date, is RANGE_INVALID.
 * @example parseInstant('2026-03-01', 'Europe/Paris', 'from') // Date.parse('2026-02-28T23:00:00Z')
 */
export function parseInstant(text: string, tz: string, field: 'from' | 'to'): number {
  const zone = zoneOf(tz);
  let instant: number;
  const parts = DATE_TIME.exec(text);
  if (BASIC_DATE.test(text)) {
    // 20261101 as epoch milliseconds is 5 hours into 1970: surely ISO 8601's basic form.
    throw new AppError(
      'RANGE_INVALID',
      `${field} ${text} reads as a date without dashes: write it ${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6)}, or give epoch milliseconds of 10 digits or more`,
    );
  }
  if (EPOCH_MILLISECONDS.test(text)) {
    instant = Number(text);
  } else if (parts !== null) {
    const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '0'] = parts;
    const [utc, sign, offsetHours = '0', offsetMinutes = '0'] = parts.slice(8);
    const date = [Number(year), Number(month), Number(day)] as const;
    const time = [Number(hour), Number(minute), Number(second)] as const;
    if (
      date[1] < 1 ||
      date[1] > 12 ||
      date[2] < 1 ||
      date[2] > daysInMonth(date[0], date[1]) ||
      time[0] > 23 ||
      time[1] > 59 ||
      time[2] > 59 ||
      Number(offsetHours) > 23 ||
      Number(offsetMinutes) > 59
    ) {
      throw new AppError('RANGE_INVALID', `${field} is not a valid date or time: ${text}`);
    }
    const local =
      daysFromCivil(...date) * DAY +
      time[0] * HOUR +
      time[1] * MINUTE +
      time[2] * SECOND +
      Number(fraction.padEnd(3, '0').slice(0, 3));
    if (utc !== undefined) instant = local;
    else if (sign !== undefined) {
      const offset = Number(offsetHours) * HOUR + Number(offsetMinutes) * MINUTE;
      instant = sign === '+' ? local - offset : local + offset;
    } else instant = localToInstant(zone, local);
  } else {
    throw new AppError(
      'RANGE_INVALID',
      `${field} must be a date-time with a zone (2026-03-01T09:30:00Z), a date (2026-03-01), ` +
        'a local date-time (2026-03-01T09:30) or epoch milliseconds',
    );
  }
  assertInstant(instant, field);
  return instant;
}

/**
 * The [from, to) range of a preset, in local time in `tz` at `now`: `today`, `yesterday`,
 * `last_N_days` (N whole days including today), `last_12_months` (including this month),
 * `month_to_date` and `year_to_date` (both ending at the end of today). Boundaries are bucket
 * boundaries of the same zone.
 * @example resolvePreset('today', Date.parse('2026-03-15T12:00:00Z'), 'UTC')
 * // { from: Date.parse('2026-03-15T00:00:00Z'), to: Date.parse('2026-03-16T00:00:00Z') }
 */
export function resolvePreset(
  preset: string,
  now: number,
  tz: string,
): { from: number; to: number } {
  const zone = zoneOf(tz);
  assertInstant(now, 'now');
  const today = Math.floor((now + offsetAt(zone, now)) / DAY) * DAY;
  const month = monthIndexOfDays(today / DAY);
  const dayStart = (days: number) => floorMinute(localToInstant(zone, today + days * DAY));
  const monthStartAt = (months: number) =>
    floorMinute(localToInstant(zone, monthStart(month + months)));
  switch (preset as Preset) {
    case 'today':
      return { from: dayStart(0), to: dayStart(1) };
    case 'yesterday':
      return { from: dayStart(-1), to: dayStart(0) };
    case 'last_7_days':
      return { from: dayStart(-6), to: dayStart(1) };
    case 'last_15_days':
      return { from: dayStart(-14), to: dayStart(1) };
    case 'last_30_days':
      return { from: dayStart(-29), to: dayStart(1) };
    case 'last_90_days':
      return { from: dayStart(-89), to: dayStart(1) };
    case 'last_12_months':
      return { from: monthStartAt(-11), to: monthStartAt(1) };
    case 'month_to_date':
      return { from: monthStartAt(0), to: dayStart(1) };
    case 'year_to_date':
      return { from: monthStartAt(-mod(month, 12)), to: dayStart(1) };
    default:
      throw new AppError('RANGE_INVALID', `preset must be one of: ${PRESETS.join(', ')}`);
  }
}

/**
 * The granularity a chart of [from, to) gets when the client names none: up to 6 hours by
 * minute, up to 4 days by hour, up to 180 days by day, longer by month — on the wall clock of
 * `tz`, so that 4 local days across a DST change (97 hours) are still by hour.
 * @example autoGranularity(Date.parse('2026-03-01'), Date.parse('2026-03-08'), 'UTC') // 'day'
 */
export function autoGranularity(from: number, to: number, tz: string): Granularity {
  const zone = zoneOf(tz);
  const duration = to + offsetAt(zone, to) - (from + offsetAt(zone, from));
  if (duration <= 6 * HOUR) return 'minute';
  if (duration <= 4 * DAY) return 'hour';
  if (duration <= 180 * DAY) return 'day';
  return 'month';
}

function tooManyBuckets(granularity: Granularity, needed: string, maxBuckets: number): AppError {
  return new AppError(
    'TOO_MANY_BUCKETS',
    `This range needs ${needed} ${granularity} buckets, more than the limit of ${maxBuckets}; ` +
      'choose a coarser granularity or a shorter range',
  );
}

/**
 * The n+1 boundaries b0 < … < bn of the n buckets of `granularity` covering [from, to), with
 * b0 ≤ from < to ≤ bn: minutes are UTC minutes; hours, days, ISO weeks (from Monday) and months
 * follow the wall clock in `tz`, so a DST day has 23 or 25 hours. Every boundary is a whole UTC
 * minute. RANGE_INVALID unless from < to; TOO_MANY_BUCKETS if n > maxBuckets.
 * @example bucketBoundaries(Date.parse('2026-03-01T10:00Z'), Date.parse('2026-03-03T00:00Z'), 'day', 'UTC', 500)
 * // [2026-03-01T00:00Z, 2026-03-02T00:00Z, 2026-03-03T00:00Z] as epoch milliseconds
 */
export function bucketBoundaries(
  from: number,
  to: number,
  granularity: Granularity,
  tz: string,
  maxBuckets: number,
): number[] {
  assertInstant(from, 'from');
  assertInstant(to, 'to');
  if (!(from < to)) throw new AppError('RANGE_INVALID', 'from must be before to');
  const zone = zoneOf(tz);
  if (granularity === 'minute') {
    const first = floorMinute(from);
    const count = Math.ceil(to / MINUTE) - first / MINUTE;
    if (count > maxBuckets) throw tooManyBuckets(granularity, String(count), maxBuckets);
    const boundaries = new Array<number>(count + 1);
    for (let i = 0; i <= count; i++) boundaries[i] = first + i * MINUTE;
    return boundaries;
  }
  const about = `about ${Math.max(Math.ceil((to - from) / NOMINAL[granularity]), maxBuckets + 1)}`;
  // No bucket is longer than LONGEST, so this many cannot fit: refuse before computing any.
  if (to - from > maxBuckets * LONGEST[granularity]) {
    throw tooManyBuckets(granularity, about, maxBuckets);
  }
  const margin = LONGEST[granularity] + MINUTE;
  const first = bucketStarts(granularity, zone, from - margin, from, Number.POSITIVE_INFINITY).at(
    -1,
  );
  if (first === undefined) throw new Error(`No ${granularity} bucket starts before ${from}`);
  const boundaries = bucketStarts(granularity, zone, first, to + margin, maxBuckets + 2);
  const last = boundaries.findIndex((boundary) => boundary >= to);
  if (last === -1 && boundaries.length < maxBuckets + 2) {
    throw new Error(`No ${granularity} bucket ends after ${to}`);
  }
  if (last === -1) throw tooManyBuckets(granularity, about, maxBuckets);
  if (last > maxBuckets) throw tooManyBuckets(granularity, String(last), maxBuckets);
  return boundaries.slice(0, last + 1);
}

/**
 * The boundaries of as many buckets of `granularity` as `boundaries` holds, immediately before
 * `boundaries[0]` and ending exactly there: the previous period to compare with. For example,
 * today by hour gives yesterday's hours (shifted by the DST change if today has one).
 * @example previousBoundaries([Date.parse('2026-03-15T00:00Z'), Date.parse('2026-03-16T00:00Z')], 'day', 'UTC')
 * // [2026-03-14T00:00Z, 2026-03-15T00:00Z] as epoch milliseconds
 */
export function previousBoundaries(
  boundaries: readonly number[],
  granularity: Granularity,
  tz: string,
): number[] {
  const zone = zoneOf(tz);
  const end = boundaries[0];
  if (end === undefined) return [];
  const count = boundaries.length - 1;
  if (count === 0) return [end];
  for (let span = count * NOMINAL[granularity] + 2 * LONGEST[granularity]; ; span *= 2) {
    const starts = bucketStarts(granularity, zone, end - span, end - 1, Number.POSITIVE_INFINITY);
    if (starts.length >= count) return [...starts.slice(starts.length - count), end];
  }
}
