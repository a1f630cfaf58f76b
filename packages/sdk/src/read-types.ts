/**
 * The kind of a metric: `basic` (values > 0 add up), `dual` (two named sides), `average`.
 *
 * @example
 * ```ts
 * const headline = (type: MetricType) => (type === 'dual' ? 'net' : type === 'average' ? 'mean' : 'sum');
 * ```
 */
export type MetricType = 'basic' | 'dual' | 'average';

/**
 * Bucket widths of a series (`auto`, in a query, picks one from the window's length).
 *
 * @example
 * ```ts
 * const granularity: Granularity = 'day';
 * ```
 */
export type Granularity = 'minute' | 'hour' | 'day' | 'week' | 'month';

/**
 * The window presets of the query API, local to `tz`.
 *
 * @example
 * ```ts
 * await client.summary('signups', { range: 'month_to_date' satisfies RangePreset });
 * ```
 */
export type RangePreset =
  | 'today'
  | 'yesterday'
  | 'last_7_days'
  | 'last_15_days'
  | 'last_30_days'
  | 'last_90_days'
  | 'last_12_months'
  | 'month_to_date'
  | 'year_to_date';

/**
 * The window of a read: a `range` preset, or `from`/`to`; plus a time zone and filters.
 *
 * @example
 * ```ts
 * const window: WindowQuery = { range: 'last_7_days', tz: 'Europe/Paris', filters: { plan: 'pro' } };
 * ```
 */
export interface WindowQuery {
  /** A preset, instead of `from`/`to`. */
  range?: RangePreset | undefined;
  /** ISO 8601 with a zone, a local date (`2026-11-01`) or date-time in `tz`, epoch ms, or a Date. */
  from?: string | number | Date | undefined;
  /** Exclusive end; default now. Same forms as `from`. */
  to?: string | number | Date | undefined;
  /** IANA time zone of day, week and month boundaries. Default `UTC`. */
  tz?: string | undefined;
  /** Only events carrying all these filters. */
  filters?: Record<string, string> | undefined;
}

/**
 * Parameters of `client.series()` and `client.summary()`.
 *
 * @example
 * ```ts
 * const query: SeriesQuery = { range: 'last_30_days', granularity: 'day', groupBy: 'plan', top: 5 };
 * ```
 */
export interface SeriesQuery extends WindowQuery {
  /** Bucket width; default `auto` (≤ 6 h minute, ≤ 4 days hour, ≤ 180 days day, else month). */
  granularity?: Granularity | 'auto' | undefined;
  /** A filter key: one series per value (the `top` largest) plus one `other`. */
  groupBy?: string | undefined;
  /** How many groups with `groupBy`, 1–100. Default 10. */
  top?: number | undefined;
  /** Also return `previousBuckets`, the previous period bucket by bucket. */
  previous?: boolean | undefined;
}

/**
 * Parameters of `client.breakdown()`.
 *
 * @example
 * ```ts
 * const query: BreakdownQuery = { by: 'country', range: 'last_30_days', limit: 10 };
 * ```
 */
export interface BreakdownQuery extends WindowQuery {
  /** The filter key to break down by. */
  by: string;
  /** How many values to list, 1–1,000. Default 50. */
  limit?: number | undefined;
}

/**
 * Amounts of a bucket or a total, by metric type: basic → `sum`, `count`; dual → `positive`,
 * `negative`, `net`, `count`; average → `mean` (null when empty), `sum`, `count`.
 *
 * @example
 * ```ts
 * const headline = (a: Amounts) => a.net ?? a.mean ?? a.sum ?? 0;
 * ```
 */
export interface Amounts {
  sum?: number;
  positive?: number;
  negative?: number;
  net?: number;
  mean?: number | null;
  count: number;
}

/**
 * One bucket of a series: its start (UTC, ISO 8601) and its amounts.
 *
 * @example
 * ```ts
 * const points = series.buckets.map((b: Bucket) => [Date.parse(b.start), b.sum ?? 0]);
 * ```
 */
export interface Bucket extends Amounts {
  start: string;
}

/**
 * The metric a read is about.
 *
 * @example
 * ```ts
 * const { name, unit }: MetricBrief = series.metric;
 * ```
 */
export interface MetricBrief {
  id: string;
  name: string;
  type: MetricType;
  unit: { name: string; symbol: string } | null;
  positiveName: string | null;
  negativeName: string | null;
}

