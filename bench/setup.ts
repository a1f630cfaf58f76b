// What the benchmarks that drive the server's own modules (no HTTP) start from: an owner, a
// project with its ingest key, and one basic metric, created through the services.
import { OPERATOR } from '../apps/server/dist/lib/actor.js';
import type { Services } from '../apps/server/dist/services.js';

export async function createBenchMetric(
  services: Services,
  names: { readonly label: string; readonly project: string; readonly metric: string },
) {
  const user = await services.accounts.createUser({
    email: `bench-${names.label}@example.com`,
    password: `bench ${names.label} password`,
  });
  const { project, apiKey } = await services.projects.createProject(
    OPERATOR,
    { name: names.project },
    user.id,
  );
  const metric = await services.metrics.createMetric(OPERATOR, project.id, {
    name: names.metric,
    type: 'basic',
  });
  return { project, apiKey, metric };
}
