import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors.js';
import {
  autoGranularity,
  bucketBoundaries,
  checkTimeZone,
  type Granularity,
  PRESETS,
  parseInstant,
  previousBoundaries,
  resolvePreset,
} from './time-buckets.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Minute-precision ISO strings, e.g. 2026-03-29T01:00Z. */
function iso(instants: readonly number[]): string[] {
  return instants.map((instant) => `${new Date(instant).toISOString().slice(0, 16)}Z`);
}

/** Wall-clock labels in `tz`, e.g. 2026-03-29 03:00. */
function wallClock(instants: readonly number[], tz: string): string[] {
  return instants.map((instant) =>
    DateTime.fromMillis(instant, { zone: tz }).toFormat('yyyy-MM-dd HH:mm'),
  );
}

function expectWellFormed(boundaries: readonly number[], from: number, to: number): void {
  expect(boundaries.length).toBeGreaterThanOrEqual(2);
  const misplaced = boundaries.filter(
    (boundary, i) =>
      !Number.isInteger(boundary / 60_000) || (i > 0 && !(boundary > (boundaries[i - 1] ?? 0))),
  );
  expect(misplaced, 'not on a whole minute or not increasing').toEqual([]);
  expect(boundaries[0]).toBeLessThanOrEqual(from);
  expect(boundaries.at(-1)).toBeGreaterThanOrEqual(to);
}

/** Boundaries of [from, to) as minute-precision ISO strings, after checking their invariants. */
function buckets(
  from: string,
  to: string,
  granularity: Granularity,
  tz: string,
  maxBuckets = 1000,
): string[] {
  const boundaries = bucketBoundaries(
    Date.parse(from),
    Date.parse(to),
    granularity,
    tz,
    maxBuckets,
  );
  expectWellFormed(boundaries, Date.parse(from), Date.parse(to));
  return iso(boundaries);
}

function errorOf(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected an AppError');
}

function range(from: string, to: string): { from: number; to: number } {
  return { from: Date.parse(from), to: Date.parse(to) };
}

