import { GRANULARITIES, type Granularity, RANGE_PRESETS, type RangePreset } from '../api/types';

/** What a metric page shows: the window, its buckets, the overlay and the filters. */
export interface MetricView {
  /** A preset, or 'custom' for `from`–`to`. */
  range: RangePreset | 'custom';
  /** Custom range: first local day, YYYY-MM-DD. */
  from: string;
  /** Custom range: last local day, included, YYYY-MM-DD. */
  to: string;
  granularity: Granularity | 'auto';
  tz: string;
  previous: boolean;
  filters: Record<string, string>;
}

export const RANGE_LABELS: Record<RangePreset | 'custom', string> = {
  today: 'Today',
  yesterday: 'Yesterday',
  last_7_days: 'Last 7 days',
  last_15_days: 'Last 15 days',
  last_30_days: 'Last 30 days',
  last_90_days: 'Last 90 days',
  last_12_months: 'Last 12 months',
  month_to_date: 'Month to date',
  year_to_date: 'Year to date',
  custom: 'Custom range',
};

export const GRANULARITY_LABELS: Record<Granularity | 'auto', string> = {
  auto: 'Auto',
  minute: 'By minute',
  hour: 'By hour',
  day: 'By day',
  week: 'By week',
  month: 'By month',
};

/** The browser's time zone, or UTC when it cannot tell. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** Every IANA zone the browser knows, UTC first. */
export function timeZones(): string[] {
  const zones =
    typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...zones.filter((zone) => zone !== 'UTC')];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The local date of `now` in `tz`, YYYY-MM-DD. */
export function localDate(tz: string, now: Date = new Date()): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

/** YYYY-MM-DD plus `days` (calendar arithmetic, no time zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const shifted = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days));
  return shifted.toISOString().slice(0, 10);
}

const DAY_MS = 86_400_000;

function dayNumber(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1) / DAY_MS;
}

/** YYYY-MM-DD plus `months`, on the first of the month. */
function firstOfMonth(date: string, months: number): string {
  const [y, m] = date.split('-').map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1 + months, 1)).toISOString().slice(0, 10);
}

/** The local days the view's range covers, `today` (YYYY-MM-DD in the view's zone) included. */
export function rangeDays(view: Pick<MetricView, 'range' | 'from' | 'to'>, today: string): number {
  const since = (first: string) => dayNumber(today) - dayNumber(first) + 1;
  switch (view.range) {
    case 'today':
    case 'yesterday':
      return 1;
    case 'last_7_days':
      return 7;
    case 'last_15_days':
      return 15;
    case 'last_30_days':
      return 30;
    case 'last_90_days':
      return 90;
    case 'last_12_months':
      return dayNumber(firstOfMonth(today, 1)) - dayNumber(firstOfMonth(today, -11));
    case 'month_to_date':
      return since(firstOfMonth(today, 0));
    case 'year_to_date':
      return since(`${today.slice(0, 4)}-01-01`);
    case 'custom':
      return dayNumber(view.to) - dayNumber(view.from) + 1;
  }
}

/**
 * The most buckets a series may hold: the server's default MEASURELY_MAX_BUCKETS
 * (docs/query.md), which the API does not report.
 */
export const MAX_BUCKETS = 5000;

/**
 * Per granularity: the fewest days a bucket lasts (a longer range is needed, or the server widens
 * the window to the whole bucket) and the most buckets a range of `days` days can need, counting
 * an hour more on a day that turns the clocks back and a partial bucket at each end.
 */
const BUCKETS: Record<Granularity, { shortest: number; most: (days: number) => number }> = {
  minute: { shortest: 0, most: (days) => days * 1440 + 60 },
  hour: { shortest: 0, most: (days) => days * 24 + 1 },
  day: { shortest: 1, most: (days) => days },
  week: { shortest: 7, most: (days) => Math.ceil(days / 7) + 1 },
  month: { shortest: 28, most: (days) => Math.ceil(days / 28) + 1 },
};