/**
 * The summary block of a series: the window's totals, the previous period and the change.
 *
 * @example
 * ```ts
 * const s: SeriesSummary = await client.summary('signups', { range: 'today' });
 * console.log(`${s.value} today (${s.change ?? '–'} % vs yesterday)`);
 * ```
 */
export interface SeriesSummary {
  /** The headline of the window: the sum (basic), the net (dual) or the mean (average). */
  value: number | null;
  /** Totals of the window; `exact` holds them as decimal strings. */
  total: Amounts & { exact: Record<string, string> };
  /** The same number of buckets just before the window. */
  previous: Amounts & { from: string; to: string; value: number | null };
  /** Change of the headline from the previous period, in percent; null when it was zero. */
  change: number | null;
  /** Every event ever sent (with the filters). */
  allTime: Amounts & { exact: Record<string, string> };
  /** Everything before the window: where the cumulative series starts. */
  before: Amounts & { value: number | null };
}

/**
 * The answer of `client.series()`: `GET /api/projects/{projectId}/metrics/{metric}/series`.
 *
 * @example
 * ```ts
 * const { buckets } = await client.series('signups', { range: 'last_7_days', granularity: 'day' });
 * for (const b of buckets) console.log(b.start, b.sum);
 * ```
 */
export interface SeriesResponse {
  metric: MetricBrief;
  /** Start of the first bucket (the request widened to whole buckets). */
  from: string;
  /** End of the last bucket. */
  to: string;
  granularity: Granularity;
  tz: string;
  filters: Record<string, string>;
  /** Every bucket of the window, empty ones included; `cumulative` is the running total. */
  buckets: Array<Bucket & { cumulative: number | null }>;
  summary: SeriesSummary;
  /** With `previous: true`. */
  previousBuckets?: Bucket[];
  /** With `groupBy`. */
  groupBy?: string;
  /** With `groupBy`: one entry per value, then one `other` (value null). */
  groups?: Array<{
    value: string | null;
    other: boolean;
    values?: number;
    total: Amounts;
    buckets: Bucket[];
  }>;
}

/**
 * The answer of `client.breakdown()`: totals per value of one filter key.
 *
 * @example
 * ```ts
 * const { values } = await client.breakdown('signups', { by: 'country', range: 'last_30_days' });
 * for (const v of values) console.log(v.value, v.sum, `${v.share} %`);
 * ```
 */
export interface BreakdownResponse {
  metric: MetricBrief;
  by: string;
  from: string;
  to: string;
  tz: string;
  filters: Record<string, string>;
  total: Amounts;
  values: Array<Amounts & { value: string; share: number | null }>;
  other: (Amounts & { values: number; share: number | null }) | null;
  withoutKey: Amounts & { share: number | null };
}

/**
 * The filter keys a metric has seen, with their values.
 *
 * @example
 * ```ts
 * const { keys } = await client.filters('signups');
 * ```
 */
export interface FiltersResponse {
  keys: Array<{ key: string; values: string[] }>;
}

/**
 * A metric of the project as `client.metrics()` lists it: its all-time totals, today,
 * yesterday, the change and a 15-day sparkline.
 *
 * @example
 * ```ts
 * for (const m of await client.metrics()) console.log(m.name, m.totalExact, m.today.count);
 * ```
 */
export interface MetricOverview {
  id: string;
  projectId: string;
  name: string;
  type: MetricType;
  unit: { name: string; symbol: string } | null;
  positiveName: string | null;
  negativeName: string | null;
  /** All-time total: the sum (basic, average) or positive − negative (dual). */
  total: number;
  /** The total as an exact decimal string. */
  totalExact: string;
  positive: number | null;
  negative: number | null;
  average: number | null;
  eventCount: number;
  lastEventAt: string | null;
  createdAt: string;
  updatedAt: string;
  today: Amounts;
  yesterday: Amounts;
  /** Yesterday up to the same time of day as now (the current minute included). */
  yesterdayAtThisTime: Amounts;
  /** Today so far against yesterday at this time, in percent; null when that was zero. */
  change: number | null;
  /** The last 15 local days, today last. */
  sparkline: Array<{ start: string; value: number | null }>;
}

/**
 * What the API key is: `GET /api/key`.
 *
 * @example
 * ```ts
 * const { projectId, scope } = await client.identify();
 * ```
 */
export interface KeyIdentity {
  keyId: string;
  projectId: string;
  scope: string;
  name: string;
  prefix: string;
}
