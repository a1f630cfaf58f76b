import { describe, expect, it } from 'vitest';
import {
  checkValueForType,
  EventRejected,
  parseEventInput,
  parseFilters,
  parseTimestamp,
  toMicros,
} from './event-input.js';

/** The code an EventRejected carries, or 'accepted' when nothing was thrown. */
function codeOf(run: () => unknown): string {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (error instanceof EventRejected) return error.code;
    throw error;
  }
}

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const DAY = 86_400_000;
const BACKFILL = 365 * DAY;

describe('toMicros', () => {
  it.each([
    [1, 1_000_000n],
    [0.53, 530_000n],
    [0.1, 100_000n],
    [0.000001, 1n],
    [-0.000001, -1n],
    [5e-6, 5n],
    [0, 0n],
    [-0, 0n],
    [-2.5, -2_500_000n],
    [123456789012.345, 123_456_789_012_345_000n],
    [999999999999.99, 999_999_999_999_990_000n],
    [999999999999.999, 999_999_999_999_999_000n],
    [100000000000, 100_000_000_000_000_000n],
    [1e-6 * 3, 3n],
  ])('converts %s exactly', (value, micros) => {
    expect(toMicros(value)).toBe(micros);
  });

  it.each([
    [0.0000001, 'VALUE_TOO_PRECISE'],
    [1.1234567, 'VALUE_TOO_PRECISE'],
    [1.5e-7, 'VALUE_TOO_PRECISE'],
    // 0.1 + 0.2 in a double: never rounded to 0.3.
    [0.1 + 0.2, 'VALUE_TOO_PRECISE'],
    // 16 significant digits: more than a double carries exactly.
    [12345678901.23456, 'VALUE_TOO_PRECISE'],
    [1e12, 'VALUE_OUT_OF_RANGE'],
    [-1e12, 'VALUE_OUT_OF_RANGE'],
    [1e21, 'VALUE_OUT_OF_RANGE'],
    [Number.MAX_VALUE, 'VALUE_OUT_OF_RANGE'],
    [Number.POSITIVE_INFINITY, 'VALUE_INVALID'],
    [Number.NEGATIVE_INFINITY, 'VALUE_INVALID'],
    [Number.NaN, 'VALUE_INVALID'],
    ['5', 'VALUE_INVALID'],
    [null, 'VALUE_INVALID'],
    [true, 'VALUE_INVALID'],
    [undefined, 'VALUE_INVALID'],
    [5n, 'VALUE_INVALID'],
  ])('refuses %s with %s', (value, code) => {
    expect(codeOf(() => toMicros(value))).toBe(code);
  });

  /**
   * What toMicros must answer, from the decimal text alone: the value's shortest round-trip
   * digits, with at most 6 decimals and 15 significant digits.
   */
  function reference(value: number): bigint | 'VALUE_TOO_PRECISE' {
    const text = Math.abs(value).toFixed(20).replace(/0+$/, '');
    const shortest = String(Math.abs(value));
    const exact = shortest.includes('e') ? text : shortest;
    const [whole = '0', fraction = ''] = exact.split('.');
    const digits = `${whole}${fraction}`.replace(/^0+/, '');
    if (fraction.length > 6 || digits.length > 15) return 'VALUE_TOO_PRECISE';
    const micros = BigInt(`${whole}${fraction.padEnd(6, '0')}`);
    return value < 0 ? -micros : micros;
  }

  it('agrees with the decimal text on 200,000 random values, short and long', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let i = 0; i < 200_000; i++) {
      const decimals = Math.floor(random() * 9);
      const magnitude = 10 ** Math.floor(random() * 13 - 3);
      const sign = random() < 0.3 ? -1 : 1;
      const value = sign * Number((random() * magnitude).toFixed(decimals));
      if (value === 0 || Math.abs(value) >= 1e12) continue;
      const expected = reference(value);
      const actual =
        codeOf(() => toMicros(value)) === 'accepted' ? toMicros(value) : 'VALUE_TOO_PRECISE';
      if (actual !== expected) expect({ value, actual }).toEqual({ value, actual: expected });
    }
  });
});

describe('checkValueForType', () => {
  it.each([
    ['basic', 1n, 'accepted'],
    ['basic', 0n, 'VALUE_NOT_POSITIVE'],
    ['basic', -1n, 'VALUE_NOT_POSITIVE'],
    ['dual', 1n, 'accepted'],
    ['dual', -1n, 'accepted'],
    ['dual', 0n, 'VALUE_ZERO'],
    ['average', 0n, 'accepted'],
    ['average', -1n, 'accepted'],
    ['average', 1n, 'accepted'],
  ] as const)('%s metric, %s micros: %s', (type, micros, code) => {
    expect(codeOf(() => checkValueForType(micros, type))).toBe(code);
  });
});