/** Why a granularity cannot chart a range of `days` days, or null when it can. */
export function granularityProblem(granularity: Granularity, days: number): string | null {
  const { shortest, most } = BUCKETS[granularity];
  if (days < shortest) return 'A bucket is longer than the range';
  if (most(days) > MAX_BUCKETS) {
    return `Over ${MAX_BUCKETS.toLocaleString('en-US')} buckets in this range`;
  }
  return null;
}

/**
 * The view with a granularity its range allows: the current one, else the nearest allowed one
 * (finer when buckets would outlast the range, coarser when there would be too many).
 */
export function fitGranularity(view: MetricView, now: Date = new Date()): MetricView {
  if (view.granularity === 'auto') return view;
  const days = rangeDays(view, localDate(view.tz, now));
  if (granularityProblem(view.granularity, days) === null) return view;
  const current = GRANULARITIES.indexOf(view.granularity);
  const allowed = GRANULARITIES.filter((g) => granularityProblem(g, days) === null);
  const nearest = allowed.reduce<Granularity | undefined>(
    (best, g) =>
      best === undefined ||
      Math.abs(GRANULARITIES.indexOf(g) - current) < Math.abs(GRANULARITIES.indexOf(best) - current)
        ? g
        : best,
    undefined,
  );
  return { ...view, granularity: nearest ?? 'auto' };
}

/** Reads a view from the page's URL, with defaults for anything missing or wrong. */
export function parseMetricView(params: URLSearchParams, defaultTz: string): MetricView {
  const range = params.get('range');
  const granularity = params.get('granularity');
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const custom = range === 'custom' && DATE.test(from) && DATE.test(to) && from <= to;
  const filters: Record<string, string> = {};
  for (const [name, value] of params) {
    const match = /^filter\[(.+)\]$/.exec(name);
    if (match?.[1] !== undefined && value !== '') filters[match[1]] = value;
  }
  return {
    range: custom
      ? 'custom'
      : (RANGE_PRESETS as readonly string[]).includes(range ?? '')
        ? (range as RangePreset)
        : 'last_30_days',
    from: custom ? from : '',
    to: custom ? to : '',
    granularity: (GRANULARITIES as readonly string[]).includes(granularity ?? '')
      ? (granularity as Granularity)
      : 'auto',
    tz: params.get('tz') || defaultTz,
    previous: params.get('previous') === 'true',
    filters,
  };
}

/** The view as URL parameters, leaving out what is the default. */
export function serializeMetricView(view: MetricView, defaultTz: string): URLSearchParams {
  const params = new URLSearchParams();
  if (view.range !== 'last_30_days') params.set('range', view.range);
  if (view.range === 'custom') {
    params.set('from', view.from);
    params.set('to', view.to);
  }
  if (view.granularity !== 'auto') params.set('granularity', view.granularity);
  if (view.tz !== defaultTz) params.set('tz', view.tz);
  if (view.previous) params.set('previous', 'true');
  for (const [key, value] of Object.entries(view.filters)) params.set(`filter[${key}]`, value);
  return params;
}

/** The window and filter parameters every read takes (docs/query.md). */
export function windowParams(view: MetricView): Record<string, string> {
  const params: Record<string, string> = { tz: view.tz };
  if (view.range === 'custom') {
    params.from = view.from;
    // The API's `to` is exclusive: the day after the last one shown.
    params.to = addDays(view.to, 1);
  } else {
    params.range = view.range;
  }
  for (const [key, value] of Object.entries(view.filters)) params[`filter[${key}]`] = value;
  return params;
}

/** Parameters of a series read: the window, the granularity and the overlay. */
export function seriesParams(view: MetricView): Record<string, string> {
  return {
    ...windowParams(view),
    granularity: view.granularity,
    ...(view.previous ? { previous: 'true' } : {}),
  };
}

/** Whether the window still grows: new events can land in it, so live updates refresh it. */
export function includesNow(params: Record<string, string>, now: Date = new Date()): boolean {
  if (params.range !== undefined) return params.range !== 'yesterday';
  const to = params.to;
  if (to === undefined) return true;
  return DATE.test(to) ? to > localDate(params.tz ?? 'UTC', now) : true;
}