describe('checkTimeZone', () => {
  it('returns the canonical name of IANA zones and UTC', () => {
    expect(checkTimeZone('UTC')).toBe('UTC');
    expect(checkTimeZone('utc')).toBe('UTC');
    expect(checkTimeZone('Etc/UTC')).toBe('UTC');
    expect(checkTimeZone('Europe/Paris')).toBe('Europe/Paris');
    expect(checkTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(checkTimeZone('America/New_York')).toBe('America/New_York');
    expect(checkTimeZone('Asia/Kolkata')).toBe('Asia/Kolkata');
  });

  it('refuses unknown names, offsets and luxon-only names', () => {
    for (const tz of ['Mars/Olympus', '+02:00', '-05:00', 'UTC+2', 'system', 'local', '', ' UTC']) {
      expect(errorOf(() => checkTimeZone(tz)).code, tz).toBe('TIME_ZONE_INVALID');
    }
  });
});

describe('parseInstant', () => {
  it('reads date-times with an explicit zone', () => {
    expect(iso([parseInstant('2026-03-01T09:30:00Z', 'Europe/Paris', 'from')])).toEqual([
      '2026-03-01T09:30Z',
    ]);
    expect(parseInstant('2026-03-01T09:30:15.250+05:30', 'UTC', 'from')).toBe(
      Date.parse('2026-03-01T04:00:15.250Z'),
    );
    expect(parseInstant('2026-03-01T09:30-03:00', 'Asia/Tokyo', 'to')).toBe(
      Date.parse('2026-03-01T12:30:00Z'),
    );
  });

  it('reads a date alone as local midnight in the zone', () => {
    expect(parseInstant('2026-03-01', 'UTC', 'from')).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(parseInstant('2026-03-01', 'Europe/Paris', 'from')).toBe(
      Date.parse('2026-02-28T23:00:00Z'),
    );
    expect(parseInstant('2026-07-04', 'America/New_York', 'to')).toBe(
      Date.parse('2026-07-04T04:00:00Z'),
    );
    expect(parseInstant('2024-02-29', 'UTC', 'from')).toBe(Date.parse('2024-02-29T00:00:00Z'));
  });

  it('reads a date-time without zone as wall time in the zone', () => {
    expect(parseInstant('2026-03-01T09:30', 'America/New_York', 'from')).toBe(
      Date.parse('2026-03-01T14:30:00Z'),
    );
    expect(parseInstant('2026-07-01T09:30:45', 'Europe/Paris', 'from')).toBe(
      Date.parse('2026-07-01T07:30:45Z'),
    );
  });

  it('resolves a skipped wall time to the clock change and a repeated one to its first occurrence', () => {
    // Paris, 29 March 2026: 02:00 CET becomes 03:00 CEST; 25 October: 03:00 CEST becomes 02:00 CET.
    expect(parseInstant('2026-03-29T02:30', 'Europe/Paris', 'from')).toBe(
      Date.parse('2026-03-29T01:00:00Z'),
    );
    expect(parseInstant('2026-10-25T02:30', 'Europe/Paris', 'from')).toBe(
      Date.parse('2026-10-25T00:30:00Z'),
    );
  });

  it('reads a string of digits as epoch milliseconds', () => {
    expect(parseInstant('1767225600000', 'Europe/Paris', 'from')).toBe(
      Date.parse('2026-01-01T00:00:00Z'),
    );
    expect(parseInstant('0', 'UTC', 'from')).toBe(0);
    // Eight digits that are not a plausible YYYYMMDD stay milliseconds.
    expect(parseInstant('20261399', 'UTC', 'from')).toBe(20_261_399);
  });

  it('refuses a date without dashes, which would read as milliseconds into 1970', () => {
    const error = errorOf(() => parseInstant('20261101', 'UTC', 'from'));
    expect(error.code).toBe('RANGE_INVALID');
    expect(error.detail).toContain('write it 2026-11-01');
  });

  it('refuses other formats with RANGE_INVALID naming the field', () => {
    for (const text of [
      '',
      'yesterday',
      '2026-3-1',
      '2026/03/01',
      '2026-03-01 09:30',
      '2026-03-01T09',
      '2026-03-01T10:00:00+0200',
      '2026-03-01Z',
      '-5',
      '12.5',
      '1e12',
      ' 2026-03-01',
    ]) {
      const error = errorOf(() => parseInstant(text, 'UTC', 'to'));
      expect(error.code, text).toBe('RANGE_INVALID');
      expect(error.detail, text).toMatch(/^to /);
    }
  });

  it('refuses impossible dates and times', () => {
    for (const text of [
      '2026-02-30',
      '2025-02-29',
      '2026-04-31',
      '2026-13-01',
      '2026-00-10',
      '2026-03-00',
      '2026-03-01T24:00',
      '2026-03-01T10:60',
      '2026-03-01T10:00:60Z',
      '2026-03-01T10:00+24:00',
    ]) {
      const error = errorOf(() => parseInstant(text, 'Europe/Paris', 'from'));
      expect(error.code, text).toBe('RANGE_INVALID');
      expect(error.detail, text).toContain('from');
    }
  });

  it('refuses instants outside years 1 to 9999', () => {
    expect(errorOf(() => parseInstant('0000-06-01', 'UTC', 'from')).code).toBe('RANGE_INVALID');
    expect(errorOf(() => parseInstant('9999999999999999', 'UTC', 'to')).code).toBe('RANGE_INVALID');
  });

  it('refuses an unknown time zone', () => {
    expect(errorOf(() => parseInstant('2026-03-01', 'Nowhere/City', 'from')).code).toBe(
      'TIME_ZONE_INVALID',
    );
  });
});

describe('bucketBoundaries in UTC', () => {
  it('splits days, flooring from and ceiling to', () => {
    expect(buckets('2026-03-01T10:15Z', '2026-03-03T18:00Z', 'day', 'UTC')).toEqual([
      '2026-03-01T00:00Z',
      '2026-03-02T00:00Z',
      '2026-03-03T00:00Z',
      '2026-03-04T00:00Z',
    ]);
  });

  it('ends exactly at an aligned to', () => {
    expect(buckets('2026-03-01T00:00Z', '2026-03-03T00:00Z', 'day', 'UTC')).toEqual([
      '2026-03-01T00:00Z',
      '2026-03-02T00:00Z',
      '2026-03-03T00:00Z',
    ]);
  });

  it('starts weeks on Monday', () => {
    // 2026-03-04 is a Wednesday.
    expect(buckets('2026-03-04T12:00Z', '2026-03-17T00:00Z', 'week', 'UTC')).toEqual([
      '2026-03-02T00:00Z',
      '2026-03-09T00:00Z',
      '2026-03-16T00:00Z',
      '2026-03-23T00:00Z',
    ]);
    expect(buckets('2026-03-09T00:00Z', '2026-03-16T00:00Z', 'week', 'UTC')).toEqual([
      '2026-03-09T00:00Z',
      '2026-03-16T00:00Z',
    ]);
    // 2027-01-01 is a Friday: its ISO week started on Monday 28 December 2026.
    expect(buckets('2027-01-01T00:00Z', '2027-01-02T00:00Z', 'week', 'UTC')).toEqual([
      '2026-12-28T00:00Z',
      '2027-01-04T00:00Z',
    ]);
  });

  it('splits calendar months, across a year end and a leap February', () => {
    expect(buckets('2026-01-15T00:00Z', '2026-04-01T00:00Z', 'month', 'UTC')).toEqual([
      '2026-01-01T00:00Z',
      '2026-02-01T00:00Z',
      '2026-03-01T00:00Z',
      '2026-04-01T00:00Z',
    ]);
    expect(buckets('2023-12-10T00:00Z', '2024-03-01T00:00:00.001Z', 'month', 'UTC')).toEqual([
      '2023-12-01T00:00Z',
      '2024-01-01T00:00Z',
      '2024-02-01T00:00Z',
      '2024-03-01T00:00Z',
      '2024-04-01T00:00Z',
    ]);
  });

  it('floors and ceils unaligned instants to minutes and hours', () => {
    expect(
      buckets('2026-03-01T10:00:30.500Z', '2026-03-01T10:02:00.001Z', 'minute', 'UTC'),
    ).toEqual(['2026-03-01T10:00Z', '2026-03-01T10:01Z', '2026-03-01T10:02Z', '2026-03-01T10:03Z']);
    expect(buckets('2026-03-01T10:59:59.999Z', '2026-03-01T11:00:00.001Z', 'hour', 'UTC')).toEqual([
      '2026-03-01T10:00Z',
      '2026-03-01T11:00Z',
      '2026-03-01T12:00Z',
    ]);
  });

  it('uses UTC minutes whatever the zone', () => {
    expect(
      buckets('2026-03-01T10:00:10Z', '2026-03-01T10:01:10Z', 'minute', 'Asia/Kolkata'),
    ).toEqual(['2026-03-01T10:00Z', '2026-03-01T10:01Z', '2026-03-01T10:02Z']);
  });
});

describe('bucketBoundaries in local time', () => {
  it('gives Europe/Paris 23 hours on 29 March 2026', () => {
    const hours = buckets('2026-03-28T23:00Z', '2026-03-29T22:00Z', 'hour', 'Europe/Paris');
    expect(hours).toHaveLength(24);
    expect(hours.slice(0, 5)).toEqual([
      '2026-03-28T23:00Z',
      '2026-03-29T00:00Z',
      '2026-03-29T01:00Z',
      '2026-03-29T02:00Z',
      '2026-03-29T03:00Z',
    ]);
    expect(hours.at(-1)).toBe('2026-03-29T22:00Z');
    const labels = wallClock(hours.map(Date.parse), 'Europe/Paris');
    expect(labels.slice(0, 5)).toEqual([
      '2026-03-29 00:00',
      '2026-03-29 01:00',
      '2026-03-29 03:00',
      '2026-03-29 04:00',
      '2026-03-29 05:00',
    ]);
  });

  it('gives Europe/Paris 25 hours on 25 October 2026', () => {
    const hours = buckets('2026-10-24T22:00Z', '2026-10-25T23:00Z', 'hour', 'Europe/Paris');
    expect(hours).toHaveLength(26);
    expect(hours.slice(0, 5)).toEqual([
      '2026-10-24T22:00Z',
      '2026-10-24T23:00Z',
      '2026-10-25T00:00Z',
      '2026-10-25T01:00Z',
      '2026-10-25T02:00Z',
    ]);
    expect(hours.at(-1)).toBe('2026-10-25T23:00Z');
    expect(wallClock(hours.slice(0, 5).map(Date.parse), 'Europe/Paris')).toEqual([
      '2026-10-25 00:00',
      '2026-10-25 01:00',
      '2026-10-25 02:00',
      '2026-10-25 02:00',
      '2026-10-25 03:00',
    ]);
  });

  it('gives Europe/Paris days of 23 and 25 hours at the 2026 changes', () => {
    expect(buckets('2026-03-28T12:00Z', '2026-03-30T12:00Z', 'day', 'Europe/Paris')).toEqual([
      '2026-03-27T23:00Z',
      '2026-03-28T23:00Z',
      '2026-03-29T22:00Z',
      '2026-03-30T22:00Z',
    ]);
    expect(buckets('2026-10-24T12:00Z', '2026-10-26T12:00Z', 'day', 'Europe/Paris')).toEqual([
      '2026-10-23T22:00Z',
      '2026-10-24T22:00Z',
      '2026-10-25T23:00Z',
      '2026-10-26T23:00Z',
    ]);
  });

  it('starts Europe/Paris weeks and months at local midnight', () => {
    expect(buckets('2026-03-25T12:00Z', '2026-04-01T00:00Z', 'week', 'Europe/Paris')).toEqual([
      '2026-03-22T23:00Z',
      '2026-03-29T22:00Z',
      '2026-04-05T22:00Z',
    ]);
    expect(buckets('2026-03-15T00:00Z', '2026-04-15T00:00Z', 'month', 'Europe/Paris')).toEqual([
      '2026-02-28T23:00Z',
      '2026-03-31T22:00Z',
      '2026-04-30T22:00Z',
    ]);
  });

  it('follows America/New_York days, hours and months across DST', () => {
    expect(buckets('2026-03-07T12:00Z', '2026-03-09T12:00Z', 'day', 'America/New_York')).toEqual([
      '2026-03-07T05:00Z',
      '2026-03-08T05:00Z',
      '2026-03-09T04:00Z',
      '2026-03-10T04:00Z',
    ]);
    const hours = buckets('2026-11-01T04:00Z', '2026-11-01T08:00Z', 'hour', 'America/New_York');
    expect(hours).toEqual([
      '2026-11-01T04:00Z',
      '2026-11-01T05:00Z',
      '2026-11-01T06:00Z',
      '2026-11-01T07:00Z',
      '2026-11-01T08:00Z',
    ]);
    expect(wallClock(hours.map(Date.parse), 'America/New_York')).toEqual([
      '2026-11-01 00:00',
      '2026-11-01 01:00',
      '2026-11-01 01:00',
      '2026-11-01 02:00',
      '2026-11-01 03:00',
    ]);
    expect(buckets('2026-01-20T00:00Z', '2026-04-02T00:00Z', 'month', 'America/New_York')).toEqual([
      '2026-01-01T05:00Z',
      '2026-02-01T05:00Z',
      '2026-03-01T05:00Z',
      '2026-04-01T04:00Z',
      '2026-05-01T04:00Z',
    ]);
  });

  it('starts Asia/Kolkata hours at :30 UTC and its days at 18:30 UTC', () => {
    expect(buckets('2026-01-01T00:00Z', '2026-01-01T03:00Z', 'hour', 'Asia/Kolkata')).toEqual([
      '2025-12-31T23:30Z',
      '2026-01-01T00:30Z',
      '2026-01-01T01:30Z',
      '2026-01-01T02:30Z',
      '2026-01-01T03:30Z',
    ]);
    expect(buckets('2026-01-01T00:00Z', '2026-01-02T00:00Z', 'day', 'Asia/Kolkata')).toEqual([
      '2025-12-31T18:30Z',
      '2026-01-01T18:30Z',
      '2026-01-02T18:30Z',
    ]);
  });

  it('starts a day whose midnight is skipped at its first instant (America/Santiago, 6 September 2026)', () => {
    // At 00:00 -04 the clock jumps to 01:00 -03.
    const days = buckets('2026-09-05T12:00Z', '2026-09-07T12:00Z', 'day', 'America/Santiago');
    expect(days).toEqual([
      '2026-09-05T04:00Z',
      '2026-09-06T04:00Z',
      '2026-09-07T03:00Z',
      '2026-09-08T03:00Z',
    ]);
    expect(wallClock(days.map(Date.parse), 'America/Santiago')).toEqual([
      '2026-09-05 00:00',
      '2026-09-06 01:00',
      '2026-09-07 00:00',
      '2026-09-08 00:00',
    ]);
    const hours = buckets('2026-09-06T03:00Z', '2026-09-06T06:00Z', 'hour', 'America/Santiago');
    expect(wallClock(hours.map(Date.parse), 'America/Santiago')).toEqual([
      '2026-09-05 23:00',
      '2026-09-06 01:00',
      '2026-09-06 02:00',
      '2026-09-06 03:00',
    ]);
  });

  it('handles America/Havana, whose midnight is skipped in March and repeated in November', () => {
    expect(buckets('2026-03-07T12:00Z', '2026-03-08T12:00Z', 'day', 'America/Havana')).toEqual([
      '2026-03-07T05:00Z',
      '2026-03-08T05:00Z',
      '2026-03-09T04:00Z',
    ]);
    // 1 November: 01:00 -04 becomes 00:00 -05, so the day starts at the first midnight, 25 h long.
    expect(buckets('2026-10-31T12:00Z', '2026-11-02T12:00Z', 'day', 'America/Havana')).toEqual([
      '2026-10-31T04:00Z',
      '2026-11-01T04:00Z',
      '2026-11-02T05:00Z',
      '2026-11-03T05:00Z',
    ]);
  });

  it('starts an hour at a half-hour clock change (Australia/Lord_Howe, 4 October 2026)', () => {
    const hours = buckets('2026-10-03T14:30Z', '2026-10-03T17:00Z', 'hour', 'Australia/Lord_Howe');
    expect(hours).toEqual([
      '2026-10-03T14:30Z',
      '2026-10-03T15:30Z',
      '2026-10-03T16:00Z',
      '2026-10-03T17:00Z',
    ]);
    expect(wallClock(hours.map(Date.parse), 'Australia/Lord_Howe')).toEqual([
      '2026-10-04 01:00',
      '2026-10-04 02:30',
      '2026-10-04 03:00',
      '2026-10-04 04:00',
    ]);
  });

  it('finds offset changes only a week apart (America/Recife kept DST for 7 days in 2000)', () => {
    expect(buckets('2000-10-06T12:00Z', '2000-10-16T12:00Z', 'day', 'America/Recife')).toEqual([
      '2000-10-06T03:00Z',
      '2000-10-07T03:00Z',
      '2000-10-08T03:00Z',
      '2000-10-09T02:00Z',
      '2000-10-10T02:00Z',
      '2000-10-11T02:00Z',
      '2000-10-12T02:00Z',
      '2000-10-13T02:00Z',
      '2000-10-14T02:00Z',
      '2000-10-15T03:00Z',
      '2000-10-16T03:00Z',
      '2000-10-17T03:00Z',
    ]);
  });

  it('drops a day that never happened (Pacific/Apia, 30 December 2011)', () => {
    const days = buckets('2011-12-29T12:00Z', '2011-12-31T12:00Z', 'day', 'Pacific/Apia');
    expect(wallClock(days.map(Date.parse), 'Pacific/Apia')).toEqual([
      '2011-12-29 00:00',
      '2011-12-31 00:00',
      '2012-01-01 00:00',
      '2012-01-02 00:00',
    ]);
  });

  it('rounds boundaries of local mean time down to the minute (Paris was +00:09:21 in 1900)', () => {
    expect(buckets('1900-01-01T00:00Z', '1900-01-01T01:00Z', 'hour', 'Europe/Paris')).toEqual([
      '1899-12-31T23:50Z',
      '1900-01-01T00:50Z',
      '1900-01-01T01:50Z',
    ]);
  });

  it('matches luxon day, week and month starts in zones with unusual rules', () => {
    const steps = { day: { days: 1 }, week: { weeks: 1 }, month: { months: 1 } } as const;
    const zones = [
      'Europe/Paris',
      'Europe/Dublin',
      'America/New_York',
      'America/Sao_Paulo',
      'America/Santiago',
      'Asia/Kathmandu',
      'Asia/Tehran',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
      'Africa/Casablanca',
    ];
    const from = Date.parse('2025-01-01T00:00:00Z');
    const to = Date.parse('2027-01-01T00:00:00Z');
    for (const tz of zones) {
      for (const granularity of ['day', 'week', 'month'] as const) {
        let start = DateTime.fromMillis(from, { zone: tz }).startOf(granularity);
        const expected = [start.toMillis()];
        while (start.toMillis() < to) {
          start = start.plus(steps[granularity]).startOf(granularity);
          expected.push(start.toMillis());
        }
        const boundaries = bucketBoundaries(from, to, granularity, tz, 1000);
        expect(iso(boundaries), `${tz} ${granularity}`).toEqual(iso(expected));
      }
    }
  });

  it('keeps boundaries on whole minutes, increasing and covering the range, in many zones', () => {
    const zones = [
      'UTC',
      'Europe/Paris',
      'Asia/Kolkata',
      'Asia/Kathmandu',
      'Australia/Lord_Howe',
      'America/Havana',
      'Pacific/Apia',
      'Africa/Monrovia',
      'America/St_Johns',
    ];
    for (const tz of zones) {
      for (const [from, to] of [
        [Date.parse('2026-01-01T00:00:07.123Z'), Date.parse('2026-12-31T23:59:59.999Z')],
        [Date.parse('1890-01-01T00:00:00Z'), Date.parse('1975-06-30T12:34:56Z')],
      ] as const) {
        for (const granularity of ['hour', 'day', 'week', 'month'] as const) {
          if (granularity === 'hour' && to - from > 400 * DAY) continue;
          expectWellFormed(bucketBoundaries(from, to, granularity, tz, 100_000), from, to);
        }
      }
    }
  });
});

describe('bucketBoundaries errors', () => {
  it('refuses an empty or reversed range', () => {
    const t = Date.parse('2026-03-01T00:00:00Z');
    expect(errorOf(() => bucketBoundaries(t, t, 'day', 'UTC', 100)).code).toBe('RANGE_INVALID');
    expect(errorOf(() => bucketBoundaries(t + 1, t, 'hour', 'UTC', 100)).code).toBe(
      'RANGE_INVALID',
    );
    expect(errorOf(() => bucketBoundaries(Number.NaN, t, 'hour', 'UTC', 100)).code).toBe(
      'RANGE_INVALID',
    );
  });

  it('refuses an unknown time zone', () => {
    const { from, to } = range('2026-03-01T00:00Z', '2026-03-02T00:00Z');
    expect(errorOf(() => bucketBoundaries(from, to, 'day', 'Europe/Pariss', 100)).code).toBe(
      'TIME_ZONE_INVALID',
    );
  });

  it('allows exactly maxBuckets buckets and refuses one more, saying how many are needed', () => {
    const { from, to } = range('2026-03-01T00:00Z', '2026-03-02T00:00Z');
    expect(bucketBoundaries(from, to, 'minute', 'UTC', 1440)).toHaveLength(1441);
    const minutes = errorOf(() => bucketBoundaries(from, to + 1, 'minute', 'UTC', 1440));
    expect(minutes.code).toBe('TOO_MANY_BUCKETS');
    expect(minutes.detail).toContain('1441');
    expect(minutes.detail).toContain('1440');
    expect(minutes.detail).toContain('coarser granularity');

    const year = range('2026-01-01T00:00Z', '2027-01-01T00:00Z');
    expect(bucketBoundaries(year.from, year.to, 'day', 'Europe/Paris', 366)).toHaveLength(367);
    const days = errorOf(() => bucketBoundaries(year.from, year.to, 'day', 'Europe/Paris', 364));
    expect(days.code).toBe('TOO_MANY_BUCKETS');
    expect(days.detail).toContain('365 day buckets');
  });

  it('refuses huge ranges without building their buckets', () => {
    const century = range('1950-01-01T00:00Z', '2050-01-01T00:00Z');
    const minutes = errorOf(() =>
      bucketBoundaries(century.from, century.to, 'minute', 'Europe/Paris', 10_000),
    );
    expect(minutes.code).toBe('TOO_MANY_BUCKETS');
    expect(minutes.detail).toContain('52596000 minute buckets');
    const hours = errorOf(() =>
      bucketBoundaries(century.from, century.to, 'hour', 'Europe/Paris', 10_000),
    );
    expect(hours.code).toBe('TOO_MANY_BUCKETS');
    expect(hours.detail).toContain('about 876600 hour buckets');
    // Billions of buckets: materialising them would exhaust memory.
    const all = range('0001-01-01T00:00Z', '9999-12-31T00:00Z');
    for (const granularity of ['minute', 'hour', 'day', 'week', 'month'] as const) {
      expect(
        errorOf(() => bucketBoundaries(all.from, all.to, granularity, 'America/New_York', 1000))
          .code,
      ).toBe('TOO_MANY_BUCKETS');
    }
  });
});

describe('resolvePreset', () => {
  function presets(now: string, tz: string): Record<string, [string, string]> {
    return Object.fromEntries(
      PRESETS.map((preset) => {
        const { from, to } = resolvePreset(preset, Date.parse(now), tz);
        const [isoFrom = '', isoTo = ''] = iso([from, to]);
        return [preset, [isoFrom, isoTo]];
      }),
    );
  }

  it('resolves every preset in UTC', () => {
    expect(presets('2026-03-15T12:34:56Z', 'UTC')).toEqual({
      today: ['2026-03-15T00:00Z', '2026-03-16T00:00Z'],
      yesterday: ['2026-03-14T00:00Z', '2026-03-15T00:00Z'],
      last_7_days: ['2026-03-09T00:00Z', '2026-03-16T00:00Z'],
      last_15_days: ['2026-03-01T00:00Z', '2026-03-16T00:00Z'],
      last_30_days: ['2026-02-14T00:00Z', '2026-03-16T00:00Z'],
      last_90_days: ['2025-12-16T00:00Z', '2026-03-16T00:00Z'],
      last_12_months: ['2025-04-01T00:00Z', '2026-04-01T00:00Z'],
      month_to_date: ['2026-03-01T00:00Z', '2026-03-16T00:00Z'],
      year_to_date: ['2026-01-01T00:00Z', '2026-03-16T00:00Z'],
    });
  });

  it('resolves every preset in Europe/Paris just after local midnight, when UTC is still the day before', () => {
    // 2026-03-31T22:30Z is 00:30 on 1 April in Paris.
    expect(presets('2026-03-31T22:30:00Z', 'Europe/Paris')).toEqual({
      today: ['2026-03-31T22:00Z', '2026-04-01T22:00Z'],
      yesterday: ['2026-03-30T22:00Z', '2026-03-31T22:00Z'],
      last_7_days: ['2026-03-25T23:00Z', '2026-04-01T22:00Z'],
      last_15_days: ['2026-03-17T23:00Z', '2026-04-01T22:00Z'],
      last_30_days: ['2026-03-02T23:00Z', '2026-04-01T22:00Z'],
      last_90_days: ['2026-01-01T23:00Z', '2026-04-01T22:00Z'],
      last_12_months: ['2025-04-30T22:00Z', '2026-04-30T22:00Z'],
      month_to_date: ['2026-03-31T22:00Z', '2026-04-01T22:00Z'],
      year_to_date: ['2025-12-31T23:00Z', '2026-04-01T22:00Z'],
    });
    expect(presets('2026-03-31T22:30:00Z', 'UTC').month_to_date).toEqual([
      '2026-03-01T00:00Z',
      '2026-04-01T00:00Z',
    ]);
  });

  it('gives a 23-hour today on a DST day', () => {
    const { from, to } = resolvePreset('today', Date.parse('2026-03-29T12:00:00Z'), 'Europe/Paris');
    expect(iso([from, to])).toEqual(['2026-03-28T23:00Z', '2026-03-29T22:00Z']);
    expect(to - from).toBe(23 * HOUR);
  });

  it('refuses an unknown preset, listing the valid ones', () => {
    const error = errorOf(() => resolvePreset('last_week', Date.now(), 'UTC'));
    expect(error.code).toBe('RANGE_INVALID');
    expect(error.detail).toContain('last_7_days');
    expect(error.detail).toContain('year_to_date');
    expect(errorOf(() => resolvePreset('today', Date.now(), 'Moon/Base')).code).toBe(
      'TIME_ZONE_INVALID',
    );
  });
});

describe('previousBoundaries', () => {
  function previous(boundaries: string[], granularity: Granularity, tz: string): string[] {
    const result = previousBoundaries(boundaries.map(Date.parse), granularity, tz);
    for (const boundary of result) expect(Number.isInteger(boundary / 60_000)).toBe(true);
    return iso(result);
  }

  it('gives the same number of buckets just before, by day and by minute', () => {
    expect(
      previous(['2026-03-15T00:00Z', '2026-03-16T00:00Z', '2026-03-17T00:00Z'], 'day', 'UTC'),
    ).toEqual(['2026-03-13T00:00Z', '2026-03-14T00:00Z', '2026-03-15T00:00Z']);
    expect(previous(['2026-03-01T00:00Z', '2026-03-01T00:01Z'], 'minute', 'UTC')).toEqual([
      '2026-02-28T23:59Z',
      '2026-03-01T00:00Z',
    ]);
    expect(previous(['2026-03-09T00:00Z', '2026-03-16T00:00Z'], 'week', 'UTC')).toEqual([
      '2026-03-02T00:00Z',
      '2026-03-09T00:00Z',
    ]);
  });

  it('steps back over a DST change by local day and hour', () => {
    // 30 March (24 h) in Paris → 29 March (23 h).
    expect(previous(['2026-03-29T22:00Z', '2026-03-30T22:00Z'], 'day', 'Europe/Paris')).toEqual([
      '2026-03-28T23:00Z',
      '2026-03-29T22:00Z',
    ]);
    // 03:00-04:00 CEST → 01:00 CET to 03:00 CEST, an hour of the wall clock that lasts one hour.
    expect(previous(['2026-03-29T01:00Z', '2026-03-29T02:00Z'], 'hour', 'Europe/Paris')).toEqual([
      '2026-03-29T00:00Z',
      '2026-03-29T01:00Z',
    ]);
    // Today (30 March) by hour → the 24 hours before it, which start at 23:00 on 28 March.
    const today = bucketBoundaries(
      Date.parse('2026-03-29T22:00Z'),
      Date.parse('2026-03-30T22:00Z'),
      'hour',
      'Europe/Paris',
      100,
    );
    const hours = previous(iso(today), 'hour', 'Europe/Paris');
    expect(hours).toHaveLength(25);
    expect(hours[0]).toBe('2026-03-28T22:00Z');
    expect(hours.at(-1)).toBe('2026-03-29T22:00Z');
  });

  it('gives the 12 months before last_12_months', () => {
    const { from, to } = resolvePreset('last_12_months', Date.parse('2026-03-15T12:00:00Z'), 'UTC');
    const months = bucketBoundaries(from, to, 'month', 'UTC', 100);
    expect(previous(iso(months), 'month', 'UTC')).toEqual([
      '2024-04-01T00:00Z',
      '2024-05-01T00:00Z',
      '2024-06-01T00:00Z',
      '2024-07-01T00:00Z',
      '2024-08-01T00:00Z',
      '2024-09-01T00:00Z',
      '2024-10-01T00:00Z',
      '2024-11-01T00:00Z',
      '2024-12-01T00:00Z',
      '2025-01-01T00:00Z',
      '2025-02-01T00:00Z',
      '2025-03-01T00:00Z',
      '2025-04-01T00:00Z',
    ]);
    expect(previous(['2026-03-31T22:00Z', '2026-04-30T22:00Z'], 'month', 'Europe/Paris')).toEqual([
      '2026-02-28T23:00Z',
      '2026-03-31T22:00Z',
    ]);
  });

  it('returns nothing for no boundaries', () => {
    expect(previousBoundaries([], 'day', 'UTC')).toEqual([]);
  });
});

describe('autoGranularity', () => {
  it('picks minute up to 6 h, hour up to 4 days, day up to 180 days, then month', () => {
    const from = Date.parse('2026-01-01T00:00:00Z');
    expect(autoGranularity(from, from + 6 * HOUR, 'UTC')).toBe('minute');
    expect(autoGranularity(from, from + 6 * HOUR + 1, 'UTC')).toBe('hour');
    expect(autoGranularity(from, from + 4 * DAY, 'UTC')).toBe('hour');
    expect(autoGranularity(from, from + 4 * DAY + 1, 'UTC')).toBe('day');
    expect(autoGranularity(from, from + 180 * DAY, 'UTC')).toBe('day');
    expect(autoGranularity(from, from + 180 * DAY + 1, 'UTC')).toBe('month');
  });

  it('measures the range on the local wall clock, across a DST change', () => {
    // 22 to 26 October in Paris: 4 local days, 97 hours (the clocks go back on the 25th).
    const from = Date.parse('2026-10-21T22:00:00Z');
    const to = Date.parse('2026-10-25T23:00:00Z');
    expect(autoGranularity(from, to, 'Europe/Paris')).toBe('hour');
    expect(autoGranularity(from, to, 'UTC')).toBe('day');
    // 00:00 to 06:00 local on 25 October: 6 local hours, 7 hours of time.
    const night = Date.parse('2026-10-24T22:00:00Z');
    expect(autoGranularity(night, night + 7 * HOUR, 'Europe/Paris')).toBe('minute');
  });
});
