import { AppError, type ErrorCode } from '../../errors.js';
import { DECIMAL_PLACES } from '../../lib/decimal.js';
import type { MetricType } from '../../storage/schema.js';
import { OVERLONG_NUMBER } from './json-numbers.js';

/** The documented limits of one event. */
export const EVENT_LIMITS = {
  /** Largest absolute value of one event. */
  maxAbsValue: 1e12,
  /** Significant digits a JSON number can carry exactly through an IEEE double. */
  maxSignificantDigits: 15,
  maxFilterKeys: 10,
  maxFilterKeyLength: 32,
  maxFilterValueLength: 100,
  /** Tolerated clock skew of a client sending future timestamps. */
  maxFutureMs: 5 * 60_000,
} as const;

/** Filter keys: Measurely's characters (lower-cased) plus the dot. */
const FILTER_KEY = /^[a-z0-9 _\-/$%#&*()!~.]+$/;
/** Filter values: any printable text but quotes and backslashes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const FILTER_VALUE_FORBIDDEN = /["\\\u0000-\u001f\u007f]/;
/** A UTF-16 surrogate without its pair: not a character, and stored differently by each engine. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export interface EventInput {
  /** Micro-units. */
  readonly micros: bigint;
  /** Filters sorted by key; keys and values trimmed and lower-cased. */
  readonly filters: ReadonlyArray<readonly [string, string]>;
  /** Event time, epoch ms. */
  readonly ts: number;
}

export class EventRejected extends AppError {}

const MICROS_PER_UNIT = 10n ** BigInt(DECIMAL_PLACES);
const MICROS_PER_UNIT_NUMBER = 10 ** DECIMAL_PLACES;
/** Values below this take toMicros' arithmetic shortcut (see there). */
const FAST_RANGE = 1e9;

function reject(code: ErrorCode, detail: string): EventRejected {
  return new EventRejected(code, detail);
}

/**
 * Converts a JSON number to micro-units exactly, or says why it cannot: more than 6 decimals,
 * more digits than a double carries, or beyond the value range. Never rounds.
 */
export function toMicros(value: unknown): bigint {
  if (typeof value === 'string' && value.startsWith(OVERLONG_NUMBER)) {
    throw reject(
      'VALUE_TOO_PRECISE',
      `"value" may have at most ${EVENT_LIMITS.maxSignificantDigits} significant digits.`,
    );
  }
  if (typeof value !== 'number') {
    throw reject('VALUE_INVALID', '"value" must be a JSON number.');
  }
  if (!Number.isFinite(value)) throw reject('VALUE_INVALID', '"value" must be finite.');
  if (Math.abs(value) >= EVENT_LIMITS.maxAbsValue) {
    throw reject(
      'VALUE_OUT_OF_RANGE',
      `"value" must be smaller than ${EVENT_LIMITS.maxAbsValue} in absolute value.`,
    );
  }
  // Whole numbers (the common case) need no decimal arithmetic: below 10^12 they are exact.
  if (Number.isInteger(value)) return BigInt(value) * MICROS_PER_UNIT;
  // Below 10^9 a value has at most 15 significant digits with 6 decimals, and its micro-units fit
  // a double exactly: when the nearest double to micros / 10^6 is the value itself, the value is
  // that decimal (the shortest one that round-trips), so no string work is needed.
  if (Math.abs(value) < FAST_RANGE) {
    const micros = Math.round(value * MICROS_PER_UNIT_NUMBER);
    if (micros / MICROS_PER_UNIT_NUMBER === value) return BigInt(micros);
  }
  // The shortest decimal that round-trips the double: what the client wrote, digit for digit,
  // whenever it wrote at most 15 significant digits.
  const [mantissa = '0', exponentText] = Math.abs(value).toString().split('e');
  const [whole = '0', fraction = ''] = mantissa.split('.');
  const exponent = Number(exponentText ?? 0);
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  const decimals = fraction.length - exponent;
  if (digits.length > EVENT_LIMITS.maxSignificantDigits || decimals > DECIMAL_PLACES) {
    throw reject(
      'VALUE_TOO_PRECISE',
      `"value" may have at most ${DECIMAL_PLACES} decimal places and ${EVENT_LIMITS.maxSignificantDigits} significant digits.`,
    );
  }
  const micros = BigInt(`${whole}${fraction}`) * 10n ** BigInt(DECIMAL_PLACES - decimals);
  return value < 0 ? -micros : micros;
}

export function checkValueForType(micros: bigint, type: MetricType): void {
  if (type === 'basic' && micros <= 0n) {
    throw reject('VALUE_NOT_POSITIVE', 'A basic metric takes values greater than zero.');
  }
  if (type === 'dual' && micros === 0n) {
    throw reject('VALUE_ZERO', 'A dual metric takes positive or negative values, not zero.');
  }
}

/**
 * Filters already normalised, found by their raw keys and values in order (a trie, so that a
 * lookup builds no string): most events repeat a few sets.
 */
interface KnownFilters {
  readonly next: Map<string, Map<string, KnownFilters>>;
  filters?: Filters;
}
let knownFilters: KnownFilters = { next: new Map() };
let knownFilterSets = 0;
/** Past this many sets, the memory starts again. */
const KNOWN_FILTER_SETS_LIMIT = 10_000;
const NO_FILTERS: Filters = Object.freeze([]);

type Filters = ReadonlyArray<readonly [string, string]>;

/**
 * Filters trimmed, lower-cased and sorted by key, or the precise reason they are refused. The
 * result may be shared between events with the same raw filters: never modify it.
 */
