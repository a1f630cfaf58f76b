import { expect } from 'vitest';

/**
 * Deterministic events and the answers the query API owes for them, computed from the events
 * alone with plain sums: nothing here calls the implementation.
 */

export type MetricType = 'basic' | 'dual' | 'average';
export const METRIC_TYPES: readonly MetricType[] = ['basic', 'dual', 'average'];

/** One event as sent. Its value is held in cents, so that every expected sum is an exact integer. */
export interface SentEvent {
  readonly ts: number;
  readonly cents: number;
  readonly filters?: Readonly<Record<string, string>>;
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export const t = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`not a date: ${iso}`);
  return ms;
};
export const iso = (ms: number): string => new Date(ms).toISOString();

/** mulberry32: a small seeded PRNG, so the event set is the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick(random: () => number, weighted: ReadonlyArray<readonly [string, number]>): string {
  let r = random();
  for (const [value, weight] of weighted) {
    r -= weight;
    if (r < 0) return value;
  }
  return weighted[weighted.length - 1]?.[0] ?? '';
}

export const COUNTRIES = [
  ['fr', 0.34],
  ['us', 0.26],
  ['de', 0.2],
  ['jp', 0.12],
  ['br', 0.08],
] as const;
export const PLANS = [
  ['free', 0.5],
  ['pro', 0.3],
  ['team', 0.2],
] as const;

function centsFor(type: MetricType, random: () => number): number {
  const magnitude = 1 + Math.floor(random() * 20_000);
  if (type === 'basic') return magnitude;
  if (type === 'dual') return random() < 0.4 ? -magnitude : magnitude;
  return Math.floor(random() * 20_001) - 5_000;
}

/** No filters (20%), country only (25%), plan only (15%) or both (40%). */
function filtersFor(random: () => number): Record<string, string> | undefined {
  const r = random();
  const country = pick(random, COUNTRIES);
  const plan = pick(random, PLANS);
  if (r < 0.2) return undefined;
  if (r < 0.45) return { country };
  if (r < 0.6) return { plan };
  return { country, plan };
}

export interface EventSetShape {
  readonly seed: number;
  readonly type: MetricType;
  /** Spread uniformly over [from, to). */
  readonly from: number;
  readonly to: number;
  readonly count: number;
  /** A dense run for minute buckets. */
  readonly burst: { readonly from: number; readonly to: number; readonly count: number };
  /** Exact instants that sit on bucket boundaries, one event each. */
  readonly instants: readonly number[];
}

export function generateEvents(shape: EventSetShape): SentEvent[] {
  const random = seededRandom(shape.seed);
  const events: SentEvent[] = [];
  const event = (ts: number): SentEvent => {
    const cents = centsFor(shape.type, random);
    const filters = filtersFor(random);
    return filters === undefined ? { ts, cents } : { ts, cents, filters };
  };
  for (let i = 0; i < shape.count; i++) {
    events.push(event(shape.from + Math.floor(random() * (shape.to - shape.from))));
  }
  const { burst } = shape;
  for (let i = 0; i < burst.count; i++) {
    events.push(event(burst.from + Math.floor(random() * (burst.to - burst.from))));
  }
  for (const ts of shape.instants) events.push(event(ts));
  return events;
}

/** The events as `/event/v1/batch` items. */
export function batchItems(metric: string, events: readonly SentEvent[]): object[] {
  return events.map((e) => ({
    metric,
    value: e.cents / 100,
    timestamp: iso(e.ts),
    ...(e.filters === undefined ? {} : { filters: e.filters }),
  }));
}

export function inRange(events: readonly SentEvent[], from: number, to: number): SentEvent[] {
  return events.filter((e) => e.ts >= from && e.ts < to);
}

/** Events carrying every one of the filters. */
export function matching(
  events: readonly SentEvent[],
  filters: Readonly<Record<string, string>>,
): SentEvent[] {
  return events.filter((e) => Object.entries(filters).every(([k, v]) => e.filters?.[k] === v));
}

