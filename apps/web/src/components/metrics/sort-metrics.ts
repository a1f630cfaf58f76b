import type { Amounts, MetricType, OverviewMetric } from '../../api/types';

export const SORT_COLUMNS = ['name', 'type', 'total', 'today', 'change', 'lastEvent'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];
export interface Sort {
  column: SortColumn;
  descending: boolean;
}

/** The headline of a period's amounts: the sum (basic), the net (dual) or the mean (average). */
export function periodValue(type: MetricType, amounts: Amounts): number | null {
  if (type === 'dual') return amounts.net ?? 0;
  if (type === 'average') return amounts.mean ?? null;
  return amounts.sum ?? 0;
}

/** What the list shows as a metric's all-time figure: the average for average metrics. */
export function allTimeValue(metric: OverviewMetric): number | null {
  return metric.type === 'average' ? metric.average : metric.total;
}

function sortValue(metric: OverviewMetric, column: SortColumn): string | number | null {
  switch (column) {
    case 'name':
      return metric.name.toLowerCase();
    case 'type':
      return metric.type;
    case 'total':
      return allTimeValue(metric);
    case 'today':
      return periodValue(metric.type, metric.today);
    case 'change':
      return metric.change;
    case 'lastEvent':
      return metric.lastEventAt === null ? null : Date.parse(metric.lastEventAt);
  }
}

/** Metrics whose name contains `search` (any case), sorted; empty values always go last. */
export function filterAndSortMetrics(
  metrics: readonly OverviewMetric[],
  search: string,
  sort: Sort,
): OverviewMetric[] {
  const needle = search.trim().toLowerCase();
  const found =
    needle === '' ? [...metrics] : metrics.filter((m) => m.name.toLowerCase().includes(needle));
  const direction = sort.descending ? -1 : 1;
  return found.sort((a, b) => {
    const x = sortValue(a, sort.column);
    const y = sortValue(b, sort.column);
    if (x === y) return a.name.localeCompare(b.name);
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * direction;
  });
}