export function parseFilters(filters: unknown): Filters {
  if (filters === undefined || filters === null) return NO_FILTERS;
  if (typeof filters !== 'object' || Array.isArray(filters)) {
    throw reject('FILTERS_INVALID', '"filters" must be an object of strings.');
  }
  const raw = filters as Record<string, unknown>;
  let node: KnownFilters | undefined = knownFilters;
  for (const key in raw) {
    const value = raw[key];
    node = typeof value === 'string' ? node.next.get(key)?.get(value) : undefined;
    if (node === undefined) break;
  }
  if (node?.filters !== undefined) return node.filters;
  const parsed = normaliseFilters(raw);
  remember(raw, parsed);
  return parsed;
}

/** Files accepted raw filters (every value a string) under their keys and values, in order. */
function remember(raw: Record<string, unknown>, parsed: Filters): void {
  if (knownFilterSets >= KNOWN_FILTER_SETS_LIMIT) {
    knownFilters = { next: new Map() };
    knownFilterSets = 0;
  }
  let node = knownFilters;
  for (const key in raw) {
    const value = raw[key] as string;
    let byValue = node.next.get(key);
    if (byValue === undefined) {
      byValue = new Map();
      node.next.set(key, byValue);
    }
    let child = byValue.get(value);
    if (child === undefined) {
      child = { next: new Map() };
      byValue.set(value, child);
    }
    node = child;
  }
  if (node.filters === undefined) knownFilterSets += 1;
  node.filters = parsed;
}

function normaliseFilters(filters: Record<string, unknown>): Filters {
  const entries = Object.entries(filters);
  if (entries.length > EVENT_LIMITS.maxFilterKeys) {
    throw reject('FILTERS_LIMIT', `At most ${EVENT_LIMITS.maxFilterKeys} filters per event.`);
  }
  if (entries.length === 0) return NO_FILTERS;
  const normalised = new Map<string, string>();
  for (const [rawKey, rawValue] of entries) {
    const key = rawKey.trim().toLowerCase();
    if (key === '' || key.length > EVENT_LIMITS.maxFilterKeyLength || !FILTER_KEY.test(key)) {
      throw reject(
        'FILTERS_INVALID',
        `Filter key "${rawKey.slice(0, 40)}" must be 1 to ${EVENT_LIMITS.maxFilterKeyLength} characters of a-z 0-9 space _ - / $ % # & * ( ) ! ~ .`,
      );
    }
    if (typeof rawValue !== 'string') {
      throw reject('FILTERS_INVALID', `Filter "${key}" must have a string value.`);
    }
    const value = rawValue.trim().toLowerCase();
    if (
      value === '' ||
      value.length > EVENT_LIMITS.maxFilterValueLength ||
      FILTER_VALUE_FORBIDDEN.test(value) ||
      LONE_SURROGATE.test(value)
    ) {
      throw reject(
        'FILTERS_INVALID',
        `Filter "${key}" needs a value of 1 to ${EVENT_LIMITS.maxFilterValueLength} characters, without quotes, backslashes or control characters.`,
      );
    }
    if (normalised.has(key)) {
      throw reject(
        'FILTERS_INVALID',
        `Filter "${key}" is given twice (keys ignore case and spaces around them).`,
      );
    }
    normalised.set(key, value);
  }
  const sorted = [...normalised].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const pair of sorted) Object.freeze(pair);
  return Object.freeze(sorted);
}

export function parseTimestamp(timestamp: unknown, now: number, backfillMs: number): number {
  if (timestamp === undefined || timestamp === null) return now;
  let ts: number;
  if (typeof timestamp === 'number') {
    if (!Number.isSafeInteger(timestamp)) {
      throw reject('TIMESTAMP_INVALID', '"timestamp" as a number is whole epoch milliseconds.');
    }
    ts = timestamp;
  } else if (typeof timestamp === 'string' && ISO_8601.test(timestamp)) {
    ts = Date.parse(timestamp);
    // Date.parse rolls February 30th over to March 2nd: the day must exist in its month.
    const [year, month, day] = timestamp.slice(0, 10).split('-').map(Number) as [
      number,
      number,
      number,
    ];
    if (Number.isNaN(ts) || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) {
      throw reject('TIMESTAMP_INVALID', `"${timestamp}" is not a real date.`);
    }
  } else {
    throw reject(
      'TIMESTAMP_INVALID',
      '"timestamp" must be an ISO 8601 date-time with a zone (2026-11-28T10:00:00Z) or epoch milliseconds.',
    );
  }
  if (ts < now - backfillMs || ts > now + EVENT_LIMITS.maxFutureMs) {
    throw reject(
      'TIMESTAMP_OUT_OF_RANGE',
      `"timestamp" must lie between ${Math.round(backfillMs / 86_400_000)} days ago and 5 minutes from now.`,
    );
  }
  return ts;
}

const EVENT_FIELDS = new Set(['value', 'filters', 'timestamp']);

/** Parses one event body (without its metric), or throws the precise reason it is refused. */
export function parseEventInput(
  body: unknown,
  now: number,
  backfillMs: number,
  extraFields?: ReadonlySet<string>,
): EventInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw reject('VALIDATION_FAILED', 'The body must be a JSON object like {"value": 1}.');
  }
  for (const field in body) {
    if (!EVENT_FIELDS.has(field) && !extraFields?.has(field)) {
      throw reject(
        'VALIDATION_FAILED',
        `Unknown field "${field.slice(0, 40)}"; an event has value, filters and timestamp.`,
      );
    }
  }
  const { value, filters, timestamp } = body as Record<string, unknown>;
  if (value === undefined) throw reject('VALUE_INVALID', '"value" is required.');
  return {
    micros: toMicros(value),
    filters: parseFilters(filters),
    ts: parseTimestamp(timestamp, now, backfillMs),
  };
}
