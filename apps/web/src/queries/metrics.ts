import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../api/client';
import type {
  CreateMetricBody,
  Metric,
  OverviewResponse,
  PresetUnit,
  UpdateMetricBody,
} from '../api/types';
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

/** Every metric of a project with today, yesterday and a 15-day sparkline, local to `tz`. */
export function useOverview(projectId: string, tz: string) {
  return useQuery({
    queryKey: queryKeys.overview(projectId, tz),
    queryFn: ({ signal }) =>
      api
        .get<OverviewResponse>(`/api/projects/${seg(projectId)}/overview`, {
          query: { tz },
          signal,
        })
        .then((r) => r.metrics),
  });
}

/** One metric, by id or name. */
export function useMetric(projectId: string, metricId: string) {
  const queryClient = useQueryClient();
  return useQuery<Metric>({
    queryKey: queryKeys.metric(projectId, metricId),
    queryFn: ({ signal }) =>
      api
        .get<{ metric: Metric }>(`/api/projects/${seg(projectId)}/metrics/${seg(metricId)}`, {
          signal,
        })
        .then((r) => r.metric),
    placeholderData: () =>
      queryClient
        .getQueryData<Metric[]>(queryKeys.metrics(projectId))
        ?.find((m) => m.id === metricId),
  });
}

/** After a metric changes, everything listing metrics reloads (list, overview, its page). */
function invalidateMetrics(queryClient: ReturnType<typeof useQueryClient>, projectId: string) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.metrics(projectId) }),
    queryClient.invalidateQueries({ queryKey: ['projects', projectId, 'overview'] }),
  ]);
}

/** Creates a metric (owner, admin). */
export function useCreateMetric(projectId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateMetricBody) =>
      api
        .post<{ metric: Metric }>(`/api/projects/${seg(projectId)}/metrics`, body)
        .then((r) => r.metric),
    onSuccess: () => invalidateMetrics(queryClient, projectId),
  });
}

/** Renames a metric or changes its unit or side names (owner, admin). */
export function useUpdateMetric(projectId: string, metricId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: UpdateMetricBody) =>
      api
        .patch<{ metric: Metric }>(`/api/projects/${seg(projectId)}/metrics/${seg(metricId)}`, body)
        .then((r) => r.metric),
    onSuccess: (metric) => {
      queryClient.setQueryData(queryKeys.metric(projectId, metricId), metric);
      return invalidateMetrics(queryClient, projectId);
    },
  });
}

/** Deletes a metric and all its events (owner, admin). */
export function useDeleteMetric(projectId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (metricId: string) =>
      api.delete(`/api/projects/${seg(projectId)}/metrics/${seg(metricId)}`),
    // The metric's own queries are left to expire: refetching them while its page is still
    // mounted would 404 on the way out.
    onSuccess: (_, metricId) => {
      queryClient.setQueryData<Metric[]>(queryKeys.metrics(projectId), (list) =>
        list?.filter((m) => m.id !== metricId),
      );
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.metrics(projectId), exact: true }),
        queryClient.invalidateQueries({ queryKey: ['projects', projectId, 'overview'] }),
      ]);
    },
  });
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
