import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, seg } from '../api/client';
import type { BreakdownResponse, FiltersResponse, SeriesResponse } from '../api/types';
import { queryKeys } from './query-keys';

const metricPath = (projectId: string, metricId: string) =>
  `/api/projects/${seg(projectId)}/metrics/${seg(metricId)}`;

/**
 * A metric's buckets over a window (`seriesParams` in lib/metric-view.ts). The last answer stays
 * on screen while a new window loads.
 */
export function useSeries(projectId: string, metricId: string, params: Record<string, string>) {
  return useQuery({
    queryKey: queryKeys.series(projectId, metricId, params),
    queryFn: ({ signal }) =>
      api.get<SeriesResponse>(`${metricPath(projectId, metricId)}/series`, {
        query: params,
        signal,
      }),
    placeholderData: keepPreviousData,
  });
}

/** Totals per value of one filter key; nothing is fetched until a key is chosen. */
export function useBreakdown(
  projectId: string,
  metricId: string,
  by: string | null,
  params: Record<string, string>,
) {
  const query = { ...params, by: by ?? '' };
  return useQuery({
    queryKey: queryKeys.breakdown(projectId, metricId, query),
    queryFn: ({ signal }) =>
      api.get<BreakdownResponse>(`${metricPath(projectId, metricId)}/breakdown`, {
        query,
        signal,
      }),
    enabled: by !== null && by !== '',
    placeholderData: keepPreviousData,
  });
}

/** The filter keys a metric has seen, with their values. */
export function useMetricFilters(projectId: string, metricId: string) {
  return useQuery({
    queryKey: queryKeys.filters(projectId, metricId),
    queryFn: ({ signal }) =>
      api
        .get<FiltersResponse>(`${metricPath(projectId, metricId)}/filters`, { signal })
        .then((r) => r.keys),
  });
}

/** Where to download the buckets (series.csv) or the raw events (events?format=csv). */
export function exportUrls(projectId: string, metricId: string, params: Record<string, string>) {
  const { previous: _previous, ...series } = params;
  const { granularity: _granularity, ...window } = series;
  const base = metricPath(projectId, metricId);
  return {
    seriesCsv: `${base}/series.csv?${new URLSearchParams(series)}`,
    eventsCsv: `${base}/events?${new URLSearchParams({ ...window, format: 'csv' })}`,
  };
}
