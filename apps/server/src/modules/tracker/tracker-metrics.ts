import { AppError } from '../../errors.js';
import type { Actor } from '../../lib/actor.js';
import type { MetricsService } from '../metrics/metrics.service.js';

/** The metrics the website tracker records into, in the public key's project. */
export const TRACKER_METRICS = {
  pageviews: 'pageviews',
  visitors: 'visitors',
} as const;

export type TrackerMetricName = keyof typeof TRACKER_METRICS;

function conflict(name: string, type: string): AppError {
  return new AppError(
    'TRACKER_METRIC_CONFLICT',
    `The project has ${type === 'average' ? 'an' : 'a'} ${type} metric named "${name}"; the tracker records into a basic one. Rename that metric, then try again.`,
  );
}

/**
 * Makes sure the project has the tracker's metrics, as basic metrics: existing ones of those names
 * are reused when basic, refused (TRACKER_METRIC_CONFLICT) otherwise, missing ones are created.
 * Returns their ids.
 */
export async function ensureTrackerMetrics(
  metrics: MetricsService,
  actor: Actor,
  projectId: string,
): Promise<Record<TrackerMetricName, string>> {
  const ids: Partial<Record<TrackerMetricName, string>> = {};
  // Checked first, so a conflict on the second creates nothing.
  const existing = await Promise.all(
    Object.values(TRACKER_METRICS).map((name) =>
      metrics.getMetric(actor, projectId, name).catch((error: unknown) => {
        if (error instanceof AppError && error.code === 'METRIC_NOT_FOUND') return undefined;
        throw error;
      }),
    ),
  );
  for (const metric of existing) {
    if (metric !== undefined && metric.type !== 'basic') throw conflict(metric.name, metric.type);
  }
  for (const [key, name] of Object.entries(TRACKER_METRICS) as [TrackerMetricName, string][]) {
    const found = existing.find((m) => m?.name.toLowerCase() === name);
    ids[key] = found?.id ?? (await createBasic(metrics, actor, projectId, name));
  }
  return ids as Record<TrackerMetricName, string>;
}

async function createBasic(
  metrics: MetricsService,
  actor: Actor,
  projectId: string,
  name: string,
): Promise<string> {
  try {
    return (await metrics.createMetric(actor, projectId, { name, type: 'basic' })).id;
  } catch (error) {
    // Created meanwhile by another request: use it if it is basic.
    if (!(error instanceof AppError) || error.code !== 'METRIC_NAME_TAKEN') throw error;
    const metric = await metrics.getMetric(actor, projectId, name);
    if (metric.type !== 'basic') throw conflict(metric.name, metric.type);
    return metric.id;
  }
}