const sumCents = (events: readonly SentEvent[]) => events.reduce((s, e) => s + e.cents, 0);
const positiveCents = (events: readonly SentEvent[]) =>
  events.reduce((s, e) => s + Math.max(e.cents, 0), 0);
const negativeCents = (events: readonly SentEvent[]) =>
  events.reduce((s, e) => s + Math.max(-e.cents, 0), 0);

/** A mean is a quotient of doubles: compared to 9 decimal places, never bit for bit. */
const close = (value: number): unknown => expect.closeTo(value, 9);

/** The amounts of a bucket or total, as the API must render them. */
export function amountsOf(type: MetricType, events: readonly SentEvent[]): Record<string, unknown> {
  const count = events.length;
  if (type === 'dual') {
    const positive = positiveCents(events);
    const negative = negativeCents(events);
    return {
      positive: positive / 100,
      negative: negative / 100,
      net: (positive - negative) / 100,
      count,
    };
  }
  const sum = sumCents(events);
  if (type === 'average') {
    return { mean: count === 0 ? null : close(sum / 100 / count), sum: sum / 100, count };
  }
  return { sum: sum / 100, count };
}

/** The headline as a number: the sum, the net, or the mean (null without events). */
export function headlineNumber(type: MetricType, events: readonly SentEvent[]): number | null {
  const sum = sumCents(events) / 100;
  if (type === 'average') return events.length === 0 ? null : sum / events.length;
  return sum;
}

export function headlineOf(type: MetricType, events: readonly SentEvent[]): unknown {
  const value = headlineNumber(type, events);
  return type === 'average' && value !== null ? close(value) : value;
}

/** Cents as the exact decimal string: 1234 → "12.34", -500 → "-5", 7 → "0.07". */
export function decimalOf(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const fraction = String(abs % 100)
    .padStart(2, '0')
    .replace(/0+$/, '');
  const whole = String(Math.floor(abs / 100));
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
}

export function exactOf(type: MetricType, events: readonly SentEvent[]): Record<string, string> {
  if (type === 'dual') {
    const positive = positiveCents(events);
    const negative = negativeCents(events);
    return {
      positive: decimalOf(positive),
      negative: decimalOf(negative),
      net: decimalOf(positive - negative),
    };
  }
  return { sum: decimalOf(sumCents(events)) };
}

export function changeOf(
  type: MetricType,
  current: readonly SentEvent[],
  previous: readonly SentEvent[],
): unknown {
  const now = headlineNumber(type, current);
  const before = headlineNumber(type, previous);
  if (now === null || before === null || before === 0) return null;
  // In percent, to two decimals: within 0.005 of the exact change.
  return expect.closeTo(((now - before) / Math.abs(before)) * 100, 2);
}

/**
 * What a series must answer for `events` (already narrowed to the selection), given the
 * boundaries of the previous period followed by the range: 2n + 1 instants, n buckets each.
 */
export function expectedSeries(
  type: MetricType,
  events: readonly SentEvent[],
  boundaries: readonly number[],
) {
  const n = (boundaries.length - 1) / 2;
  if (!Number.isInteger(n) || n < 1) throw new Error('need 2n + 1 boundaries');
  const at = (i: number): number => boundaries[i] ?? Number.NaN;
  const from = at(n);
  const to = at(2 * n);
  const bucket = (i: number) => inRange(events, at(i), at(i + 1));
  const current = inRange(events, from, to);
  const previous = inRange(events, at(0), from);
  const before = events.filter((e) => e.ts < from);
  return {
    from: iso(from),
    to: iso(to),
    buckets: Array.from({ length: n }, (_, k) => ({
      start: iso(at(n + k)),
      ...amountsOf(type, bucket(n + k)),
      cumulative: headlineOf(
        type,
        events.filter((e) => e.ts < at(n + k + 1)),
      ),
    })),
    previousBuckets: Array.from({ length: n }, (_, k) => ({
      start: iso(at(k)),
      ...amountsOf(type, bucket(k)),
    })),
    summary: {
      value: headlineOf(type, current),
      total: { ...amountsOf(type, current), exact: exactOf(type, current) },
      previous: {
        from: iso(at(0)),
        to: iso(from),
        value: headlineOf(type, previous),
        ...amountsOf(type, previous),
      },
      change: changeOf(type, current, previous),
      allTime: { ...amountsOf(type, events), exact: exactOf(type, events) },
      before: { value: headlineOf(type, before), ...amountsOf(type, before) },
    },
  };
}

