/**
 * Every query key in one place. Keys nest, so invalidating a prefix refreshes everything under
 * it: `queryKeys.project(id)` covers the project's metrics, keys and members too.
 */
export const queryKeys = {
  me: ['me'] as const,
  units: ['units'] as const,
  projects: ['projects'] as const,
  project: (projectId: string) => ['projects', projectId] as const,
  metrics: (projectId: string) => ['projects', projectId, 'metrics'] as const,
  metric: (projectId: string, metric: string) =>
    ['projects', projectId, 'metrics', metric] as const,
  keys: (projectId: string) => ['projects', projectId, 'keys'] as const,
  overview: (projectId: string, tz: string) => ['projects', projectId, 'overview', tz] as const,
  // Series, breakdowns and filters of a metric nest under [..., metricId, 'data'] (queries/live.ts).
  series: (projectId: string, metricId: string, params: Record<string, string>) =>
    ['projects', projectId, 'metrics', metricId, 'data', 'series', params] as const,
  breakdown: (projectId: string, metricId: string, params: Record<string, string>) =>
    ['projects', projectId, 'metrics', metricId, 'data', 'breakdown', params] as const,
  filters: (projectId: string, metricId: string) =>
    ['projects', projectId, 'metrics', metricId, 'data', 'filters'] as const,
  members: (projectId: string) => ['projects', projectId, 'members'] as const,
  invitations: (projectId: string) => ['projects', projectId, 'invitations'] as const,
  // Not under a project: the invitation page reads it before its visitor is a member.
  invitation: (token: string) => ['invitation', token] as const,
};
