import { useQuery } from '@tanstack/react-query';
import { api, seg } from '../api/client';
import type { Metric, PresetUnit } from '../api/types';
import { queryKeys } from './query-keys';

export function metricsQuery(projectId: string) {
  return {
    queryKey: queryKeys.metrics(projectId),
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      api
        .get<{ metrics: Metric[] }>(`/api/projects/${seg(projectId)}/metrics`, { signal })
        .then((r) => r.metrics),
  };
}

/** Metrics of a project, with their all-time totals. */
export function useMetrics(projectId: string) {
  return useQuery(metricsQuery(projectId));
}

/** Preset units (they never change while the server runs). */
export function useUnits() {
  return useQuery({
    queryKey: queryKeys.units,
    queryFn: ({ signal }) =>
      api.get<{ units: PresetUnit[] }>('/api/units', { signal }).then((r) => r.units),
    staleTime: Number.POSITIVE_INFINITY,
  });
}
