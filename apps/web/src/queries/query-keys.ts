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
  members: (projectId: string) => ['projects', projectId, 'members'] as const,
};
