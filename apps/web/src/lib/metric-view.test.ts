import { describe, expect, it } from 'vitest';
import {
  addDays,
  fitGranularity,
  granularityProblem,
  includesNow,
  localDate,
  type MetricView,
  parseMetricView,
  rangeDays,
  serializeMetricView,
  seriesParams,
  windowParams,
} from './metric-view';

const TZ = 'Europe/Paris';

describe('parseMetricView', () => {
  it('defaults to the last 30 days, auto buckets, the browser zone, no overlay', () => {
    expect(parseMetricView(new URLSearchParams(), TZ)).toEqual({
      range: 'last_30_days',
      from: '',
      to: '',
      granularity: 'auto',
      tz: TZ,
      previous: false,
      filters: {},
    });
  });

  it('reads a custom range, filters and the overlay', () => {
    const view = parseMetricView(
      new URLSearchParams(
        'range=custom&from=2026-06-01&to=2026-06-10&granularity=week&previous=true&filter[plan]=pro',
      ),
      TZ,
    );
    expect(view).toMatchObject({
      range: 'custom',
      from: '2026-06-01',
      to: '2026-06-10',
      granularity: 'week',
      previous: true,
      filters: { plan: 'pro' },
    });
  });

  it('falls back on the default for an unknown preset or a reversed custom range', () => {
    expect(parseMetricView(new URLSearchParams('range=forever'), TZ).range).toBe('last_30_days');
    expect(
      parseMetricView(new URLSearchParams('range=custom&from=2026-06-10&to=2026-06-01'), TZ).range,
    ).toBe('last_30_days');
    expect(parseMetricView(new URLSearchParams('granularity=year'), TZ).granularity).toBe('auto');
  });

  it('round-trips through the URL', () => {
    const params = new URLSearchParams('range=yesterday&tz=UTC&filter[country]=fr&previous=true');
    const view = parseMetricView(params, TZ);
    expect(parseMetricView(serializeMetricView(view, TZ), TZ)).toEqual(view);
    expect(serializeMetricView(parseMetricView(new URLSearchParams(), TZ), TZ).toString()).toBe('');
  });
});

describe('windowParams and seriesParams', () => {
  const view = parseMetricView(new URLSearchParams('filter[plan]=pro'), TZ);

  it('sends a preset with its zone and filters', () => {
    expect(windowParams(view)).toEqual({ tz: TZ, range: 'last_30_days', 'filter[plan]': 'pro' });
    expect(seriesParams({ ...view, previous: true })).toMatchObject({
      granularity: 'auto',
      previous: 'true',
    });
    expect(seriesParams(view)).not.toHaveProperty('previous');
  });

  it('makes the last day of a custom range inclusive (the API end is exclusive)', () => {
    const custom = { ...view, range: 'custom' as const, from: '2026-02-20', to: '2026-02-28' };
    expect(windowParams(custom)).toMatchObject({ from: '2026-02-20', to: '2026-03-01' });
  });
});

describe('dates', () => {
  it('adds days across months and leap years', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
  });

  it('tells the local date in a zone', () => {
    const now = new Date('2026-11-28T23:30:00Z');
    expect(localDate('UTC', now)).toBe('2026-11-28');
    expect(localDate(TZ, now)).toBe('2026-11-29');
  });
});

describe('includesNow', () => {
  const now = new Date('2026-11-28T12:00:00Z');
  it('is true for presets ending today, false for yesterday', () => {
    expect(includesNow({ range: 'last_7_days', tz: 'UTC' }, now)).toBe(true);
    expect(includesNow({ range: 'yesterday', tz: 'UTC' }, now)).toBe(false);
  });
  it('compares a custom end with today in the zone', () => {
    expect(includesNow({ from: '2026-11-01', to: '2026-11-29', tz: 'UTC' }, now)).toBe(true);
    expect(includesNow({ from: '2026-11-01', to: '2026-11-28', tz: 'UTC' }, now)).toBe(false);
  });
});

describe('granularities a range allows', () => {
  const NOW = new Date('2026-11-15T12:00:00Z');
  const view = (change: Partial<MetricView>): MetricView => ({
    ...parseMetricView(new URLSearchParams(), 'UTC'),
    ...change,
  });

  it('counts the days of presets and custom ranges', () => {
    expect(rangeDays(view({ range: 'today' }), '2026-11-15')).toBe(1);
    expect(rangeDays(view({ range: 'last_7_days' }), '2026-11-15')).toBe(7);
    expect(rangeDays(view({ range: 'month_to_date' }), '2026-11-15')).toBe(15);
    expect(rangeDays(view({ range: 'year_to_date' }), '2026-02-02')).toBe(33);
    expect(rangeDays(view({ range: 'last_12_months' }), '2026-11-15')).toBe(365);
    expect(
      rangeDays(view({ range: 'custom', from: '2026-02-27', to: '2026-03-02' }), '2026-11-15'),
    ).toBe(4);
  });

  it('refuses buckets longer than the range and more buckets than the server allows', () => {
    expect(granularityProblem('month', 1)).toMatch(/longer than the range/);
    expect(granularityProblem('week', 6)).toMatch(/longer than the range/);
    expect(granularityProblem('week', 7)).toBeNull();
    expect(granularityProblem('minute', 7)).toMatch(/5,000 buckets/);
    expect(granularityProblem('minute', 3)).toBeNull();
    expect(granularityProblem('hour', 365)).toMatch(/5,000 buckets/);
    expect(granularityProblem('day', 1)).toBeNull();
  });

  it('moves to the nearest granularity the range allows', () => {
    expect(
      fitGranularity(view({ range: 'last_7_days', granularity: 'minute' }), NOW),
    ).toMatchObject({ granularity: 'hour' });
    expect(fitGranularity(view({ range: 'today', granularity: 'month' }), NOW)).toMatchObject({
      granularity: 'day',
    });
    expect(
      fitGranularity(view({ range: 'last_12_months', granularity: 'minute' }), NOW),
    ).toMatchObject({ granularity: 'day' });
    const kept = view({ range: 'last_90_days', granularity: 'week' });
    expect(fitGranularity(kept, NOW)).toBe(kept);
    const auto = view({ range: 'today', granularity: 'auto' });
    expect(fitGranularity(auto, NOW)).toBe(auto);
  });
});
