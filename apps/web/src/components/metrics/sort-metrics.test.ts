import { describe, expect, it } from 'vitest';
import type { OverviewMetric } from '../../api/types';
import { filterAndSortMetrics, periodValue } from './sort-metrics';

function metric(name: string, extra: Partial<OverviewMetric> = {}): OverviewMetric {
  return {
    id: name,
    projectId: 'p',
    name,
    type: 'basic',
    unit: null,
    positiveName: null,
    negativeName: null,
    total: 0,
    totalExact: '0',
    positive: null,
    negative: null,
    average: null,
    eventCount: 0,
    lastEventAt: null,
    createdAt: '',
    updatedAt: '',
    today: { sum: 0, count: 0 },
    yesterday: { sum: 0, count: 0 },
    yesterdayAtThisTime: { sum: 0, count: 0 },
    change: null,
    sparkline: [],
    ...extra,
  };
}

const list = [
  metric('Signups', { total: 10, change: 5, lastEventAt: '2026-11-28T10:00:00Z' }),
  metric('revenue', { total: 300, change: null, lastEventAt: null }),
  metric('errors', { total: 50, change: -20, lastEventAt: '2026-11-27T10:00:00Z' }),
];

describe('filterAndSortMetrics', () => {
  it('searches names in any case', () => {
    expect(filterAndSortMetrics(list, ' SIGN', { column: 'name', descending: false })).toHaveLength(
      1,
    );
  });

  it('sorts by name, then by numbers in both directions', () => {
    const names = (column: 'name' | 'total', descending: boolean) =>
      filterAndSortMetrics(list, '', { column, descending }).map((m) => m.name);
    expect(names('name', false)).toEqual(['errors', 'revenue', 'Signups']);
    expect(names('total', true)).toEqual(['revenue', 'errors', 'Signups']);
    expect(names('total', false)).toEqual(['Signups', 'errors', 'revenue']);
  });

  it('puts what has no value last, whichever the direction', () => {
    for (const descending of [true, false]) {
      expect(filterAndSortMetrics(list, '', { column: 'change', descending }).at(-1)?.name).toBe(
        'revenue',
      );
      expect(filterAndSortMetrics(list, '', { column: 'lastEvent', descending }).at(-1)?.name).toBe(
        'revenue',
      );
    }
  });
});

describe('periodValue', () => {
  it('is the sum, the net or the mean', () => {
    expect(periodValue('basic', { sum: 3, count: 3 })).toBe(3);
    expect(periodValue('dual', { positive: 5, negative: 2, net: 3, count: 2 })).toBe(3);
    expect(periodValue('average', { mean: null, sum: 0, count: 0 })).toBeNull();
  });
});
