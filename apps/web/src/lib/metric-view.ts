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