describe('parseFilters', () => {
  it('trims and lower-cases keys and values, and sorts by key', () => {
    expect(parseFilters({ ' Plan ': ' PRO ', Country: 'US', 'utm source': 'News Letter' })).toEqual(
      [
        ['country', 'us'],
        ['plan', 'pro'],
        ['utm source', 'news letter'],
      ],
    );
  });

  it('takes no filters as none', () => {
    expect(parseFilters(undefined)).toEqual([]);
    expect(parseFilters({})).toEqual([]);
  });

  it('normalises a repeated set once, and never mistakes another set for it', () => {
    const first = parseFilters({ K: ' x ', y: 'Z' });
    expect(parseFilters({ K: ' x ', y: 'Z' })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // The same characters in one value instead of two pairs: still refused.
    expect(codeOf(() => parseFilters({ K: ' x y Z' }))).toBe('accepted');
    expect(codeOf(() => parseFilters({ K: ' x \u0000y\u0000Z' }))).toBe('FILTERS_INVALID');
    expect(codeOf(() => parseFilters({ 'K:1': 'x' }))).toBe('FILTERS_INVALID');
    // Refusals are never remembered as accepted.
    for (let i = 0; i < 2; i++) {
      expect(codeOf(() => parseFilters({ k: '"quoted"' }))).toBe('FILTERS_INVALID');
    }
  });

  it('accepts the limits exactly: 10 filters, 32-character keys, 100-character values', () => {
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'v']));
    expect(parseFilters(ten)).toHaveLength(10);
    expect(parseFilters({ ['k'.repeat(32)]: 'v'.repeat(100) })).toEqual([
      ['k'.repeat(32), 'v'.repeat(100)],
    ]);
    // The length counts after trimming.
    expect(parseFilters({ [` ${'k'.repeat(32)} `]: ` ${'v'.repeat(100)} ` })).toHaveLength(1);
    expect(parseFilters({ 'a_b-c/d$e%f#g&h*i(j)k!l~m.n': "it's fine" })).toHaveLength(1);
  });

  it.each([
    [
      '11 filters',
      Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])),
      'FILTERS_LIMIT',
    ],
    ['an array', ['a'], 'FILTERS_INVALID'],
    ['a string', 'country=us', 'FILTERS_INVALID'],
    ['a number', 5, 'FILTERS_INVALID'],
    ['a 33-character key', { ['k'.repeat(33)]: 'v' }, 'FILTERS_INVALID'],
    ['an empty key', { '': 'v' }, 'FILTERS_INVALID'],
    ['a blank key', { '   ': 'v' }, 'FILTERS_INVALID'],
    ['a key with a colon', { 'a:b': 'v' }, 'FILTERS_INVALID'],
    ['a key with a quote', { 'a"b': 'v' }, 'FILTERS_INVALID'],
    ['a non-ASCII key', { pays: 'v', clé: 'v' }, 'FILTERS_INVALID'],
    ['a 101-character value', { k: 'v'.repeat(101) }, 'FILTERS_INVALID'],
    ['an empty value', { k: '' }, 'FILTERS_INVALID'],
    ['a blank value', { k: '   ' }, 'FILTERS_INVALID'],
    ['a double quote in a value', { k: 'say "hi"' }, 'FILTERS_INVALID'],
    ['a backslash in a value', { k: 'a\\b' }, 'FILTERS_INVALID'],
    ['a newline in a value', { k: 'a\nb' }, 'FILTERS_INVALID'],
    ['a tab in a value', { k: 'a\tb' }, 'FILTERS_INVALID'],
    ['a NUL in a value', { k: 'a\u0000b' }, 'FILTERS_INVALID'],
    ['a DEL in a value', { k: 'a\u007fb' }, 'FILTERS_INVALID'],
    ['a number value', { k: 5 }, 'FILTERS_INVALID'],
    ['a boolean value', { k: true }, 'FILTERS_INVALID'],
    ['a null value', { k: null }, 'FILTERS_INVALID'],
    ['an object value', { k: { a: 'b' } }, 'FILTERS_INVALID'],
    ['an array value', { k: ['a'] }, 'FILTERS_INVALID'],
    ['a key twice after normalisation', { country: 'us', ' COUNTRY ': 'fr' }, 'FILTERS_INVALID'],
  ])('refuses %s', (_label, filters, code) => {
    expect(codeOf(() => parseFilters(filters))).toBe(code);
  });
});