/** What ranks groups and breakdown values: the sum, both sides, or the count. */
export function weightOf(type: MetricType, events: readonly SentEvent[]): number {
  if (type === 'average') return events.length;
  return events.reduce((s, e) => s + Math.abs(e.cents), 0);
}

/**
 * The values of `key` among `events`, heaviest first (ties by value). Throws on a tie at the cut
 * so that no expectation ever depends on how ties are broken.
 */
export function rankValues(
  type: MetricType,
  events: readonly SentEvent[],
  key: string,
  cut: number,
): Array<{ value: string; events: SentEvent[] }> {
  const byValue = new Map<string, SentEvent[]>();
  for (const e of events) {
    const value = e.filters?.[key];
    if (value === undefined) continue;
    byValue.set(value, [...(byValue.get(value) ?? []), e]);
  }
  const ranked = [...byValue]
    .map(([value, list]) => ({ value, events: list }))
    .sort(
      (a, b) =>
        weightOf(type, b.events) - weightOf(type, a.events) ||
        (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
    );
  const weights = ranked.map((r) => weightOf(type, r.events));
  if (new Set(weights.slice(0, cut + 1)).size !== Math.min(cut + 1, weights.length)) {
    throw new Error(`fixture: tied weights among the top ${cut + 1} values of ${key}: ${weights}`);
  }
  return ranked;
}

/** Boundaries every `step` ms. */
export function everyStep(start: number, step: number, count: number): number[] {
  return Array.from({ length: count + 1 }, (_, i) => start + i * step);
}

/** Local midnights of consecutive days (or every `stepDays`), given the zone offset of each. */
export function localMidnights(
  firstDate: string,
  count: number,
  offsetMinutes: (utcDate: number) => number,
  stepDays = 1,
): number[] {
  const first = t(`${firstDate}T00:00:00Z`);
  return Array.from({ length: count + 1 }, (_, i) => {
    const date = first + i * stepDays * DAY;
    return date - offsetMinutes(date) * MINUTE;
  });
}

/** Local midnights of the first of consecutive months. */
export function monthStarts(
  year: number,
  month: number,
  count: number,
  offsetMinutes: (utcDate: number) => number = () => 0,
): number[] {
  return Array.from({ length: count + 1 }, (_, i) => {
    const date = Date.UTC(year, month - 1 + i, 1);
    return date - offsetMinutes(date) * MINUTE;
  });
}

/**
 * Europe/Paris at local midnight of a 2026 date: CEST (+2) from March 30 to October 25
 * included (the changes happen at 01:00 UTC on March 29 and October 25), CET (+1) otherwise.
 */
export function parisOffset(utcDate: number): number {
  if (new Date(utcDate).getUTCFullYear() !== 2026) throw new Error('only 2026 is tabled');
  return utcDate >= t('2026-03-30T00:00Z') && utcDate <= t('2026-10-25T00:00Z') ? 120 : 60;
}

export const kolkataOffset = (): number => 330;
export const utcOffset = (): number => 0;

/** A CSV body as rows of cells, whichever line ending it uses. */
export function csvRows(body: string): string[][] {
  return body
    .split(/\r?\n/)
    .filter((line) => line !== '')
    .map((line) => line.split(','));
}
