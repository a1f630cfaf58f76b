import { type Query, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { seg } from '../api/client';
import { includesNow } from '../lib/metric-view';
import { queryKeys } from './query-keys';

const DEBOUNCE_MS = 300;

/**
 * Whether a query of project `projectId` shows data that metric `metricId` just changed: its
 * overview, its list, and its series and breakdowns whose window includes now.
 */
export function isAffected(key: readonly unknown[], projectId: string, changed: Set<string>) {
  if (key[0] !== 'projects' || key[1] !== projectId) return false;
  if (key[2] === 'overview') return true;
  if (key[2] !== 'metrics') return false;
  if (key.length === 3) return true;
  const metricId = key[3];
  if (typeof metricId !== 'string' || !changed.has(metricId)) return false;
  if (key.length === 4) return true;
  if (key[4] !== 'data') return false;
  if (key[5] === 'filters') return true;
  const params = key[6];
  return typeof params === 'object' && params !== null
    ? includesNow(params as Record<string, string>)
    : false;
}

/**
 * Follows the project's live stream (GET /api/projects/:id/live, Server-Sent Events) while
 * mounted: when events are committed, what shows the metrics that changed is refetched.
 * EventSource reconnects by itself after a drop.
 */
export function useLiveProject(projectId: string | undefined) {
  const queryClient = useQueryClient();
  useEffect(() => {
    if (projectId === undefined || typeof EventSource === 'undefined') return;
    const source = new EventSource(`/api/projects/${seg(projectId)}/live`);
    const changed = new Set<string>();
    let timer: number | undefined;

    const flush = () => {
      timer = undefined;
      const ids = new Set(changed);
      changed.clear();
      void queryClient.invalidateQueries({
        queryKey: queryKeys.project(projectId),
        predicate: (query: Query) => isAffected(query.queryKey, projectId, ids),
      });
      // The project's usage (events this month) moved too.
      void queryClient.invalidateQueries({ queryKey: queryKeys.project(projectId), exact: true });
    };

    source.addEventListener('metrics', (event) => {
      try {
        const data = JSON.parse((event as MessageEvent<string>).data) as {
          metrics?: Array<{ id: string }>;
        };
        for (const metric of data.metrics ?? []) changed.add(metric.id);
      } catch {
        return;
      }
      if (timer === undefined) timer = window.setTimeout(flush, DEBOUNCE_MS);
    });

    return () => {
      window.clearTimeout(timer);
      source.close();
    };
  }, [projectId, queryClient]);
}