describe('parseTimestamp', () => {
  const parse = (timestamp: unknown) => parseTimestamp(timestamp, NOW, BACKFILL);

  it('takes the server time when absent', () => {
    expect(parse(undefined)).toBe(NOW);
    expect(parse(null)).toBe(NOW);
  });

  it.each([
    ['2026-11-28T10:00:00Z', Date.UTC(2026, 10, 28, 10)],
    ['2026-11-28T10:00:00.250Z', Date.UTC(2026, 10, 28, 10, 0, 0, 250)],
    ['2026-11-28T10:00Z', Date.UTC(2026, 10, 28, 10)],
    ['2026-11-28T12:00:00+02:00', Date.UTC(2026, 10, 28, 10)],
    ['2026-11-28T05:30:00-04:30', Date.UTC(2026, 10, 28, 10)],
    ['2026-02-28T00:00:00Z', Date.UTC(2026, 1, 28)],
    [NOW - DAY, NOW - DAY],
    [NOW - BACKFILL, NOW - BACKFILL],
    [NOW + 5 * 60_000, NOW + 5 * 60_000],
  ])('reads %s', (timestamp, expected) => {
    expect(parse(timestamp)).toBe(expected);
  });

  it('knows leap days', () => {
    expect(parseTimestamp('2024-02-29T00:00:00Z', NOW, 3 * BACKFILL)).toBe(Date.UTC(2024, 1, 29));
    expect(codeOf(() => parseTimestamp('2025-02-29T00:00:00Z', NOW, 3 * BACKFILL))).toBe(
      'TIMESTAMP_INVALID',
    );
  });

  it.each([
    ['a day past the backfill window', NOW - BACKFILL - 1, 'TIMESTAMP_OUT_OF_RANGE'],
    ['366 days back', NOW - 366 * DAY, 'TIMESTAMP_OUT_OF_RANGE'],
    ['5 minutes and 1 ms ahead', NOW + 5 * 60_000 + 1, 'TIMESTAMP_OUT_OF_RANGE'],
    ['6 minutes ahead, as ISO', '2026-11-28T12:06:00Z', 'TIMESTAMP_OUT_OF_RANGE'],
    ['February 30th', '2026-02-30T00:00:00Z', 'TIMESTAMP_INVALID'],
    ['April 31st', '2026-04-31T00:00:00Z', 'TIMESTAMP_INVALID'],
    ['February 29th of a common year', '2026-02-29T00:00:00Z', 'TIMESTAMP_INVALID'],
    ['minute 60', '2026-11-28T10:60:00Z', 'TIMESTAMP_INVALID'],
    ['month 13', '2026-13-01T00:00:00Z', 'TIMESTAMP_INVALID'],
    ['day 0', '2026-11-00T00:00:00Z', 'TIMESTAMP_INVALID'],
    ['a date-time without a zone', '2026-11-28T10:00:00', 'TIMESTAMP_INVALID'],
    ['a date alone', '2026-11-28', 'TIMESTAMP_INVALID'],
    ['a space for the T', '2026-11-28 10:00:00Z', 'TIMESTAMP_INVALID'],
    ['an RFC 2822 date', 'Sat, 28 Nov 2026 10:00:00 GMT', 'TIMESTAMP_INVALID'],
    ['epoch ms as a string', String(NOW), 'TIMESTAMP_INVALID'],
    ['fractional epoch ms', NOW - 0.5, 'TIMESTAMP_INVALID'],
    ['epoch beyond 2^53', 2 ** 53, 'TIMESTAMP_INVALID'],
    ['NaN', Number.NaN, 'TIMESTAMP_INVALID'],
    ['a boolean', true, 'TIMESTAMP_INVALID'],
    ['an object', {}, 'TIMESTAMP_INVALID'],
  ])('refuses %s', (_label, timestamp, code) => {
    expect(codeOf(() => parse(timestamp))).toBe(code);
  });
});

describe('parseEventInput', () => {
  it('parses a whole event', () => {
    expect(
      parseEventInput(
        { value: 2.5, filters: { Plan: 'Pro' }, timestamp: '2026-11-28T11:00:00Z' },
        NOW,
        BACKFILL,
      ),
    ).toEqual({
      micros: 2_500_000n,
      filters: [['plan', 'pro']],
      ts: Date.UTC(2026, 10, 28, 11),
    });
  });

  it.each([
    ['an array', [{ value: 1 }], 'VALIDATION_FAILED'],
    ['null', null, 'VALIDATION_FAILED'],
    ['a number', 5, 'VALIDATION_FAILED'],
    ['an unknown field', { value: 1, metric: 'signups' }, 'VALIDATION_FAILED'],
    ['no value', { filters: {} }, 'VALUE_INVALID'],
  ])('refuses %s', (_label, body, code) => {
    expect(codeOf(() => parseEventInput(body, NOW, BACKFILL))).toBe(code);
  });

  it('takes extra fields only when told to', () => {
    const body = { metric: 'signups', value: 1 };
    expect(parseEventInput(body, NOW, BACKFILL, new Set(['metric'])).micros).toBe(1_000_000n);
  });
});
